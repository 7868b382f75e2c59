//! A definition's `actions`, run when their event happens: a `webhook` action queues a delivery
//! in the outbox, a `notify` action writes in-app notifications for the people it names and,
//! with `via`, queues a chat message. Everything is written inside the transaction of the change
//! that caused the event, so a change, its audit event and its deliveries commit together or
//! not at all; nothing here makes a network call (the outbox worker, `jobs::outbox`, does).
//!
//! Payloads are fixed now: the webhook body is rendered (JSON-escaped) and stored with a
//! snapshot of the request, so a retry days later sends the same bytes. A template that fails
//! to render is a dead delivery with the template error, visible like any failed delivery.
//!
//! Idempotency: the outbox has one row per `(event, action)` (a unique index), and the
//! receiver's `webhook-id` is derived from that pair, so the same event never makes two
//! different deliveries of one action.

use handoff_shared::EventKind;
use std::collections::BTreeSet;
use std::sync::LazyLock;

use chrono::SecondsFormat;
use handoff_shared::definition::{Action, Definition, Event};
use minijinja::value::ValueKind;
use minijinja::{Environment, Output, State};
use sea_orm::{ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, Set};
use serde::Deserialize as _;
use serde_json::{Map, Value, json};
use sha2::{Digest, Sha256};

use crate::db::entities::{event, notification, outbox, request, user};
use crate::db::enums::{DeliveryKind, DeliveryState, UserKind};
use crate::db::json::JsonText;
use crate::db::new_id;
use crate::engine::events;
use crate::error::{AppError, AppResult};
use crate::services::change::Change;
use crate::services::directory;

/// Work a template may do before it is stopped (minijinja fuel: about one unit per instruction).
const TEMPLATE_FUEL: u64 = 50_000;
/// Longest rendered template kept.
const MAX_RENDERED_BYTES: usize = 64 * 1024;

/// The receiver's idempotency key: the same for every attempt and replay of one delivery.
pub fn webhook_id(event_id: &str, action: &str) -> String {
    let digest = Sha256::digest(format!("{event_id}:{action}").as_bytes());
    format!("msg_{}", &hex::encode(digest)[..32])
}

/// The `type` of a webhook body: `request.submitted`, `request.entered`, `request.left`,
/// `request.approved`, `request.rejected`, `request.category_entered`.
pub fn event_type(event: &Event) -> String {
    let name = match event {
        Event::Submitted => "submitted",
        Event::Enter(_) | Event::Status(_) => "entered",
        Event::Leave(_) => "left",
        Event::Category(_) => "category_entered",
        Event::Approved => "approved",
        Event::Rejected => "rejected",
        Event::SlaBreached(_) => "sla_breached",
        Event::SlaReminder(_) => "sla_reminder",
    };
    format!("request.{name}")
}

/// Runs the actions of `def` that listen to any event of `happened`, caused by the change's
/// latest audit event. Call it after the request row is written.
pub async fn fire(change: &mut Change, def: &Definition, happened: &[Event]) -> AppResult<()> {
    let cause = change
        .events
        .last()
        .cloned()
        .ok_or_else(|| AppError::Internal(anyhow::anyhow!("actions fired without an event")))?;
    fire_caused_by(change, def, happened, &cause).await
}

