//! The outbox worker: delivers the rows `services::actions` queued, records every attempt, and
//! retries on a schedule.
//!
//! **Claiming.** One statement moves due rows to `sending` with a lease (`lease_owner`,
//! `lease_until`) and returns them: `UPDATE outbox ... WHERE id IN (SELECT ... LIMIT n) RETURNING`.
//! On PostgreSQL the inner select takes `FOR UPDATE SKIP LOCKED`, so concurrent workers skip each
//! other's rows instead of claiming them twice; on SQLite the statement runs under the database's
//! single write lock, which serialises claims. A row whose lease expired (its worker died) is
//! due again.
//!
//! **Idempotency.** Recording an attempt is one transaction that first checks the row is still
//! leased to this worker; a worker whose lease expired records nothing. So every attempt is
//! recorded at most once, and a row is sent again only when the previous sender died before
//! recording, or its lease ran out. That resend carries the same `webhook-id` (derived from the
//! row's event and action), which receivers use to deduplicate: delivery is at least once, and
//! effectively once for receivers that honour the id.
//!
//! **Retries.** After a failed attempt the row is due again after the `SCHEDULE` delay of that
//! attempt, ±20% jitter (so receivers coming back are not hit by every sender at once), or after
//! the receiver's `Retry-After` (at most a day). After `MAX_ATTEMPTS` it is `dead`. `410 Gone`
//! kills the delivery at once and disables the integration.
//!
//! Time comes from `state.clock`, which tests move forward instead of waiting.

use handoff_shared::EventKind;
use std::collections::BTreeMap;
use std::time::Duration as StdDuration;

use anyhow::Context as _;
use chrono::{DateTime, Duration, Utc};
use futures::StreamExt as _;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, DbBackend, EntityTrait, QueryFilter, QueryOrder, Set,
};
use serde_json::json;

use crate::db::entities::{delivery_attempt, integration, outbox, request, workflow};
use crate::db::enums::{DeliveryKind, DeliveryState};
use crate::db::{new_id, statement};
use crate::error::AppError;
use crate::integrations::webhook;
use crate::services::actions;
use crate::services::audit::{self, NewEvent, Stream};
use crate::services::change::{Change, Lock};
use crate::services::integrations::signing_secrets;
use crate::services::requests;
use crate::services::workflows;
use crate::state::AppState;

/// Delay after each failed attempt: 10 s, 1 min, 5 min, 30 min, 1 h, 3 h, 6 h, 12 h, 24 h,
/// 24 h (about 2.9 days in all, jitter aside). The attempt after the last delay is the last.
pub const SCHEDULE_SECS: [i64; 10] = [
    10, 60, 300, 1_800, 3_600, 10_800, 21_600, 43_200, 86_400, 86_400,
];
/// Attempts before a delivery is dead: the first and one per scheduled delay.
pub const MAX_ATTEMPTS: i32 = SCHEDULE_SECS.len() as i32 + 1;
/// How long a claim lasts: longer than an attempt (15 s) and its recording.
pub const LEASE_SECS: i64 = 120;
/// Rows claimed at once by one worker.
pub const BATCH: u64 = 32;
/// Deliveries in flight at once per worker.
pub const CONCURRENCY: usize = 8;
/// Longest `Retry-After` honoured.
pub const MAX_RETRY_AFTER_SECS: u64 = 86_400;

/// The delay before the attempt after failed attempt `attempt` (1-based), with `jitter` in
/// [-0.2, 0.2]; `None` when the delivery has had its last attempt.
pub fn backoff(attempt: i32, jitter: f64) -> Option<Duration> {
    let base = *SCHEDULE_SECS.get(usize::try_from(attempt - 1).ok()?)?;
    let jitter = jitter.clamp(-0.2, 0.2);
    Some(Duration::milliseconds(
        (base as f64 * 1000.0 * (1.0 + jitter)).round() as i64,
    ))
}

