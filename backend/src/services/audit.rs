//! The append-only audit trail. Every state change writes its event here in the same
//! transaction as the change. Events form one hash chain per stream (a request's id, or
//! `system` for administration), so an edited or deleted event breaks the chain and
//! `handoff audit verify` finds it.

use chrono::{DateTime, SecondsFormat, Utc};
use handoff_shared::EventKind;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, Set,
};
use serde::Serialize;

use crate::db::entities::event;
use crate::engine::{GENESIS, HashInput, event_hash};
use crate::error::{AppResult, Duplicate, OnDuplicate};

/// The stream of administrative events (users, roles, workflows).
pub const SYSTEM_STREAM: &str = "system";

fn stamp(at: DateTime<Utc>) -> String {
    at.to_rfc3339_opts(SecondsFormat::Micros, true)
}

/// What a new event says; `append` adds its place in the chain.
#[derive(Debug)]
pub struct NewEvent<'a> {
    pub stream: &'a str,
    pub request_id: Option<&'a str>,
    pub kind: EventKind,
    pub actor_id: Option<&'a str>,
    pub at: DateTime<Utc>,
    pub data: serde_json::Value,
}

/// Appends an event to its stream. Callers hold the stream's lock (the request row) so the
/// chain cannot fork; a race on the system stream fails on the unique `(stream, seq)` index
/// and surfaces as `CONFLICT`.
pub async fn append(db: &impl ConnectionTrait, new: NewEvent<'_>) -> AppResult<event::Model> {
    let last = event::Entity::find()
        .filter(event::Column::Stream.eq(new.stream))
        .order_by_desc(event::Column::Seq)
        .one(db)
        .await?;
    let (seq, prev_hash) = match &last {
        Some(e) => (e.seq + 1, e.hash.clone()),
        None => (1, GENESIS.to_owned()),
    };
    let id = crate::db::new_id();
    let data = serde_json::to_string(&new.data)?;
    let at = crate::db::truncate_micros(new.at);
    let hash = event_hash(&HashInput {
        prev_hash: &prev_hash,
        id: &id,
        stream: new.stream,
        seq,
        kind: new.kind.as_str(),
        actor_id: new.actor_id,
        at: &stamp(at),
        data: &data,
    });
    let model = event::ActiveModel {
        id: Set(id),
        stream: Set(new.stream.to_owned()),
        seq: Set(seq),
        request_id: Set(new.request_id.map(str::to_owned)),
        kind: Set(new.kind.into()),
        actor_id: Set(new.actor_id.map(str::to_owned)),
        at: Set(at),
        data: Set(data),
        prev_hash: Set(prev_hash),
        hash: Set(hash),
    };
    // Two writers that read the same chain head both try the next `seq`; the unique index
    // on (stream, seq) lets exactly one of them win.
    model.insert(db).await.on_duplicate(Duplicate::Race(
        "another change was recorded at the same time; try again",
    ))
}

/// Appends an administrative event (users, teams, roles, workflows, integrations) to the
/// system stream.
pub async fn system_event(
    db: &impl ConnectionTrait,
    actor_id: Option<&str>,
    kind: EventKind,
    at: DateTime<Utc>,
    data: serde_json::Value,
) -> AppResult<event::Model> {
    append(
        db,
        NewEvent {
            stream: SYSTEM_STREAM,
            request_id: None,
            kind,
            actor_id,
            at,
            data,
        },
    )
    .await
}

/// One break in a chain.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct ChainBreak {
    pub stream: String,
    pub seq: i64,
    pub event_id: String,
    pub reason: String,
}

#[derive(Debug, Clone, Serialize, Default)]
pub struct VerifyReport {
    pub streams: usize,
    pub events: usize,
    pub breaks: Vec<ChainBreak>,
}

/// Recomputes every chain. Reads stream by stream in sequence order; `progress` is called with
/// the number of events checked so far (the CLI prints it).
pub async fn verify(
    db: &impl ConnectionTrait,
    mut progress: impl FnMut(usize),
) -> AppResult<VerifyReport> {
    let mut report = VerifyReport::default();
    let events = event::Entity::find()
        .order_by_asc(event::Column::Stream)
        .order_by_asc(event::Column::Seq)
        .all(db)
        .await?;
    let mut current: Option<(String, String, i64)> = None; // stream, last hash, last seq
    for e in events {
        let (expected_prev, expected_seq) = match &current {
            Some((stream, hash, seq)) if *stream == e.stream => (hash.clone(), seq + 1),
            _ => {
                report.streams += 1;
                (GENESIS.to_owned(), 1)
            }
        };
        let mut fail = |reason: String| {
            report.breaks.push(ChainBreak {
                stream: e.stream.clone(),
                seq: e.seq,
                event_id: e.id.clone(),
                reason,
            })
        };
        if e.seq != expected_seq {
            fail(format!(
                "expected sequence {expected_seq}, found {} (an event is missing)",
                e.seq
            ));
        }
        if e.prev_hash != expected_prev {
            fail("does not link to the previous event's hash".into());
        }
        let recomputed = event_hash(&HashInput {
            prev_hash: &e.prev_hash,
            id: &e.id,
            stream: &e.stream,
            seq: e.seq,
            kind: e.kind.as_str(),
            actor_id: e.actor_id.as_deref(),
            at: &stamp(e.at),
            data: &e.data,
        });
        if recomputed != e.hash {
            fail("content does not match its hash (the event was edited)".into());
        }
        report.events += 1;
        if report.events % 1000 == 0 {
            progress(report.events);
        }
        current = Some((e.stream, e.hash, e.seq));
    }
    progress(report.events);
    Ok(report)
}
