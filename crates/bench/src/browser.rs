//! Items 4 and 5 in headless Chromium: cold start of the draw list online and from the service
//! worker beside a static page of the same size, and the draw list's render and filter times
//! with thousands of patients beside the demo worklist.

use std::path::Path;
use std::time::{Duration, Instant};

use anyhow::{bail, ensure, Context, Result};
use drawline_e2e::{flow, Browser, Server};
use serde_json::{json, Value};

use crate::launch::LabServer;
use crate::stats::median;

/// A script run before every document: records `performance.now()` (ms since navigation start)
/// in `window.__benchReady` at the first frame showing the search field and `want` patient cards.
/// A page load locks a signed-in tablet, so the probe types the demo collector's PIN into the
/// lock screen as soon as it shows, as the collector would: the time includes the unlock.
fn probe(want: usize) -> String {
    format!(
        "(() => {{
           const tick = () => {{
             const pin = document.querySelector('[data-testid=\"unlock-pin\"]');
             if (pin && !window.__benchUnlocking) {{
               window.__benchUnlocking = true;
               pin.value = '1234';
               pin.dispatchEvent(new Event('input', {{ bubbles: true }}));
               document.querySelector('[data-testid=\"unlock-submit\"]').click();
             }}
             if (document.querySelector('[data-testid=\"search\"]') &&
                 document.querySelectorAll('[data-testid=\"patient-card\"]').length >= {want}) {{
               window.__benchReady = performance.now();
             }} else {{
               requestAnimationFrame(tick);
             }}
           }};
           requestAnimationFrame(tick);
         }})();"
    )
}

/// Installs `probe(want)` for every later navigation (replacing the previous one).
async fn install_probe(browser: &Browser, previous: Option<String>, want: usize) -> Result<String> {
    if let Some(id) = previous {
        browser
            .cdp(
                "Page.removeScriptToEvaluateOnNewDocument",
                json!({ "identifier": id }),
            )
            .await?;
    }
    let v = browser
        .cdp(
            "Page.addScriptToEvaluateOnNewDocument",
            json!({ "source": probe(want) }),
        )
        .await?;
    v["identifier"]
        .as_str()
        .map(str::to_owned)
        .context("no script identifier")
}