/// [`fire`] with an explicit cause: a submission's actions are caused by `submitted`, not by
/// the `routed` event recorded after it.
pub async fn fire_caused_by(
    change: &mut Change,
    def: &Definition,
    happened: &[Event],
    cause: &event::Model,
) -> AppResult<()> {
    let mut due: Vec<(usize, &Action, &Event)> = Vec::new();
    for (index, action) in def.actions.iter().enumerate() {
        let Ok(on) = Event::parse(&action.on) else {
            continue;
        };
        if let Some(e) = happened.iter().find(|h| events::listens(&on, h)) {
            due.push((index, action, e));
        }
    }
    if due.is_empty() {
        return Ok(());
    }
    let snapshot = snapshot(change.db(), &change.req).await?;
    let actor = match &cause.actor_id {
        Some(id) => user::Entity::find_by_id(id.clone())
            .one(change.db())
            .await?
            .map(|u| u.email),
        None => None,
    };
    for (index, action, happened) in due {
        let path = format!("actions[{index}]");
        let event_json = json!({
            "id": cause.id,
            "kind": cause.kind.as_str(),
            "on": happened.to_string(),
            "at": cause.at.to_rfc3339_opts(SecondsFormat::Micros, true),
            "actor": actor,
        });
        let fired = Fired {
            cause,
            path: &path,
            action,
            happened,
            snapshot: &snapshot,
        };
        if let Some(key) = &action.webhook {
            queue_webhook(change, &fired, key, event_json).await?;
        } else if let Some(audience) = &action.notify {
            notify(change, &fired, audience).await?;
        }
    }
    Ok(())
}

/// The request as deliveries and templates see it (field names as in the GraphQL API).
async fn snapshot(txn: &impl ConnectionTrait, req: &request::Model) -> AppResult<Value> {
    let mut ids = vec![req.requester_id.clone()];
    ids.extend(req.assignee_id.clone());
    let people = user::Entity::find()
        .filter(user::Column::Id.is_in(ids))
        .all(txn)
        .await?;
    let person = |id: &str| {
        people
            .iter()
            .find(|u| u.id == id)
            .map(|u| json!({"email": u.email, "name": u.name}))
    };
    let stamp = |t: chrono::DateTime<chrono::Utc>| t.to_rfc3339_opts(SecondsFormat::Micros, true);
    Ok(json!({
        "id": req.id,
        "number": req.number,
        "title": req.title,
        "workflow": req.workflow_key,
        "workflowVersion": req.workflow_version,
        "status": req.status,
        "category": req.category.as_str(),
        "priority": req.priority.as_str(),
        "team": req.team,
        "requester": person(&req.requester_id),
        "assignee": req.assignee_id.as_deref().and_then(person),
        "fields": req.fields.0,
        "version": req.version,
        "createdAt": stamp(req.created_at),
        "updatedAt": stamp(req.updated_at),
        "closedAt": req.closed_at.map(stamp),
    }))
}

/// One action that runs: what caused it, where it stands in the definition, and the request
/// as its templates see it.
struct Fired<'a> {
    cause: &'a event::Model,
    /// `actions[i]`.
    path: &'a str,
    action: &'a Action,
    happened: &'a Event,
    snapshot: &'a Value,
}

async fn queue_webhook(
    change: &mut Change,
    fired: &Fired<'_>,
    key: &str,
    event_json: Value,
) -> AppResult<()> {
    let (body, error) = match &fired.action.body {
        None => (Value::Null, None),
        Some(template) => match render(Mode::Json, template, fired.snapshot) {
            // The rendered text is sent as JSON when it parses, else as a string.
            Ok(text) => (
                serde_json::from_str(&text).unwrap_or(Value::String(text)),
                None,
            ),
            Err(e) => (
                Value::Null,
                Some(format!("template error in {}.body: {e}", fired.path)),
            ),
        },
    };
    let payload = json!({
        "type": event_type(fired.happened),
        "timestamp": fired.cause.at.to_rfc3339_opts(SecondsFormat::Secs, true),
        "data": {"request": fired.snapshot, "event": event_json, "body": body},
    });
    insert_row(change, fired, DeliveryKind::Webhook, key, &payload, error).await
}

