//! Item 2: many simulated devices pushing and pulling at once against the real server on
//! SQLite, beside the same load of `GET /api/v1/health` (what the server and this machine do
//! for a request that touches no database).

use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{bail, ensure, Result};
use drawline_domain::api::PushResponse;
use drawline_e2e::lab::{self, Lab};
use serde_json::Value;
use tokio::task::JoinSet;

use crate::launch::{self, LabServer};
use crate::push;

/// What one load measured.
pub struct LoadFigures {
    /// Simulated devices, all at once.
    pub devices: usize,
    /// Collections the server accepted.
    pub collections: usize,
    /// From the first request to the last answer.
    pub wall: Duration,
    /// Push latencies, ms.
    pub push_ms: Vec<f64>,
    /// Pull latencies, ms.
    pub pull_ms: Vec<f64>,
    /// The same number of `GET /health` requests with the same concurrency.
    pub health_wall: Duration,
    /// Their latencies, ms.
    pub health_ms: Vec<f64>,
}

/// Registers `n` devices through the CLI, then enrolls them over HTTP; answers their tokens.
/// One step at a time: a CLI process writing the database while the server enrolls makes the
/// server answer 503 (SQLite is busy), which is not what this benchmark measures.
async fn enroll_devices(
    server: &LabServer,
    http: &reqwest::Client,
    n: usize,
) -> Result<Vec<String>> {
    let mut codes = Vec::with_capacity(n);
    for i in 0..n {
        codes.push(launch::register_device(server, &format!("bench device {i}")).await?);
    }
    let mut tokens = Vec::with_capacity(n);
    for code in codes {
        tokens.push(launch::enroll(http, &server.base, &code).await?);
    }
    Ok(tokens)
}

/// Sends `req` and records its latency since `t` in `ms`; answers the body of a success, or fails
/// naming `what`.
async fn timed(
    req: reqwest::RequestBuilder,
    t: Instant,
    ms: &mut Vec<f64>,
    what: &str,
) -> Result<String> {
    let (status, text) = push::send(req).await?;
    ms.push(crate::stats::ms(t.elapsed()));
    if !status.is_success() {
        bail!("{what}: {status}: {text:.300}");
    }
    Ok(text)
}

/// `devices` devices, each `rounds` times: push a batch of `batch` new collections, then pull
/// its worklist changes by cursor.
pub async fn measure(devices: usize, rounds: usize, batch: usize) -> Result<LoadFigures> {
    let server = LabServer::start().await?;
    let http = reqwest::Client::builder()
        .pool_max_idle_per_host(devices)
        .timeout(Duration::from_secs(300))
        .build()?;
    let demo = launch::enroll(&http, &server.base, &server.enrollment_code).await?;
    let worklist = Lab::new(&server.base).worklist(&demo).await?;
    let tokens = enroll_devices(&server, &http, devices).await?;
    // Pulls carry patient data: each device pulls as a collector signed in on it, and pushes with
    // its device token.
    let lab = Lab::new(&server.base);
    let mut sessions = Vec::with_capacity(devices);
    for token in &tokens {
        sessions.push(lab.reader(token).await?);
    }
    let total = devices * rounds * batch;
    // Bodies are built before the clock starts: the load measures the server, not the client.
    // One device's records at a time, so only the serialised bodies stay in memory.
    let mut bodies: Vec<Vec<Vec<u8>>> = Vec::with_capacity(devices);
    for _ in 0..devices {
        let records = lab::outbox_records(&worklist, "amara", rounds * batch, lab::now())?;
        let mut mine = Vec::with_capacity(rounds);
        for (r, chunk) in records.chunks(batch).enumerate() {
            mine.push(push::push_body(chunk, (rounds - r) * batch)?);
        }
        bodies.push(mine);
    }

    let base = Arc::new(server.base.clone());
    let started = Instant::now();
    let mut set = JoinSet::new();
    for ((token, session), mine) in tokens.iter().cloned().zip(sessions).zip(bodies) {
        let (http, base) = (http.clone(), base.clone());
        set.spawn(async move {
            let mut push_ms = Vec::new();
            let mut pull_ms = Vec::new();
            let mut accepted = 0usize;
            let mut cursor: Option<String> = None;
            let rounds = mine.len();
            for (r, body) in mine.into_iter().enumerate() {
                let t = Instant::now();
                let req = push::push_request(&http, &base, &token, body);
                let text = timed(req, t, &mut push_ms, "push").await?;
                let answer: PushResponse = serde_json::from_str(&text)?;
                accepted += answer
                    .results
                    .iter()
                    .filter(|x| x.outcome.is_synced())
                    .count();
                let t = Instant::now();
                let mut q = vec![
                    ("queue_length", ((rounds - r - 1) * batch).to_string()),
                    ("device_clock", lab::now().to_rfc3339()),
                    ("app_version", "bench".to_owned()),
                ];
                if let Some(c) = &cursor {
                    q.push(("cursor", c.clone()));
                }
                let req = http
                    .get(format!("{base}/api/v1/sync/pull"))
                    .bearer_auth(&session)
                    .query(&q);
                let text = timed(req, t, &mut pull_ms, "pull").await?;
                let v: Value = serde_json::from_str(&text)?;
                cursor = v["next_cursor"].as_str().map(str::to_owned);
            }
            Ok::<_, anyhow::Error>((push_ms, pull_ms, accepted))
        });
    }
    let mut push_ms = Vec::new();
    let mut pull_ms = Vec::new();
    let mut collections = 0;
    while let Some(r) = set.join_next().await {
        let (a, b, n) = r??;
        push_ms.extend(a);
        pull_ms.extend(b);
        collections += n;
    }
    let wall = started.elapsed();
    ensure!(
        collections == total,
        "{collections} of {total} collections accepted"
    );

    // The reference: as many requests, as many at once, to a route without the database.
    let started = Instant::now();
    let mut set = JoinSet::new();
    for _ in 0..devices {
        let (http, base) = (http.clone(), base.clone());
        set.spawn(async move {
            let mut ms = Vec::new();
            for _ in 0..rounds * 2 {
                let t = Instant::now();
                let res = http.get(format!("{base}/api/v1/health")).send().await?;
                let status = res.status();
                let _ = res.bytes().await?;
                ms.push(crate::stats::ms(t.elapsed()));
                ensure!(status.is_success(), "health: {status}");
            }
            Ok::<_, anyhow::Error>(ms)
        });
    }
    let mut health_ms = Vec::new();
    while let Some(r) = set.join_next().await {
        health_ms.extend(r??);
    }
    let health_wall = started.elapsed();
    server.stop().await?;
    Ok(LoadFigures {
        devices,
        collections,
        wall,
        push_ms,
        pull_ms,
        health_wall,
        health_ms,
    })
}
