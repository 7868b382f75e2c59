//! The engine's use cases on requests: submit, transition, decide, update fields, comment and
//! assign. Each owns its transaction: lock the request row, load, ask the pure rules (`engine`,
//! `handoff_shared`) what happens, write the state and its audit events, commit, then announce
//! the change to subscribers. Nothing is written unless everything is.

use std::sync::Arc;

use chrono::{DateTime, Utc};
use handoff_shared::definition::{CommentRule, Definition, Priority, Transition};
use handoff_shared::expr::{ExprContext, eval_bool};
use handoff_shared::form::{FormContext, FormMode, validate_fields};
use handoff_shared::routing::route;
use handoff_shared::{Permission, Problem};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseTransaction, EntityTrait, QueryFilter,
    Set, TransactionTrait,
};
use serde_json::{Map, Value, json};

use crate::auth::Principal;
use crate::db::entities::{comment, event, request, user, workflow};
use crate::db::{new_id, statement};
use crate::engine::{Relation, transitions_from};
use crate::error::{AppError, AppResult};
use crate::services::approvals::{self, RoundState};
use crate::services::audit::{self, NewEvent};
use crate::services::{access, workflows};
use crate::state::{AppState, RequestChange};

/// Longest comment accepted, in characters.
pub const MAX_COMMENT_CHARS: usize = 10_000;
/// Longest idempotency key accepted.
pub const MAX_IDEMPOTENCY_KEY: usize = 200;

/// One change in progress: who, when, and the events it has written so far.
#[derive(Debug)]
pub struct Change {
    pub request_id: String,
    pub actor_id: Option<String>,
    pub now: DateTime<Utc>,
    pub events: Vec<event::Model>,
}

impl Change {
    pub fn new(request_id: &str, actor_id: Option<&str>, now: DateTime<Utc>) -> Self {
        Self {
            request_id: request_id.to_owned(),
            actor_id: actor_id.map(str::to_owned),
            now,
            events: vec![],
        }
    }

    /// Appends an audit event to the request's chain.
    pub async fn event(
        &mut self,
        db: &impl ConnectionTrait,
        kind: &str,
        data: Value,
    ) -> AppResult<()> {
        let e = audit::append(
            db,
            NewEvent {
                stream: &self.request_id,
                request_id: Some(&self.request_id),
                kind,
                actor_id: self.actor_id.as_deref(),
                at: self.now,
                data,
            },
        )
        .await?;
        self.events.push(e);
        Ok(())
    }
}

/// The requester's email and first team, which expressions see as `requester.*`.
pub async fn expr_parts(
    db: &impl ConnectionTrait,
    req: &request::Model,
) -> AppResult<(String, Option<String>)> {
    let email = user::Entity::find_by_id(req.requester_id.clone())
        .one(db)
        .await?
        .map(|u| u.email)
        .unwrap_or_default();
    let ids = std::slice::from_ref(&req.requester_id);
    let mut teams = crate::services::directory::teams_of_users(db, ids).await?;
    let first = teams
        .remove(&req.requester_id)
        .and_then(|keys| keys.into_iter().next());
    Ok((email, first))
}

pub fn expr_context<'a>(
    definition: &'a Definition,
    fields: &'a Map<String, Value>,
    req: &request::Model,
    email: &'a str,
    team: Option<&'a str>,
    now: DateTime<Utc>,
) -> ExprContext<'a> {
    ExprContext {
        definition,
        fields,
        priority: Priority::parse(&req.priority),
        requester_email: email,
        requester_team: team,
        now,
    }
}

/// Takes the request's row lock as the transaction's first write, so concurrent changes to one
/// request run one after another on both databases (PostgreSQL row lock, SQLite write lock),
/// and reads the row as it is now. `bump` increments the version (every change but a comment).
async fn lock(txn: &DatabaseTransaction, id: &str, bump: bool) -> AppResult<request::Model> {
    let sql = if bump {
        "UPDATE requests SET version = version + 1 WHERE id = $1"
    } else {
        "UPDATE requests SET version = version WHERE id = $1"
    };
    let res = txn
        .execute_raw(statement(txn, sql, vec![id.into()]))
        .await?;
    if res.rows_affected() == 0 {
        return Err(AppError::not_found("request"));
    }
    request::Entity::find_by_id(id.to_owned())
        .one(txn)
        .await?
        .ok_or_else(|| AppError::not_found("request"))
}