/// Queues one outbox row; a row that cannot be sent (its template failed) is dead at once and
/// recorded as a failed delivery.
async fn insert_row(
    change: &mut Change,
    fired: &Fired<'_>,
    kind: DeliveryKind,
    target: &str,
    payload: &Value,
    error: Option<String>,
) -> AppResult<()> {
    let id = new_id();
    let dead = error.is_some();
    outbox::ActiveModel {
        id: Set(id.clone()),
        request_id: Set(change.req.id.clone()),
        event_id: Set(fired.cause.id.clone()),
        action: Set(fired.path.to_owned()),
        kind: Set(kind),
        target: Set(target.to_owned()),
        payload: Set(JsonText::new(payload)),
        state: Set(if dead {
            DeliveryState::Dead
        } else {
            DeliveryState::Pending
        }),
        attempts: Set(0),
        next_attempt_at: Set(change.now),
        last_error: Set(error.clone()),
        delivered_at: Set(None),
        created_at: Set(change.now),
        lease_until: Set(None),
        lease_owner: Set(None),
        warning: Set(None),
        response_code: Set(None),
    }
    .insert(change.db())
    .await?;
    if let Some(error) = error {
        change
            .record(
                EventKind::DeliveryFailed,
                json!({"delivery": id, "integration": target, "action": fired.path,
                       "attempt": 0, "error": error, "dead": true}),
            )
            .await?;
    }
    Ok(())
}

async fn notify(change: &mut Change, fired: &Fired<'_>, audience: &str) -> AppResult<()> {
    let fallback = default_message(&change.req, fired.happened);
    let (message, error) = match &fired.action.message {
        None => (fallback, None),
        Some(template) => match render(Mode::Text, template, fired.snapshot) {
            Ok(m) if !m.trim().is_empty() => (m, None),
            Ok(_) => (fallback, None),
            Err(e) => (
                fallback,
                Some(format!("template error in {}.message: {e}", fired.path)),
            ),
        },
    };
    for user_id in recipients(change.db(), &change.req, audience).await? {
        notification::ActiveModel {
            id: Set(new_id()),
            user_id: Set(user_id),
            request_id: Set(change.req.id.clone()),
            event_id: Set(fired.cause.id.clone()),
            message: Set(message.clone()),
            created_at: Set(change.now),
            read_at: Set(None),
        }
        .insert(change.db())
        .await?;
    }
    if let Some(via) = &fired.action.via {
        let payload = json!({"text": message});
        insert_row(change, fired, DeliveryKind::Chat, via, &payload, error).await?;
    }
    Ok(())
}

fn default_message(req: &request::Model, happened: &Event) -> String {
    let what = match happened {
        Event::Submitted => "was submitted".to_owned(),
        Event::Enter(s) | Event::Status(s) => format!("is now {s}"),
        Event::Leave(s) => format!("left {s}"),
        Event::Category(c) => format!("is now {}", c.as_str()),
        Event::Approved => "was approved".to_owned(),
        Event::Rejected => "was rejected".to_owned(),
        Event::SlaBreached(k) => format!("breached its {k} SLA"),
        Event::SlaReminder(k) => format!("is close to its {k} SLA"),
    };
    format!("{} {what}: {}", req.number, req.title)
}

/// Active people (not service users) named by `requester`, `assignee`, `team`, `role:<key>`.
async fn recipients(
    txn: &impl ConnectionTrait,
    req: &request::Model,
    audience: &str,
) -> AppResult<Vec<String>> {
    let ids: Vec<String> = match audience {
        "requester" => vec![req.requester_id.clone()],
        "assignee" => req.assignee_id.iter().cloned().collect(),
        "team" => match &req.team {
            Some(team) => directory::members_of_teams(txn, std::slice::from_ref(team))
                .await?
                .remove(team)
                .unwrap_or_default(),
            None => vec![],
        },
        other => match other.strip_prefix("role:") {
            Some(role) => directory::users_with_role(txn, role).await?,
            None => vec![],
        },
    };
    if ids.is_empty() {
        return Ok(ids);
    }
    let unique: BTreeSet<String> = ids.into_iter().collect();
    Ok(user::Entity::find()
        .filter(user::Column::Id.is_in(unique))
        .filter(user::Column::Active.eq(true))
        .filter(user::Column::Kind.eq(UserKind::Person))
        .all(txn)
        .await?
        .into_iter()
        .map(|u| u.id)
        .collect())
}

