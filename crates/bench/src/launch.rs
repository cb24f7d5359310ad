//! Starts the real `drawline` binary on a database file the benchmark knows, and runs its CLI on
//! that file (the e2e harness keeps its database private, but enrolling devices and importing
//! orders through the CLI needs the path).

use std::path::{Path, PathBuf};
use std::process::Stdio;

use anyhow::{anyhow, bail, Context, Result};
use tokio::process::{Child, Command};

/// The server binary named by `DRAWLINE_BIN` (xtask passes the optimised `server` build).
pub fn server_bin() -> Result<PathBuf> {
    std::env::var_os("DRAWLINE_BIN")
        .map(PathBuf::from)
        .ok_or_else(|| {
            anyhow!("DRAWLINE_BIN is not set: run the benchmarks through `cargo xtask bench`")
        })
}

/// The release build of the app named by `DRAWLINE_DIST`.
pub fn dist() -> Result<PathBuf> {
    std::env::var_os("DRAWLINE_DIST")
        .map(PathBuf::from)
        .ok_or_else(|| {
            anyhow!("DRAWLINE_DIST is not set: run the benchmarks through `cargo xtask bench`")
        })
}

/// A `drawline serve --demo` on a database in its own temporary folder.
pub struct LabServer {
    child: Child,
    /// `http://127.0.0.1:PORT`
    pub base: String,
    /// The demo tablet's one-time enrollment code.
    pub enrollment_code: String,
    /// The SQLite file it serves.
    pub db: PathBuf,
    _dir: tempfile::TempDir,
}

impl LabServer {
    /// Starts the server with the demo site on a fresh database and a free port.
    pub async fn start() -> Result<Self> {
        let dir = tempfile::tempdir()?;
        let db = dir.path().join("bench.sqlite");
        let port = drawline_e2e::free_port()?;
        let bin = server_bin()?;
        let mut child = Command::new(&bin)
            .args(["serve", "--demo", "--addr", &format!("127.0.0.1:{port}")])
            .arg("--db")
            .arg(&db)
            .arg("--dist")
            .arg(dist()?)
            // Request logs at info level would cost the server time the benchmark measures.
            .env("DRAWLINE_LOG", "warn")
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .kill_on_drop(true)
            .spawn()
            .with_context(|| format!("starting {}", bin.display()))?;
        let (base, code) = drawline_e2e::wait_until_serving(&mut child).await?;
        Ok(Self {
            child,
            base,
            enrollment_code: code.context("the demo server printed no enrollment code")?,
            db,
            _dir: dir,
        })
    }

    /// Runs `drawline ARGS` on this server's database; answers its standard output.
    pub async fn cli(&self, args: &[&str]) -> Result<String> {
        cli(&self.db, args).await
    }

    /// Stops the server.
    pub async fn stop(mut self) -> Result<()> {
        self.child.kill().await?;
        Ok(())
    }
}

/// Runs `drawline ARGS` on the database `db`; answers its standard output.
pub async fn cli(db: &Path, args: &[&str]) -> Result<String> {
    let out = Command::new(server_bin()?)
        .args(args)
        .env("DRAWLINE_DB", db)
        .env("DRAWLINE_LOG", "warn")
        .output()
        .await?;
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    if !out.status.success() {
        bail!(
            "drawline {}: {}\n{stdout}{}",
            args.join(" "),
            out.status,
            String::from_utf8_lossy(&out.stderr)
        );
    }
    Ok(stdout)
}

/// Enrolls a device with its one-time code over HTTP; answers the device token.
pub async fn enroll(http: &reqwest::Client, base: &str, code: &str) -> Result<String> {
    Ok(enroll_device(http, base, code).await?.token)
}

/// Enrolls a device with its one-time code over HTTP; answers the whole enrollment (the device
/// token and the lab's public key).
pub async fn enroll_device(
    http: &reqwest::Client,
    base: &str,
    code: &str,
) -> Result<drawline_domain::api::EnrollResponse> {
    let res = http
        .post(format!("{base}/api/v1/enroll"))
        .json(&serde_json::json!({ "code": code }))
        .send()
        .await?;
    let status = res.status();
    let body: serde_json::Value = res.json().await?;
    if !status.is_success() {
        bail!("enroll: {status}: {body}");
    }
    serde_json::from_value(body).context("enroll answered no enrollment")
}

/// Registers a device through the CLI; answers its one-time enrollment code.
pub async fn register_device(server: &LabServer, name: &str) -> Result<String> {
    let out = server.cli(&["devices", "enroll", name]).await?;
    out.lines()
        .find_map(|l| l.strip_prefix(&format!("Enrollment code for \"{name}\": ")))
        .map(|c| c.trim().to_owned())
        .with_context(|| format!("no code in: {out}"))
}
