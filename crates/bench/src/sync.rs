//! Item 1: queued collections pushed by the real app in headless Chromium, through a counting
//! proxy, with and without encryption, beside the server's raw insert rate for the same records
//! pushed from native Rust, in the clear and sealed to the lab.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use anyhow::{bail, ensure, Context, Result};
use drawline_domain::api::{PushResponse, MAX_PUSH_RECORDS};
use drawline_e2e::lab::{self, Lab};
use drawline_e2e::proxy::FlakyProxy;
use drawline_e2e::{flow, Browser, Server};
use serde_json::{json, Value};

use crate::{launch, push};

/// Longest a sync (or the sign-in's upgrade) may take before the run stops waiting and reports
/// how far it got.
const SYNC_LIMIT: Duration = Duration::from_secs(900);

/// The app's push address, blocked in the browser while records wait for the sign-in's upgrade.
const PUSH_URL_PATTERN: &str = "*/api/v1/sync/push*";

/// One timed sync by the app, from the first push (or the click on "Sync now") to
/// "0 waiting to sync".
pub struct AppSync {
    /// How long it took.
    pub app: Duration,
    /// Collections the lab held when the clock stopped (`n` unless the limit ran out first).
    pub synced: usize,
    /// Push requests the proxy forwarded.
    pub pushes: u64,
    /// Pull requests the proxy forwarded.
    pub pulls: u64,
    /// Bytes the browser sent on connections that carried a push.
    pub push_bytes: u64,
    /// The sign-in before it: click on "Sign in" to the draw list.
    pub sign_in: Duration,
}

/// The sign-in's one-time upgrade of records queued in the clear.
pub struct Upgrade {
    /// From the sign-in storing who signed in (just before the upgrade starts) to the moment
    /// every queued record is stored encrypted with its sealed copy (polled every 50 ms).
    pub upgrade: Duration,
}

/// The same records pushed from native Rust, one batch of 200 after the other.
pub struct RawPush {
    /// From the first request to the last answer.
    pub time: Duration,
    /// Batches sent.
    pub requests: usize,
    /// Bytes of the push bodies.
    pub bytes: u64,
}

/// What one size measured.
pub struct SyncFigures {
    /// Collections queued.
    pub n: usize,
    /// The app, records queued after sign-in: in the clear in the outbox, pushed plain.
    pub plain: AppSync,
    /// The same records in the clear from Rust to a fresh server.
    pub raw: RawPush,
    /// With encryption (sizes up to 1,000): the app's sync, the sign-in's upgrade before it,
    /// and the same records sealed in Rust pushed as sealed copies.
    pub encrypted: Option<(AppSync, Upgrade, RawPush)>,
}

/// Pushes the serialised `bodies` to `base` one after the other, as the app does, and checks
/// that every record was accepted.
async fn push_bodies(base: &str, token: &str, bodies: &[Vec<u8>]) -> Result<RawPush> {
    let http = reqwest::Client::new();
    let bytes = bodies.iter().map(|b| b.len() as u64).sum();
    let started = Instant::now();
    for body in bodies {
        let (status, text) =
            push::send(push::push_request(&http, base, token, body.clone())).await?;
        ensure!(status.is_success(), "raw push: {status}: {text}");
        let answer: PushResponse = serde_json::from_str(&text)?;
        ensure!(
            answer.results.iter().all(|r| r.outcome.is_synced()),
            "raw push: a record was not accepted: {text:.400}"
        );
    }
    Ok(RawPush {
        time: started.elapsed(),
        requests: bodies.len(),
        bytes,
    })
}

/// `n` finalized collections for the lab at `base` (enrolled as `device_token`): its demo
/// worklist's patients, collected by its demo collector (each server has its own user ids, so
/// every run gets records of its own, all of the same make and size).
async fn records_for(base: &str, device_token: &str, n: usize) -> Result<Vec<Value>> {
    let lab = Lab::new(base);
    let worklist = lab.worklist(device_token).await?;
    let (username, pin) = lab::DEMO_COLLECTOR;
    let collector = lab.user_id(device_token, username, pin).await?;
    lab::outbox_records(&worklist, &collector, n, lab::now())
}

/// Pushes `n` collections in the clear to a fresh server in batches of 200 from native Rust.
async fn raw_push(n: usize) -> Result<RawPush> {
    let server = launch::LabServer::start().await?;
    let http = reqwest::Client::new();
    let token = launch::enroll(&http, &server.base, &server.enrollment_code).await?;
    let records = records_for(&server.base, &token, n).await?;
    // Bodies are serialised before the clock starts: the reference is the server's insert rate.
    let mut bodies = Vec::new();
    for (i, chunk) in records.chunks(MAX_PUSH_RECORDS).enumerate() {
        bodies.push(push::push_body(
            chunk,
            records.len() - i * MAX_PUSH_RECORDS,
        )?);
    }
    let pushed = push_bodies(&server.base, &token, &bodies).await?;
    server.stop().await?;
    Ok(pushed)
}

