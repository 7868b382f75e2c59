//! The caller as guards see it: a user id, roles, teams and flattened permission grants, read
//! from the database for a session or an API token; and the short-lived cache of session
//! principals.

use std::time::Duration;

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
    /// The signed-in session this principal came from (`None` for API tokens and hooks).
    pub session: Option<String>,
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

/// Session principals by session id, kept for seconds (`HANDOFF_SESSION_CACHE_SECS`) so a
/// request does not read roles and grants from the database each time. Every change to users,
/// roles or sessions in this process empties it at once; another process sharing the database
/// sees the change when its entries expire.
#[derive(Clone)]
pub struct SessionCache(moka::sync::Cache<String, Principal>);

impl std::fmt::Debug for SessionCache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SessionCache").finish_non_exhaustive()
    }
}

impl SessionCache {
    pub fn new(ttl: Duration) -> Self {
        Self(
            moka::sync::Cache::builder()
                .max_capacity(100_000)
                .time_to_live(ttl)
                .build(),
        )
    }

    pub fn get(&self, session: &str) -> Option<Principal> {
        self.0.get(session)
    }

    pub fn insert(&self, session: String, principal: Principal) {
        self.0.insert(session, principal);
    }

    /// Forgets every cached principal: called after any change to who may do what.
    pub fn forget_all(&self) {
        self.0.invalidate_all();
    }
}
