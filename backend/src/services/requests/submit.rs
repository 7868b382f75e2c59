//! `submitRequest`: validate the form, route, number, and enter the first status (starting the
//! approval when that status is the approval status). The same idempotency key from the same
//! requester answers the request it first created.

use chrono::{DateTime, Utc};
use handoff_shared::EventKind;
use handoff_shared::Problem;
use handoff_shared::expr::ExprContext;
use handoff_shared::form::{FormContext, FormMode, validate_fields};
use handoff_shared::routing::{RoutingOutcome, route};
use handoff_shared::{Permission, definition::Definition};
use sea_orm::{ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, Set};
use serde_json::{Map, Value, json};

use super::MAX_IDEMPOTENCY_KEY;
use super::fields::check_user_fields;
use super::moves::start_approval;
use crate::auth::Principal;
use crate::db::entities::request;
use crate::db::json::FieldValues;
use crate::db::{new_id, statement};
use crate::engine::{events, fields::title_of};
use crate::error::{AppError, AppResult};
use crate::services::change::Change;
use crate::services::{actions, directory, rules, workflows};
use crate::state::AppState;

/// What `submitRequest` takes.
#[derive(Debug, Clone)]
pub struct SubmitInput {
    pub workflow: String,
    pub fields: Value,
    pub idempotency_key: Option<String>,
}

/// The form validated, and where routing sends it: the rules of a submission, pure.
fn validate_and_route(
    def: &Definition,
    input: &Value,
    requester_email: &str,
    requester_team: Option<&str>,
    now: DateTime<Utc>,
) -> Result<(Map<String, Value>, RoutingOutcome), Vec<Problem>> {
    let form_ctx = FormContext {
        priority: None,
        requester_email,
        requester_team,
        now,
    };
    let fields = validate_fields(def, input, &form_ctx, FormMode::Intake)?;
    let ctx = ExprContext {
        definition: def,
        fields: &fields,
        priority: None,
        requester_email,
        requester_team,
        now,
    };
    let routing = route(def, &ctx);
    Ok((fields, routing))
}