/// Checks `expectedVersion` against the version the row had before this change's bump.
fn check_version(locked: &request::Model, expected: Option<i32>) -> AppResult<()> {
    match expected {
        Some(v) if v != locked.version - 1 => Err(AppError::Conflict(format!(
            "the request changed since you loaded it (version {} is now {})",
            v,
            locked.version - 1
        ))),
        _ => Ok(()),
    }
}

async fn workflow_of(
    state: &AppState,
    db: &impl ConnectionTrait,
    req: &request::Model,
) -> AppResult<Arc<Definition>> {
    let row = workflow::Entity::find_by_id(req.workflow_id.clone())
        .one(db)
        .await?
        .ok_or_else(|| {
            AppError::Internal(anyhow::anyhow!("request {} has no workflow row", req.id))
        })?;
    workflows::definition_of(state, &row)
}

fn title_of(def: &Definition, fields: &Map<String, Value>, number: &str) -> String {
    match fields.get("title").and_then(Value::as_str) {
        Some(t) if !t.trim().is_empty() => t.trim().chars().take(200).collect(),
        _ => format!("{} {}", def.name, number),
    }
}

/// Checks that `user`-type fields name existing active users.
async fn check_user_fields(
    db: &impl ConnectionTrait,
    def: &Definition,
    fields: &Map<String, Value>,
) -> AppResult<()> {
    let mut problems = Vec::new();
    for f in def
        .fields
        .iter()
        .filter(|f| f.kind == handoff_shared::definition::FieldType::User)
    {
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

fn announce(state: &AppState, req: &request::Model, kind: &str) {
    state.publish_change(RequestChange {
        request_id: req.id.clone(),
        number: req.number.clone(),
        workflow: req.workflow_key.clone(),
        team: req.team.clone(),
        status: req.status.clone(),
        kind: kind.to_owned(),
        version: req.version,
    });
}

/// What `submitRequest` takes.
#[derive(Debug, Clone)]
pub struct SubmitInput {
    pub workflow: String,
    pub fields: Value,
    pub idempotency_key: Option<String>,
}

/// Submits a request: validate the form, route, number, enter the first status (starting the
/// approval when that status is the approval status). The same idempotency key from the same
/// requester answers the request it first created.
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
    let team = p.teams.first().map(String::as_str);
    let form_ctx = FormContext {
        priority: None,
        requester_email: &p.email,
        requester_team: team,
        now,
    };
    let fields = validate_fields(&def, &input.fields, &form_ctx, FormMode::Intake)
        .map_err(AppError::invalid_all)?;
    check_user_fields(&state.db, &def, &fields).await?;
    let ctx = ExprContext {
        definition: &def,
        fields: &fields,
        priority: None,
        requester_email: &p.email,
        requester_team: team,
        now,
    };
    let routing = route(&def, &ctx);
    let first = def
        .first_status()
        .ok_or_else(|| AppError::Internal(anyhow::anyhow!("workflow {} has no status", wf.key)))?;

    let txn = state.db.begin().await?;
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
        Some(email) => directory_user_id(&txn, email).await?,
        None => None,
    };
    let id = new_id();
    let model = request::ActiveModel {
        id: Set(id.clone()),
        number: Set(number.clone()),
        workflow_id: Set(wf.id.clone()),
        workflow_key: Set(wf.key.clone()),
        workflow_version: Set(wf.version),
        title: Set(title_of(&def, &fields, &number)),
        status: Set(first.key.clone()),
        category: Set(first.category.as_str().to_owned()),
        priority: Set(routing.priority.as_str().to_owned()),
        team: Set(routing.team.clone()),
        assignee_id: Set(assignee.clone()),
        requester_id: Set(p.user_id.clone()),
        fields: Set(serde_json::to_string(&fields)?),
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
    let mut change = Change::new(&id, Some(&p.user_id), now);
    change
        .event(
            &txn,
            "submitted",
            json!({"number": number, "workflow": wf.key, "version": wf.version, "fields": fields, "status": first.key}),
        )
        .await?;
    change
        .event(
            &txn,
            "routed",
            json!({"team": routing.team, "priority": routing.priority.as_str(),
                   "assignee": routing.assignee, "assignee_found": assignee.is_some() || routing.assignee.is_none()}),
        )
        .await?;
    let mut req = inserted;
    // The actions see the `submitted` event as their cause (the latest event is `routed`).
    let routed = change.events.pop();
    let happened = [
        handoff_shared::definition::Event::Submitted,
        handoff_shared::definition::Event::Enter(first.key.clone()),
        handoff_shared::definition::Event::Category(first.category),
    ];
    crate::services::actions::fire(&txn, &def, &req, &happened, &mut change).await?;
    change.events.extend(routed);
    if def
        .approvals
        .as_ref()
        .is_some_and(|a| a.status == first.key)
    {
        req = run_approval_start(&txn, &def, req, &mut change).await?;
    }
    txn.commit().await?;
    announce(state, &req, "submitted");
    Ok(req)
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

async fn directory_user_id(db: &impl ConnectionTrait, email: &str) -> AppResult<Option<String>> {
    Ok(crate::services::directory::find_user_by_email(db, email)
        .await?
        .filter(|u| u.active)
        .map(|u| u.id))
}

/// Moves a locked request into `to`, recording the move; starts or cancels approval rounds as
/// the approval status is entered or left. Returns the updated row (written).
async fn move_to(
    txn: &DatabaseTransaction,
    def: &Definition,
    mut req: request::Model,
    to: &str,
    data: Value,
    rework: bool,
    change: &mut Change,
) -> AppResult<request::Model> {
    let target = def.status(to).ok_or_else(|| {
        AppError::Internal(anyhow::anyhow!("status {to} missing from its definition"))
    })?;
    let from = req.status.clone();
    let from_category = req.category.clone();
    let approval_status = def.approvals.as_ref().map(|a| a.status.as_str());
    if approval_status == Some(from.as_str()) && to != from {
        approvals::cancel_round(txn, &req, change).await?;
    }
    req.status = target.key.clone();
    req.category = target.category.as_str().to_owned();
    req.status_since = change.now;
    req.updated_at = change.now;
    if rework {
        req.rework_count += 1;
    }
    req.closed_at = if target.category == handoff_shared::definition::StatusCategory::Done {
        Some(change.now)
    } else {
        None
    };
    let mut data = data;
    if let Value::Object(m) = &mut data {
        m.insert("from".into(), json!(from));
        m.insert("to".into(), json!(to));
        m.insert("rework".into(), json!(rework));
    }
    change.event(txn, "transitioned", data).await?;
    let req = save(txn, req).await?;
    let happened = crate::services::actions::moved(&from, &from_category, to, target.category);
    crate::services::actions::fire(txn, def, &req, &happened, change).await?;
    if approval_status == Some(to) {
        return run_approval_start(txn, def, req, change).await;
    }
    Ok(req)
}

async fn run_approval_start(
    txn: &DatabaseTransaction,
    def: &Definition,
    req: request::Model,
    change: &mut Change,
) -> AppResult<request::Model> {
    let outcome = approvals::start_round(txn, def, &req, change).await?;
    finish_round(txn, def, req, outcome, change).await
}

/// Moves the request on when its approval round ended.
async fn finish_round(
    txn: &DatabaseTransaction,
    def: &Definition,
    req: request::Model,
    outcome: RoundState,
    change: &mut Change,
) -> AppResult<request::Model> {
    let Some(spec) = &def.approvals else {
        return Ok(req);
    };
    let (kind, to) = match outcome {
        RoundState::Waiting => return Ok(req),
        RoundState::Approved => ("approved", spec.on_approved.clone()),
        RoundState::Rejected => ("rejected", spec.on_rejected.clone()),
    };
    change
        .event(txn, kind, json!({"status": req.status}))
        .await?;
    let happened = if kind == "rejected" {
        handoff_shared::definition::Event::Rejected
    } else {
        handoff_shared::definition::Event::Approved
    };
    crate::services::actions::fire(txn, def, &req, &[happened], change).await?;
    Box::pin(move_to(
        txn,
        def,
        req,
        &to,
        json!({"transition": kind}),
        false,
        change,
    ))
    .await
}

async fn save(txn: &DatabaseTransaction, req: request::Model) -> AppResult<request::Model> {
    let mut a: request::ActiveModel = req.into();
    for col in [
        request::Column::Title,
        request::Column::Status,
        request::Column::Category,
        request::Column::Priority,
        request::Column::Team,
        request::Column::AssigneeId,
        request::Column::Fields,
        request::Column::ReworkCount,
        request::Column::UpdatedAt,
        request::Column::ClosedAt,
        request::Column::StatusSince,
    ] {
        a.reset(col);
    }
    Ok(a.update(txn).await?)
}

/// Loads a request the caller may read, or `NOT_FOUND` (never revealing that it exists).
pub async fn get_readable(
    state: &AppState,
    p: &Principal,
    id: Option<&str>,
    number: Option<&str>,
) -> AppResult<request::Model> {
    let mut q = request::Entity::find();
    match (id, number) {
        (Some(id), _) => q = q.filter(request::Column::Id.eq(id)),
        (None, Some(n)) => q = q.filter(request::Column::Number.eq(n.to_uppercase())),
        (None, None) => return Err(AppError::invalid("id", "give an id or a number")),
    }
    let req = q
        .one(&state.db)
        .await?
        .ok_or_else(|| AppError::not_found("request"))?;
    if access::can_read(&state.db, p, &req).await? {
        Ok(req)
    } else {
        Err(AppError::not_found("request"))
    }
}

/// Opens a transaction, locks the request and checks the caller may read it.
async fn begin_change(
    state: &AppState,
    p: &Principal,
    request_id: &str,
    bump: bool,
) -> AppResult<(DatabaseTransaction, request::Model)> {
    let txn = state.db.begin().await?;
    let req = lock(&txn, request_id, bump).await?;
    if !access::can_read(&txn, p, &req).await? {
        return Err(AppError::not_found("request"));
    }
    Ok((txn, req))
}

fn relation<'a>(p: &'a Principal, req: &request::Model) -> Relation<'a> {
    Relation {
        is_requester: req.requester_id == p.user_id,
        is_assignee: req.assignee_id.as_deref() == Some(p.user_id.as_str()),
        in_team: p.in_team(req.team.as_deref()),
        roles: &p.roles,
        can_work: access::can_work(p, req),
    }
}

