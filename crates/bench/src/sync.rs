//! Item 1: queued collections pushed by the real app in headless Chromium, through a counting
//! proxy, beside the server's raw insert rate for the same records pushed from native Rust.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use anyhow::{ensure, Result};
use drawline_domain::api::{PushResponse, MAX_PUSH_RECORDS};
use drawline_e2e::lab::{self, Lab};
use drawline_e2e::proxy::FlakyProxy;
use drawline_e2e::{flow, Browser, Server};
use serde_json::Value;

use crate::{launch, push};

/// Longest a sync may take before the run stops waiting and reports how far it got.
const SYNC_LIMIT: Duration = Duration::from_secs(900);

/// What one size measured.
pub struct SyncFigures {
    /// Collections queued.
    pub n: usize,
    /// From the first push (or the click on "Sync now") to "0 waiting to sync".
    pub app: Duration,
    /// Collections the lab held when the clock stopped (`n` unless the limit ran out first).
    pub synced: usize,
    /// Push requests the proxy forwarded.
    pub pushes: u64,
    /// Pull requests the proxy forwarded.
    pub pulls: u64,
    /// Bytes the browser sent on connections that carried a push.
    pub push_bytes: u64,
    /// The same records in batches of 200 straight to the server from native Rust.
    pub raw: Duration,
    /// Raw batches sent.
    pub raw_requests: usize,
    /// Bytes of the raw push bodies.
    pub raw_bytes: u64,
}

/// Pushes `records` to `base` in batches of 200 from native Rust, one batch after the other as
/// the app does; answers (time, requests, body bytes).
pub async fn raw_push(
    base: &str,
    token: &str,
    records: &[Value],
) -> Result<(Duration, usize, u64)> {
    let http = reqwest::Client::new();
    // Bodies are serialised before the clock starts: the reference is the server's insert rate.
    let mut bodies = Vec::new();
    for (i, chunk) in records.chunks(MAX_PUSH_RECORDS).enumerate() {
        bodies.push(push::push_body(
            chunk,
            records.len() - i * MAX_PUSH_RECORDS,
        )?);
    }
    let bytes = bodies.iter().map(|b| b.len() as u64).sum();
    let started = Instant::now();
    for body in &bodies {
        let (status, text) =
            push::send(push::push_request(&http, base, token, body.clone())).await?;
        ensure!(status.is_success(), "raw push: {status}: {text}");
        let answer: PushResponse = serde_json::from_str(&text)?;
        ensure!(
            answer.results.iter().all(|r| r.outcome.is_synced()),
            "raw push: a record was not accepted: {text:.400}"
        );
    }
    Ok((started.elapsed(), bodies.len(), bytes))
}

/// Waits until the status bar says "0 waiting to sync", or the limit runs out.
async fn wait_for_empty_outbox(browser: &Browser) -> Result<()> {
    let deadline = Instant::now() + SYNC_LIMIT;
    loop {
        if browser.text_of("waiting-to-sync").await? == "0 waiting to sync"
            || Instant::now() > deadline
        {
            return Ok(());
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Measures one size: the raw reference on one fresh server, the app on another.
pub async fn measure(n: usize) -> Result<SyncFigures> {
    // Reference first, on its own server: the demo's order ids are the same on every fresh
    // server, so the very records the app will push are valid there too.
    let reference = launch::LabServer::start().await?;
    let http = reqwest::Client::new();
    let ref_token = launch::enroll(&http, &reference.base, &reference.enrollment_code).await?;
    let worklist = Lab::new(&reference.base).worklist(&ref_token).await?;
    let records = lab::outbox_records(&worklist, "amara", n, lab::now())?;
    let (raw, raw_requests, raw_bytes) = raw_push(&reference.base, &ref_token, &records).await?;
    reference.stop().await?;

    let server = Server::start().await?;
    let proxy = FlakyProxy::start(server.port()).await?;
    let browser = Browser::start().await?;
    flow::enroll_and_sign_in(&browser, &proxy.base, server.demo_code()?).await?;
    let token = flow::device_token(&browser).await?;
    // Let the start-up sync finish, so the counters hold only this sync.
    tokio::time::sleep(Duration::from_secs(2)).await;

    // The app may start pushing on its own (its 30 s timer) while a large outbox is still
    // being injected: the clock then starts at that first push, not at the click.
    let before = proxy.stats();
    let first_push = Arc::new(Mutex::new(None::<Instant>));
    let stop = Arc::new(AtomicBool::new(false));
    let injecting = async {
        for chunk in records.chunks(500) {
            flow::inject_outbox(&browser, chunk.to_vec()).await?;
        }
        Ok::<_, anyhow::Error>(())
    };
    let polling = async {
        while !stop.load(Ordering::SeqCst) {
            if proxy.stats().pushes > before.pushes {
                first_push
                    .lock()
                    .expect("lock")
                    .get_or_insert_with(Instant::now);
                break;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    };
    let (injected, ()) = tokio::join!(
        async {
            let r = injecting.await;
            stop.store(true, Ordering::SeqCst);
            r
        },
        polling
    );
    injected?;
    let clicked = Instant::now();
    flow::sync_now(&browser).await?;
    wait_for_empty_outbox(&browser).await?;
    let done = Instant::now();
    let started = first_push
        .lock()
        .expect("lock")
        .map_or(clicked, |t| t.min(clicked));
    let after = proxy.stats();
    let held = Lab::new(&server.base).collections(&token).await?;
    ensure!(
        held.len() <= n,
        "the lab holds {} collections, more than the {n} sent",
        held.len()
    );
    let _ = browser.close().await;
    Ok(SyncFigures {
        n,
        app: done - started,
        synced: held.len(),
        pushes: after.pushes - before.pushes,
        pulls: after.pulls - before.pulls,
        push_bytes: after.push_bytes - before.push_bytes,
        raw,
        raw_requests,
        raw_bytes,
    })
}
