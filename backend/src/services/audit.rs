//! The append-only audit trail. Every state change writes its event here in the same
//! transaction as the change. Events form one hash chain per stream (a request's id, or
//! `system` for administration), and each stream's head (its newest sequence number and hash)
//! is stored apart from the events in `stream_heads`, written in the same transaction. So an
//! edited event breaks its chain, a deleted newest event or a deleted stream no longer matches
//! its head, and `handoff audit verify` finds each.
//!
//! [`append`] is the only code that writes `events` or `stream_heads`; nothing updates or
//! deletes either (the database refuses it with triggers, see migration 000005).
//!
//! - `verify`: recompute every chain and compare it with its head; the heads digest.
//! - `checkpoint`: a signed copy of the heads, kept outside the database, and the check that the
//!   trail still extends it.

pub mod checkpoint;
pub mod verify;

use chrono::{DateTime, SecondsFormat, Utc};
use handoff_shared::EventKind;
use sea_orm::{ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, Set};

use crate::db::entities::{event, stream_head};
use crate::db::json::JsonText;
use crate::db::statement;
use crate::engine::{GENESIS, HashInput, HashVersion, event_hash};
use crate::error::{AppError, AppResult, Duplicate, OnDuplicate};

pub use checkpoint::{AuditKey, Checkpoint};
pub use verify::{ChainBreak, VerifyReport, verify, verify_against};

/// The stream key of administrative events (users, roles, workflows).
pub const SYSTEM_STREAM: &str = "system";

/// The chain an event belongs to. A request's events are its own stream, keyed by its id, and
/// name it as their `request_id`; administrative events are the system stream and name no
/// request. Deriving both columns from one value keeps them from disagreeing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stream<'a> {
    Request(&'a str),
    System,
}

impl<'a> Stream<'a> {
    /// The `events.stream` and `stream_heads.stream` value.
    pub fn key(self) -> &'a str {
        match self {
            Stream::Request(id) => id,
            Stream::System => SYSTEM_STREAM,
        }
    }

    /// The `events.request_id` value.
    pub fn request_id(self) -> Option<&'a str> {
        match self {
            Stream::Request(id) => Some(id),
            Stream::System => None,
        }
    }
}

fn stamp(at: DateTime<Utc>) -> String {
    at.to_rfc3339_opts(SecondsFormat::Micros, true)
}

/// The hash a stored event should have under `version`.
fn hash_of(version: HashVersion, e: &event::Model) -> String {
    event_hash(
        version,
        &HashInput {
            prev_hash: &e.prev_hash,
            id: &e.id,
            stream: &e.stream,
            seq: e.seq,
            request_id: e.request_id.as_deref(),
            kind: e.kind.as_str(),
            actor_id: e.actor_id.as_deref(),
            at: &stamp(e.at),
            data: e.data.text(),
        },
    )
}

/// What a new event says; `append` adds its place in the chain.
#[derive(Debug)]
pub struct NewEvent<'a> {
    pub stream: Stream<'a>,
    pub kind: EventKind,
    pub actor_id: Option<&'a str>,
    pub at: DateTime<Utc>,
    pub data: serde_json::Value,
}

/// A head as `append` reads it.
struct Head {
    last_seq: i64,
    last_hash: String,
}

/// Appends an event to its stream and moves the stream's head to it, in the caller's
/// transaction.
///
/// The head is read with a no-op `UPDATE ... RETURNING`, which takes its row lock: two writers
/// on one stream run one after the other (request streams are serial already, under the
/// request's row lock; this serialises the system stream). The very first event of a stream has
/// no head row to lock; two writers racing to start one collide on the unique `(stream, seq)`
/// index or on the head's primary key, and the loser answers `CONFLICT`.
pub async fn append(db: &impl ConnectionTrait, new: NewEvent<'_>) -> AppResult<event::Model> {
    let key = new.stream.key();
    let head = lock_head(db, key).await?;
    let (seq, prev_hash) = match &head {
        Some(h) => (h.last_seq + 1, h.last_hash.clone()),
        None => {
            refuse_headless_stream(db, key).await?;
            (1, GENESIS.to_owned())
        }
    };
    let version = HashVersion::CURRENT;
    // Printed once: from here on the event's data is this text, byte for byte (it is hashed).
    let data = JsonText::new(&new.data);
    let at = crate::db::truncate_micros(new.at);
    let mut model = event::Model {
        id: crate::db::new_id(),
        stream: key.to_owned(),
        seq,
        request_id: new.stream.request_id().map(str::to_owned),
        kind: new.kind.into(),
        actor_id: new.actor_id.map(str::to_owned),
        at,
        data,
        prev_hash,
        hash: String::new(),
        hash_version: version.number(),
    };
    model.hash = hash_of(version, &model);
    let race = Duplicate::Race("another change was recorded at the same time; try again");
    let inserted = event::ActiveModel::from(model)
        .insert(db)
        .await
        .on_duplicate(race)?;
    match head {
        Some(h) => {
            let moved = db
                .execute_raw(statement(
                    db,
                    "UPDATE stream_heads SET last_seq = $1, last_hash = $2, updated_at = $3 \
                     WHERE stream = $4 AND last_seq = $5",
                    vec![
                        seq.into(),
                        inserted.hash.clone().into(),
                        at.into(),
                        key.into(),
                        h.last_seq.into(),
                    ],
                ))
                .await?;
            if moved.rows_affected() != 1 {
                return Err(AppError::Conflict(
                    "another change was recorded at the same time; try again".into(),
                ));
            }
        }
        None => {
            stream_head::ActiveModel {
                stream: Set(key.to_owned()),
                last_seq: Set(seq),
                last_hash: Set(inserted.hash.clone()),
                updated_at: Set(at),
            }
            .insert(db)
            .await
            .on_duplicate(race)?;
        }
    }
    Ok(inserted)
}

/// Locks and reads a stream's head; `None` when the stream has none yet.
async fn lock_head(db: &impl ConnectionTrait, stream: &str) -> AppResult<Option<Head>> {
    let row = db
        .query_one_raw(statement(
            db,
            "UPDATE stream_heads SET last_seq = last_seq WHERE stream = $1 \
             RETURNING last_seq, last_hash",
            vec![stream.into()],
        ))
        .await?;
    Ok(match row {
        Some(r) => Some(Head {
            last_seq: r.try_get("", "last_seq")?,
            last_hash: r.try_get("", "last_hash")?,
        }),
        None => None,
    })
}

/// A stream without a head must have no events either. Events without a head mean the head
/// was deleted behind the application's back: starting the chain again would hide that, so
/// the change fails (`INTERNAL`, logged) until an operator has looked at `audit verify`.
async fn refuse_headless_stream(db: &impl ConnectionTrait, stream: &str) -> AppResult<()> {
    let existing = event::Entity::find()
        .filter(event::Column::Stream.eq(stream))
        .one(db)
        .await?;
    match existing {
        None => Ok(()),
        Some(_) => Err(AppError::Internal(anyhow::anyhow!(
            "audit stream {stream} has events but no head: the trail was changed outside the \
             application; run `handoff audit verify`"
        ))),
    }
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
            stream: Stream::System,
            kind,
            actor_id,
            at,
            data,
        },
    )
    .await
}
