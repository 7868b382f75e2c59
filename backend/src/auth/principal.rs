//! The caller as guards see it: a user id, roles, teams and flattened permission grants, from a
//! JWT or an API token.

use handoff_shared::Permission;

/// One flattened grant: a permission, for every workflow (`None`) or the listed ones.
#[derive(Debug, Clone, PartialEq)]
pub struct ScopedPermission {
    pub permission: Permission,
    pub workflows: Option<Vec<String>>,
}

impl ScopedPermission {
    /// The claim string: `perm` or `perm@wf1,wf2`.
    pub fn to_claim(&self) -> String {
        match &self.workflows {
            None => self.permission.as_str().to_owned(),
            Some(w) => format!("{}@{}", self.permission.as_str(), w.join(",")),
        }
    }

    pub fn from_claim(s: &str) -> Option<Self> {
        let (perm, scope) = match s.split_once('@') {
            Some((p, w)) => (p, Some(w.split(',').map(str::to_owned).collect())),
            None => (s, None),
        };
        Some(Self {
            permission: Permission::parse(perm)?,
            workflows: scope,
        })
    }
}

#[derive(Debug, Clone)]
pub struct Principal {
    pub user_id: String,
    pub email: String,
    pub roles: Vec<String>,
    pub teams: Vec<String>,
    pub grants: Vec<ScopedPermission>,
}

impl Principal {
    /// Whether the principal holds `permission` for `workflow`.
    pub fn can(&self, permission: Permission, workflow: &str) -> bool {
        self.grants.iter().any(|g| {
            g.permission == permission
                && g.workflows
                    .as_ref()
                    .is_none_or(|w| w.iter().any(|k| k == workflow))
        })
    }

    /// Whether the principal holds `permission` for at least one workflow.
    pub fn can_any(&self, permission: Permission) -> bool {
        self.grants.iter().any(|g| g.permission == permission)
    }

    /// The workflows `permission` is scoped to: `None` for all, else the union of the scopes
    /// (empty when the permission is not held at all).
    pub fn scope(&self, permission: Permission) -> Option<Vec<String>> {
        let mut keys = Vec::new();
        for g in self.grants.iter().filter(|g| g.permission == permission) {
            match &g.workflows {
                None => return None,
                Some(w) => keys.extend(w.iter().cloned()),
            }
        }
        keys.sort();
        keys.dedup();
        Some(keys)
    }

    pub fn in_team(&self, team: Option<&str>) -> bool {
        team.is_some_and(|t| self.teams.iter().any(|m| m == t))
    }

    pub fn has_role(&self, role: &str) -> bool {
        self.roles.iter().any(|r| r == role)
    }
}
