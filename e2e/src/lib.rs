//! The browser-test harness. Each test starts the real `handoff` binary on a fresh SQLite file
//! and a free port with demo data, and drives Debian's Chromium through `chromedriver` with
//! fantoccini, waiting for conditions (never fixed sleeps). Screenshots of each page go to
//! `e2e/screenshots/`, printed at the start of each test.
//!
//! The binary is found next to the test executable (`target/debug/handoff`, built by
//! `cargo test --workspace`) unless `HANDOFF_BIN` names another. Chromium and chromedriver are
//! installed by `cargo xtask test` when missing.

use std::net::TcpListener;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use anyhow::{Context, Result, bail};
use fantoccini::elements::Element;
use fantoccini::{Client, ClientBuilder, Locator};
use serde_json::json;

/// How long a condition may take before the test fails.
pub const WAIT: Duration = Duration::from_secs(20);
pub const PASSWORD: &str = "handoff-demo";

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .unwrap_or(0)
}

fn handoff_bin() -> Result<PathBuf> {
    if let Some(bin) = std::env::var_os("HANDOFF_BIN") {
        return Ok(bin.into());
    }
    let exe = std::env::current_exe()?;
    let debug_dir = exe
        .parent()
        .and_then(|deps| deps.parent())
        .context("test executable has no parent")?;
    let bin = debug_dir.join("handoff");
    if !bin.exists() {
        bail!(
            "{} is missing: run `cargo build -p handoff-backend` (or set HANDOFF_BIN)",
            bin.display()
        );
    }
    Ok(bin)
}

/// Kills a whole process group, so nothing a child started outlives the test.
fn kill_group(child: &mut Child) {
    // The child leads its own group (see `spawn_in_group`), so `-pid` names that group only;
    // `--` keeps `kill` from reading the negative id as an option.
    let pid = child.id();
    if pid > 1 {
        let _ = Command::new("kill")
            .args(["-s", "TERM", "--", &format!("-{pid}")])
            .status();
    }
    let _ = child.kill();
    let _ = child.wait();
}

/// A child process leading its own process group, ended (group and all) when dropped, so an
/// early return or a panic between spawning and using it leaves nothing running.
struct Group(Child);

impl Drop for Group {
    fn drop(&mut self) {
        kill_group(&mut self.0);
    }
}

fn spawn_in_group(cmd: &mut Command) -> std::io::Result<Group> {
    use std::os::unix::process::CommandExt;
    cmd.process_group(0).spawn().map(Group)
}

