//! `handoff audit verify`: recompute every hash chain, compare each with its stored head, and
//! sum the heads up in one digest.
//!
//! What each check catches:
//!
//! - a sequence gap or a broken link: an event deleted or inserted in the middle;
//! - a hash that does not match the content (under the event's own hash version): an edit,
//!   including, for version 2 events, a changed request id;
//! - a request event whose `request_id` is not its stream, or a system event that names a
//!   request: an event moved to another request (the only check that sees it on version 1
//!   events, whose hash does not cover the request id);
//! - a hash version lower than an earlier event's in the same stream: a downgraded event;
//! - a chain that ends before its head: the newest events deleted;
//! - a head without any events: a whole stream deleted; a chain without a head, or one that
//!   goes past its head or ends on another hash: a head deleted or rewritten.
//!
//! Nothing here can tell an attacker who rewrote events and heads consistently from the real
//! history: the digest, compared with one kept elsewhere, or a signed checkpoint
//! (`checkpoint`), is what catches that.
//!
//! Callers that want one consistent view pass a read-only transaction (the CLI does, see
//! `db::read_only_transaction`), so a change committed while verifying is seen entirely or not
//! at all.

use std::collections::BTreeMap;

use sea_orm::{ConnectionTrait, EntityTrait, QueryOrder};
use serde::Serialize;

use super::checkpoint::Checkpoint;
use super::{SYSTEM_STREAM, hash_of};
use crate::db::entities::{event, stream_head};
use crate::engine::{GENESIS, HashVersion, HeadRef, heads_digest};
use crate::error::AppResult;

/// One break in the trail.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct ChainBreak {
    pub stream: String,
    /// The sequence number where the break is (for missing events, the first one missing).
    pub seq: i64,
    /// The event the break is found at; `None` when the events are missing.
    pub event_id: Option<String>,
    pub reason: String,
}

#[derive(Debug, Clone, Serialize, Default)]
pub struct VerifyReport {
    /// Streams with at least one event.
    pub streams: usize,
    pub events: usize,
    /// Stored heads.
    pub heads: usize,
    /// [`heads_digest`] over the stored heads.
    pub head_digest: String,
    pub breaks: Vec<ChainBreak>,
}

/// Recomputes every chain and compares it with its head. Reads stream by stream in sequence
/// order; `progress` is called with the number of events checked so far (the CLI prints it).
pub async fn verify(
    db: &impl ConnectionTrait,
    progress: impl FnMut(usize),
) -> AppResult<VerifyReport> {
    verify_against(db, None, progress).await
}

/// [`verify`], and also that the trail still extends `checkpoint`: every stream it names still
/// has the event at the checkpointed sequence, with the checkpointed hash. Its signature is
/// checked by [`Checkpoint::check_signature`], before.
pub async fn verify_against(
    db: &impl ConnectionTrait,
    checkpoint: Option<&Checkpoint>,
    mut progress: impl FnMut(usize),
) -> AppResult<VerifyReport> {
    let stored = stream_head::Entity::find().all(db).await?;
    let mut report = VerifyReport {
        heads: stored.len(),
        head_digest: heads_digest(
            &stored
                .iter()
                .map(|h| HeadRef {
                    stream: &h.stream,
                    seq: h.last_seq,
                    hash: &h.last_hash,
                })
                .collect::<Vec<_>>(),
        ),
        ..VerifyReport::default()
    };
    let mut heads: BTreeMap<String, stream_head::Model> =
        stored.into_iter().map(|h| (h.stream.clone(), h)).collect();
    // What the checkpoint says each stream held: (sequence, hash), checked off as seen.
    let mut expected: BTreeMap<&str, (i64, &str)> = checkpoint
        .map(|c| {
            c.heads
                .iter()
                .map(|h| (h.stream.as_str(), (h.seq, h.hash.as_str())))
                .collect()
        })
        .unwrap_or_default();
    let mut check_checkpoint = |e: &event::Model, breaks: &mut Vec<ChainBreak>| {
        if let Some((seq, hash)) = expected.get(e.stream.as_str()).copied()
            && seq == e.seq
        {
            expected.remove(e.stream.as_str());
            if e.hash != hash {
                breaks.push(ChainBreak {
                    stream: e.stream.clone(),
                    seq: e.seq,
                    event_id: Some(e.id.clone()),
                    reason: "differs from the event the checkpoint recorded at this sequence"
                        .into(),
                });
            }
        }
    };

    let events = event::Entity::find()
        .order_by_asc(event::Column::Stream)
        .order_by_asc(event::Column::Seq)
        .all(db)
        .await?;
    let mut chain: Option<Chain> = None;
    for e in events {
        if chain.as_ref().is_none_or(|c| c.stream != e.stream) {
            if let Some(done) = chain.take() {
                done.finish(&mut heads, &mut report.breaks);
            }
            report.streams += 1;
            chain = Some(Chain::start(&e.stream));
        }
        if let Some(c) = chain.as_mut() {
            c.check(&e, &mut report.breaks);
        }
        check_checkpoint(&e, &mut report.breaks);
        report.events += 1;
        if report.events.is_multiple_of(1000) {
            progress(report.events);
        }
    }
    if let Some(done) = chain.take() {
        done.finish(&mut heads, &mut report.breaks);
    }
    // Heads left over have no events at all.
    for (stream, head) in heads {
        report.breaks.push(ChainBreak {
            stream,
            seq: 1,
            event_id: None,
            reason: format!(
                "the whole stream is missing: its head records {} event(s)",
                head.last_seq
            ),
        });
    }
    // Checkpointed streams whose checkpointed event was never seen.
    for (stream, (seq, _)) in expected {
        report.breaks.push(ChainBreak {
            stream: stream.to_owned(),
            seq,
            event_id: None,
            reason: "the event the checkpoint recorded at this sequence is missing".into(),
        });
    }
    progress(report.events);
    Ok(report)
}