/// Claims up to `limit` due rows for `owner`: pending rows whose time has come and rows whose
/// lease expired.
pub async fn claim(
    state: &AppState,
    owner: &str,
    limit: u64,
) -> anyhow::Result<Vec<outbox::Model>> {
    let now = state.clock.now();
    let lease_until = now + Duration::seconds(LEASE_SECS);
    let skip_locked = if state.db.get_database_backend() == DbBackend::Postgres {
        "FOR UPDATE SKIP LOCKED"
    } else {
        ""
    };
    // Placeholders are numbered in order of appearance: SQLite's rewrite to `?` is positional.
    let sql = format!(
        "UPDATE outbox SET state = 'sending', lease_owner = $1, lease_until = $2 \
         WHERE id IN (SELECT id FROM outbox \
             WHERE (state = 'pending' AND next_attempt_at <= $3) \
                OR (state = 'sending' AND lease_until <= $4) \
             ORDER BY next_attempt_at, id LIMIT $5 {skip_locked}) \
           AND ((state = 'pending' AND next_attempt_at <= $6) \
                OR (state = 'sending' AND lease_until <= $7)) \
         RETURNING *"
    );
    let limit = i64::try_from(limit).unwrap_or(i64::MAX);
    let stmt = statement(
        &state.db,
        &sql,
        vec![
            owner.into(),
            lease_until.into(),
            now.into(),
            now.into(),
            limit.into(),
            now.into(),
            now.into(),
        ],
    );
    let rows = outbox::Entity::find()
        .from_raw_sql(stmt)
        .all(&state.db)
        .await
        .context("claiming due outbox rows")?;
    Ok(rows)
}

/// What one attempt came to.
#[derive(Debug, Clone)]
pub struct Outcome {
    pub at: DateTime<Utc>,
    pub status: Option<u16>,
    pub latency_ms: i64,
    pub error: Option<String>,
    pub answer: Vec<u8>,
    pub retry_after: Option<StdDuration>,
}

impl Outcome {
    pub fn succeeded(&self) -> bool {
        self.error.is_none() && self.status.is_some_and(|s| (200..300).contains(&s))
    }
    fn gone(&self) -> bool {
        self.status == Some(410)
    }
}

/// Sends one claimed row to its integration (no database writes). The body is the payload
/// stored when the event happened; the headers are Standard Webhooks'.
pub async fn attempt(state: &AppState, row: &outbox::Model) -> anyhow::Result<Outcome> {
    let at = state.clock.now();
    let failed = |error: String| Outcome {
        at,
        status: None,
        latency_ms: 0,
        error: Some(error),
        answer: vec![],
        retry_after: None,
    };
    let Some(target) = crate::services::integrations::find_integration(&state.db, &row.target)
        .await
        .map_err(app_error)?
    else {
        return Ok(failed(format!(
            "no integration \"{}\" is configured (an administrator creates it with createIntegration)",
            row.target
        )));
    };
    if !target.enabled {
        return Ok(failed(format!(
            "integration \"{}\" is disabled: {}",
            target.key,
            target
                .disabled_reason
                .as_deref()
                .unwrap_or("by an administrator")
        )));
    }
    let id = actions::webhook_id(&row.event_id, &row.action);
    let timestamp = at.timestamp();
    let body = row.payload.text().as_bytes().to_vec();
    let mut headers = vec![
        ("webhook-id", id.clone()),
        ("webhook-timestamp", timestamp.to_string()),
    ];
    let secrets = signing_secrets(&target, at);
    if !secrets.is_empty() {
        let refs: Vec<&str> = secrets.iter().map(String::as_str).collect();
        match webhook::signature_header(&refs, &id, timestamp, &body) {
            Ok(sig) => headers.push(("webhook-signature", sig)),
            Err(e) => return Ok(failed(format!("the integration's secret is unusable: {e}"))),
        }
    }
    Ok(
        match state.outbound.post_json(&target.url, &headers, body).await {
            Ok(answer) => Outcome {
                at,
                status: Some(answer.status),
                latency_ms: i64::try_from(answer.latency.as_millis()).unwrap_or(i64::MAX),
                error: if (200..300).contains(&answer.status) {
                    None
                } else {
                    Some(format!("the receiver answered {}", answer.status))
                },
                answer: answer.body,
                retry_after: answer.retry_after,
            },
            Err(e) => Outcome {
                latency_ms: i64::try_from(e.latency.as_millis()).unwrap_or(i64::MAX),
                ..failed(e.message)
            },
        },
    )
}

fn app_error(e: AppError) -> anyhow::Error {
    match e {
        AppError::Internal(cause) => cause,
        other => anyhow::anyhow!(other.message()),
    }
}