async fn wait_for_http(url: &str) -> Result<()> {
    let client = reqwest::Client::new();
    for _ in 0..300 {
        if client.get(url).send().await.is_ok() {
            return Ok(());
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    bail!("{url} did not answer within 30 s")
}

/// A running `handoff serve --demo` on a fresh database.
pub struct Server {
    _process: Group,
    pub base: String,
}

impl Server {
    pub async fn start() -> Result<Server> {
        let port = free_port();
        let db =
            std::env::temp_dir().join(format!("handoff-e2e-{}.db", uuid::Uuid::now_v7().simple()));
        let mut cmd = Command::new(handoff_bin()?);
        cmd.args(["serve", "--demo", "--bind", &format!("127.0.0.1:{port}")])
            .arg("--database-url")
            .arg(format!("sqlite://{}", db.display()))
            .env_remove("DATABASE_URL")
            .stdout(Stdio::null())
            .stderr(Stdio::null());
        let child = spawn_in_group(&mut cmd).context("starting handoff")?;
        let server = Server {
            _process: child,
            base: format!("http://127.0.0.1:{port}"),
        };
        wait_for_http(&format!("{}/healthz", server.base)).await?;
        Ok(server)
    }
}

/// Browser tests run one at a time: a Chromium each on two cores would make every wait slow.
static ONE_BROWSER: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

/// A headless Chromium session.
pub struct Browser {
    pub client: Client,
    base: String,
    shots: PathBuf,
    test: String,
    shot_count: std::cell::Cell<u32>,
    /// Fields drop in order: the driver (and its Chromium) ends before the slot is released.
    _driver: Group,
    _slot: tokio::sync::MutexGuard<'static, ()>,
}

pub fn screenshot_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("screenshots")
}

impl Browser {
    pub async fn start(server: &Server, test: &str) -> Result<Browser> {
        // An async mutex: each test has its own runtime, and a failed test releases the slot
        // when its Browser drops.
        let slot = ONE_BROWSER.lock().await;
        // The workspace enables two rustls crypto backends (ring and aws-lc), so rustls cannot
        // pick one by itself; the WebDriver client only talks plain HTTP on loopback anyway.
        let _ = rustls::crypto::ring::default_provider().install_default();
        let port = free_port();
        let mut cmd = Command::new("chromedriver");
        cmd.arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null());
        let driver = spawn_in_group(&mut cmd)
            .context("starting chromedriver (apt-get install chromium-driver)")?;
        let url = format!("http://127.0.0.1:{port}");
        wait_for_http(&format!("{url}/status")).await?;
        let profile =
            std::env::temp_dir().join(format!("handoff-chrome-{}", uuid::Uuid::now_v7().simple()));
        let mut caps = serde_json::Map::new();
        caps.insert(
            "goog:chromeOptions".into(),
            json!({
                "binary": "/usr/bin/chromium",
                "args": ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                         "--disable-background-networking", "--disable-component-update", "--disable-sync",
                         "--disable-dev-shm-usage", "--window-size=1280,900",
                         format!("--user-data-dir={}", profile.display())]
            }),
        );
        let client = ClientBuilder::rustls()?
            .capabilities(caps)
            .connect(&url)
            .await
            .context("WebDriver session")?;
        let shots = screenshot_dir();
        std::fs::create_dir_all(&shots)?;
        println!("screenshots of {test}: {}", shots.display());
        Ok(Browser {
            _slot: slot,
            _driver: driver,
            client,
            base: server.base.clone(),
            shots,
            test: test.to_owned(),
            shot_count: 0.into(),
        })
    }

    pub async fn goto(&self, path: &str) -> Result<()> {
        self.client.goto(&format!("{}{path}", self.base)).await?;
        Ok(())
    }

    /// Waits until an element matching `css` exists.
    pub async fn wait(&self, css: &str) -> Result<Element> {
        self.client
            .wait()
            .at_most(WAIT)
            .for_element(Locator::Css(css))
            .await
            .with_context(|| format!("waiting for `{css}`"))
    }

    /// Waits until no element matches `css`.
    pub async fn wait_gone(&self, css: &str) -> Result<()> {
        let start = std::time::Instant::now();
        while start.elapsed() < WAIT {
            if self.client.find_all(Locator::Css(css)).await?.is_empty() {
                return Ok(());
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        bail!("`{css}` still present after {WAIT:?}")
    }

    /// Waits until the element's text contains `needle`.
    pub async fn wait_text(&self, css: &str, needle: &str) -> Result<String> {
        let start = std::time::Instant::now();
        let mut last = String::new();
        while start.elapsed() < WAIT {
            if let Ok(el) = self.client.find(Locator::Css(css)).await {
                last = el.text().await.unwrap_or_default();
                if last.contains(needle) {
                    return Ok(last);
                }
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        bail!("`{css}` never contained {needle:?} (last text {last:?})")
    }

    pub async fn click(&self, css: &str) -> Result<()> {
        self.wait(css)
            .await?
            .click()
            .await
            .with_context(|| format!("clicking `{css}`"))?;
        Ok(())
    }

    /// Replaces an input's value by typing, as a person would.
    pub async fn fill(&self, css: &str, text: &str) -> Result<()> {
        let el = self.wait(css).await?;
        el.clear().await?;
        el.send_keys(text)
            .await
            .with_context(|| format!("typing into `{css}`"))?;
        Ok(())
    }

    /// Sets a long value at once (typing kilobytes is slow) and fires the `input` event.
    pub async fn paste(&self, css: &str, text: &str) -> Result<()> {
        let el = self.wait(css).await?;
        self.client
            .execute(
                "arguments[0].value = arguments[1]; arguments[0].dispatchEvent(new Event('input', {bubbles: true}));",
                vec![serde_json::to_value(&el)?, json!(text)],
            )
            .await?;
        Ok(())
    }

    pub async fn select(&self, css: &str, value: &str) -> Result<()> {
        self.wait(css).await?.select_by_value(value).await?;
        Ok(())
    }

    pub async fn exists(&self, css: &str) -> Result<bool> {
        Ok(!self.client.find_all(Locator::Css(css)).await?.is_empty())
    }

    pub async fn value(&self, css: &str) -> Result<String> {
        Ok(self
            .wait(css)
            .await?
            .prop("value")
            .await?
            .unwrap_or_default())
    }

    /// Saves a screenshot named after the test and the page.
    pub async fn shot(&self, page: &str) -> Result<()> {
        let n = self.shot_count.get() + 1;
        self.shot_count.set(n);
        let png = self.client.screenshot().await?;
        std::fs::write(
            self.shots.join(format!("{}-{n:02}-{page}.png", self.test)),
            png,
        )?;
        Ok(())
    }

    /// Signs in through the form and waits for the signed-in header.
    pub async fn sign_in(&self, email: &str) -> Result<()> {
        if self.exists("button#sign-out").await? {
            self.click("button#sign-out").await?;
        }
        self.goto("/login").await?;
        self.fill("input#email", email).await?;
        self.fill("input#password", PASSWORD).await?;
        self.click("button#sign-in").await?;
        self.wait_text("#current-user", email).await?;
        Ok(())
    }

    pub async fn close(self) -> Result<()> {
        self.client.clone().close().await?;
        Ok(())
    }
}
