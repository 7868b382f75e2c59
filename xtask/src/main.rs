//! The task runner behind the README's commands:
//!
//! - `cargo xtask setup`: once per machine, installs what the others need (the wasm32 target,
//!   Chromium and its driver, cargo-deny, the optional npm tools); see `setup`.
//! - `cargo xtask run`: build and start Handoff with demo data on the embedded SQLite file.
//! - `cargo xtask test`: every check CI runs after formatting and lints: the wasm32 builds, the
//!   purity of the shared crate, and the whole test suite (the tidy tests included) on SQLite and
//!   on PostgreSQL.
//! - `cargo xtask deny`: licences, bans, sources and advisories of the dependencies.
//! - `cargo xtask doc`: the API docs of the workspace, warnings denied.
//!
//! It needs nothing but cargo (and, for the PostgreSQL half, a server at 127.0.0.1:5432). `run`
//! and `test` install nothing: when the machine lacks something they say so and name `setup`.

use std::io::{BufRead, BufReader};
use std::net::{SocketAddr, TcpStream};
use std::process::{Command, ExitCode, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};

mod deny;
mod setup;
#[cfg(test)]
mod tidy;
mod web;

const DEMO_ACCOUNTS: [(&str, &str); 7] = [
    ("admin@handoff.local", "admin: users, roles, workflows"),
    ("alice@handoff.local", "requester (sales; manager carol)"),
    ("bob@handoff.local", "agent (procurement, it)"),
    ("carol@handoff.local", "sales lead, finance approver"),
    ("dave@handoff.local", "agent, legal approver"),
    ("erin@handoff.local", "agent (finance), finance approver"),
    ("frank@handoff.local", "analyst: dashboards and audit"),
];

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let result = match args.first().map(String::as_str) {
        Some("run") => run(&args[1..]),
        Some("setup") => setup::setup(),
        Some("test") => test(),
        Some("deny") => deny::deny(),
        Some("doc") => doc(),
        Some("build-web") => web::build_web(),
        _ => {
            eprintln!(
                "usage: cargo xtask setup | run [extra `handoff serve` flags] | test | deny | doc | build-web"
            );
            return ExitCode::from(2);
        }
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("xtask: {e:#}");
            ExitCode::FAILURE
        }
    }
}

pub(crate) fn cargo() -> Command {
    Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()))
}

pub(crate) fn step(name: &str) {
    eprintln!("\n==> {name}");
}

pub(crate) fn status(cmd: &mut Command, what: &str) -> Result<()> {
    let s = cmd.status().with_context(|| format!("starting {what}"))?;
    if !s.success() {
        bail!("{what} failed ({s})");
    }
    Ok(())
}

fn run(extra: &[String]) -> Result<()> {
    web::build_web()?;
    step("building handoff");
    status(
        cargo().args(["build", "-p", "handoff-backend", "--bin", "handoff"]),
        "cargo build",
    )?;
    let bind = flag_value(extra, "--bind")
        .or_else(|| std::env::var("HANDOFF_BIND").ok())
        .unwrap_or_else(|| "127.0.0.1:8080".into());
    eprintln!("\nHandoff is starting: open http://{bind}");
    eprintln!("  GraphQL API and explorer: http://{bind}/graphql");
    eprintln!("  Sign in as any demo account; every password is `handoff-demo`:");
    for (email, what) in DEMO_ACCOUNTS {
        eprintln!("    {email:<22} {what}");
    }
    eprintln!("  Data is kept in ./handoff.db; stop with Ctrl-C.\n");
    let mut cmd = cargo();
    cmd.args([
        "run",
        "-q",
        "-p",
        "handoff-backend",
        "--bin",
        "handoff",
        "--",
        "serve",
        "--demo",
    ]);
    cmd.args(extra);
    status(&mut cmd, "handoff serve")
}

/// The value of `--name value` or `--name=value` among the extra arguments.
fn flag_value(args: &[String], name: &str) -> Option<String> {
    args.iter().enumerate().find_map(|(i, a)| {
        if a == name {
            args.get(i + 1).cloned()
        } else {
            a.strip_prefix(name)
                .and_then(|rest| rest.strip_prefix('='))
                .map(str::to_owned)
        }
    })
}

fn postgres_reachable() -> bool {
    let addr: SocketAddr = ([127, 0, 0, 1], 5432).into();
    TcpStream::connect_timeout(&addr, Duration::from_secs(2)).is_ok()
}

/// Whether CI demands the PostgreSQL half (outside CI it may be skipped, visibly).
fn postgres_required() -> bool {
    std::env::var("CI").is_ok_and(|v| v == "true" || v == "1")
        || std::env::var("HANDOFF_REQUIRE_POSTGRES").is_ok()
}