/// How rendered values are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// Plain text (chat messages, notifications): values as they are, `none` as nothing.
    Text,
    /// Inside a JSON document: a string's content JSON-escaped (so `"{{ x }}"` stays one valid
    /// JSON string whatever `x` holds), numbers, booleans and money decimals as they are, lists
    /// and maps as escaped JSON text (use `| tojson` to insert them as JSON values).
    Json,
}

fn json_formatter(
    out: &mut Output<'_>,
    _state: &mut State<'_, '_>,
    value: &minijinja::Value,
) -> Result<(), minijinja::Error> {
    if value.is_safe() {
        out.write_str(value.as_str().unwrap_or_default())?;
        return Ok(());
    }
    // serde_json writes a string as `"..."`; the content between the quotes is the escape.
    let escaped = |s: &str| {
        let quoted = serde_json::to_string(s).unwrap_or_else(|_| "\"\"".into());
        quoted[1..quoted.len() - 1].to_owned()
    };
    match value.kind() {
        ValueKind::Undefined | ValueKind::None => {}
        // minijinja displays booleans the Jinja way (`True`); JSON wants `true`.
        ValueKind::Bool => out.write_str(if value.is_true() { "true" } else { "false" })?,
        ValueKind::Number => write!(out, "{value}")?,
        ValueKind::String => out.write_str(&escaped(value.as_str().unwrap_or_default()))?,
        _ => {
            let json = serde_json::to_string(value).map_err(|e| {
                minijinja::Error::new(minijinja::ErrorKind::BadSerialization, e.to_string())
            })?;
            out.write_str(&escaped(&json))?;
        }
    }
    Ok(())
}

fn text_formatter(
    out: &mut Output<'_>,
    state: &mut State<'_, '_>,
    value: &minijinja::Value,
) -> Result<(), minijinja::Error> {
    if value.is_none() {
        return Ok(());
    }
    minijinja::escape_formatter(out, state, value)
}

fn environment(mode: Mode) -> Environment<'static> {
    let mut env = Environment::new();
    env.set_fuel(Some(TEMPLATE_FUEL));
    match mode {
        Mode::Json => env.set_formatter(json_formatter),
        Mode::Text => env.set_formatter(text_formatter),
    }
    env
}

static JSON_ENV: LazyLock<Environment<'static>> = LazyLock::new(|| environment(Mode::Json));
static TEXT_ENV: LazyLock<Environment<'static>> = LazyLock::new(|| environment(Mode::Text));

/// Renders a `body` or `message` template with the request snapshot in scope (`number`,
/// `title`, `status`, `priority`, `team`, `fields.*`, `requester.email`, ...). Answers the
/// engine's error text on failure (a syntax error, an unknown filter, too much work).
pub fn render(mode: Mode, template: &str, context: &Value) -> Result<String, String> {
    let env = match mode {
        Mode::Json => &*JSON_ENV,
        Mode::Text => &*TEXT_ENV,
    };
    let ctx = minijinja::Value::deserialize(context.clone()).map_err(|e| e.to_string())?;
    let text = env.render_str(template, ctx).map_err(|e| {
        // The error's own text, without minijinja's multi-line debug dump.
        let mut msg = e.kind().to_string();
        if let Some(detail) = e.detail() {
            msg.push_str(": ");
            msg.push_str(detail);
        }
        if let Some(line) = e.line() {
            msg.push_str(&format!(" (line {line})"));
        }
        msg
    })?;
    if text.len() > MAX_RENDERED_BYTES {
        return Err(format!(
            "the rendered text is longer than {MAX_RENDERED_BYTES} bytes"
        ));
    }
    Ok(text)
}

