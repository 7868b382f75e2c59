//! Permission names and the built-in roles (DESIGN.md section 5).
//!
//! Only names and defaults live here; deciding whether a caller holds a permission for a
//! workflow is the server's job. The strings are part of the public contract (they appear in
//! JWT claims and role definitions), so they never change once shipped.

use std::fmt;

use serde::{Deserialize, Deserializer, Serialize, Serializer, de};

/// One permission.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Permission {
    /// `request.submit`.
    RequestSubmit,
    /// `request.read.own`.
    RequestReadOwn,
    /// `request.read.team`.
    RequestReadTeam,
    /// `request.read.all`.
    RequestReadAll,
    /// `request.work`.
    RequestWork,
    /// `report.read`.
    ReportRead,
    /// `audit.read`.
    AuditRead,
    /// `workflow.manage`.
    WorkflowManage,
    /// `user.manage`.
    UserManage,
    /// `team.manage`.
    TeamManage,
    /// `role.manage`.
    RoleManage,
    /// `integration.manage`.
    IntegrationManage,
}

impl Permission {
    /// Every permission, in the order of DESIGN.md.
    pub const ALL: [Permission; 12] = [
        Permission::RequestSubmit,
        Permission::RequestReadOwn,
        Permission::RequestReadTeam,
        Permission::RequestReadAll,
        Permission::RequestWork,
        Permission::ReportRead,
        Permission::AuditRead,
        Permission::WorkflowManage,
        Permission::UserManage,
        Permission::TeamManage,
        Permission::RoleManage,
        Permission::IntegrationManage,
    ];

    /// The permission's name, e.g. `request.read.own`.
    pub fn as_str(&self) -> &'static str {
        match self {
            Permission::RequestSubmit => "request.submit",
            Permission::RequestReadOwn => "request.read.own",
            Permission::RequestReadTeam => "request.read.team",
            Permission::RequestReadAll => "request.read.all",
            Permission::RequestWork => "request.work",
            Permission::ReportRead => "report.read",
            Permission::AuditRead => "audit.read",
            Permission::WorkflowManage => "workflow.manage",
            Permission::UserManage => "user.manage",
            Permission::TeamManage => "team.manage",
            Permission::RoleManage => "role.manage",
            Permission::IntegrationManage => "integration.manage",
        }
    }

    /// Parses a permission name.
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL
            .into_iter()
            .find(|permission| permission.as_str() == s)
    }

    /// What the permission allows, for the role editor.
    pub fn description(&self) -> &'static str {
        match self {
            Permission::RequestSubmit => "Submit requests of the scoped workflows",
            Permission::RequestReadOwn => "See own requests",
            Permission::RequestReadTeam => "See the requests of the caller's teams",
            Permission::RequestReadAll => "See all requests of the scoped workflows",
            Permission::RequestWork => {
                "Transition, assign, comment on and edit fields of requests the caller may read"
            }
            Permission::ReportRead => "Dashboards and exports",
            Permission::AuditRead => "The audit trail across requests",
            Permission::WorkflowManage => "Validate and publish workflow definitions",
            Permission::UserManage => "Administer users",
            Permission::TeamManage => "Administer teams",
            Permission::RoleManage => "Administer roles and their permissions",
            Permission::IntegrationManage => {
                "Webhook endpoints, secrets, deliveries and inbound hook tokens"
            }
        }
    }
}

impl fmt::Display for Permission {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Serialize for Permission {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for Permission {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let name = String::deserialize(deserializer)?;
        Permission::parse(&name)
            .ok_or_else(|| de::Error::custom(format!("unknown permission \"{name}\"")))
    }
}

/// A permission, optionally scoped to some workflows.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Grant {
    /// The permission.
    pub permission: Permission,
    /// Workflow keys it is limited to; `None` means every workflow.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub workflows: Option<Vec<String>>,
}

impl Grant {
    /// The permission on every workflow.
    pub fn everywhere(permission: Permission) -> Self {
        Self {
            permission,
            workflows: None,
        }
    }
}

/// A role that exists in every installation (editable, not deletable).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct BuiltinRole {
    /// Role key.
    pub key: &'static str,
    /// Display name.
    pub name: &'static str,
    /// Its grants, unscoped.
    pub grants: Vec<Grant>,
}

/// The built-in roles: `admin`, `agent`, `requester`, `analyst`.
pub fn builtin_roles() -> Vec<BuiltinRole> {
    let grants = |permissions: &[Permission]| {
        permissions
            .iter()
            .copied()
            .map(Grant::everywhere)
            .collect::<Vec<_>>()
    };
    vec![
        BuiltinRole {
            key: "admin",
            name: "Administrator",
            grants: grants(&Permission::ALL),
        },
        BuiltinRole {
            key: "agent",
            name: "Agent",
            grants: grants(&[
                Permission::RequestSubmit,
                Permission::RequestReadTeam,
                Permission::RequestWork,
                Permission::ReportRead,
            ]),
        },
        BuiltinRole {
            key: "requester",
            name: "Requester",
            grants: grants(&[Permission::RequestSubmit, Permission::RequestReadOwn]),
        },
        BuiltinRole {
            key: "analyst",
            name: "Analyst",
            grants: grants(&[
                Permission::RequestReadAll,
                Permission::ReportRead,
                Permission::AuditRead,
            ]),
        },
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_permission_round_trips_through_its_name() {
        for permission in Permission::ALL {
            assert_eq!(Permission::parse(permission.as_str()), Some(permission));
            let json = serde_json::to_string(&permission).unwrap();
            assert_eq!(json, format!("\"{}\"", permission.as_str()));
            assert!(!permission.description().is_empty());
        }
        assert_eq!(Permission::parse("request.read"), None);
    }

    #[test]
    fn grants_serialise_with_the_permission_name() {
        let grant = Grant {
            permission: Permission::RequestReadAll,
            workflows: Some(vec!["purchase-request".to_owned()]),
        };
        let json = serde_json::to_value(&grant).unwrap();
        assert_eq!(
            json,
            serde_json::json!({"permission": "request.read.all", "workflows": ["purchase-request"]})
        );
        assert_eq!(serde_json::from_value::<Grant>(json).unwrap(), grant);
    }

    #[test]
    fn builtin_roles_hold_the_documented_permissions() {
        let roles = builtin_roles();
        let names = |key: &str| -> Vec<&str> {
            roles
                .iter()
                .find(|role| role.key == key)
                .unwrap()
                .grants
                .iter()
                .map(|grant| grant.permission.as_str())
                .collect()
        };
        assert_eq!(names("admin").len(), Permission::ALL.len());
        assert_eq!(
            names("agent"),
            [
                "request.submit",
                "request.read.team",
                "request.work",
                "report.read"
            ]
        );
        assert_eq!(names("requester"), ["request.submit", "request.read.own"]);
        assert_eq!(
            names("analyst"),
            ["request.read.all", "report.read", "audit.read"]
        );
    }
}
