//! Demo data for `handoff serve --demo`: teams, roles, people and the shipped workflow templates.
//! Loading is idempotent: whatever exists already is left as it is.

use handoff_shared::check_definition;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};

use crate::db::entities::{role, team, user};
use crate::error::AppError;
use crate::services::directory::{self, GrantInput, NewUser};
use crate::services::workflows;
use crate::state::AppState;

/// The password of every demo account (printed by `cargo xtask run`).
pub const DEMO_PASSWORD: &str = "handoff-demo";

/// The templates that ship with the product, by file name.
pub const TEMPLATES: [(&str, &str); 5] = [
    ("it-access", include_str!("../../templates/it-access.yaml")),
    (
        "purchase-request",
        include_str!("../../templates/purchase-request.yaml"),
    ),
    (
        "vendor-onboarding",
        include_str!("../../templates/vendor-onboarding.yaml"),
    ),
    (
        "discount-approval",
        include_str!("../../templates/discount-approval.yaml"),
    ),
    (
        "legal-intake",
        include_str!("../../templates/legal-intake.yaml"),
    ),
];

const TEAMS: [(&str, &str); 6] = [
    ("it", "IT"),
    ("procurement", "Procurement"),
    ("finance", "Finance"),
    ("legal", "Legal"),
    ("sales", "Sales"),
    ("people", "People"),
];

/// Custom demo roles and their grants (permission, scoped workflows).
fn roles() -> Vec<(&'static str, &'static str, Vec<GrantInput>)> {
    let g = |p: &str| GrantInput {
        permission: p.into(),
        workflows: None,
    };
    vec![
        (
            "finance-approver",
            "Finance approver",
            vec![g("report.read")],
        ),
        (
            "procurement-lead",
            "Procurement lead",
            vec![g("request.read.all"), g("request.work"), g("report.read")],
        ),
        ("legal-approver", "Legal approver", vec![]),
        ("sales-director", "Sales director", vec![g("report.read")]),
    ]
}

/// One demo account: email, name, roles, teams, manager's email.
pub type Person = (
    &'static str,
    &'static str,
    &'static [&'static str],
    &'static [&'static str],
    Option<&'static str>,
);

/// The demo people.
pub const PEOPLE: [Person; 7] = [
    (
        "admin@handoff.local",
        "Ada Admin",
        &["admin"],
        &["it"],
        None,
    ),
    (
        "carol@handoff.local",
        "Carol Chen",
        &["requester", "finance-approver", "sales-director"],
        &["sales"],
        None,
    ),
    (
        "alice@handoff.local",
        "Alice Anders",
        &["requester"],
        &["sales"],
        Some("carol@handoff.local"),
    ),
    (
        "bob@handoff.local",
        "Bob Baker",
        &["agent", "requester"],
        &["procurement", "it"],
        Some("carol@handoff.local"),
    ),
    (
        "dave@handoff.local",
        "Dave Diaz",
        &["agent", "requester", "legal-approver"],
        &["legal"],
        None,
    ),
    (
        "erin@handoff.local",
        "Erin Evans",
        &["agent", "requester", "finance-approver"],
        &["finance"],
        None,
    ),
    (
        "frank@handoff.local",
        "Frank Fischer",
        &["analyst", "requester", "procurement-lead"],
        &["procurement"],
        None,
    ),
];

fn to_anyhow(e: AppError) -> anyhow::Error {
    anyhow::anyhow!("{e:?}")
}

pub async fn load(state: &AppState) -> anyhow::Result<()> {
    for (key, name) in TEAMS {
        if team::Entity::find()
            .filter(team::Column::Key.eq(key))
            .one(&state.db)
            .await?
            .is_none()
        {
            directory::create_team(state, None, key, name)
                .await
                .map_err(to_anyhow)?;
        }
    }
    for (key, name, grants) in roles() {
        if role::Entity::find()
            .filter(role::Column::Key.eq(key))
            .one(&state.db)
            .await?
            .is_none()
        {
            directory::create_role(state, None, key, name, grants)
                .await
                .map_err(to_anyhow)?;
        }
    }
    for (email, name, roles, teams, manager) in PEOPLE {
        if user::Entity::find()
            .filter(user::Column::Email.eq(email))
            .one(&state.db)
            .await?
            .is_some()
        {
            continue;
        }
        directory::create_user(
            state,
            None,
            NewUser {
                email: email.into(),
                name: name.into(),
                password: Some(DEMO_PASSWORD.into()),
                roles: roles.iter().map(|s| s.to_string()).collect(),
                teams: teams.iter().map(|s| s.to_string()).collect(),
                manager: manager.map(str::to_owned),
            },
        )
        .await
        .map_err(to_anyhow)?;
    }
    for (name, source) in TEMPLATES {
        let def = check_definition(source)
            .map_err(|p| anyhow::anyhow!("template {name} is invalid: {p:?}"))?;
        if workflows::find(&state.db, &def.key, None)
            .await
            .map_err(to_anyhow)?
            .is_none()
        {
            workflows::publish_checked(state, None, source, &def)
                .await
                .map_err(to_anyhow)?;
        }
    }
    tracing::info!("demo data loaded");
    Ok(())
}
