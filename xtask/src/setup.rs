//! `cargo xtask setup`: installs once per machine what the other commands need, and the check
//! those commands make before they start.
//!
//! Installing is a separate, explicit step so that `cargo xtask test` and `cargo xtask run` never
//! change the machine behind the developer's back (an `apt-get` in the middle of a test run needs
//! root and a network): when something is missing they stop and name `cargo xtask setup`.
//!
//! What it installs, each only when missing:
//!
//! - the `wasm32-unknown-unknown` target (rustup), for the web app and the purity check of
//!   `handoff-shared`;
//! - Debian's `chromium` and `chromium-driver` (apt-get), for the browser suite;
//! - `cargo-deny` (crates.io, a pinned version), for `cargo xtask deny`;
//! - from the npm registry when `npm` is there: binaryen's `wasm-opt` and the GraphiQL explorer's
//!   files. Both are optional: without them the web app is larger and the explorer loads its
//!   files from a CDN.

use std::process::Command;

use anyhow::{Result, bail};

use crate::{cargo, status, step, web};

/// The cargo-deny release `setup` installs: the newest that builds on the pinned toolchain when
/// it was chosen. Any installed version is accepted.
const CARGO_DENY_VERSION: &str = "0.20.2";

/// Whether a command is on `PATH`.
fn have(bin: &str) -> bool {
    Command::new("sh")
        .args(["-c", &format!("command -v {bin}")])
        .output()
        .is_ok_and(|o| o.status.success())
}

pub fn wasm_target_installed() -> bool {
    Command::new("rustup")
        .args(["target", "list", "--installed"])
        .output()
        .is_ok_and(|o| String::from_utf8_lossy(&o.stdout).contains("wasm32-unknown-unknown"))
}

fn chromium_installed() -> bool {
    have("chromium") && have("chromedriver")
}

pub fn cargo_deny_installed() -> bool {
    cargo()
        .args(["deny", "--version"])
        .output()
        .is_ok_and(|o| o.status.success())
}

/// What a command needs from the machine.
#[derive(Clone, Copy)]
pub enum Need {
    WasmTarget,
    Chromium,
}

/// Fails, naming `cargo xtask setup`, when the machine lacks any of `needs`.
pub fn require(needs: &[Need]) -> Result<()> {
    let missing: Vec<&str> = needs
        .iter()
        .filter_map(|need| match need {
            Need::WasmTarget if !wasm_target_installed() => {
                Some("the wasm32-unknown-unknown target")
            }
            Need::Chromium if !chromium_installed() => Some("chromium and chromedriver"),
            _ => None,
        })
        .collect();
    if !missing.is_empty() {
        bail!(
            "this machine lacks {}; run `cargo xtask setup` once (it installs them), then try again",
            missing.join(" and ")
        );
    }
    Ok(())
}

pub fn setup() -> Result<()> {
    step("wasm32-unknown-unknown target");
    if wasm_target_installed() {
        eprintln!("ok: installed");
    } else {
        status(
            Command::new("rustup").args(["target", "add", "wasm32-unknown-unknown"]),
            "rustup target add wasm32-unknown-unknown",
        )?;
    }

    step("chromium and chromium-driver (the browser suite)");
    if chromium_installed() {
        eprintln!("ok: installed");
    } else {
        install_chromium()?;
    }

    step("cargo-deny (dependency licences and advisories)");
    if cargo_deny_installed() {
        eprintln!("ok: installed");
    } else {
        install_cargo_deny()?;
    }

    step("npm tools: wasm-opt and the API explorer's files (optional)");
    if have("npm") {
        // Optional pieces: a failure is reported and the build works without them.
        if let Err(e) = web::install_wasm_opt() {
            eprintln!("warning: wasm-opt not installed ({e:#}); the web app stays unoptimised");
        }
        if let Err(e) = web::fetch_explorer_packages() {
            eprintln!("warning: GraphiQL files not fetched ({e:#}); the explorer uses a CDN");
        }
    } else {
        eprintln!("skipped: npm is not installed; the web app builds without wasm-opt");
    }
    eprintln!("\nsetup done: `cargo xtask run` and `cargo xtask test` have what they need");
    Ok(())
}

fn install_chromium() -> Result<()> {
    let root = Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|o| String::from_utf8_lossy(&o.stdout).trim() == "0");
    let sudo = if root { "" } else { "sudo " };
    status(
        Command::new("sh").args([
            "-c",
            &format!(
                "{sudo}apt-get update -qq && DEBIAN_FRONTEND=noninteractive \
                 {sudo}apt-get install -y -qq chromium chromium-driver"
            ),
        ]),
        "installing chromium and chromium-driver with apt-get",
    )
}

/// `cargo install` from crates.io, which takes a few minutes. `--locked` uses the versions
/// cargo-deny was released with; should one of them be missing from the registry, the newest
/// compatible ones are used instead.
fn install_cargo_deny() -> Result<()> {
    let spec = format!("cargo-deny@{CARGO_DENY_VERSION}");
    eprintln!("installing {spec} from crates.io (a few minutes)");
    let locked = cargo().args(["install", "--locked", &spec]).status();
    if locked.is_ok_and(|s| s.success()) {
        return Ok(());
    }
    eprintln!("`cargo install --locked` failed; trying again with fresh dependency versions");
    status(cargo().args(["install", &spec]), "cargo install cargo-deny")
}
