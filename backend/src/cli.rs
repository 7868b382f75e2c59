//! The `handoff audit` commands: what they read, what they print and how they exit. `main.rs`
//! parses the arguments and calls these.
//!
//! Both open the database with `db::open_read_only` (never creating or migrating it) and read
//! in one read-only transaction. Exit codes, which scripts and monitors rely on:
//!
//! - `0`: the trail verified clean (and extends the checkpoint, when one was given);
//! - `1`: verification ran and found breaks, or the checkpoint is not extended or its
//!   signature is not valid;
//! - `2`: verification could not run: no database at that path, not a (fully migrated)
//!   Handoff database, a missing or short `HANDOFF_AUDIT_KEY`, an unreadable checkpoint.

use std::process::ExitCode;

use anyhow::Context as _;

use crate::services::audit::{self, AuditKey, Checkpoint};

/// Verified clean.
const CLEAN: u8 = 0;
/// Ran, and found something wrong.
const BROKEN: u8 = 1;
/// Could not run.
const CANNOT_VERIFY: u8 = 2;

/// `handoff audit verify [--checkpoint <file-or-json>]`. `key` is `HANDOFF_AUDIT_KEY`, needed
/// only with a checkpoint.
pub async fn verify(database_url: &str, checkpoint: Option<&str>, key: Option<String>) -> ExitCode {
    match run_verify(database_url, checkpoint, key).await {
        Ok(clean) => ExitCode::from(if clean { CLEAN } else { BROKEN }),
        Err(e) => {
            eprintln!("handoff audit verify: {e:#}");
            ExitCode::from(CANNOT_VERIFY)
        }
    }
}

/// `handoff audit checkpoint`: verifies the trail and, when it is clean, prints the signed
/// heads as one line of JSON. A trail with breaks is never signed (exit code 1): a checkpoint
/// must only ever vouch for a trail that verified.
pub async fn checkpoint(database_url: &str, key: Option<String>) -> ExitCode {
    match run_checkpoint(database_url, key).await {
        Ok(Some(line)) => {
            println!("{line}");
            ExitCode::from(CLEAN)
        }
        Ok(None) => ExitCode::from(BROKEN),
        Err(e) => {
            eprintln!("handoff audit checkpoint: {e:#}");
            ExitCode::from(CANNOT_VERIFY)
        }
    }
}

/// A checkpoint given inline (JSON starts with `{`) or as a file path.
fn read_checkpoint(arg: &str) -> anyhow::Result<Checkpoint> {
    let text = if arg.trim_start().starts_with('{') {
        arg.to_owned()
    } else {
        std::fs::read_to_string(arg).with_context(|| format!("cannot read checkpoint {arg}"))?
    };
    Ok(Checkpoint::parse(&text)?)
}

/// Answers whether the trail is clean; `Err` when it could not be verified.
async fn run_verify(
    database_url: &str,
    checkpoint: Option<&str>,
    key: Option<String>,
) -> anyhow::Result<bool> {
    // Everything the checkpoint needs is checked before the database is touched.
    let checkpoint = match checkpoint {
        Some(arg) => Some((read_checkpoint(arg)?, AuditKey::from_env_value(key)?)),
        None => None,
    };
    let db = crate::db::open_read_only(database_url).await?;
    let txn = crate::db::read_only_transaction(&db).await?;
    let report = audit::verify_against(&txn, checkpoint.as_ref().map(|(c, _)| c), |n| {
        eprint!("\rchecked {n} events")
    })
    .await
    .map_err(|e| anyhow::anyhow!("reading the trail failed: {e:?}"))?;
    drop(txn);
    db.close().await.ok();
    eprintln!();
    println!(
        "{} streams, {} events, {} breaks",
        report.streams,
        report.events,
        report.breaks.len()
    );
    for b in &report.breaks {
        println!(
            "BROKEN {} #{} ({}): {}",
            b.stream,
            b.seq,
            b.event_id.as_deref().unwrap_or("no event"),
            b.reason
        );
    }
    println!(
        "head digest: {} ({} heads)",
        report.head_digest, report.heads
    );
    let mut clean = report.breaks.is_empty();
    if let Some((c, key)) = &checkpoint {
        if c.check_signature(key) {
            println!(
                "checkpoint of {} ({} heads, digest {}): signature valid",
                c.created_at,
                c.heads.len(),
                c.digest
            );
        } else {
            println!(
                "checkpoint of {}: signature NOT valid (another key, or the checkpoint was \
                 edited)",
                c.created_at
            );
            clean = false;
        }
    }
    Ok(clean)
}

/// The checkpoint's JSON line; `None` when the trail has breaks (printed to stderr).
async fn run_checkpoint(database_url: &str, key: Option<String>) -> anyhow::Result<Option<String>> {
    let key = AuditKey::from_env_value(key)?;
    let db = crate::db::open_read_only(database_url).await?;
    let txn = crate::db::read_only_transaction(&db).await?;
    // The same transaction for both: the heads signed are the heads verified.
    let report = audit::verify(&txn, |_| {})
        .await
        .map_err(|e| anyhow::anyhow!("reading the trail failed: {e:?}"))?;
    let checkpoint = Checkpoint::take(&txn, &key, chrono::Utc::now())
        .await
        .map_err(|e| anyhow::anyhow!("reading the stream heads failed: {e:?}"))?;
    drop(txn);
    db.close().await.ok();
    if !report.breaks.is_empty() {
        eprintln!(
            "handoff audit checkpoint: the trail has {} break(s); no checkpoint was signed \
             (run `handoff audit verify` for the list)",
            report.breaks.len()
        );
        return Ok(None);
    }
    Ok(Some(serde_json::to_string(&checkpoint)?))
}
