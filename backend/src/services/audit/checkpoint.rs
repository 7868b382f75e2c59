//! Signed checkpoints: a copy of every stream head, signed with HMAC-SHA256, printed as one
//! line of JSON by `handoff audit checkpoint` to be stored outside the database (a ticket, a
//! log shipper, a write-once bucket).
//!
//! The heads in the database can be rewritten by whoever can rewrite the events; a checkpoint
//! kept elsewhere cannot. `handoff audit verify --checkpoint` checks the signature, then that
//! the trail still extends the checkpoint: each stream it names still holds, at the
//! checkpointed sequence, the event with the checkpointed hash (so the stream has at least that
//! many events and its past is unchanged). Streams created since are not in the checkpoint and
//! are only checked against their own heads.
//!
//! The signature covers the format, the time and the heads digest; the digest covers every
//! head, and is recomputed from the listed heads when checking, so no head can be changed,
//! added or dropped without the key.

use chrono::{DateTime, SecondsFormat, Utc};
use hmac::{Hmac, Mac};
use sea_orm::{ConnectionTrait, EntityTrait};
use serde::{Deserialize, Serialize};
use sha2::Sha256;

use crate::db::entities::stream_head;
use crate::engine::{HeadRef, heads_digest};
use crate::error::AppResult;

/// The `format` of the checkpoints this code writes and reads.
pub const FORMAT: &str = "handoff-audit-checkpoint/1";

/// Bytes a key must have at least: HMAC-SHA256's output size.
pub const MIN_KEY_BYTES: usize = 32;

/// The checkpoint signing key (`HANDOFF_AUDIT_KEY`). `Debug` never shows it.
pub struct AuditKey(Vec<u8>);

impl std::fmt::Debug for AuditKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("AuditKey(<redacted>)")
    }
}

/// Why a key or a checkpoint cannot be used (the CLI exits with code 2).
#[derive(Debug, PartialEq, Eq)]
pub enum CheckpointError {
    /// `HANDOFF_AUDIT_KEY` is not set.
    MissingKey,
    /// The key is shorter than [`MIN_KEY_BYTES`].
    ShortKey,
    /// The text is not a checkpoint of this format.
    Unreadable(String),
}

impl std::fmt::Display for CheckpointError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            CheckpointError::MissingKey => write!(
                f,
                "HANDOFF_AUDIT_KEY is not set: checkpoints are signed and checked with it \
                 (use at least {MIN_KEY_BYTES} random bytes, kept apart from the database)"
            ),
            CheckpointError::ShortKey => write!(
                f,
                "HANDOFF_AUDIT_KEY is too short: use at least {MIN_KEY_BYTES} bytes"
            ),
            CheckpointError::Unreadable(why) => write!(f, "not a readable checkpoint: {why}"),
        }
    }
}

impl std::error::Error for CheckpointError {}

impl AuditKey {
    /// The key from the value of `HANDOFF_AUDIT_KEY` (`None` when unset).
    pub fn from_env_value(value: Option<String>) -> Result<Self, CheckpointError> {
        let value = value
            .filter(|v| !v.is_empty())
            .ok_or(CheckpointError::MissingKey)?;
        if value.len() < MIN_KEY_BYTES {
            return Err(CheckpointError::ShortKey);
        }
        Ok(Self(value.into_bytes()))
    }

    fn mac(&self, format: &str, created_at: &str, digest: &str) -> Hmac<Sha256> {
        // HMAC takes keys of any length, so this cannot fail.
        let mut mac =
            <Hmac<Sha256> as Mac>::new_from_slice(&self.0).unwrap_or_else(|_| unreachable!());
        for part in [format, created_at, digest] {
            mac.update(&(part.len() as u64).to_be_bytes());
            mac.update(part.as_bytes());
        }
        mac
    }
}

/// One stream's head in a checkpoint.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct CheckpointHead {
    pub stream: String,
    pub seq: i64,
    pub hash: String,
}

/// A signed copy of every stream head.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct Checkpoint {
    pub format: String,
    /// RFC 3339, when the checkpoint was taken.
    pub created_at: String,
    /// [`heads_digest`] over `heads`: the value `audit verify` printed for the same heads.
    pub digest: String,
    pub heads: Vec<CheckpointHead>,
    /// Hex HMAC-SHA256 over `format`, `created_at` and `digest`.
    pub signature: String,
}

