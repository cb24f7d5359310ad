//! Harness for the end-to-end tests: starts chromedriver and the real server, hands out WebDriver clients.

pub mod flow;
pub mod lab;
pub mod proxy;

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

/// A port the OS says is free on 127.0.0.1 right now.
pub fn free_port() -> Result<u16> {
    Ok(TcpListener::bind("127.0.0.1:0")?.local_addr()?.port())
}

/// A running `drawline serve` on a temporary SQLite file and an OS-chosen port.
pub struct Server {
    child: Child,
    /// `http://127.0.0.1:PORT`
    pub base: String,
    /// The demo device's one-time enrollment code, as printed at start (only while the demo
    /// device is not enrolled yet).
    pub enrollment_code: Option<String>,
    db_dir: tempfile::TempDir,
    port: u16,
    dist: Option<PathBuf>,
    args: Vec<String>,
}

impl Server {
    /// Starts the server binary named by `DRAWLINE_BIN`, serving the build in `DRAWLINE_DIST`, with the demo site.
    pub async fn start() -> Result<Self> {
        let db_dir = tempfile::tempdir()?;
        let port = free_port()?;
        Self::start_with(db_dir, port, None, Vec::new()).await
    }

    /// Starts the server with extra `drawline serve` flags (e.g. a lab threshold).
    pub async fn start_with_flags(flags: &[&str]) -> Result<Self> {
        let flags = flags.iter().map(|f| f.to_string()).collect();
        Self::start_with(tempfile::tempdir()?, free_port()?, None, flags).await
    }

    /// Starts the server serving the app build in `dist` instead of `DRAWLINE_DIST` (a test
    /// can then change the app while it runs, as a new release would).
    pub async fn start_serving(dist: PathBuf) -> Result<Self> {
        Self::start_with(tempfile::tempdir()?, free_port()?, Some(dist), Vec::new()).await
    }

    async fn start_with(
        db_dir: tempfile::TempDir,
        port: u16,
        dist: Option<PathBuf>,
        args: Vec<String>,
    ) -> Result<Self> {
        let bin = env_path("DRAWLINE_BIN")?;
        let served = match &dist {
            Some(d) => d.clone(),
            None => env_path("DRAWLINE_DIST")?,
        };
        let mut child = Command::new(&bin)
            .arg("serve")
            .arg("--demo")
            .arg("--addr")
            .arg(format!("127.0.0.1:{port}"))
            .arg("--db")
            .arg(db_dir.path().join("e2e.sqlite"))
            .arg("--dist")
            .arg(&served)
            .args(&args)
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .kill_on_drop(true)
            .spawn()
            .with_context(|| format!("starting {}", bin.display()))?;
        let (base, enrollment_code) = wait_until_serving(&mut child).await?;
        Ok(Self {
            child,
            base,
            enrollment_code,
            db_dir,
            port,
            dist,
            args,
        })
    }

    /// The demo device's enrollment code; an error when the server printed none.
    pub fn demo_code(&self) -> Result<&str> {
        self.enrollment_code
            .as_deref()
            .context("a fresh demo server prints an enrollment code")
    }

    /// Its SQLite database file, for a test that must plant what no request can (a poison row).
    pub fn database(&self) -> PathBuf {
        self.db_dir.path().join("e2e.sqlite")
    }

    /// The port it listens on.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// Stops the server (SIGKILL: as abrupt as a power cut).
    pub async fn stop(mut self) -> Result<StoppedServer> {
        self.child.kill().await?;
        Ok(StoppedServer {
            db_dir: self.db_dir,
            port: self.port,
            dist: self.dist,
            args: self.args,
        })
    }
}

/// Reads a just-started `drawline serve`'s standard output (piped) until it says where it serves;
/// answers that address and the enrollment code it printed before, if any. The output keeps
/// draining in the background, so the server never blocks on a full pipe.
pub async fn wait_until_serving(child: &mut Child) -> Result<(String, Option<String>)> {
    let stdout = child.stdout.take().expect("piped stdout");
    let mut lines = BufReader::new(stdout).lines();
    let mut enrollment_code = None;
    let base = tokio::time::timeout(PATIENCE, async {
        while let Some(line) = lines.next_line().await? {
            if let Some((_, code)) = line.split_once("enrollment code: ") {
                enrollment_code = Some(code.trim().to_string());
            }
            if let Some(url) = line.strip_prefix("Drawline is serving at ") {
                return Ok(url.trim_end_matches('/').to_string());
            }
        }
        bail!("the server exited before it was ready")
    })
    .await
    .context("waiting for the server to start")??;
    tokio::spawn(async move { while let Ok(Some(_)) = lines.next_line().await {} });
    Ok((base, enrollment_code))
}