/// One stream's chain as far as it has been read.
struct Chain {
    stream: String,
    last_seq: i64,
    last_hash: String,
    last_id: Option<String>,
    version: HashVersion,
}

impl Chain {
    fn start(stream: &str) -> Self {
        Self {
            stream: stream.to_owned(),
            last_seq: 0,
            last_hash: GENESIS.to_owned(),
            last_id: None,
            version: HashVersion::V1,
        }
    }

    fn check(&mut self, e: &event::Model, breaks: &mut Vec<ChainBreak>) {
        let mut fail = |reason: String| {
            breaks.push(ChainBreak {
                stream: e.stream.clone(),
                seq: e.seq,
                event_id: Some(e.id.clone()),
                reason,
            })
        };
        let expected_seq = self.last_seq + 1;
        if e.seq != expected_seq {
            fail(format!(
                "expected sequence {expected_seq}, found {} (an event is missing)",
                e.seq
            ));
        }
        if e.prev_hash != self.last_hash {
            fail("does not link to the previous event's hash".into());
        }
        match HashVersion::from_stored(e.hash_version) {
            None => fail(format!("unknown hash version {}", e.hash_version)),
            Some(version) => {
                if version < self.version {
                    fail(format!(
                        "hash version {} after version {} (a downgraded event)",
                        version.number(),
                        self.version.number()
                    ));
                }
                self.version = self.version.max(version);
                if hash_of(version, e) != e.hash {
                    fail("content does not match its hash (the event was edited)".into());
                }
            }
        }
        let belongs = if e.stream == SYSTEM_STREAM {
            e.request_id.is_none()
        } else {
            e.request_id.as_deref() == Some(e.stream.as_str())
        };
        if !belongs {
            fail(format!(
                "names request {} but belongs to stream {} (the event was moved)",
                e.request_id.as_deref().unwrap_or("(none)"),
                e.stream
            ));
        }
        self.last_seq = e.seq;
        self.last_hash = e.hash.clone();
        self.last_id = Some(e.id.clone());
    }

    /// Compares the chain's end with the stream's stored head, taking it out of `heads`.
    fn finish(
        self,
        heads: &mut BTreeMap<String, stream_head::Model>,
        breaks: &mut Vec<ChainBreak>,
    ) {
        let head = heads.remove(&self.stream);
        let (seq, event_id, reason) = match head {
            None => (
                self.last_seq,
                self.last_id,
                "the stream has events but no stored head (the head was deleted)".to_owned(),
            ),
            Some(h) if h.last_seq > self.last_seq => (
                self.last_seq + 1,
                None,
                format!(
                    "the stream ends at sequence {} but its head records {}: the newest \
                     event(s) are missing",
                    self.last_seq, h.last_seq
                ),
            ),
            Some(h) if h.last_seq < self.last_seq => (
                h.last_seq + 1,
                None,
                format!(
                    "the stream goes on to sequence {} past its head at {}: events were added \
                     outside the application, or the head was moved back",
                    self.last_seq, h.last_seq
                ),
            ),
            Some(h) if h.last_hash != self.last_hash => (
                self.last_seq,
                self.last_id,
                "the newest event is not the one its head recorded (it was replaced)".to_owned(),
            ),
            Some(_) => return,
        };
        breaks.push(ChainBreak {
            stream: self.stream,
            seq,
            event_id,
            reason,
        });
    }
}
