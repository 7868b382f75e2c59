//! What start-up needs from the directory: the built-in roles, and a first administrator on an
//! empty database. Both are idempotent, so every start may run them.

use handoff_shared::builtin_roles;
use sea_orm::{ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter};

use crate::db::entities::{role, user};
use crate::error::AppResult;
use crate::state::AppState;

use super::roles::{GrantInput, insert_role};
use super::users::{NewUser, create_user};

/// Creates the built-in roles when missing (they are editable, never deleted).
pub async fn ensure_builtin_roles(db: &DatabaseConnection) -> AppResult<()> {
    for builtin in builtin_roles() {
        let exists = role::Entity::find()
            .filter(role::Column::Key.eq(builtin.key))
            .one(db)
            .await?;
        if exists.is_some() {
            continue;
        }
        let grants = builtin
            .grants
            .iter()
            .map(|g| GrantInput {
                permission: g.permission.as_str().to_owned(),
                workflows: g.workflows.clone(),
            })
            .collect();
        let txn = crate::db::begin_write(db, crate::db::DEFAULT_LOCK_TIMEOUT).await?;
        insert_role(&txn, builtin.key, builtin.name, true, grants).await?;
        txn.commit().await?;
    }
    Ok(())
}

/// Creates the first admin from the environment when the database has no user at all.
pub async fn bootstrap_admin(
    state: &AppState,
    email: &str,
    password_text: &str,
) -> AppResult<bool> {
    let any = user::Entity::find().one(&state.db).await?;
    if any.is_some() {
        return Ok(false);
    }
    create_user(
        state,
        None,
        NewUser {
            email: email.to_owned(),
            name: "Administrator".into(),
            password: Some(password_text.to_owned()),
            roles: vec!["admin".into()],
            ..NewUser::default()
        },
    )
    .await?;
    Ok(true)
}