/// The transitions the caller may take now (guards evaluated).
pub async fn available_transitions(
    state: &AppState,
    p: &Principal,
    req: &request::Model,
    def: &Definition,
) -> AppResult<Vec<Transition>> {
    let rel = relation(p, req);
    let candidates = transitions_from(def, &req.status, &rel);
    if candidates.iter().all(|t| t.guard.is_none()) {
        return Ok(candidates.into_iter().cloned().collect());
    }
    let fields: Map<String, Value> = serde_json::from_str(&req.fields)?;
    let (email, team) = expr_parts(&state.db, req).await?;
    let ctx = expr_context(
        def,
        &fields,
        req,
        &email,
        team.as_deref(),
        state.clock.now(),
    );
    Ok(candidates
        .into_iter()
        .filter(|t| {
            t.guard
                .as_deref()
                .is_none_or(|g| eval_bool(g, &ctx).unwrap_or(false))
        })
        .cloned()
        .collect())
}

/// What `transition` takes.
#[derive(Debug, Clone)]
pub struct TransitionInput {
    pub request_id: String,
    pub transition: String,
    pub comment: Option<String>,
    pub fields: Option<Value>,
    pub expected_version: Option<i32>,
}

fn clean_comment(comment: Option<String>) -> AppResult<Option<String>> {
    match comment
        .map(|c| c.trim().to_owned())
        .filter(|c| !c.is_empty())
    {
        Some(c) if c.chars().count() > MAX_COMMENT_CHARS => Err(AppError::invalid(
            "input.comment",
            format!("at most {MAX_COMMENT_CHARS} characters"),
        )),
        other => Ok(other),
    }
}

