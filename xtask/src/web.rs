//! `cargo xtask build-web`: compile the Leptos app for wasm32 with the size-tuned profile, bind
//! it with wasm-bindgen (the library, at exactly the version the lockfile gives `wasm-bindgen`,
//! so the two cannot drift and nothing is downloaded), name every asset by its content hash,
//! write `dist/index.html`, and report raw and gzip sizes.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{Context, Result};
use sha2::{Digest, Sha256};

use crate::setup::{self, Need};
use crate::{cargo, status, step};

pub fn workspace_root() -> PathBuf {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    root.canonicalize().unwrap_or(root)
}

pub fn target_dir() -> PathBuf {
    std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| workspace_root().join("target"))
}

fn short_hash(bytes: &[u8]) -> String {
    hex::encode(&Sha256::digest(bytes)[..5])
}

fn gzip_len(bytes: &[u8]) -> Result<usize> {
    let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    enc.write_all(bytes)?;
    Ok(enc.finish()?.len())
}

fn kib(n: usize) -> String {
    format!("{:.1} KiB", n as f64 / 1024.0)
}

pub fn build_web() -> Result<()> {
    setup::require(&[Need::WasmTarget])?;
    step("web app: compiling for wasm32 (profile release-wasm)");
    status(
        cargo().args([
            "build",
            "-p",
            "handoff-frontend",
            "--target",
            "wasm32-unknown-unknown",
            "--profile",
            "release-wasm",
        ]),
        "wasm32 build of handoff-frontend",
    )?;
    let wasm = target_dir().join("wasm32-unknown-unknown/release-wasm/handoff-frontend.wasm");
    let root = workspace_root();
    let staging = target_dir().join("web-staging");
    let _ = std::fs::remove_dir_all(&staging);
    std::fs::create_dir_all(&staging)?;
    step("web app: wasm-bindgen");
    wasm_bindgen_cli_support::Bindgen::new()
        .input_path(&wasm)
        .web(true)
        .map_err(|e| anyhow::anyhow!("{e}"))?
        .typescript(false)
        .generate(&staging)
        .map_err(|e| anyhow::anyhow!("wasm-bindgen: {e}"))?;
    let js = std::fs::read(staging.join("handoff-frontend.js")).context("reading the bound JS")?;
    let bound = std::fs::read(staging.join("handoff-frontend_bg.wasm"))
        .context("reading the bound wasm")?;
    let wasm_bytes = match optimize_wasm(&bound) {
        Ok(optimized) => optimized,
        Err(e) => {
            eprintln!("warning: wasm-opt skipped ({e:#}); serving the unoptimised module");
            bound
        }
    };
    let css = std::fs::read(root.join("frontend/style.css")).unwrap_or_default();
    let (js_name, wasm_name, css_name) = (
        format!("handoff-{}.js", short_hash(&js)),
        format!("handoff-{}.wasm", short_hash(&wasm_bytes)),
        format!("style-{}.css", short_hash(&css)),
    );
    // The boot script is a file, not inline in the page: the server's Content-Security-Policy
    // allows scripts of its own origin only.
    let boot = format!(
        "import init from \"/{js_name}\";\ninit({{ module_or_path: \"/{wasm_name}\" }});\n"
    );
    let boot_name = format!("boot-{}.js", short_hash(boot.as_bytes()));
    let dist = root.join("dist");
    let _ = std::fs::remove_dir_all(&dist);
    std::fs::create_dir_all(&dist)?;
    std::fs::write(dist.join(&js_name), &js)?;
    std::fs::write(dist.join(&wasm_name), &wasm_bytes)?;
    std::fs::write(dist.join(&css_name), &css)?;
    std::fs::write(dist.join(&boot_name), &boot)?;
    let index = format!(
        r#"<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="color-scheme" content="light dark">
<title>Handoff</title>
<link rel="stylesheet" href="/{css_name}">
<link rel="modulepreload" href="/{js_name}">
<link rel="preload" href="/{wasm_name}" as="fetch" type="application/wasm" crossorigin>
</head>
<body>
<noscript>Handoff needs JavaScript and WebAssembly.</noscript>
<script type="module" src="/{boot_name}"></script>
</body>
</html>
"#
    );
    std::fs::write(dist.join("index.html"), &index)?;
    if let Err(e) = vendor_explorer(&dist) {
        eprintln!("warning: the API explorer will load GraphiQL from a CDN ({e:#})");
    }
    let total_raw = js.len() + wasm_bytes.len() + css.len() + boot.len() + index.len();
    let total_gz = gzip_len(&js)?
        + gzip_len(&wasm_bytes)?
        + gzip_len(&css)?
        + gzip_len(boot.as_bytes())?
        + gzip_len(index.as_bytes())?;
    eprintln!("web app written to {}", dist.display());
    eprintln!(
        "  {wasm_name:<28} {:>10} raw {:>10} gzip",
        kib(wasm_bytes.len()),
        kib(gzip_len(&wasm_bytes)?)
    );
    eprintln!(
        "  {js_name:<28} {:>10} raw {:>10} gzip",
        kib(js.len()),
        kib(gzip_len(&js)?)
    );
    eprintln!(
        "  {css_name:<28} {:>10} raw {:>10} gzip",
        kib(css.len()),
        kib(gzip_len(&css)?)
    );
    eprintln!(
        "  transferred in all: {} raw, {} gzip",
        kib(total_raw),
        kib(total_gz)
    );
    Ok(())
}