/// Seals `n` collections in Rust to a fresh server's lab key (from its enrollment answer), then
/// pushes the sealed copies in batches of 200: the lab opens every one.
async fn raw_push_sealed(n: usize) -> Result<RawPush> {
    let server = launch::LabServer::start().await?;
    let http = reqwest::Client::new();
    let enrolled = launch::enroll_device(&http, &server.base, &server.enrollment_code).await?;
    let records = records_for(&server.base, &enrolled.token, n).await?;
    let lab_key = enrolled
        .lab_key
        .context("the enrollment answer carries no lab key")?;
    // Sealed and serialised before the clock starts: the reference is the server's cost.
    let mut bodies = Vec::new();
    for (i, chunk) in records.chunks(MAX_PUSH_RECORDS).enumerate() {
        bodies.push(push::sealed_push_body(
            chunk,
            &lab_key,
            records.len() - i * MAX_PUSH_RECORDS,
        )?);
    }
    let pushed = push_bodies(&server.base, &enrolled.token, &bodies).await?;
    let held = Lab::new(&server.base).collections(&enrolled.token).await?;
    ensure!(
        held.len() == records.len(),
        "the lab holds {} collections of the {} sealed ones sent",
        held.len(),
        records.len()
    );
    server.stop().await?;
    Ok(pushed)
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

/// Enrolls the browser's tablet at `base` with `code`, up to the sign-in screen.
async fn enroll(browser: &Browser, base: &str, code: &str) -> Result<()> {
    browser.client.goto(base).await?;
    browser.wait_for_path(|p| p == "/enroll").await?;
    browser.type_into("enroll-code", code).await?;
    browser.click("enroll-submit").await?;
    browser.wait_for_path(|p| p == "/sign-in").await?;
    Ok(())
}

/// Signs amara in; answers the time from the click on "Sign in" to the draw list (which may
/// include a long upgrade, so the wait is the sync's, not the harness's usual minute).
async fn sign_in(browser: &Browser) -> Result<Duration> {
    let (username, pin) = lab::DEMO_COLLECTOR;
    browser.type_into("username", username).await?;
    browser.type_into("pin", pin).await?;
    let clicked = Instant::now();
    browser.click("sign-in-submit").await?;
    loop {
        let url = browser.client.current_url().await?;
        if url.path() == "/draws" {
            return Ok(clicked.elapsed());
        }
        ensure!(
            clicked.elapsed() < SYNC_LIMIT,
            "the sign-in did not reach the draw list within {SYNC_LIMIT:?} (at {})",
            url.path()
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// Blocks (or unblocks) the app's push requests in the browser, so records queued before the
/// sign-in wait for the timed sync instead of going with the sign-in's own sync.
async fn block_pushes(browser: &Browser, block: bool) -> Result<()> {
    browser.cdp("Network.enable", json!({})).await?;
    let urls: Vec<&str> = if block {
        vec![PUSH_URL_PATTERN]
    } else {
        vec![]
    };
    if browser
        .cdp("Network.setBlockedURLs", json!({ "urls": urls }))
        .await
        .is_err()
    {
        // Newer Chromium names patterns this way.
        let patterns: Vec<Value> = urls
            .iter()
            .map(|u| json!({ "urlPattern": u, "block": true }))
            .collect();
        browser
            .cdp("Network.setBlockedURLs", json!({ "urlPatterns": patterns }))
            .await?;
    }
    Ok(())
}

/// Starts a watcher in the page that notes (in `window.__benchUpgrade`, ms of the page's clock)
/// when the sign-in has stored who signed in, and when all `n` outbox records are stored
/// encrypted with a sealed copy. Every 50 ms it opens the database (and closes it again, so the
/// app's own connection is never blocked) and reads in one transaction, timed when that
/// transaction's first read answers (what it reads is the state at that moment). The upgrade
/// goes in key order, so each look reads only the last record; once that one is sealed, one
/// full scan confirms every record is.
async fn watch_upgrade(browser: &Browser, n: usize) -> Result<()> {
    browser
        .client
        .execute(
            "const [n] = arguments;
             const w = window.__benchUpgrade = { signedIn: null, sealed: null, error: null };
             const done = (v) => v && v.data && v.data.drawline_enc && v.sealed;
             const tick = () => {
               const r = indexedDB.open('drawline');
               r.onerror = () => { w.error = String(r.error); };
               r.onsuccess = () => {
                 const db = r.result;
                 const next = () => { db.close(); if (w.sealed === null && w.error === null) setTimeout(tick, 50); };
                 try {
                   const tx = db.transaction(['settings', 'outbox']);
                   const outbox = tx.objectStore('outbox');
                   const g = tx.objectStore('settings').get('signed_in');
                   g.onsuccess = () => {
                     const at = performance.now();
                     if (g.result && w.signedIn === null) w.signedIn = at;
                     if (w.signedIn === null) return;
                     const last = outbox.openCursor(null, 'prev');
                     last.onsuccess = () => {
                       if (!last.result || !done(last.result.value)) return;
                       let sealed = 0;
                       const c = outbox.openCursor();
                       c.onsuccess = () => {
                         const cur = c.result;
                         if (cur && done(cur.value)) { sealed++; cur.continue(); }
                         else if (!cur && sealed >= n) w.sealed = at;
                       };
                     };
                   };
                   tx.oncomplete = next;
                   tx.onerror = () => { w.error = String(tx.error); next(); };
                 } catch (e) { w.error = String(e); next(); }
               };
             };
             tick();",
            vec![json!(n)],
        )
        .await?;
    Ok(())
}

/// Waits for the watcher of [`watch_upgrade`]; answers the upgrade's time.
async fn wait_for_upgrade(browser: &Browser) -> Result<Upgrade> {
    let deadline = Instant::now() + SYNC_LIMIT;
    loop {
        let w = browser
            .client
            .execute("return window.__benchUpgrade;", vec![])
            .await?;
        if let Some(e) = w["error"].as_str() {
            bail!("watching the upgrade: {e}");
        }
        if let (Some(a), Some(b)) = (w["signedIn"].as_f64(), w["sealed"].as_f64()) {
            return Ok(Upgrade {
                upgrade: Duration::from_secs_f64((b - a).max(0.0) / 1000.0),
            });
        }
        ensure!(
            Instant::now() < deadline,
            "the sign-in did not encrypt and seal the queued records within {SYNC_LIMIT:?}: {w}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Where the records go into the outbox.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Queued {
    /// After sign-in: they stay in the clear and are pushed plain.
    AfterSignIn,
    /// After enrollment, before sign-in: the sign-in encrypts and seals them in place.
    BeforeSignIn,
}

/// One run of the app on a fresh server: enroll, queue `n` collections (before or after
/// signing in), then time the sync from "Sync now" to "0 waiting to sync".
async fn app_sync(n: usize, queued: Queued) -> Result<(AppSync, Option<Upgrade>)> {
    let server = Server::start().await?;
    let proxy = FlakyProxy::start(server.port()).await?;
    let browser = Browser::start().await?;
    let result = async {
        enroll(&browser, &proxy.base, server.demo_code()?).await?;
        let token = flow::device_token(&browser).await?;
        let records = records_for(&server.base, &token, n).await?;
        let mut upgrade = None;
        let mut to_inject = &records[..];
        let sign_in_took = if queued == Queued::BeforeSignIn {
            // The start-up sync of a tablet nobody signed in on (a heartbeat) ends first.
            tokio::time::sleep(Duration::from_secs(2)).await;
            block_pushes(&browser, true).await?;
            let before = proxy.stats().pushes;
            for chunk in records.chunks(500) {
                flow::inject_outbox(&browser, chunk.to_vec()).await?;
            }
            to_inject = &[];
            watch_upgrade(&browser, n).await?;
            let took = sign_in(&browser).await?;
            upgrade = Some(wait_for_upgrade(&browser).await?);
            ensure!(
                proxy.stats().pushes == before,
                "a push reached the lab before the timed sync: the measurement would not hold"
            );
            took
        } else {
            let took = sign_in(&browser).await?;
            browser.wait_for(&format!("collect-{}", flow::MRN)).await?;
            // Let the start-up sync finish, so the counters hold only this sync.
            tokio::time::sleep(Duration::from_secs(2)).await;
            took
        };

        // The app may start pushing on its own (its timer, or a retry of the blocked push)
        // while records are still being injected or before the click: the clock then starts
        // at that first push, not at the click.
        let before = proxy.stats();
        let first_push = Arc::new(Mutex::new(None::<Instant>));
        let stop = Arc::new(AtomicBool::new(false));
        if queued == Queued::BeforeSignIn {
            block_pushes(&browser, false).await?;
        }
        let injecting = async {
            for chunk in to_inject.chunks(500) {
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
        Ok((
            AppSync {
                app: done - started,
                synced: held.len(),
                pushes: after.pushes - before.pushes,
                pulls: after.pulls - before.pulls,
                push_bytes: after.push_bytes - before.push_bytes,
                sign_in: sign_in_took,
            },
            upgrade,
        ))
    }
    .await;
    let _ = browser.close().await;
    result
}

/// Measures one size: the references on fresh servers of their own, then the app on others;
/// with `encrypted`, also the encrypted runs.
pub async fn measure(n: usize, encrypted: bool) -> Result<SyncFigures> {
    let raw = raw_push(n).await?;
    let (plain, _) = app_sync(n, Queued::AfterSignIn).await?;
    let encrypted = if encrypted {
        let sealed = raw_push_sealed(n).await?;
        let (app, upgrade) = app_sync(n, Queued::BeforeSignIn).await?;
        Some((app, upgrade.context("no upgrade measured")?, sealed))
    } else {
        None
    };
    Ok(SyncFigures {
        n,
        plain,
        raw,
        encrypted,
    })
}
