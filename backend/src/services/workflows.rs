//! Workflow definitions: validate, publish immutable versions, and load a version's parsed
//! definition (cached: published versions never change).

use handoff_shared::EventKind;
use std::sync::Arc;

use handoff_shared::definition::{Actor, Approver, Definition};
use handoff_shared::{Permission, Problem, check_definition};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, Set,
};
use serde_json::json;

use crate::auth::Principal;
use crate::db::entities::{role, team, workflow};
use crate::db::new_id;
use crate::error::{AppError, AppResult, Duplicate, OnDuplicate};
use crate::services::{audit, rules};
use crate::state::AppState;

/// Checks a definition without publishing: the shared validator (paths, suggestions,
/// expression types, the definition's own tests) plus what only the server knows (teams and
/// roles that exist, a prefix owned by another workflow).
pub async fn validate(
    state: &AppState,
    source: &str,
) -> AppResult<Result<Definition, Vec<Problem>>> {
    // Parsing, validation (each condition is tried on the largest values) and the
    // definition's own tests are CPU work: off the async runtime, within the time budget.
    let owned = source.to_owned();
    let def = match rules::run(move || check_definition(&owned)).await? {
        Ok(def) => def,
        Err(problems) => return Ok(Err(problems)),
    };
    let problems = server_problems(&state.db, &def).await?;
    Ok(if problems.is_empty() {
        Ok(def)
    } else {
        Err(problems)
    })
}

fn suggestion(unknown: &str, known: &[String]) -> String {
    known
        .iter()
        .map(|k| (strsim::jaro_winkler(unknown, k), k))
        .filter(|(score, _)| *score > 0.8)
        .max_by(|a, b| a.0.total_cmp(&b.0))
        .map(|(_, k)| format!(" (did you mean \"{k}\"?)"))
        .unwrap_or_default()
}

async fn server_problems(db: &impl ConnectionTrait, def: &Definition) -> AppResult<Vec<Problem>> {
    let teams: Vec<String> = team::Entity::find()
        .all(db)
        .await?
        .into_iter()
        .map(|t| t.key)
        .collect();
    let roles: Vec<String> = role::Entity::find()
        .all(db)
        .await?
        .into_iter()
        .map(|r| r.key)
        .collect();
    let mut problems = Vec::new();
    let mut team_ref = |path: String, key: &str| {
        if !teams.iter().any(|t| t == key) {
            problems.push(Problem {
                path,
                message: format!("unknown team \"{key}\"{}", suggestion(key, &teams)),
            });
        }
    };
    for (i, rule) in def.routing.iter().enumerate() {
        if let Some(t) = &rule.team {
            team_ref(format!("routing[{i}].team"), t);
        }
    }
    if let Some(approvals) = &def.approvals {
        for (i, step) in approvals.steps.iter().enumerate() {
            for a in &step.approvers {
                if let Approver::Team(t) = a {
                    team_ref(format!("approvals.steps[{i}].approvers"), t);
                }
            }
        }
    }
    let mut role_ref = |path: String, key: &str| {
        if !roles.iter().any(|r| r == key) {
            problems.push(Problem {
                path,
                message: format!("unknown role \"{key}\"{}", suggestion(key, &roles)),
            });
        }
    };
    if let Some(approvals) = &def.approvals {
        for (i, step) in approvals.steps.iter().enumerate() {
            for a in &step.approvers {
                if let Approver::Role(r) = a {
                    role_ref(format!("approvals.steps[{i}].approvers"), r);
                }
            }
        }
    }
    for (i, t) in def.transitions.iter().enumerate() {
        for a in &t.by {
            if let Actor::Role(r) = a {
                role_ref(format!("transitions[{i}].by"), r);
            }
        }
    }
    let other = workflow::Entity::find()
        .filter(workflow::Column::Prefix.eq(&def.prefix))
        .filter(workflow::Column::Key.ne(&def.key))
        .one(db)
        .await?;
    if let Some(other) = other {
        problems.push(Problem {
            path: "prefix".into(),
            message: format!(
                "prefix \"{}\" is used by workflow \"{}\"",
                def.prefix, other.key
            ),
        });
    }
    Ok(problems)
}