/// Moves a request along a named transition.
pub async fn transition(
    state: &AppState,
    p: &Principal,
    input: TransitionInput,
) -> AppResult<request::Model> {
    let comment = clean_comment(input.comment)?;
    let (txn, mut req) = begin_change(state, p, &input.request_id, true).await?;
    check_version(&req, input.expected_version)?;
    let def = workflow_of(state, &txn, &req).await?;
    let t = def
        .transition(&input.transition)
        .ok_or_else(|| {
            AppError::invalid(
                "input.transition",
                format!("unknown transition \"{}\"", input.transition),
            )
        })?
        .clone();
    if !t.from.contains(&req.status) {
        return Err(AppError::Conflict(format!(
            "\"{}\" is not available in status \"{}\"",
            t.label, req.status
        )));
    }
    if !t
        .by
        .iter()
        .any(|a| crate::engine::actor_matches(a, &relation(p, &req)))
    {
        return Err(AppError::forbidden(format!(
            "you may not \"{}\" this request",
            t.label
        )));
    }
    if t.comment == CommentRule::Required && comment.is_none() {
        return Err(AppError::invalid(
            "input.comment",
            format!("a comment is required to \"{}\"", t.label),
        ));
    }
    let now = state.clock.now();
    let mut change = Change::new(&req.id, Some(&p.user_id), now);
    let mut fields: Map<String, Value> = serde_json::from_str(&req.fields)?;
    if let Some(input_fields) = input.fields.filter(|f| !f.is_null()) {
        let (merged, changes) = merge_fields(state, &req, &def, &fields, &input_fields).await?;
        if !changes.is_empty() {
            change
                .event(&txn, "fields_updated", json!({"changes": changes}))
                .await?;
            req.title = title_of(&def, &merged, &req.number);
            req.fields = serde_json::to_string(&merged)?;
            fields = merged;
        }
    }
    let missing: Vec<Problem> = t
        .requires
        .iter()
        .filter(|k| is_blank(fields.get(k.as_str())))
        .map(|k| Problem {
            path: format!("fields.{k}"),
            message: format!("is required to \"{}\"", t.label),
        })
        .collect();
    if !missing.is_empty() {
        return Err(AppError::invalid_all(missing));
    }
    if let Some(guard) = &t.guard {
        let (email, team) = expr_parts(&txn, &req).await?;
        let ctx = expr_context(&def, &fields, &req, &email, team.as_deref(), now);
        if !eval_bool(guard, &ctx).unwrap_or(false) {
            return Err(AppError::invalid(
                "input.transition",
                format!("the condition of \"{}\" does not hold: {guard}", t.label),
            ));
        }
    }
    if let Some(c) = &comment {
        insert_comment(&txn, &req.id, &p.user_id, c, now).await?;
    }
    let req = move_to(
        &txn,
        &def,
        req,
        &t.to,
        json!({"transition": t.key, "label": t.label, "comment": comment}),
        t.rework,
        &mut change,
    )
    .await?;
    txn.commit().await?;
    announce(state, &req, "transitioned");
    Ok(req)
}

