//! The audit hash chain: each event's hash covers its predecessor's hash and its own content,
//! so an edited, inserted or reordered event breaks the chain. Pure: `services::audit` does the
//! storage.

use sha2::{Digest, Sha256};

/// The fields of an event that its hash covers.
#[derive(Debug)]
pub struct HashInput<'a> {
    pub prev_hash: &'a str,
    pub id: &'a str,
    pub stream: &'a str,
    pub seq: i64,
    pub kind: &'a str,
    pub actor_id: Option<&'a str>,
    /// RFC 3339 with microseconds, as stored.
    pub at: &'a str,
    pub data: &'a str,
}

/// The hex SHA-256 chaining an event to its predecessor. Fields are length-prefixed so no two
/// different events can produce the same byte string.
pub fn event_hash(input: &HashInput<'_>) -> String {
    let mut h = Sha256::new();
    let seq = input.seq.to_string();
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
        h.update((part.len() as u64).to_be_bytes());
        h.update(part.as_bytes());
    }
    hex::encode(h.finalize())
}

/// The `prev_hash` of a stream's first event.
pub const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn event_hash_changes_with_any_field() {
        let base = HashInput {
            prev_hash: GENESIS,
            id: "a",
            stream: "s",
            seq: 1,
            kind: "submitted",
            actor_id: Some("u"),
            at: "2026-01-01T00:00:00.000000Z",
            data: "{}",
        };
        let h = event_hash(&base);
        assert_eq!(h.len(), 64);
        assert_ne!(
            h,
            event_hash(&HashInput {
                data: "{\"x\":1}",
                ..base
            })
        );
        assert_ne!(h, event_hash(&HashInput { seq: 2, ..base }));
        assert_ne!(
            h,
            event_hash(&HashInput {
                actor_id: None,
                ..base
            })
        );
    }
}
