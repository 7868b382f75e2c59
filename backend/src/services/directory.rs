//! People and access: users, teams, roles with scoped permissions, API tokens, sign-in, and
//! turning a credential into a `Principal`. Administrative changes are audited on the system
//! stream in the same transaction.
//!
//! One file per area; this module re-exports every public item, so callers keep naming
//! `services::directory::create_user` and never depend on which file holds it.
//!
//! - `signin`: passwords to sessions (throttled), bearer credentials to principals, signing
//!   out and ending a user's credentials.
//! - `users`: people, their memberships and manager.
//! - `teams`: teams and their members.
//! - `roles`: roles, grants, and who holds a role.
//! - `tokens`: API tokens for scripts.
//! - `bootstrap`: built-in roles and the first admin, at start.

mod bootstrap;
mod roles;
mod signin;
mod teams;
mod tokens;
mod users;

pub use bootstrap::{bootstrap_admin, ensure_builtin_roles};
pub use roles::{
    GrantInput, RoleWithGrants, create_role, delete_role, list_roles, roles_of_users, update_role,
    users_with_role,
};
pub use signin::{Session, authenticate, end_credentials, login, logout, principal_for};
pub use teams::{create_team, list_teams, members_of_teams, teams_of_users, update_team};
pub use tokens::{
    API_TOKEN_PREFIX, NewApiToken, create_api_token, list_api_tokens, revoke_api_token,
};
pub use users::{NewUser, UserUpdate, create_user, find_user_by_email, list_users, update_user};