fn is_blank(v: Option<&Value>) -> bool {
    match v {
        None | Some(Value::Null) => true,
        Some(Value::String(s)) => s.trim().is_empty(),
        Some(Value::Array(a)) => a.is_empty(),
        _ => false,
    }
}

/// Merges changed values over the stored ones and validates the result as a whole. Answers the
/// merged map and the changes as `{key: {before, after}}`.
async fn merge_fields(
    state: &AppState,
    req: &request::Model,
    def: &Definition,
    current: &Map<String, Value>,
    input: &Value,
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
    let (email, team) = expr_parts(&state.db, req).await?;
    let ctx = FormContext {
        priority: Priority::parse(&req.priority),
        requester_email: &email,
        requester_team: team.as_deref(),
        now: state.clock.now(),
    };
    let merged = validate_fields(def, &Value::Object(merged), &ctx, FormMode::Update)
        .map_err(AppError::invalid_all)?;
    check_user_fields(&state.db, def, &merged).await?;
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
    let (txn, mut req) = begin_change(state, p, &input.request_id, true).await?;
    check_version(&req, input.expected_version)?;
    let is_requester = req.requester_id == p.user_id;
    let may_edit = access::can_work(p, &req) || (is_requester && req.closed_at.is_none());
    if !may_edit {
        return Err(AppError::forbidden("you may not edit this request"));
    }
    let def = workflow_of(state, &txn, &req).await?;
    let current: Map<String, Value> = serde_json::from_str(&req.fields)?;
    let (merged, changes) = merge_fields(state, &req, &def, &current, &input.fields).await?;
    if changes.is_empty() {
        // Nothing changed: dropping the transaction rolls the version bump back.
        drop(txn);
        return request::Entity::find_by_id(req.id.clone())
            .one(&state.db)
            .await?
            .ok_or_else(|| AppError::not_found("request"));
    }
    let now = state.clock.now();
    let mut change = Change::new(&req.id, Some(&p.user_id), now);
    change
        .event(&txn, "fields_updated", json!({"changes": changes}))
        .await?;
    req.title = title_of(&def, &merged, &req.number);
    req.fields = serde_json::to_string(&merged)?;
    req.updated_at = now;
    let mut req = save(&txn, req).await?;
    if let Some(spec) = &def.approvals {
        let touched: Vec<&String> = spec
            .reapprove_on_change
            .iter()
            .filter(|k| changes.contains_key(k.as_str()))
            .collect();
        let round = approvals::current_round(&txn, &req.id).await?;
        if !touched.is_empty() && approvals::round_has_approval(&round) && req.closed_at.is_none() {
            change
                .event(&txn, "approval_restarted", json!({"fields": touched}))
                .await?;
            if req.status == spec.status {
                approvals::cancel_round(&txn, &req, &mut change).await?;
                req = run_approval_start(&txn, &def, req, &mut change).await?;
            } else {
                let to = spec.status.clone();
                req = move_to(
                    &txn,
                    &def,
                    req,
                    &to,
                    json!({"transition": "reapproval"}),
                    false,
                    &mut change,
                )
                .await?;
            }
        }
    }
    txn.commit().await?;
    announce(state, &req, "fields_updated");
    Ok(req)
}