impl Checkpoint {
    /// Takes a checkpoint of the heads as `db` sees them now (pass a read-only transaction).
    pub async fn take(
        db: &impl ConnectionTrait,
        key: &AuditKey,
        now: DateTime<Utc>,
    ) -> AppResult<Checkpoint> {
        let mut heads: Vec<CheckpointHead> = stream_head::Entity::find()
            .all(db)
            .await?
            .into_iter()
            .map(|h| CheckpointHead {
                stream: h.stream,
                seq: h.last_seq,
                hash: h.last_hash,
            })
            .collect();
        heads.sort_by(|a, b| a.stream.cmp(&b.stream));
        let created_at = now.to_rfc3339_opts(SecondsFormat::Secs, true);
        let digest = digest_of(&heads);
        let signature = hex::encode(
            key.mac(FORMAT, &created_at, &digest)
                .finalize()
                .into_bytes(),
        );
        Ok(Checkpoint {
            format: FORMAT.to_owned(),
            created_at,
            digest,
            heads,
            signature,
        })
    }

    /// Reads a checkpoint from its JSON text.
    pub fn parse(text: &str) -> Result<Checkpoint, CheckpointError> {
        let checkpoint: Checkpoint = serde_json::from_str(text.trim())
            .map_err(|e| CheckpointError::Unreadable(e.to_string()))?;
        if checkpoint.format != FORMAT {
            return Err(CheckpointError::Unreadable(format!(
                "format {:?}, expected {FORMAT:?}",
                checkpoint.format
            )));
        }
        Ok(checkpoint)
    }

    /// Whether the checkpoint is as it was signed with `key`: its signature matches, and its
    /// heads still produce its digest.
    pub fn check_signature(&self, key: &AuditKey) -> bool {
        let Ok(signature) = hex::decode(&self.signature) else {
            return false;
        };
        // `verify_slice` compares in constant time.
        let signed = key
            .mac(&self.format, &self.created_at, &self.digest)
            .verify_slice(&signature)
            .is_ok();
        signed && digest_of(&self.heads) == self.digest
    }
}

fn digest_of(heads: &[CheckpointHead]) -> String {
    heads_digest(
        &heads
            .iter()
            .map(|h| HeadRef {
                stream: &h.stream,
                seq: h.seq,
                hash: &h.hash,
            })
            .collect::<Vec<_>>(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(s: &str) -> AuditKey {
        AuditKey::from_env_value(Some(s.to_owned())).unwrap()
    }

    fn signed(k: &AuditKey) -> Checkpoint {
        let heads = vec![CheckpointHead {
            stream: "system".into(),
            seq: 3,
            hash: "ab".repeat(32),
        }];
        let created_at = "2026-12-03T10:00:00Z".to_owned();
        let digest = digest_of(&heads);
        let signature = hex::encode(k.mac(FORMAT, &created_at, &digest).finalize().into_bytes());
        Checkpoint {
            format: FORMAT.into(),
            created_at,
            digest,
            heads,
            signature,
        }
    }

    #[test]
    fn a_key_is_required_and_must_be_long_enough() {
        assert_eq!(
            AuditKey::from_env_value(None).unwrap_err(),
            CheckpointError::MissingKey
        );
        assert_eq!(
            AuditKey::from_env_value(Some(String::new())).unwrap_err(),
            CheckpointError::MissingKey
        );
        assert_eq!(
            AuditKey::from_env_value(Some("short".into())).unwrap_err(),
            CheckpointError::ShortKey
        );
        assert!(!format!("{:?}", key(&"k".repeat(32))).contains("kkk"));
    }

    #[test]
    fn a_signed_checkpoint_checks_and_any_edit_or_other_key_fails() {
        let k = key(&"k".repeat(32));
        let good = signed(&k);
        assert!(good.check_signature(&k));
        let text = serde_json::to_string(&good).unwrap();
        assert!(!text.contains('\n'), "one line");
        assert_eq!(Checkpoint::parse(&text).unwrap(), good);
        assert!(!good.check_signature(&key(&"other".repeat(8))));

        let mut moved_back = good.clone();
        moved_back.heads[0].seq = 2;
        assert!(!moved_back.check_signature(&k), "a head was edited");
        let mut redated = good.clone();
        redated.created_at = "2027-01-01T00:00:00Z".into();
        assert!(!redated.check_signature(&k));
        let mut garbled = good.clone();
        garbled.signature = "not hex".into();
        assert!(!garbled.check_signature(&k));
    }

    #[test]
    fn other_formats_and_junk_are_unreadable() {
        assert!(matches!(
            Checkpoint::parse("{}"),
            Err(CheckpointError::Unreadable(_))
        ));
        let mut other = signed(&key(&"k".repeat(32)));
        other.format = "something-else/9".into();
        let text = serde_json::to_string(&other).unwrap();
        assert!(matches!(
            Checkpoint::parse(&text),
            Err(CheckpointError::Unreadable(_))
        ));
    }
}
