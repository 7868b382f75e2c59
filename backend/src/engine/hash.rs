//! The audit hash chain: each event's hash covers its predecessor's hash and its own content,
//! so an edited, inserted or reordered event breaks the chain; and the digest of all stream
//! heads, one value that stands for the whole trail. Pure: `services::audit` does the storage.
//!
//! # Versions
//!
//! The scheme an event was hashed with is stored with it (`events.hash_version`), so changing
//! what a hash covers never makes older events unverifiable:
//!
//! - **1**: previous hash, id, stream key, sequence, kind, actor, time, data. It does not cover
//!   the request id, so an event could be moved to another request unnoticed by its hash.
//! - **2** (current): a domain tag, then everything version 1 covers plus the request id, each
//!   optional field with a presence marker so that "absent" and "empty" differ.

use sha2::{Digest, Sha256};

/// How an event's hash is computed; stored as its number.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum HashVersion {
    V1 = 1,
    V2 = 2,
}

impl HashVersion {
    /// The scheme new events are written with.
    pub const CURRENT: HashVersion = HashVersion::V2;

    /// The version a stored number names; `None` for one this code does not know.
    pub fn from_stored(n: i32) -> Option<Self> {
        match n {
            1 => Some(Self::V1),
            2 => Some(Self::V2),
            _ => None,
        }
    }

    pub fn number(self) -> i32 {
        self as i32
    }
}

/// The fields of an event that its hash covers (version 1 leaves out `request_id`).
#[derive(Debug, Clone, Copy)]
pub struct HashInput<'a> {
    pub prev_hash: &'a str,
    pub id: &'a str,
    pub stream: &'a str,
    pub seq: i64,
    pub request_id: Option<&'a str>,
    pub kind: &'a str,
    pub actor_id: Option<&'a str>,
    /// RFC 3339 with microseconds, as stored.
    pub at: &'a str,
    pub data: &'a str,
}

/// A SHA-256 over length-prefixed parts, so no two different lists produce the same bytes.
struct Parts(Sha256);

impl Parts {
    fn new() -> Self {
        Self(Sha256::new())
    }

    fn part(&mut self, part: &str) -> &mut Self {
        self.0.update((part.len() as u64).to_be_bytes());
        self.0.update(part.as_bytes());
        self
    }

    fn optional(&mut self, part: Option<&str>) -> &mut Self {
        match part {
            Some(p) => self.part("1").part(p),
            None => self.part("0"),
        }
    }

    fn hex(self) -> String {
        hex::encode(self.0.finalize())
    }
}

/// The hex SHA-256 chaining an event to its predecessor under `version`.
pub fn event_hash(version: HashVersion, input: &HashInput<'_>) -> String {
    let seq = input.seq.to_string();
    let mut h = Parts::new();
    match version {
        HashVersion::V1 => {
            for part in [
                input.prev_hash,
                input.id,
                input.stream,
                &seq,
                input.kind,
                input.actor_id.unwrap_or(""),
                input.at,
                input.data,
            ] {
                h.part(part);
            }
        }
        HashVersion::V2 => {
            h.part("handoff/event/v2")
                .part(input.prev_hash)
                .part(input.id)
                .part(input.stream)
                .part(&seq)
                .optional(input.request_id)
                .part(input.kind)
                .optional(input.actor_id)
                .part(input.at)
                .part(input.data);
        }
    }
    h.hex()
}

/// The `prev_hash` of a stream's first event.
pub const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// One stream's head: its newest sequence number and that event's hash.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HeadRef<'a> {
    pub stream: &'a str,
    pub seq: i64,
    pub hash: &'a str,
}

/// The hex SHA-256 over every stream head, sorted by stream: equal digests mean equal heads.
/// It is what `handoff audit verify` prints and what a checkpoint signs.
pub fn heads_digest(heads: &[HeadRef<'_>]) -> String {
    let mut sorted = heads.to_vec();
    sorted.sort_by(|a, b| a.stream.cmp(b.stream));
    let mut h = Parts::new();
    h.part("handoff/heads/v1").part(&sorted.len().to_string());
    for head in sorted {
        h.part(head.stream)
            .part(&head.seq.to_string())
            .part(head.hash);
    }
    h.hex()
}

#[cfg(test)]
mod tests {
    use super::*;

    const BASE: HashInput<'static> = HashInput {
        prev_hash: GENESIS,
        id: "a",
        stream: "s",
        seq: 1,
        request_id: Some("s"),
        kind: "submitted",
        actor_id: Some("u"),
        at: "2026-01-01T00:00:00.000000Z",
        data: "{}",
    };

    #[test]
    fn event_hash_changes_with_any_field() {
        for version in [HashVersion::V1, HashVersion::V2] {
            let h = event_hash(version, &BASE);
            assert_eq!(h.len(), 64);
            for changed in [
                HashInput {
                    data: "{\"x\":1}",
                    ..BASE
                },
                HashInput { seq: 2, ..BASE },
                HashInput {
                    actor_id: None,
                    ..BASE
                },
                HashInput {
                    stream: "t",
                    ..BASE
                },
            ] {
                assert_ne!(h, event_hash(version, &changed), "{version:?}");
            }
        }
    }

    #[test]
    fn only_version_2_covers_the_request_id() {
        let moved = HashInput {
            request_id: Some("other"),
            ..BASE
        };
        assert_eq!(
            event_hash(HashVersion::V1, &BASE),
            event_hash(HashVersion::V1, &moved)
        );
        assert_ne!(
            event_hash(HashVersion::V2, &BASE),
            event_hash(HashVersion::V2, &moved)
        );
        let none = HashInput {
            request_id: None,
            ..BASE
        };
        let empty = HashInput {
            request_id: Some(""),
            ..BASE
        };
        assert_ne!(
            event_hash(HashVersion::V2, &none),
            event_hash(HashVersion::V2, &empty),
            "absent and empty differ"
        );
    }

    #[test]
    fn version_1_is_the_scheme_stored_events_were_written_with() {
        // SHA-256 over the eight length-prefixed parts, computed apart from this code: stored
        // version 1 events depend on it never changing.
        assert_eq!(
            event_hash(HashVersion::V1, &BASE),
            "c42c6d229053b015624385a7a18f296470145671927b1a22c589a579a6ee6af0"
        );
        assert_ne!(
            event_hash(HashVersion::V1, &BASE),
            event_hash(HashVersion::V2, &BASE)
        );
    }

    #[test]
    fn stored_versions_round_trip_and_unknown_ones_are_refused() {
        for v in [HashVersion::V1, HashVersion::V2] {
            assert_eq!(HashVersion::from_stored(v.number()), Some(v));
        }
        assert_eq!(HashVersion::from_stored(3), None);
        assert_eq!(HashVersion::CURRENT, HashVersion::V2);
    }

    #[test]
    fn the_heads_digest_ignores_order_and_sees_every_head() {
        let a = HeadRef {
            stream: "a",
            seq: 3,
            hash: "h3",
        };
        let b = HeadRef {
            stream: "b",
            seq: 1,
            hash: "h1",
        };
        let d = heads_digest(&[a, b]);
        assert_eq!(d, heads_digest(&[b, a]));
        assert_ne!(d, heads_digest(&[a]));
        assert_ne!(d, heads_digest(&[a, HeadRef { seq: 2, ..b }]));
        assert_ne!(d, heads_digest(&[a, HeadRef { hash: "x", ..b }]));
        assert_eq!(heads_digest(&[]).len(), 64);
    }
}
