//! `cargo xtask deny`: the dependency checks of `deny.toml` with cargo-deny.
//!
//! Licences, bans (duplicate versions warn) and sources need only the crates.io index, so they
//! always run. Advisories need the RustSec database, a git repository that cargo-deny clones
//! from GitHub. Where GitHub cannot be reached the check uses a database already on the machine
//! (under `$CARGO_HOME/advisory-dbs`, where `cargo deny fetch db` puts it), and without one it
//! says plainly that advisories were SKIPPED and why, rather than failing a machine that cannot
//! do better or passing silently. `HANDOFF_REQUIRE_ADVISORIES=1` turns that skip into a failure.

use std::path::PathBuf;
use std::process::Stdio;

use anyhow::{Context, Result, bail};

use crate::{cargo, setup, status, step, web};

pub fn deny() -> Result<()> {
    if !setup::cargo_deny_installed() {
        bail!("cargo-deny is not installed; run `cargo xtask setup` once, then try again");
    }
    let root = web::workspace_root();

    step("cargo deny: licences, bans, sources");
    status(
        cargo()
            .current_dir(&root)
            .args(["deny", "check", "--hide-inclusion-graph"])
            .args(["licenses", "bans", "sources"]),
        "cargo deny check licenses bans sources",
    )?;

    step("cargo deny: advisories (RustSec)");
    let fetched = cargo()
        .current_dir(&root)
        .args(["deny", "fetch", "db"])
        .stderr(Stdio::piped())
        .output()
        .context("starting cargo deny fetch db")?;
    if fetched.status.success() {
        return status(
            cargo()
                .current_dir(&root)
                .args(["deny", "check", "advisories"]),
            "cargo deny check advisories",
        );
    }
    let why = String::from_utf8_lossy(&fetched.stderr);
    // git's own last word (`Could not resolve host: github.com`) says it best.
    let why = why
        .lines()
        .find(|l| l.starts_with("fatal:"))
        .or_else(|| why.lines().find(|l| l.contains("ERROR")))
        .unwrap_or("the fetch failed")
        .trim();
    let dbs = advisory_db_root();
    if let Some(db) = present_database(&dbs) {
        eprintln!(
            "the advisory database could not be refreshed ({why});\nchecking against the copy at {}",
            db.display()
        );
        // `--offline`: use the database as it is (the crates themselves were fetched above).
        return status(
            cargo()
                .current_dir(&root)
                .args(["deny", "--offline", "check", "advisories"]),
            "cargo deny check advisories (offline database)",
        );
    }
    let message = format!(
        "SKIPPED: advisories: the RustSec advisory database could not be fetched from GitHub \
         ({why}) and no copy is present under {}.\n  Licences, bans and sources were checked. \
         To check advisories on this machine, run `cargo deny fetch db` where GitHub is \
         reachable and copy {} here.",
        dbs.display(),
        dbs.display()
    );
    if std::env::var_os("HANDOFF_REQUIRE_ADVISORIES").is_some() {
        bail!("{message}\n  HANDOFF_REQUIRE_ADVISORIES is set, so this is a failure");
    }
    eprintln!("{message}");
    Ok(())
}

/// Where cargo-deny keeps its advisory databases by default.
fn advisory_db_root() -> PathBuf {
    std::env::var_os("CARGO_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cargo")))
        .unwrap_or_else(|| PathBuf::from(".cargo"))
        .join("advisory-dbs")
}

/// A cloned database under `root`: a directory holding the `crates/` advisories and a git
/// checkout (cargo-deny reads the last commit's date to judge staleness).
fn present_database(root: &std::path::Path) -> Option<PathBuf> {
    std::fs::read_dir(root)
        .ok()?
        .filter_map(|entry| entry.ok().map(|e| e.path()))
        .find(|dir| dir.join("crates").is_dir() && dir.join(".git").exists())
}