/// Publishes a new immutable version of a workflow. Requests already open stay on the version
/// they started on.
pub async fn publish(
    state: &AppState,
    actor: &Principal,
    source: &str,
) -> AppResult<workflow::Model> {
    let def = validate(state, source)
        .await?
        .map_err(AppError::InvalidDefinition)?;
    if !actor.can(Permission::WorkflowManage, &def.key) {
        return Err(AppError::forbidden(format!(
            "you may not manage workflow \"{}\"",
            def.key
        )));
    }
    publish_checked(state, Some(&actor.user_id), source, &def).await
}

/// Publishes an already validated definition (also used by `--demo`).
pub async fn publish_checked(
    state: &AppState,
    actor: Option<&str>,
    source: &str,
    def: &Definition,
) -> AppResult<workflow::Model> {
    let now = state.clock.now();
    let txn = state.begin_write().await?;
    let latest = workflow::Entity::find()
        .filter(workflow::Column::Key.eq(&def.key))
        .order_by_desc(workflow::Column::Version)
        .one(&txn)
        .await?;
    let version = latest.map_or(1, |w| w.version + 1);
    let model = workflow::ActiveModel {
        id: Set(new_id()),
        key: Set(def.key.clone()),
        version: Set(version),
        name: Set(def.name.clone()),
        description: Set(def.description.clone()),
        prefix: Set(def.prefix.clone()),
        definition: Set(serde_json::to_string(def)?),
        source: Set(source.to_owned()),
        published_at: Set(now),
        published_by: Set(actor.map(str::to_owned)),
    }
    .insert(&txn)
    .await
    .on_duplicate(Duplicate::Race(&format!(
        "workflow \"{}\" was published by someone else at the same time",
        def.key
    )))?;
    audit::system_event(
        &txn,
        actor,
        EventKind::WorkflowPublished,
        now,
        json!({"workflow": def.key, "version": version, "id": model.id}),
    )
    .await?;
    txn.commit().await?;
    state.cache_definition(&model.id, Arc::new(def.clone()));
    Ok(model)
}

/// The parsed definition of a stored version.
pub fn definition_of(state: &AppState, row: &workflow::Model) -> AppResult<Arc<Definition>> {
    if let Some(def) = state.cached_definition(&row.id) {
        return Ok(def);
    }
    let def: Arc<Definition> = Arc::new(serde_json::from_str(&row.definition)?);
    state.cache_definition(&row.id, def.clone());
    Ok(def)
}

/// The latest version of every workflow (or of those the caller may see).
pub async fn latest_versions(db: &impl ConnectionTrait) -> AppResult<Vec<workflow::Model>> {
    let all = workflow::Entity::find()
        .order_by_asc(workflow::Column::Key)
        .order_by_desc(workflow::Column::Version)
        .all(db)
        .await?;
    let mut out: Vec<workflow::Model> = Vec::new();
    for w in all {
        if out.last().is_none_or(|l| l.key != w.key) {
            out.push(w);
        }
    }
    Ok(out)
}

/// One version, or the latest when `version` is `None`.
pub async fn find(
    db: &impl ConnectionTrait,
    key: &str,
    version: Option<i32>,
) -> AppResult<Option<workflow::Model>> {
    let mut q = workflow::Entity::find().filter(workflow::Column::Key.eq(key));
    if let Some(v) = version {
        q = q.filter(workflow::Column::Version.eq(v));
    }
    Ok(q.order_by_desc(workflow::Column::Version).one(db).await?)
}

pub async fn versions(db: &impl ConnectionTrait, key: &str) -> AppResult<Vec<workflow::Model>> {
    Ok(workflow::Entity::find()
        .filter(workflow::Column::Key.eq(key))
        .order_by_desc(workflow::Column::Version)
        .all(db)
        .await?)
}

/// Whether a principal may see a workflow at all: submit it, or read or work its requests, or
/// manage it.
pub fn may_see(p: &Principal, key: &str) -> bool {
    [
        Permission::RequestSubmit,
        Permission::RequestReadOwn,
        Permission::RequestReadTeam,
        Permission::RequestReadAll,
        Permission::RequestWork,
        Permission::ReportRead,
        Permission::WorkflowManage,
    ]
    .into_iter()
    .any(|perm| p.can(perm, key))
}
