//! Harness for the end-to-end tests: starts chromedriver and the real server, hands out WebDriver clients.

use std::net::TcpListener;
use std::path::PathBuf;
use std::process::Stdio;
use std::time::Duration;

use anyhow::{anyhow, bail, Context, Result};
use fantoccini::{Client, ClientBuilder, Locator};
use hyper_util::client::legacy::connect::HttpConnector;
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, Command};

/// How long to wait for anything the page should show: generous, because the
/// 2-core CI machines are shared. Not a performance assertion.
pub const PATIENCE: Duration = Duration::from_secs(60);

fn env_path(var: &str) -> Result<PathBuf> {
    let value = std::env::var_os(var).ok_or_else(|| {
        anyhow!("{var} is not set: run the end-to-end tests through `cargo xtask test`")
    })?;
    Ok(PathBuf::from(value))
}

fn free_port() -> Result<u16> {
    Ok(TcpListener::bind("127.0.0.1:0")?.local_addr()?.port())
}

/// A running `drawline serve` on a temporary SQLite file and an OS-chosen port.
pub struct Server {
    child: Child,
    /// `http://127.0.0.1:PORT`
    pub base: String,
    db_dir: tempfile::TempDir,
    port: u16,
}

impl Server {
    /// Starts the server binary named by `DRAWLINE_BIN`, serving the build in `DRAWLINE_DIST`, with the demo site.
    pub async fn start() -> Result<Self> {
        let db_dir = tempfile::tempdir()?;
        let port = free_port()?;
        Self::start_with(db_dir, port).await
    }

    async fn start_with(db_dir: tempfile::TempDir, port: u16) -> Result<Self> {
        let bin = env_path("DRAWLINE_BIN")?;
        let dist = env_path("DRAWLINE_DIST")?;
        let mut child = Command::new(&bin)
            .arg("serve")
            .arg("--demo")
            .arg("--addr")
            .arg(format!("127.0.0.1:{port}"))
            .arg("--db")
            .arg(db_dir.path().join("e2e.sqlite"))
            .arg("--dist")
            .arg(&dist)
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .kill_on_drop(true)
            .spawn()
            .with_context(|| format!("starting {}", bin.display()))?;
        let stdout = child.stdout.take().expect("piped stdout");
        let mut lines = BufReader::new(stdout).lines();
        let base = tokio::time::timeout(PATIENCE, async {
            while let Some(line) = lines.next_line().await? {
                if let Some(url) = line.strip_prefix("Drawline is serving at ") {
                    return Ok(url.trim_end_matches('/').to_string());
                }
            }
            bail!("the server exited before it was ready")
        })
        .await
        .context("waiting for the server to start")??;
        // Keep draining stdout so the server never blocks on a full pipe.
        tokio::spawn(async move { while let Ok(Some(_)) = lines.next_line().await {} });
        Ok(Self {
            child,
            base,
            db_dir,
            port,
        })
    }

    /// Stops the server (SIGKILL: as abrupt as a power cut).
    pub async fn stop(mut self) -> Result<StoppedServer> {
        self.child.kill().await?;
        Ok(StoppedServer {
            db_dir: self.db_dir,
            port: self.port,
        })
    }
}

/// A server that was stopped; it can start again on the same port and database.
pub struct StoppedServer {
    db_dir: tempfile::TempDir,
    port: u16,
}

impl StoppedServer {
    /// Starts the server again with the same database and port.
    pub async fn restart(self) -> Result<Server> {
        Server::start_with(self.db_dir, self.port).await
    }
}

/// A chromedriver process and a headless Chromium session driven through it.
pub struct Browser {
    /// The WebDriver client.
    pub client: Client,
    _driver: Child,
    _profile: tempfile::TempDir,
}

impl Browser {
    /// Starts chromedriver (`CHROMEDRIVER`, default `chromedriver`) and a fresh headless Chromium profile.
    pub async fn start() -> Result<Self> {
        let driver_bin = std::env::var("CHROMEDRIVER").unwrap_or_else(|_| "chromedriver".into());
        let port = free_port()?;
        let driver = Command::new(&driver_bin)
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .kill_on_drop(true)
            .spawn()
            .with_context(|| format!("starting {driver_bin}"))?;
        let profile = tempfile::tempdir()?;
        let chromium = std::env::var("CHROMIUM").unwrap_or_else(|_| "/usr/bin/chromium".into());
        let caps = serde_json::json!({
            "goog:chromeOptions": {
                "binary": chromium,
                "args": [
                    "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                    "--disable-background-networking", "--disable-component-update",
                    "--disable-sync", "--disable-quic", "--no-first-run",
                    "--window-size=1024,768",
                    format!("--user-data-dir={}", profile.path().display()),
                ]
            }
        });
        let caps = match caps {
            serde_json::Value::Object(map) => map,
            _ => unreachable!(),
        };
        let url = format!("http://127.0.0.1:{port}");
        let client = tokio::time::timeout(PATIENCE, async {
            loop {
                let attempt = ClientBuilder::new(HttpConnector::new())
                    .capabilities(caps.clone())
                    .connect(&url)
                    .await;
                match attempt {
                    Ok(client) => return Ok::<_, anyhow::Error>(client),
                    // chromedriver needs a moment before it listens.
                    Err(_) => tokio::time::sleep(Duration::from_millis(200)).await,
                }
            }
        })
        .await
        .context("waiting for chromedriver")??;
        Ok(Self {
            client,
            _driver: driver,
            _profile: profile,
        })
    }

    /// Waits for the element with this `data-testid` and returns its text.
    pub async fn text_of(&self, test_id: &str) -> Result<String> {
        let selector = format!("[data-testid=\"{test_id}\"]");
        let el = self
            .client
            .wait()
            .at_most(PATIENCE)
            .for_element(Locator::Css(&selector))
            .await
            .with_context(|| format!("waiting for {selector}"))?;
        Ok(el.text().await?)
    }

    /// Waits until the element with this `data-testid` shows exactly `expected`.
    pub async fn wait_for_text(&self, test_id: &str, expected: &str) -> Result<()> {
        let deadline = tokio::time::Instant::now() + PATIENCE;
        loop {
            let text = self.text_of(test_id).await?;
            if text == expected {
                return Ok(());
            }
            if tokio::time::Instant::now() > deadline {
                bail!("{test_id} shows {text:?}, expected {expected:?}");
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// Ends the WebDriver session.
    pub async fn close(self) -> Result<()> {
        self.client.close().await?;
        Ok(())
    }
}