/// Records an attempt of a row leased to `owner`: the attempt log, the row's new state and a
/// `delivery_succeeded` / `delivery_failed` event on the request, in one transaction that holds
/// the request's row lock. Answers `false` (and writes nothing) when the lease is no longer
/// this worker's. On success, runs the action's `capture` afterwards.
pub async fn record(
    state: &AppState,
    owner: &str,
    row: &outbox::Model,
    outcome: Outcome,
) -> anyhow::Result<bool> {
    // A delivery outcome goes on the request's chain (which must not fork) but is not an edit
    // a client must reload for: a quiet lock.
    let mut change = Change::lock(state, &row.request_id, Lock::Quiet, None)
        .await
        .map_err(app_error)?;
    let now = change.now;
    let txn = change.db();
    let Some(current) = outbox::Entity::find_by_id(row.id.clone()).one(txn).await? else {
        return Ok(false);
    };
    if current.state != DeliveryState::Sending || current.lease_owner.as_deref() != Some(owner) {
        tracing::warn!(delivery.id = %row.id, worker = owner, "lease lost before recording; another worker owns the delivery");
        return Ok(false);
    }
    let previous = delivery_attempt::Entity::find()
        .filter(delivery_attempt::Column::DeliveryId.eq(row.id.clone()))
        .order_by_desc(delivery_attempt::Column::Attempt)
        .one(txn)
        .await?
        .map_or(0, |a| a.attempt);
    let number = previous + 1;
    delivery_attempt::ActiveModel {
        id: Set(new_id()),
        delivery_id: Set(row.id.clone()),
        attempt: Set(number),
        at: Set(outcome.at),
        status_code: Set(outcome.status.map(i32::from)),
        latency_ms: Set(outcome.latency_ms),
        error: Set(outcome.error.clone()),
        response_excerpt: Set(webhook::excerpt(&outcome.answer)),
    }
    .insert(txn)
    .await?;
    let attempts = current.attempts + 1;
    let success = outcome.succeeded();
    let next = if success || outcome.gone() {
        None
    } else {
        backoff(attempts, rand::random_range(-0.2..=0.2)).map(|delay| {
            let asked = outcome
                .retry_after
                .map(|d| Duration::seconds(d.as_secs().min(MAX_RETRY_AFTER_SECS) as i64));
            now + asked.map_or(delay, |a| a.max(Duration::seconds(1)))
        })
    };
    let new_state = match (success, next) {
        (true, _) => DeliveryState::Delivered,
        (false, Some(_)) => DeliveryState::Pending,
        (false, None) => DeliveryState::Dead,
    };
    let mut active: outbox::ActiveModel = current.into();
    active.state = Set(new_state);
    active.attempts = Set(attempts);
    active.lease_owner = Set(None);
    active.lease_until = Set(None);
    active.response_code = Set(outcome.status.map(i32::from));
    if let Some(at) = next {
        active.next_attempt_at = Set(at);
    }
    if success {
        active.delivered_at = Set(Some(now));
        active.last_error = Set(None);
    } else {
        active.last_error = Set(outcome.error.clone());
    }
    active.update(txn).await?;
    if outcome.gone() {
        disable_gone(txn, &row.target, now).await?;
    }
    let webhook_id = actions::webhook_id(&row.event_id, &row.action);
    let data = if success {
        json!({"delivery": row.id, "integration": row.target, "action": row.action,
               "attempt": number, "status_code": outcome.status, "latency_ms": outcome.latency_ms,
               "webhook_id": webhook_id})
    } else {
        json!({"delivery": row.id, "integration": row.target, "action": row.action,
               "attempt": number, "status_code": outcome.status, "error": outcome.error,
               "next_attempt_at": next, "dead": next.is_none(), "webhook_id": webhook_id})
    };
    let kind = if success {
        EventKind::DeliverySucceeded
    } else {
        EventKind::DeliveryFailed
    };
    change.record(kind, data).await.map_err(app_error)?;
    let req = change.commit(state, kind).await.map_err(app_error)?;
    tracing::info!(delivery.id = %row.id, delivery.integration = %row.target, delivery.attempt = number,
                   delivery.status = ?outcome.status, delivery.state = new_state.as_str(), duration_ms = outcome.latency_ms,
                   "delivery attempt recorded");
    if success && row.kind == DeliveryKind::Webhook {
        write_back(state, row, &req, &outcome.answer).await?;
    }
    Ok(true)
}

/// A receiver that answers `410 Gone` asked never to be called again: the integration is
/// disabled (audited on the system stream) until an administrator enables it.
async fn disable_gone(
    txn: &sea_orm::DatabaseTransaction,
    key: &str,
    now: DateTime<Utc>,
) -> anyhow::Result<()> {
    let Some(found) = integration::Entity::find()
        .filter(integration::Column::Key.eq(key))
        .one(txn)
        .await?
    else {
        return Ok(());
    };
    if !found.enabled {
        return Ok(());
    }
    let mut active: integration::ActiveModel = found.into();
    active.enabled = Set(false);
    active.disabled_reason = Set(Some(format!(
        "the receiver answered 410 Gone at {}",
        now.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
    )));
    active.updated_at = Set(now);
    active.update(txn).await?;
    audit::append(
        txn,
        NewEvent {
            stream: Stream::System,
            kind: EventKind::IntegrationDisabled,
            actor_id: None,
            at: now,
            data: json!({"integration": key, "reason": "410 Gone"}),
        },
    )
    .await
    .map_err(app_error)?;
    Ok(())
}