/// A server that was stopped; it can start again on the same port and database.
pub struct StoppedServer {
    db_dir: tempfile::TempDir,
    port: u16,
    dist: Option<PathBuf>,
    args: Vec<String>,
}

impl StoppedServer {
    /// Starts the server again with the same database and port.
    pub async fn restart(self) -> Result<Server> {
        Server::start_with(self.db_dir, self.port, self.dist, self.args).await
    }
}

/// A copy of the app build in `DRAWLINE_DIST`, in a temporary folder a test may change.
pub fn copy_of_dist() -> Result<tempfile::TempDir> {
    let from = env_path("DRAWLINE_DIST")?;
    let to = tempfile::tempdir()?;
    copy_dir(&from, to.path())?;
    Ok(to)
}

fn copy_dir(from: &std::path::Path, to: &std::path::Path) -> Result<()> {
    std::fs::create_dir_all(to)?;
    for entry in std::fs::read_dir(from)? {
        let entry = entry?;
        let target = to.join(entry.file_name());
        if entry.file_type()?.is_dir() {
            copy_dir(&entry.path(), &target)?;
        } else {
            std::fs::copy(entry.path(), &target)?;
        }
    }
    Ok(())
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
        Self::start_with_profile(tempfile::tempdir()?).await
    }

    /// Starts Chromium on an existing profile folder, e.g. the one a killed browser left.
    pub async fn start_with_profile(profile: tempfile::TempDir) -> Result<Self> {
        Self::launch(profile, (1024, 768)).await
    }

    /// Starts a fresh profile with the given window size (screenshots at tablet sizes).
    pub async fn start_sized(width: u32, height: u32) -> Result<Self> {
        Self::launch(tempfile::tempdir()?, (width, height)).await
    }

    async fn launch(profile: tempfile::TempDir, (width, height): (u32, u32)) -> Result<Self> {
        let driver_bin = std::env::var("CHROMEDRIVER").unwrap_or_else(|_| "chromedriver".into());
        let port = free_port()?;
        let driver = Command::new(&driver_bin)
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            // Its own process group, so `kill` can take Chromium down with it at once.
            .process_group(0)
            .kill_on_drop(true)
            .spawn()
            .with_context(|| format!("starting {driver_bin}"))?;
        let chromium = std::env::var("CHROMIUM").unwrap_or_else(|_| "/usr/bin/chromium".into());
        let caps = serde_json::json!({
            "goog:chromeOptions": {
                "binary": chromium,
                "args": [
                    "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                    "--disable-background-networking", "--disable-component-update",
                    "--disable-sync", "--disable-quic", "--no-first-run",
                    format!("--window-size={width},{height}"),
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
        self.element(test_id).await?;
        // Read in the page in one step: the app re-renders reactively, and an element handle
        // held across two WebDriver calls can go stale in between.
        let deadline = tokio::time::Instant::now() + PATIENCE;
        loop {
            if let Some(text) = self.texts_of_all(test_id).await?.into_iter().next() {
                return Ok(text);
            }
            if tokio::time::Instant::now() > deadline {
                bail!("{test_id} disappeared");
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
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

    /// Kills chromedriver and Chromium with SIGKILL, as a crash or a dead battery would, and
    /// hands back the profile so a new browser can start on the same data.
    pub async fn kill(self) -> Result<tempfile::TempDir> {
        let Browser {
            client,
            _driver: mut driver,
            _profile: profile,
        } = self;
        if let Some(pid) = driver.id() {
            // Every process of chromedriver's own group: chromedriver and the Chromium
            // processes it started (and nothing else on the machine).
            let pids = process_group_members(pid);
            for p in pids {
                let _ = std::process::Command::new("kill")
                    .args(["-KILL", &p.to_string()])
                    .status();
            }
        }
        let _ = tokio::time::timeout(PATIENCE, driver.wait()).await;
        drop(client);
        // Chromium leaves its single-instance lock behind when killed; a real restart after a
        // crash clears it the same way.
        for lock in ["SingletonLock", "SingletonSocket", "SingletonCookie"] {
            let _ = std::fs::remove_file(profile.path().join(lock));
        }
        Ok(profile)
    }

    /// Waits for the element with this `data-testid` and hands it back.
    pub async fn element(&self, test_id: &str) -> Result<fantoccini::elements::Element> {
        self.element_at(&format!("[data-testid=\"{test_id}\"]"))
            .await
    }

    /// Waits for the element this CSS selector finds and hands it back.
    async fn element_at(&self, selector: &str) -> Result<fantoccini::elements::Element> {
        self.client
            .wait()
            .at_most(PATIENCE)
            .for_element(Locator::Css(selector))
            .await
            .with_context(|| format!("waiting for {selector}"))
    }

    /// Text of the draw list's card of the patient with this MRN, once it shows.
    pub async fn patient_card_text(&self, mrn: &str) -> Result<String> {
        let card = self
            .element_at(&format!(
                "[data-testid=\"patient-card\"][data-mrn=\"{mrn}\"]"
            ))
            .await?;
        Ok(card.text().await?)
    }

    /// Waits until a service worker is active and controls the page, so the shell is cached.
    pub async fn wait_for_service_worker_control(&self) -> Result<()> {
        self.run_async(
            "navigator.serviceWorker.ready.then(() => {
               if (navigator.serviceWorker.controller) return done(true);
               navigator.serviceWorker.addEventListener('controllerchange', () => done(true));
             });",
        )
        .await?;
        Ok(())
    }

    /// Runs `body` as an asynchronous script in the page, with `done` the callback that ends it;
    /// answers what it was called back with.
    pub async fn run_async(&self, body: &str) -> Result<serde_json::Value> {
        let script = format!("const done = arguments[arguments.length - 1];\n{body}");
        Ok(self.client.execute_async(&script, vec![]).await?)
    }

    /// Waits for the element with this `data-testid` and clicks it.
    pub async fn click(&self, test_id: &str) -> Result<()> {
        let el = self.element(test_id).await?;
        // A button may be disabled while a save is in flight: wait until it is enabled.
        let deadline = tokio::time::Instant::now() + PATIENCE;
        while !el.is_enabled().await? {
            if tokio::time::Instant::now() > deadline {
                bail!("{test_id} stayed disabled");
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        el.click().await?;
        Ok(())
    }

    /// Waits for the input with this `data-testid` and types `text` into it (keys, like a person
    /// or a keyboard-wedge scanner; `\u{E007}` is Enter).
    pub async fn type_into(&self, test_id: &str, text: &str) -> Result<()> {
        let el = self.element(test_id).await?;
        el.send_keys(text).await?;
        Ok(())
    }

    /// Chooses the option with this value in the `<select>` with this `data-testid`.
    pub async fn choose(&self, test_id: &str, value: &str) -> Result<()> {
        let el = self.element(test_id).await?;
        el.select_by_value(value).await?;
        Ok(())
    }

    /// Texts of every element with this `data-testid`, in document order (no waiting).
    pub async fn texts_of_all(&self, test_id: &str) -> Result<Vec<String>> {
        let selector = format!("[data-testid=\"{test_id}\"]");
        let texts = self
            .client
            .execute(
                "return Array.from(document.querySelectorAll(arguments[0])).map(e => (e.innerText ?? e.textContent ?? '').trim());",
                vec![serde_json::Value::String(selector)],
            )
            .await?;
        Ok(serde_json::from_value(texts)?)
    }

    /// Waits until an element with this `data-testid` exists.
    pub async fn wait_for(&self, test_id: &str) -> Result<()> {
        self.text_of(test_id).await.map(|_| ())
    }

    /// Waits until the address path is `path` (e.g. `/draws`) and returns the full path.
    pub async fn wait_for_path(&self, predicate: impl Fn(&str) -> bool) -> Result<String> {
        let deadline = tokio::time::Instant::now() + PATIENCE;
        loop {
            let url = self.client.current_url().await?;
            let path = url.path().to_string();
            if predicate(&path) {
                return Ok(path);
            }
            if tokio::time::Instant::now() > deadline {
                bail!("still at {path}");
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// Runs a Chrome DevTools Protocol command through chromedriver (e.g. to change what the
    /// page sees before it loads).
    pub async fn cdp(&self, cmd: &str, params: serde_json::Value) -> Result<serde_json::Value> {
        Ok(self
            .client
            .issue_cmd(Cdp {
                cmd: cmd.to_owned(),
                params,
            })
            .await?)
    }

    /// Cuts this browser off the network (or reconnects it) as the tablet's own radio would:
    /// fetches fail and the page gets its `offline`/`online` events, whatever the lab does.
    pub async fn set_offline(&self, offline: bool) -> Result<()> {
        self.cdp("Network.enable", serde_json::json!({})).await?;
        self.cdp(
            "Network.emulateNetworkConditions",
            serde_json::json!({
                "offline": offline,
                "latency": 0,
                "downloadThroughput": -1,
                "uploadThroughput": -1,
            }),
        )
        .await?;
        Ok(())
    }

    /// From the next page loaded on, records every Content-Security-Policy violation the page
    /// reports (the script runs before the page's own, outside the policy).
    pub async fn watch_csp_violations(&self) -> Result<()> {
        let source = "window.__cspViolations = [];
            document.addEventListener('securitypolicyviolation', (e) =>
              window.__cspViolations.push(
                `${e.violatedDirective} blocked ${e.blockedURI} ${e.sample || ''} at ` +
                `${e.sourceFile}:${e.lineNumber} on ` +
                `${e.target && e.target.outerHTML ? e.target.outerHTML.slice(0, 160) : e.target}`));";
        self.cdp(
            "Page.addScriptToEvaluateOnNewDocument",
            serde_json::json!({ "source": source }),
        )
        .await?;
        Ok(())
    }

    /// The violations the current page reported since it loaded (see `watch_csp_violations`).
    pub async fn csp_violations(&self) -> Result<Vec<String>> {
        let v = self
            .client
            .execute("return window.__cspViolations || null;", vec![])
            .await?;
        anyhow::ensure!(!v.is_null(), "the page is not watched for CSP violations");
        Ok(serde_json::from_value(v)?)
    }

    /// Saves a screenshot and checks the screen fits the tablet's width: gloved hands cannot
    /// scroll sideways, so no screen may be wider than the window.
    pub async fn capture(&self, path: &std::path::Path) -> Result<()> {
        self.screenshot(path).await?;
        let widths = self
            .client
            .execute(
                "return [document.documentElement.scrollWidth, window.innerWidth];",
                vec![],
            )
            .await?;
        let (scroll, inner) = (
            widths[0].as_i64().unwrap_or(0),
            widths[1].as_i64().unwrap_or(0),
        );
        anyhow::ensure!(
            scroll <= inner,
            "{} scrolls sideways: content {scroll}px wide in a {inner}px window",
            path.display()
        );
        Ok(())
    }

    /// With `SCREENSHOT_DIR` set, saves this screen at both tablet sizes (landscape and
    /// portrait) as `<size>-<name>.png`; always checks it fits both without sideways scrolling.
    pub async fn capture_both_sizes(&self, name: &str) -> Result<()> {
        let (_tmp, dir) = screenshot_dir()?;
        for (w, h) in [(768u32, 1024u32), (1024, 768)] {
            self.client.set_window_size(w, h).await?;
            tokio::time::sleep(Duration::from_millis(300)).await;
            self.capture(&dir.join(format!("{w}x{h}-{name}.png")))
                .await?;
        }
        Ok(())
    }

    /// Saves a PNG screenshot of the viewport.
    pub async fn screenshot(&self, path: &std::path::Path) -> Result<()> {
        let png = self.client.screenshot().await?;
        std::fs::write(path, png)?;
        Ok(())
    }
}

/// Where screenshots go: `SCREENSHOT_DIR` (created if missing), else the temporary folder handed
/// back with it, which must be kept while they are written.
pub fn screenshot_dir() -> Result<(tempfile::TempDir, PathBuf)> {
    let tmp = tempfile::tempdir()?;
    let dir = std::env::var_os("SCREENSHOT_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| tmp.path().to_path_buf());
    std::fs::create_dir_all(&dir)?;
    Ok((tmp, dir))
}

/// Ids of the live processes whose process group is `pgid` (read from `/proc`).
fn process_group_members(pgid: u32) -> Vec<u32> {
    let Ok(entries) = std::fs::read_dir("/proc") else {
        return vec![pgid];
    };
    let mut out = Vec::new();
    for entry in entries.flatten() {
        let Some(pid) = entry
            .file_name()
            .to_str()
            .and_then(|n| n.parse::<u32>().ok())
        else {
            continue;
        };
        let Ok(stat) = std::fs::read_to_string(entry.path().join("stat")) else {
            continue;
        };
        // After the `(comm)` field: state, ppid, pgrp.
        let Some(rest) = stat.rsplit_once(')').map(|(_, r)| r) else {
            continue;
        };
        let fields: Vec<&str> = rest.split_whitespace().collect();
        if fields.get(2).and_then(|g| g.parse::<u32>().ok()) == Some(pgid) {
            out.push(pid);
        }
    }
    out
}

/// chromedriver's own `goog/cdp/execute` endpoint.
#[derive(Debug)]
struct Cdp {
    cmd: String,
    params: serde_json::Value,
}

impl fantoccini::wd::WebDriverCompatibleCommand for Cdp {
    fn endpoint(
        &self,
        base_url: &url::Url,
        session_id: Option<&str>,
    ) -> Result<url::Url, url::ParseError> {
        base_url.join(&format!(
            "session/{}/goog/cdp/execute",
            session_id.unwrap_or_default()
        ))
    }

    fn method_and_body(&self, _: &url::Url) -> (http::Method, Option<String>) {
        let body = serde_json::json!({ "cmd": self.cmd, "params": self.params });
        (http::Method::POST, Some(body.to_string()))
    }
}