/// Writes values an integration answered (an action's `capture`) onto a request, validated
/// like any field update and audited as `fields_updated` with no actor and the integration's
/// key. Answers `None` when nothing changed. Runs in its own transaction, after the delivery
/// that produced the values was recorded.
pub async fn capture_fields(
    state: &AppState,
    request_id: &str,
    values: Map<String, Value>,
    integration: &str,
) -> AppResult<Option<request::Model>> {
    let txn = state.db.begin().await?;
    let mut req = lock(&txn, request_id, true).await?;
    let def = workflow_of(state, &txn, &req).await?;
    let current: Map<String, Value> = serde_json::from_str(&req.fields)?;
    let (merged, changes) =
        merge_fields(state, &req, &def, &current, &Value::Object(values)).await?;
    if changes.is_empty() {
        return Ok(None);
    }
    let now = state.clock.now();
    let mut change = Change::new(&req.id, None, now);
    change
        .event(
            &txn,
            "fields_updated",
            json!({"changes": changes, "integration": integration}),
        )
        .await?;
    req.title = title_of(&def, &merged, &req.number);
    req.fields = serde_json::to_string(&merged)?;
    req.updated_at = now;
    let req = save(&txn, req).await?;
    txn.commit().await?;
    announce(state, &req, "fields_updated");
    Ok(Some(req))
}

/// What `decide` takes.
#[derive(Debug, Clone)]
pub struct DecisionInput {
    pub request_id: String,
    pub approve: bool,
    pub comment: Option<String>,
    pub expected_version: Option<i32>,
}

/// Records an approver's decision. Concurrent decisions on one step are serialised by the row
/// lock: the first ends the step, the next finds it decided and answers `CONFLICT`.
pub async fn decide(
    state: &AppState,
    p: &Principal,
    input: DecisionInput,
) -> AppResult<request::Model> {
    let comment = clean_comment(input.comment)?;
    let (txn, req) = begin_change(state, p, &input.request_id, true).await?;
    check_version(&req, input.expected_version)?;
    let def = workflow_of(state, &txn, &req).await?;
    if def
        .approvals
        .as_ref()
        .is_none_or(|a| a.status != req.status)
    {
        if req.requester_id == p.user_id {
            return Err(AppError::forbidden(
                "a requester never approves their own request",
            ));
        }
        return Err(AppError::Conflict(
            "this request is not waiting for approval".into(),
        ));
    }
    let now = state.clock.now();
    let mut change = Change::new(&req.id, Some(&p.user_id), now);
    let outcome = approvals::decide(
        &txn,
        &def,
        &req,
        &p.user_id,
        input.approve,
        comment.clone(),
        &mut change,
    )
    .await?;
    if let Some(c) = &comment {
        insert_comment(&txn, &req.id, &p.user_id, c, now).await?;
    }
    let mut req = req;
    req.updated_at = now;
    let req = save(&txn, req).await?;
    let req = finish_round(&txn, &def, req, outcome, &mut change).await?;
    txn.commit().await?;
    announce(state, &req, "decided");
    Ok(req)
}