/// Applies the action's `capture` to a successful answer, in its own transaction. Whatever
/// cannot be captured (no match, not JSON, a value the form refuses) becomes the delivery's
/// `warning`; the delivery stays delivered.
async fn write_back(
    state: &AppState,
    row: &outbox::Model,
    req: &request::Model,
    answer: &[u8],
) -> anyhow::Result<()> {
    let Some(wf) = workflow::Entity::find_by_id(req.workflow_id.clone())
        .one(&state.db)
        .await?
    else {
        return Ok(());
    };
    let def = workflows::definition_of(state, &wf).map_err(app_error)?;
    let spec: BTreeMap<String, String> = row
        .action
        .strip_prefix("actions[")
        .and_then(|s| s.strip_suffix(']'))
        .and_then(|i| i.parse::<usize>().ok())
        .and_then(|i| def.actions.get(i))
        .map(|a| a.capture.clone())
        .unwrap_or_default();
    if spec.is_empty() {
        return Ok(());
    }
    let (values, mut warnings) = actions::capture(&spec, answer);
    if !values.is_empty() {
        match requests::capture_fields(state, &req.id, values, &row.target).await {
            Ok(_) => {}
            Err(AppError::Internal(cause)) => return Err(cause),
            Err(e) => warnings.push(format!("capture refused: {}", e.message())),
        }
    }
    if !warnings.is_empty() {
        outbox::Entity::update_many()
            .col_expr(
                outbox::Column::Warning,
                sea_orm::sea_query::Expr::value(warnings.join("; ")),
            )
            .filter(outbox::Column::Id.eq(row.id.clone()))
            .exec(&state.db)
            .await?;
    }
    Ok(())
}

/// Claims and delivers what is due, batch after batch, until a claim comes back short. Answers
/// how many attempts were made. Tests call this instead of waiting for the background loop.
pub async fn run_pending(state: &AppState, owner: &str) -> anyhow::Result<usize> {
    let mut total = 0;
    let serial =
        (state.db.get_database_backend() == DbBackend::Sqlite).then(|| tokio::sync::Mutex::new(()));
    // Bounded, so a receiver asking to be retried at once cannot keep one call busy forever.
    for _ in 0..100 {
        let rows = claim(state, owner, BATCH).await?;
        let claimed = rows.len();
        let serial = &serial;
        let results: Vec<anyhow::Result<bool>> = futures::stream::iter(rows)
            .map(|row| async move {
                let outcome = attempt(state, &row).await?;
                // SQLite has one writer: recording one at a time spares the busy handler's
                // sleeps, which otherwise dominate the lag.
                let _turn = match serial {
                    Some(m) => Some(m.lock().await),
                    None => None,
                };
                record(state, owner, &row, outcome).await
            })
            .buffer_unordered(CONCURRENCY)
            .collect()
            .await;
        for r in results {
            if let Err(e) = r {
                // The row stays leased; it is retried when the lease ends.
                tracing::error!(error = ?e, "delivering an outbox row failed");
            }
        }
        total += claimed;
        if (claimed as u64) < BATCH {
            break;
        }
    }
    Ok(total)
}

/// The loop of `handoff serve`: runs what is due, sleeps `idle` when nothing was, and returns
/// when `stop` turns true (after finishing the deliveries in flight).
pub async fn run_worker(
    state: AppState,
    owner: String,
    idle: StdDuration,
    mut stop: tokio::sync::watch::Receiver<bool>,
) {
    tracing::info!(worker = %owner, "outbox worker started");
    while !*stop.borrow() {
        let worked = match run_pending(&state, &owner).await {
            Ok(n) => n,
            Err(e) => {
                tracing::error!(error = ?e, "outbox worker round failed");
                0
            }
        };
        if worked == 0 {
            tokio::select! {
                () = tokio::time::sleep(idle) => {}
                _ = stop.changed() => {}
            }
        }
    }
    tracing::info!(worker = %owner, "outbox worker stopped");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_schedule_spans_about_three_days_and_then_stops() {
        let total: i64 = SCHEDULE_SECS.iter().sum();
        assert!((2.5 * 86_400.0..3.5 * 86_400.0).contains(&(total as f64)));
        assert_eq!(backoff(1, 0.0), Some(Duration::seconds(10)));
        assert_eq!(backoff(2, 0.2), Some(Duration::seconds(72)));
        assert_eq!(backoff(10, -0.2), Some(Duration::milliseconds(69_120_000)));
        assert_eq!(backoff(MAX_ATTEMPTS, 0.0), None);
        assert_eq!(backoff(0, 0.0), None);
    }
}
