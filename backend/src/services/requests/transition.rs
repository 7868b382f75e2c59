//! `transition`: move a request along a named transition. Legality is the engine's
//! (`engine::transitions::check`, then `Move::ready` once the transition's own field edits are
//! merged); this file gathers what the rules need and applies the answer.

use handoff_shared::EventKind;
use serde_json::{Value, json};

use super::comment::insert_comment;
use super::fields::merge_fields;
use super::moves::{Entry, move_to};
use super::{clean_comment, refused, relation, workflow_of};
use crate::auth::Principal;
use crate::db::entities::request;
use crate::db::json::FieldValues;
use crate::engine::{fields::title_of, transitions};
use crate::error::AppResult;
use crate::services::change::{Change, Lock};
use crate::services::facts::Requester;
use crate::state::AppState;

/// What `transition` takes.
#[derive(Debug, Clone)]
pub struct TransitionInput {
    pub request_id: String,
    pub transition: String,
    pub comment: Option<String>,
    pub fields: Option<Value>,
    pub expected_version: Option<i32>,
}

/// Moves a request along a named transition.
pub async fn transition(
    state: &AppState,
    p: &Principal,
    input: TransitionInput,
) -> AppResult<request::Model> {
    let comment = clean_comment(input.comment, "input.comment")?;
    let mut change = Change::lock_as(state, p, &input.request_id, Lock::Bump).await?;
    change.check_version(input.expected_version)?;
    let def = workflow_of(state, change.db(), &change.req).await?;
    let rel = relation(p, &change.req);
    let step = transitions::check(
        &def,
        &change.req.status,
        &rel,
        &input.transition,
        comment.as_deref(),
    )
    .map_err(refused)?;
    let t = step.transition;
    let requester = Requester::of(change.db(), &change.req).await?;
    let mut fields = change.req.fields.0.clone();
    if let Some(input_fields) = input.fields.filter(|f| !f.is_null()) {
        let form = requester.form(&change.req, change.now);
        let (merged, changes) =
            merge_fields(change.db(), &def, &fields, &input_fields, &form).await?;
        if !changes.is_empty() {
            change
                .record(EventKind::FieldsUpdated, json!({"changes": changes}))
                .await?;
            change.req.title = title_of(&def, &merged, &change.req.number);
            fields = merged.clone();
            change.req.fields = FieldValues(merged);
        }
    }
    let ctx = requester.expr(&def, &fields, &change.req, change.now);
    step.ready(&fields, &ctx).map_err(refused)?;
    if let Some(c) = &comment {
        insert_comment(&change, &p.user_id, c).await?;
    }
    let entry = Entry {
        data: json!({"transition": t.key, "label": t.label, "comment": comment}),
        rework: t.rework,
    };
    move_to(&mut change, &def, &t.to, entry).await?;
    change.commit(state, EventKind::Transitioned).await
}