/// Navigates to `url` from a blank page with the HTTP cache emptied; answers the probe's time.
async fn timed_load(browser: &Browser, url: &str, limit: Duration) -> Result<f64> {
    browser.client.goto("about:blank").await?;
    browser.cdp("Network.clearBrowserCache", json!({})).await?;
    browser.client.goto(url).await?;
    let deadline = Instant::now() + limit;
    loop {
        let v = browser
            .client
            .execute("return window.__benchReady ?? null;", vec![])
            .await?;
        if let Some(ms) = v.as_f64() {
            return Ok(ms);
        }
        ensure!(
            Instant::now() < deadline,
            "{url} was not ready within {limit:?}"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// Bytes a first visit downloads: the shell, the JS glue, the wasm and the CSS.
fn app_bytes(dist: &Path) -> Result<u64> {
    let mut total = 0;
    for entry in std::fs::read_dir(dist)? {
        let path = entry?.path();
        let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("");
        let counted = name == "index.html"
            || (name.ends_with(".js") && name != "sw.js")
            || name.ends_with(".wasm")
            || name.ends_with(".css");
        if counted {
            total += std::fs::metadata(&path)?.len();
        }
    }
    Ok(total)
}

/// A static page of exactly `size` bytes that the probe sees as ready once it is parsed.
fn static_page(size: u64) -> String {
    let head = "<!doctype html><html><head><meta charset=\"utf-8\"><title>reference</title></head><body><!--";
    let tail = "--><input data-testid=\"search\"><article data-testid=\"patient-card\">static</article></body></html>";
    let fill = (size as usize).saturating_sub(head.len() + tail.len());
    let mut page = String::with_capacity(size as usize);
    page.push_str(head);
    // Varied filler (not one repeated byte), so nothing in the path treats it specially.
    let mut x: u32 = 2463534242;
    for _ in 0..fill {
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        page.push(char::from(b'a' + (x % 26) as u8));
    }
    page.push_str(tail);
    page
}

/// Cold-start medians (ms from navigation start).
pub struct ColdStart {
    /// Runs of each.
    pub runs: usize,
    /// Bytes of the app's first download (and of the static page).
    pub bytes: u64,
    /// The app from the server (service worker bypassed, HTTP cache empty).
    pub online: f64,
    /// The static page of the same size, the same way.
    pub reference: f64,
    /// The app from its service worker with the server stopped.
    pub offline: f64,
}

/// Item 4.
pub async fn cold_start(runs: usize) -> Result<ColdStart> {
    let copy = drawline_e2e::copy_of_dist()?;
    let bytes = app_bytes(copy.path())?;
    std::fs::write(
        copy.path().join("static-reference.html"),
        static_page(bytes),
    )?;
    let server = Server::start_serving(copy.path().to_path_buf()).await?;
    let base = server.base.clone();
    let browser = Browser::start().await?;
    flow::enroll_and_sign_in_as(&browser, &base, server.demo_code()?, "amara", "1234").await?;
    flow::prepare_round(&browser, Duration::from_secs(120)).await?;
    browser.cdp("Network.enable", json!({})).await?;
    install_probe(&browser, None, 1).await?;
    let limit = Duration::from_secs(60);

    // Online: every byte from the server, as on a first visit; app and reference alternate so
    // both see the same moments of a noisy machine. One warm-up each, not counted.
    browser
        .cdp("Network.setBypassServiceWorker", json!({ "bypass": true }))
        .await?;
    let (mut online, mut reference) = (Vec::new(), Vec::new());
    for i in 0..=runs {
        let a = timed_load(&browser, &format!("{base}/draws"), limit).await?;
        let r = timed_load(&browser, &format!("{base}/static-reference.html"), limit).await?;
        if i > 0 {
            online.push(a);
            reference.push(r);
        }
    }
    // Offline: the server is gone; the service worker serves the shell and the assets.
    browser
        .cdp("Network.setBypassServiceWorker", json!({ "bypass": false }))
        .await?;
    let _stopped = server.stop().await?;
    let mut offline = Vec::new();
    for i in 0..=runs {
        let a = timed_load(&browser, &format!("{base}/draws"), limit).await?;
        if i > 0 {
            offline.push(a);
        }
    }
    let _ = browser.close().await;
    Ok(ColdStart {
        runs,
        bytes,
        online: median(&online),
        reference: median(&reference),
        offline: median(&offline),
    })
}

/// An orders CSV: `patients` patients with PT, APTT and CBC each (routine, untimed, so every
/// card looks like a demo routine patient).
fn orders_csv(patients: usize) -> String {
    let mut csv = String::from("order_id,mrn,family,given,birth_date,test,priority\n");
    for p in 0..patients {
        for test in ["PT", "APTT", "CBC"] {
            csv.push_str(&format!(
                "bench-{p}-{test},B{p:06},Benchmark,Patient,1950-01-01,{test},routine\n"
            ));
        }
    }
    csv
}

/// Runs `body` in the page with `want` and a callback; answers the number it calls back with.
async fn in_page(browser: &Browser, body: &str, args: Vec<Value>) -> Result<f64> {
    let script = format!(
        "const done = arguments[arguments.length - 1];
         const count = () => document.querySelectorAll('[data-testid=\"patient-card\"]').length;
         {body}"
    );
    let v = browser.client.execute_async(&script, args).await?;
    v.as_f64().with_context(|| format!("page answered {v}"))
}

/// Sets the search field to `query` as one input event (a paste, or a scanner's burst) and
/// answers ms until the frame showing exactly `want` cards.
async fn filter(browser: &Browser, query: &str, want: usize) -> Result<f64> {
    in_page(
        browser,
        "const [q, want] = arguments;
         const el = document.querySelector('[data-testid=\"search\"]');
         const t0 = performance.now();
         el.value = q;
         el.dispatchEvent(new Event('input', { bubbles: true }));
         const tick = () => count() === want ? done(performance.now() - t0) : requestAnimationFrame(tick);
         requestAnimationFrame(tick);",
        vec![json!(query), json!(want)],
    )
    .await
}

/// Draw-list medians at one size.
pub struct DrawList {
    /// Patients imported (0: the demo worklist only).
    pub imported: usize,
    /// Cards the list shows.
    pub cards: usize,
    /// Reload of /draws to the frame with every card.
    pub load: f64,
    /// In-app navigation back to the list to the frame with every card (render alone, no start-up).
    pub render: f64,
    /// Typing a patient's MRN to the frame with that one card.
    pub filter: f64,
    /// Clearing the search to the frame with every card again.
    pub clear: f64,
    /// Time the app took to download the round ("Prepare for round" until ready).
    pub prepare: Duration,
}

/// Item 5 at one size: `patients` patients (three orders each) imported into the demo ward round.
pub async fn draw_list(patients: usize, runs: usize, limit: Duration) -> Result<DrawList> {
    let server = LabServer::start().await?;
    let dir = tempfile::tempdir()?;
    if patients > 0 {
        let file = dir.path().join("orders.csv");
        std::fs::write(&file, orders_csv(patients))?;
        let file = file.to_str().context("path")?;
        let out = server
            .cli(&["orders", "import", file, "--round", "Ward 5 morning round"])
            .await?;
        ensure!(
            out.contains(&format!("{} created", patients * 3)),
            "import: {out}"
        );
    }
    let browser = Browser::start().await?;
    // A long list may keep a script waiting longer than WebDriver's default 30 s.
    browser
        .client
        .update_timeouts(fantoccini::wd::TimeoutConfiguration::new(
            Some(limit),
            Some(limit),
            None,
        ))
        .await?;
    flow::enroll_and_sign_in_as(
        &browser,
        &server.base,
        &server.enrollment_code,
        "amara",
        "1234",
    )
    .await?;
    let started = Instant::now();
    flow::prepare_round(&browser, limit).await?;
    let prepare = started.elapsed();
    // Every patient of the device's rounds: wait until the count stops changing.
    let mut cards = 0;
    let deadline = Instant::now() + limit;
    loop {
        let n = in_page(&browser, "done(count());", vec![]).await? as usize;
        if n == cards && n > 0 {
            break;
        }
        cards = n;
        ensure!(
            Instant::now() < deadline,
            "the list never settled ({n} cards)"
        );
        tokio::time::sleep(Duration::from_secs(1)).await;
    }
    ensure!(
        cards > patients,
        "{cards} cards for {patients} imported patients"
    );
    install_probe(&browser, None, cards).await?;
    let one = if patients > 0 {
        format!("B{:06}", patients / 2)
    } else {
        flow::MRN.to_owned()
    };
    let (mut load, mut render, mut filt, mut clear) = (vec![], vec![], vec![], vec![]);
    // A warm-up run first, not counted, unless a single run is all there is time for.
    let first = usize::from(runs > 1);
    for i in (1 - first)..=runs {
        let l = timed_load(&browser, &format!("{}/draws", server.base), limit).await?;
        // To the sync screen inside the app, then back: the list renders again from storage.
        flow::open_sync_screen(&browser).await?;
        let r = in_page(
            &browser,
            "const want = arguments[0];
             const t0 = performance.now();
             history.back();
             const tick = () => count() >= want && document.querySelector('[data-testid=\"search\"]')
               ? done(performance.now() - t0) : requestAnimationFrame(tick);
             requestAnimationFrame(tick);",
            vec![json!(cards)],
        )
        .await?;
        let f = filter(&browser, &one, 1).await?;
        let c = filter(&browser, "", cards).await?;
        if i > 0 {
            load.push(l);
            render.push(r);
            filt.push(f);
            clear.push(c);
        }
    }
    let _ = browser.close().await;
    server.stop().await?;
    if load.is_empty() {
        bail!("no runs");
    }
    Ok(DrawList {
        imported: patients,
        cards,
        load: median(&load),
        render: median(&render),
        filter: median(&filt),
        clear: median(&clear),
        prepare,
    })
}