/// Drops databases left by earlier interrupted runs (each test creates its own).
fn drop_stale_test_databases() {
    let list = Command::new("psql")
        .args([
            "-h",
            "127.0.0.1",
            "-U",
            "postgres",
            "-Atc",
            "SELECT datname FROM pg_database WHERE datname LIKE 'handoff_test_%'",
        ])
        .output();
    let Ok(out) = list else { return };
    let names = String::from_utf8_lossy(&out.stdout);
    let names: Vec<&str> = names.lines().filter(|l| !l.trim().is_empty()).collect();
    if names.is_empty() {
        return;
    }
    eprintln!(
        "dropping {} test databases left by earlier runs",
        names.len()
    );
    for name in names {
        let _ = Command::new("psql")
            .args([
                "-h",
                "127.0.0.1",
                "-U",
                "postgres",
                "-qc",
                &format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)"),
            ])
            .status();
    }
}

/// `cargo doc --no-deps --workspace` with rustdoc's warnings (broken intra-doc links, bare URLs,
/// unclosed HTML) denied, as CI runs it.
fn doc() -> Result<()> {
    step("cargo doc --no-deps --workspace (warnings denied)");
    let mut flags = std::env::var("RUSTDOCFLAGS").unwrap_or_default();
    flags.push_str(" -D warnings");
    status(
        cargo()
            .args(["doc", "--no-deps", "--workspace"])
            .env("RUSTDOCFLAGS", flags.trim()),
        "cargo doc",
    )
}

/// Totals of `cargo test` summary lines.
#[derive(Default)]
struct Totals {
    passed: u64,
    failed: u64,
    ignored: u64,
}

/// Runs `cargo test`, echoing its output and adding up its summary lines.
fn cargo_test(args: &[&str], envs: &[(&str, &str)], totals: &mut Totals) -> Result<()> {
    let mut cmd = cargo();
    cmd.arg("test")
        .args(args)
        .envs(envs.iter().copied())
        .stdout(Stdio::piped());
    let mut child = cmd.spawn().context("starting cargo test")?;
    let stdout = child.stdout.take().context("cargo test stdout")?;
    for line in BufReader::new(stdout).lines() {
        let line = line?;
        println!("{line}");
        if let Some(rest) = line.strip_prefix("test result: ") {
            for part in rest.split(';') {
                let words: Vec<&str> = part.split_whitespace().collect();
                if let [.., n, what] = words.as_slice() {
                    let n: u64 = n.parse().unwrap_or(0);
                    match *what {
                        "passed" => totals.passed += n,
                        "failed" => totals.failed += n,
                        "ignored" => totals.ignored += n,
                        _ => {}
                    }
                }
            }
        }
    }
    let s = child.wait()?;
    if !s.success() {
        bail!("cargo test {} failed", args.join(" "));
    }
    Ok(())
}

fn test() -> Result<()> {
    let started = Instant::now();
    setup::require(&[setup::Need::WasmTarget, setup::Need::Chromium])?;
    step("handoff-shared and handoff-frontend build for wasm32");
    status(
        cargo().args([
            "build",
            "-p",
            "handoff-shared",
            "-p",
            "handoff-frontend",
            "--target",
            "wasm32-unknown-unknown",
        ]),
        "wasm32 build",
    )?;
    step("handoff-shared stays pure (no IO, async or database crates)");
    let tree = cargo()
        .args([
            "tree",
            "-p",
            "handoff-shared",
            "--edges",
            "normal",
            "--prefix",
            "none",
            "--format",
            "{p}",
        ])
        .output()
        .context("cargo tree")?;
    let tree = String::from_utf8_lossy(&tree.stdout);
    for banned in ["tokio ", "sea-orm ", "sqlx ", "axum ", "reqwest ", "hyper "] {
        if tree.lines().any(|l| l.starts_with(banned)) {
            bail!("handoff-shared depends on {}", banned.trim());
        }
    }
    eprintln!("ok: none of tokio, sea-orm, sqlx, axum, reqwest, hyper");

    // The binary under test embeds the web app, so it is built first.
    web::build_web()?;
    let shots = web::workspace_root().join("e2e/screenshots");
    let _ = std::fs::remove_dir_all(&shots);

    let mut totals = Totals::default();
    step("tests on SQLite, and the browser suite in headless Chromium");
    cargo_test(
        &["--workspace"],
        &[("HANDOFF_TEST_DB", "sqlite")],
        &mut totals,
    )?;
    eprintln!("browser screenshots: {}", shots.display());

    step("tests on PostgreSQL (127.0.0.1:5432)");
    if postgres_reachable() {
        drop_stale_test_databases();
        // The same invocation as above, so nothing is rebuilt; the browser suite does not touch
        // PostgreSQL and ran in the SQLite pass.
        cargo_test(
            &["--workspace", "--", "--skip", "browser::"],
            &[("HANDOFF_TEST_DB", "postgres")],
            &mut totals,
        )?;
    } else if postgres_required() {
        bail!("PostgreSQL is not reachable at 127.0.0.1:5432 and CI requires it");
    } else {
        eprintln!("SKIPPED: PostgreSQL is not reachable at 127.0.0.1:5432 (CI requires it)");
    }
    eprintln!("\nall checks passed in {:.0?}", started.elapsed());
    println!(
        "{} passed, {} failed, {} skipped",
        totals.passed, totals.failed, totals.ignored
    );
    Ok(())
}