async fn insert_comment(
    txn: &DatabaseTransaction,
    request_id: &str,
    author: &str,
    body: &str,
    at: DateTime<Utc>,
) -> AppResult<()> {
    comment::ActiveModel {
        id: Set(new_id()),
        request_id: Set(request_id.to_owned()),
        author_id: Set(author.to_owned()),
        body: Set(body.to_owned()),
        at: Set(at),
    }
    .insert(txn)
    .await?;
    Ok(())
}

/// Adds a comment. The requester, approvers and workers of a request may comment.
pub async fn add_comment(
    state: &AppState,
    p: &Principal,
    request_id: &str,
    body: &str,
) -> AppResult<event::Model> {
    let body = clean_comment(Some(body.to_owned()))?
        .ok_or_else(|| AppError::invalid("input.body", "is required"))?;
    let (txn, req) = begin_change(state, p, request_id, false).await?;
    let allowed = req.requester_id == p.user_id
        || access::can_work(p, &req)
        || access::is_approver(&txn, &req.id, &p.user_id).await?;
    if !allowed {
        return Err(AppError::forbidden("you may not comment on this request"));
    }
    let now = state.clock.now();
    insert_comment(&txn, &req.id, &p.user_id, &body, now).await?;
    let mut change = Change::new(&req.id, Some(&p.user_id), now);
    change
        .event(&txn, "commented", json!({"body": body}))
        .await?;
    txn.commit().await?;
    announce(state, &req, "commented");
    change
        .events
        .pop()
        .ok_or_else(|| AppError::Internal(anyhow::anyhow!("comment event missing")))
}

/// What `assign` takes: `user_id` of `None` unassigns; the caller's own id claims.
#[derive(Debug, Clone)]
pub struct AssignInput {
    pub request_id: String,
    pub user_id: Option<String>,
    pub expected_version: Option<i32>,
}

pub async fn assign(
    state: &AppState,
    p: &Principal,
    input: AssignInput,
) -> AppResult<request::Model> {
    let (txn, mut req) = begin_change(state, p, &input.request_id, true).await?;
    check_version(&req, input.expected_version)?;
    if !access::can_work(p, &req) {
        return Err(AppError::forbidden("you may not assign this request"));
    }
    let target = match &input.user_id {
        None => None,
        Some(id) => Some(
            user::Entity::find_by_id(id.clone())
                .one(&txn)
                .await?
                .filter(|u| u.active)
                .ok_or_else(|| AppError::invalid("input.userId", "no active user with this id"))?,
        ),
    };
    if req.assignee_id == target.as_ref().map(|u| u.id.clone()) {
        drop(txn);
        return request::Entity::find_by_id(req.id.clone())
            .one(&state.db)
            .await?
            .ok_or_else(|| AppError::not_found("request"));
    }
    let now = state.clock.now();
    let mut change = Change::new(&req.id, Some(&p.user_id), now);
    let kind = match &target {
        Some(u) if u.id == p.user_id => "claimed",
        Some(_) => "assigned",
        None => "unassigned",
    };
    change
        .event(
            &txn,
            "assigned",
            json!({"action": kind, "from": req.assignee_id, "to": target.as_ref().map(|u| &u.id),
                   "email": target.as_ref().map(|u| &u.email)}),
        )
        .await?;
    req.assignee_id = target.map(|u| u.id);
    req.updated_at = now;
    let req = save(&txn, req).await?;
    txn.commit().await?;
    announce(state, &req, "assigned");
    Ok(req)
}