/// Submits a request; see the module doc.
pub async fn submit(
    state: &AppState,
    p: &Principal,
    input: SubmitInput,
) -> AppResult<request::Model> {
    let wf = workflows::find(&state.db, &input.workflow, None)
        .await?
        .ok_or_else(|| AppError::not_found(format!("workflow \"{}\"", input.workflow)))?;
    if !p.can(Permission::RequestSubmit, &wf.key) {
        return Err(AppError::forbidden(format!(
            "you may not submit \"{}\" requests",
            wf.key
        )));
    }
    if let Some(key) = &input.idempotency_key {
        if key.is_empty() || key.len() > MAX_IDEMPOTENCY_KEY {
            return Err(AppError::invalid(
                "input.idempotencyKey",
                format!("use 1 to {MAX_IDEMPOTENCY_KEY} characters"),
            ));
        }
        if let Some(existing) = by_idempotency_key(&state.db, &p.user_id, key).await? {
            return same_submission(existing, &wf.key);
        }
    }
    let def = workflows::definition_of(state, &wf)?;
    let now = state.clock.now();
    let (fields, routing) = rules::run({
        let def = def.clone();
        let email = p.email.clone();
        let team = p.teams.first().cloned();
        let input_fields = input.fields;
        move || validate_and_route(&def, &input_fields, &email, team.as_deref(), now)
    })
    .await?
    .map_err(AppError::invalid_all)?;
    check_user_fields(&state.db, &def, &fields).await?;
    let first = first_status(&def)?;

    let txn = state.begin_write().await?;
    // The counter row is the first write, so concurrent submissions of one prefix serialise on
    // it and a rolled-back submission gives its number back: numbers have no gaps.
    let row = txn
        .query_one_raw(statement(
            &txn,
            "INSERT INTO request_counters (prefix, last_number) VALUES ($1, 1) \
             ON CONFLICT (prefix) DO UPDATE SET last_number = request_counters.last_number + 1 \
             RETURNING last_number",
            vec![wf.prefix.clone().into()],
        ))
        .await?
        .ok_or_else(|| AppError::Internal(anyhow::anyhow!("request counter returned no row")))?;
    let n: i64 = row.try_get("", "last_number")?;
    let number = format!("{}-{}", wf.prefix, n);
    let assignee = match &routing.assignee {
        Some(email) => directory::find_user_by_email(&txn, email)
            .await?
            .filter(|u| u.active)
            .map(|u| u.id),
        None => None,
    };
    let model = request::ActiveModel {
        id: Set(new_id()),
        number: Set(number.clone()),
        workflow_id: Set(wf.id.clone()),
        workflow_key: Set(wf.key.clone()),
        workflow_version: Set(wf.version),
        title: Set(title_of(&def, &fields, &number)),
        status: Set(first.key.clone()),
        category: Set(first.category.into()),
        priority: Set(routing.priority.into()),
        team: Set(routing.team.clone()),
        assignee_id: Set(assignee.clone()),
        requester_id: Set(p.user_id.clone()),
        fields: Set(FieldValues(fields.clone())),
        version: Set(1),
        rework_count: Set(0),
        idempotency_key: Set(input.idempotency_key.clone()),
        created_at: Set(now),
        updated_at: Set(now),
        closed_at: Set(None),
        status_since: Set(now),
    };
    let inserted = match model.insert(&txn).await {
        Ok(m) => m,
        Err(e) if crate::db::is_unique_violation(&e) && input.idempotency_key.is_some() => {
            // A concurrent submission with the same key won: answer its request.
            drop(txn);
            let key = input.idempotency_key.as_deref().unwrap_or_default();
            let existing = by_idempotency_key(&state.db, &p.user_id, key)
                .await?
                .ok_or_else(|| {
                    AppError::Conflict(
                        "a submission with this idempotency key is in progress".into(),
                    )
                })?;
            return same_submission(existing, &wf.key);
        }
        Err(e) => return Err(e.into()),
    };
    let mut change = Change::opened(txn, inserted, Some(&p.user_id), now);
    let submitted = change
        .record(
            EventKind::Submitted,
            json!({"number": number, "workflow": wf.key, "version": wf.version, "fields": fields, "status": first.key}),
        )
        .await?;
    change
        .record(
            EventKind::Routed,
            json!({"team": routing.team, "priority": routing.priority.as_str(),
                   "assignee": routing.assignee, "assignee_found": assignee.is_some() || routing.assignee.is_none()}),
        )
        .await?;
    // The actions see the `submitted` event as their cause, not `routed`.
    actions::fire_caused_by(&mut change, &def, &events::submitted(first), &submitted).await?;
    if def
        .approvals
        .as_ref()
        .is_some_and(|a| a.status == first.key)
    {
        start_approval(&mut change, &def).await?;
    }
    change.commit(state, EventKind::Submitted).await
}

fn first_status(def: &Definition) -> AppResult<&handoff_shared::definition::Status> {
    def.first_status()
        .ok_or_else(|| AppError::Internal(anyhow::anyhow!("workflow {} has no status", def.key)))
}

fn same_submission(existing: request::Model, workflow: &str) -> AppResult<request::Model> {
    if existing.workflow_key == workflow {
        Ok(existing)
    } else {
        Err(AppError::Conflict(
            "this idempotency key was used for another workflow".into(),
        ))
    }
}

async fn by_idempotency_key(
    db: &impl ConnectionTrait,
    requester: &str,
    key: &str,
) -> AppResult<Option<request::Model>> {
    Ok(request::Entity::find()
        .filter(request::Column::RequesterId.eq(requester))
        .filter(request::Column::IdempotencyKey.eq(key))
        .one(db)
        .await?)
}