/// The GraphiQL explorer's browser files, from the npm registry (pinned versions), so
/// `GET /graphql` works without internet access. Without npm the server falls back to the
/// explorer page that loads the same files from a CDN.
const EXPLORER_PACKAGES: [(&str, &str, &str); 4] = [
    (
        "graphiql@3.8.3",
        "graphiql-3.8.3.tgz",
        "package/graphiql.min.js",
    ),
    (
        "graphiql@3.8.3",
        "graphiql-3.8.3.tgz",
        "package/graphiql.min.css",
    ),
    (
        "react@18.3.1",
        "react-18.3.1.tgz",
        "package/umd/react.production.min.js",
    ),
    (
        "react-dom@18.3.1",
        "react-dom-18.3.1.tgz",
        "package/umd/react-dom.production.min.js",
    ),
];

/// Where the explorer's npm tarballs are unpacked.
fn explorer_cache() -> PathBuf {
    target_dir().join("explorer-npm")
}

/// Downloads and unpacks the explorer's packages (`cargo xtask setup` does this once).
pub fn fetch_explorer_packages() -> Result<()> {
    let cache = explorer_cache();
    std::fs::create_dir_all(&cache)?;
    for (spec, tarball, member) in EXPLORER_PACKAGES {
        let unpacked = cache.join(tarball.trim_end_matches(".tgz"));
        if unpacked.join(member).exists() {
            continue;
        }
        if !cache.join(tarball).exists() {
            status(
                Command::new("npm")
                    .args(["pack", "--silent", spec, "--pack-destination"])
                    .arg(&cache),
                "npm pack",
            )?;
        }
        std::fs::create_dir_all(&unpacked)?;
        status(
            Command::new("tar")
                .arg("xzf")
                .arg(cache.join(tarball))
                .arg("-C")
                .arg(&unpacked),
            "unpacking an npm tarball",
        )?;
    }
    eprintln!("ok: GraphiQL files in {}", cache.display());
    Ok(())
}

/// Copies the explorer's files into the bundle; fails when `setup` has not fetched them.
pub fn vendor_explorer(dist: &Path) -> Result<()> {
    step("API explorer: GraphiQL files");
    let cache = explorer_cache();
    let out = dist.join("explorer");
    std::fs::create_dir_all(&out)?;
    for (_, tarball, member) in EXPLORER_PACKAGES {
        let file = cache.join(tarball.trim_end_matches(".tgz")).join(member);
        if !file.exists() {
            anyhow::bail!("they are not fetched; `cargo xtask setup` does it when npm is there");
        }
        let name = Path::new(member).file_name().context("member name")?;
        std::fs::copy(&file, out.join(name))?;
    }
    eprintln!("explorer files in {}", out.display());
    Ok(())
}

/// binaryen's `wasm-opt`, from the npm registry (version 132; Debian's older build produces a
/// module that crashes in the browser). Shrinks the module by about a third; results are cached
/// by input hash, so only a changed app pays the ~45 s. `HANDOFF_SKIP_WASM_OPT=1` skips it.
const BINARYEN: &str = "binaryen@132.0.0";

fn wasm_opt_path() -> PathBuf {
    target_dir().join("binaryen/node_modules/binaryen/bin/wasm-opt")
}

/// Installs `wasm-opt` from npm into the target directory (`cargo xtask setup` does this once).
pub fn install_wasm_opt() -> Result<()> {
    if wasm_opt_path().exists() {
        eprintln!("ok: wasm-opt installed");
        return Ok(());
    }
    let tool_dir = target_dir().join("binaryen");
    std::fs::create_dir_all(&tool_dir)?;
    status(
        Command::new("npm")
            .args([
                "install",
                "--silent",
                "--no-save",
                "--no-audit",
                "--no-fund",
                "--prefix",
            ])
            .arg(&tool_dir)
            .arg(BINARYEN),
        "npm install binaryen",
    )?;
    eprintln!("ok: wasm-opt installed in {}", tool_dir.display());
    Ok(())
}

fn optimize_wasm(input: &[u8]) -> Result<Vec<u8>> {
    if std::env::var_os("HANDOFF_SKIP_WASM_OPT").is_some() {
        anyhow::bail!("HANDOFF_SKIP_WASM_OPT is set");
    }
    let cache = target_dir().join("wasm-opt-cache");
    std::fs::create_dir_all(&cache)?;
    let cached = cache.join(format!("{}.wasm", hex::encode(Sha256::digest(input))));
    if let Ok(bytes) = std::fs::read(&cached) {
        return Ok(bytes);
    }
    let bin = wasm_opt_path();
    if !bin.exists() {
        anyhow::bail!("it is not installed; `cargo xtask setup` installs it when npm is there");
    }
    step("web app: wasm-opt -Oz");
    let raw = cache.join("input.wasm");
    std::fs::write(&raw, input)?;
    let features = [
        "--enable-bulk-memory",
        "--enable-nontrapping-float-to-int",
        "--enable-sign-ext",
        "--enable-mutable-globals",
        "--enable-reference-types",
        "--enable-multivalue",
    ];
    status(
        Command::new(&bin)
            .arg("-Oz")
            .args(features)
            .arg(&raw)
            .arg("-o")
            .arg(&cached),
        "wasm-opt",
    )?;
    Ok(std::fs::read(&cached)?)
}