/// The field values a successful answer captures: `capture` maps field keys to JSONPath
/// queries (RFC 9535) over the answer. Answers the values found and a warning for each query
/// that found nothing or could not run.
pub fn capture(
    spec: &std::collections::BTreeMap<String, String>,
    answer: &[u8],
) -> (Map<String, Value>, Vec<String>) {
    let mut values = Map::new();
    let mut warnings = Vec::new();
    if spec.is_empty() {
        return (values, warnings);
    }
    let doc: Value = match serde_json::from_slice(answer) {
        Ok(v) => v,
        Err(_) => {
            warnings.push("capture: the answer is not JSON".to_owned());
            return (values, warnings);
        }
    };
    for (field, path) in spec {
        let query = match serde_json_path::JsonPath::parse(path) {
            Ok(q) => q,
            Err(e) => {
                warnings.push(format!("capture {field}: bad JSONPath {path}: {e}"));
                continue;
            }
        };
        match query.query(&doc).first() {
            Some(found) => {
                values.insert(field.clone(), found.clone());
            }
            None => warnings.push(format!("capture {field}: {path} matched nothing")),
        }
    }
    (values, warnings)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ctx() -> Value {
        json!({"number": "PUR-1", "title": "Quote \" and \\ and \n newline",
               "fields": {"amount": "1800.00", "count": 3, "title": "a \"b\"", "tags": ["x", "y"],
                          "ok": true, "none": null}})
    }

    #[test]
    fn a_json_body_stays_valid_json_whatever_the_values_hold() {
        let body = r#"{"request": "{{ number }}", "title": "{{ fields.title }}", "amount": {{ fields.amount }}, "n": {{ fields.count }}, "t": "{{ title }}", "ok": {{ fields.ok }}, "tags": {{ fields.tags | tojson }}, "missing": "{{ fields.nope }}"}"#;
        let text = render(Mode::Json, body, &ctx()).unwrap();
        let parsed: Value = serde_json::from_str(&text).expect(&text);
        assert_eq!(parsed["title"], "a \"b\"");
        assert_eq!(parsed["t"], "Quote \" and \\ and \n newline");
        // The amount is sent as the exact decimal stored, trailing zeros and all.
        assert_eq!(parsed["amount"].to_string(), "1800.00");
        assert_eq!(parsed["n"], 3);
        assert_eq!(parsed["ok"], true);
        assert_eq!(parsed["tags"], json!(["x", "y"]));
        assert_eq!(parsed["missing"], "");
    }

    #[test]
    fn a_text_message_writes_values_as_they_are() {
        let text = render(
            Mode::Text,
            "{{ number }} is done: {{ fields.title }}{{ fields.none }}",
            &ctx(),
        )
        .unwrap();
        assert_eq!(text, "PUR-1 is done: a \"b\"");
    }

    #[test]
    fn a_broken_template_is_an_error_not_a_panic() {
        assert!(render(Mode::Json, "{{ number ", &ctx()).is_err());
        assert!(render(Mode::Text, "{{ number | nosuchfilter }}", &ctx()).is_err());
        assert!(
            render(
                Mode::Text,
                "{% for i in range(100000) %}{% for j in range(100000) %}x{% endfor %}{% endfor %}",
                &ctx()
            )
            .is_err()
        );
    }

    #[test]
    fn capture_reads_json_paths_and_warns_on_misses() {
        let spec = [
            ("po_number".to_owned(), "$.po_number".to_owned()),
            ("vendor".to_owned(), "$.vendor.id".to_owned()),
        ]
        .into_iter()
        .collect();
        let (values, warnings) = capture(&spec, br#"{"po_number": "PO-77"}"#);
        assert_eq!(values.get("po_number"), Some(&json!("PO-77")));
        assert_eq!(
            warnings,
            vec!["capture vendor: $.vendor.id matched nothing"]
        );
        let (values, warnings) = capture(&spec, b"<html>");
        assert!(values.is_empty());
        assert_eq!(warnings, vec!["capture: the answer is not JSON"]);
    }

    #[test]
    fn the_webhook_id_is_stable_per_event_and_action() {
        assert_eq!(
            webhook_id("e1", "actions[0]"),
            webhook_id("e1", "actions[0]")
        );
        assert_ne!(
            webhook_id("e1", "actions[0]"),
            webhook_id("e1", "actions[1]")
        );
        assert!(webhook_id("e1", "actions[0]").starts_with("msg_"));
    }
}
