//! Field edits: `updateFields` by people, `capture_fields` by integrations (an action's
//! `capture`), and the merge-and-validate step transitions use for their own edits. Every edit
//! is validated as a whole with `handoff_shared::validate_fields`, the function the browser
//! runs too, and audited as `fields_updated` with each key's before and after.

use handoff_shared::EventKind;
use handoff_shared::Problem;
use handoff_shared::definition::{Definition, FieldType};
use handoff_shared::form::{FormContext, FormMode, validate_fields};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter};
use serde_json::{Map, Value, json};

use super::moves::{Entry, move_to, start_approval};
use super::workflow_of;
use crate::auth::Principal;
use crate::db::entities::{request, user};
use crate::db::json::FieldValues;
use crate::engine::fields::title_of;
use crate::error::{AppError, AppResult};
use crate::services::change::{Change, Lock};
use crate::services::facts::Requester;
use crate::services::{access, approvals, rules};
use crate::state::AppState;

/// Checks that `user`-type fields name existing active users.
pub(super) async fn check_user_fields(
    db: &impl ConnectionTrait,
    def: &Definition,
    fields: &Map<String, Value>,
) -> AppResult<()> {
    let mut problems = Vec::new();
    for f in def.fields.iter().filter(|f| f.kind == FieldType::User) {
        if let Some(email) = fields.get(&f.key).and_then(Value::as_str) {
            let found = user::Entity::find()
                .filter(user::Column::Email.eq(email.to_lowercase()))
                .filter(user::Column::Active.eq(true))
                .one(db)
                .await?;
            if found.is_none() {
                problems.push(Problem {
                    path: format!("fields.{}", f.key),
                    message: format!("no active user \"{email}\""),
                });
            }
        }
    }
    if problems.is_empty() {
        Ok(())
    } else {
        Err(AppError::invalid_all(problems))
    }
}

/// Merges changed values over the stored ones and validates the result as a whole. Answers the
/// merged map and the changes as `{key: {before, after}}`. Reads through `db`, which inside a
/// change is its own transaction: a change never asks the pool for a second connection.
pub(super) async fn merge_fields(
    db: &impl ConnectionTrait,
    def: &Definition,
    current: &Map<String, Value>,
    input: &Value,
    form: &FormContext<'_>,
) -> AppResult<(Map<String, Value>, Map<String, Value>)> {
    let Value::Object(updates) = input else {
        return Err(AppError::invalid(
            "input.fields",
            "must be an object of field values",
        ));
    };
    let mut merged = current.clone();
    for (k, v) in updates {
        if v.is_null() {
            merged.remove(k);
        } else {
            merged.insert(k.clone(), v.clone());
        }
    }
    // The form's conditions run off the async runtime (`rules`), on owned copies.
    let merged = rules::run({
        let def = def.clone();
        let (email, team) = (
            form.requester_email.to_owned(),
            form.requester_team.map(str::to_owned),
        );
        let (priority, now) = (form.priority, form.now);
        move || {
            let form = FormContext {
                priority,
                requester_email: &email,
                requester_team: team.as_deref(),
                now,
            };
            validate_fields(&def, &Value::Object(merged), &form, FormMode::Update)
        }
    })
    .await?
    .map_err(AppError::invalid_all)?;
    check_user_fields(db, def, &merged).await?;
    let mut changes = Map::new();
    let keys: std::collections::BTreeSet<&String> = current.keys().chain(merged.keys()).collect();
    for k in keys {
        let before = current.get(k).cloned().unwrap_or(Value::Null);
        let after = merged.get(k).cloned().unwrap_or(Value::Null);
        if before != after {
            changes.insert(k.clone(), json!({"before": before, "after": after}));
        }
    }
    Ok((merged, changes))
}

/// Merges `input` into the change's request and records `fields_updated` (with `extra` data,
/// e.g. the integration that captured the values). Answers the changes, empty when nothing
/// changed (and then nothing is recorded).
async fn apply_edit(
    change: &mut Change,
    def: &Definition,
    input: &Value,
    extra: Option<(&str, Value)>,
) -> AppResult<Map<String, Value>> {
    let requester = Requester::of(change.db(), &change.req).await?;
    let form = requester.form(&change.req, change.now);
    let (merged, changes) =
        merge_fields(change.db(), def, &change.req.fields.0, input, &form).await?;
    if changes.is_empty() {
        return Ok(changes);
    }
    let mut data = json!({"changes": changes});
    if let (Some((key, value)), Value::Object(m)) = (extra, &mut data) {
        m.insert(key.to_owned(), value);
    }
    change.record(EventKind::FieldsUpdated, data).await?;
    change.req.title = title_of(def, &merged, &change.req.number);
    change.req.fields = FieldValues(merged);
    change.req.updated_at = change.now;
    change.save().await?;
    Ok(changes)
}

/// What `updateFields` takes.
#[derive(Debug, Clone)]
pub struct UpdateFieldsInput {
    pub request_id: String,
    pub fields: Value,
    pub expected_version: Option<i32>,
}

/// Edits field values. Editing a `reapprove_on_change` field after an approval was given sends
/// the request back through approval.
pub async fn update_fields(
    state: &AppState,
    p: &Principal,
    input: UpdateFieldsInput,
) -> AppResult<request::Model> {
    let mut change = Change::lock_as(state, p, &input.request_id, Lock::Bump).await?;
    change.check_version(input.expected_version)?;
    let is_requester = change.req.requester_id == p.user_id;
    let may_edit =
        access::can_work(p, &change.req) || (is_requester && change.req.closed_at.is_none());
    if !may_edit {
        return Err(AppError::forbidden("you may not edit this request"));
    }
    let def = workflow_of(state, change.db(), &change.req).await?;
    let changes = apply_edit(&mut change, &def, &input.fields, None).await?;
    if changes.is_empty() {
        // Nothing changed: abandoning rolls the version bump back.
        return change.abandon(state).await;
    }
    if let Some(spec) = &def.approvals {
        let touched: Vec<&String> = spec
            .reapprove_on_change
            .iter()
            .filter(|k| changes.contains_key(k.as_str()))
            .collect();
        let round = approvals::current_round(change.db(), &change.req.id).await?;
        if !touched.is_empty()
            && approvals::round_has_approval(&round)
            && change.req.closed_at.is_none()
        {
            change
                .record(EventKind::ApprovalRestarted, json!({"fields": touched}))
                .await?;
            if change.req.status == spec.status {
                approvals::cancel_round(&mut change).await?;
                start_approval(&mut change, &def).await?;
            } else {
                let entry = Entry {
                    data: json!({"transition": "reapproval"}),
                    rework: false,
                };
                move_to(&mut change, &def, &spec.status, entry).await?;
            }
        }
    }
    change.commit(state, EventKind::FieldsUpdated).await
}

/// Writes values an integration answered (an action's `capture`) onto a request, validated
/// like any field update and audited as `fields_updated` with no actor and the integration's
/// key. Answers `None` when nothing changed. Runs in its own change, after the delivery that
/// produced the values was recorded.
pub async fn capture_fields(
    state: &AppState,
    request_id: &str,
    values: Map<String, Value>,
    integration: &str,
) -> AppResult<Option<request::Model>> {
    let mut change = Change::lock(state, request_id, Lock::Bump, None).await?;
    let def = workflow_of(state, change.db(), &change.req).await?;
    let extra = Some(("integration", json!(integration)));
    let changes = apply_edit(&mut change, &def, &Value::Object(values), extra).await?;
    if changes.is_empty() {
        return Ok(None);
    }
    change
        .commit(state, EventKind::FieldsUpdated)
        .await
        .map(Some)
}
