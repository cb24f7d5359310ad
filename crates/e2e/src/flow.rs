//! The collector's steps through the real UI, and the device database as the tests inspect it.

use std::time::Duration;

use anyhow::{bail, ensure, Result};
use serde_json::Value;

use crate::{Browser, Server, PATIENCE};

/// Lindqvist, Erik of the demo ward round: PT, APTT and CBC.
pub const MRN: &str = "MRN100233";
/// His wristband as a keyboard-wedge scanner types it.
pub const WRISTBAND: &str = "DL1|MRN100233|LINDQVIST^ERIK|19370630";
/// WebDriver's Enter key, which a keyboard-wedge scanner sends after the barcode.
pub const ENTER: &str = "\u{E007}";

/// Enrolls the browser's tablet at `base` with `code` and signs amara in; waits for the demo
/// patient on the draw list.
pub async fn enroll_and_sign_in(browser: &Browser, base: &str, code: &str) -> Result<()> {
    enroll_and_sign_in_as(browser, base, code, "amara", "1234").await?;
    browser.wait_for(&format!("collect-{MRN}")).await
}

/// Enrolls the browser's tablet with the server's printed code and signs amara in; waits for
/// the demo patient on the draw list.
pub async fn enroll_at(browser: &Browser, server: &Server) -> Result<()> {
    enroll_and_sign_in(browser, &server.base, server.demo_code()?).await
}

/// A fresh demo server and a fresh browser whose tablet is enrolled there, with amara signed in
/// and the demo patient on the draw list.
pub async fn enrolled_tablet() -> Result<(Server, Browser)> {
    let server = Server::start().await?;
    let browser = Browser::start().await?;
    enroll_at(&browser, &server).await?;
    Ok((server, browser))
}

/// Enrolls the browser's tablet at `base` with `code` and signs a collector in, up to the draw
/// list (whatever its round holds).
pub async fn enroll_and_sign_in_as(
    browser: &Browser,
    base: &str,
    code: &str,
    username: &str,
    pin: &str,
) -> Result<()> {
    browser.client.goto(base).await?;
    browser.wait_for_path(|p| p == "/enroll").await?;
    browser.type_into("enroll-code", code).await?;
    browser.click("enroll-submit").await?;
    browser.wait_for_path(|p| p == "/sign-in").await?;
    browser.type_into("username", username).await?;
    browser.type_into("pin", pin).await?;
    browser.click("sign-in-submit").await?;
    browser.wait_for_path(|p| p == "/draws").await?;
    Ok(())
}

/// Opens the patient's collection from the draw list, up to its identify screen.
pub async fn open_collection(browser: &Browser) -> Result<()> {
    browser.click(&format!("collect-{MRN}")).await?;
    browser.wait_for_path(|p| p.ends_with("/identify")).await?;
    Ok(())
}

/// Opens the patient's collection and scans their wristband; returns the tubes screen's path.
pub async fn start_and_identify(browser: &Browser) -> Result<String> {
    open_collection(browser).await?;
    browser
        .type_into("wristband-scan", &format!("{WRISTBAND}{ENTER}"))
        .await?;
    let path = browser.wait_for_path(|p| p.ends_with("/tubes")).await?;
    prepare_draw(browser, "RACF").await?;
    Ok(path)
}

/// On the tubes screen, what comes before the first tube: the fasting question when a test asks
/// for it (answered "fasting"), then venipuncture 1 at `site` (an HL7 table 0163 code) with the
/// planned device.
pub async fn prepare_draw(browser: &Browser, site: &str) -> Result<()> {
    browser.wait_for("venipuncture").await?;
    if !browser.texts_of_all("fasting-question").await?.is_empty() {
        browser.click("fasting-fasting").await?;
    }
    begin_venipuncture(browser, site).await
}

/// Begins a venipuncture at `site` (an HL7 table 0163 code) with the device already chosen.
pub async fn begin_venipuncture(browser: &Browser, site: &str) -> Result<()> {
    browser.click(&format!("site-{site}")).await?;
    browser.click("begin-venipuncture").await?;
    browser.wait_for("venipuncture-current").await?;
    Ok(())
}

/// Acknowledges the hard stop on screen as a collector must: the button stays disabled until the
/// statement is ticked (a single tap does not clear it); then waits until the stop is gone.
pub async fn acknowledge_hard_stop(browser: &Browser) -> Result<()> {
    let dismiss = browser.element("hard-stop-dismiss").await?;
    ensure!(
        !dismiss.is_enabled().await?,
        "a single tap must not clear a hard stop"
    );
    browser.click("hard-stop-confirm").await?;
    browser.click("hard-stop-dismiss").await?;
    wait_for_count(browser, "hard-stop", 0).await
}

/// Signs the collector out and a supervisor (`sam` of the demo site) in, up to the devices view.
pub async fn sign_in_supervisor(browser: &Browser) -> Result<()> {
    browser.click("sign-out").await?;
    browser.wait_for_path(|p| p == "/sign-in").await?;
    browser.type_into("username", "sam").await?;
    browser.type_into("pin", "9876").await?;
    browser.click("sign-in-submit").await?;
    browser
        .wait_for_path(|p| p == "/supervisor/devices")
        .await?;
    Ok(())
}

/// Waits until the service worker is ready, then presses "Prepare for round" until the round is
/// downloaded for offline work (within `limit`); answers what the app then says.
pub async fn prepare_round(browser: &Browser, limit: Duration) -> Result<String> {
    browser.wait_for_text("sw-status", "Ready").await?;
    let deadline = tokio::time::Instant::now() + limit;
    loop {
        browser.click("prepare-round").await?;
        let text = browser.text_of("round-ready").await?;
        if text.starts_with("Ready to work offline") {
            return Ok(text);
        }
        ensure!(
            tokio::time::Instant::now() < deadline,
            "never ready: {text}"
        );
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
}

/// Opens the sync screen in-app from the status bar (no page load, so no network needed).
pub async fn open_sync_screen(browser: &Browser) -> Result<()> {
    browser.click("waiting-to-sync").await?;
    browser.wait_for_path(|p| p == "/sync").await?;
    Ok(())
}

/// Opens the sync screen in-app and presses "Sync now".
pub async fn sync_now(browser: &Browser) -> Result<()> {
    open_sync_screen(browser).await?;
    browser.click("sync-now").await
}

/// Opens `path` inside the running app, as its own links do (a page load would start the app
/// anew, and a tablet someone is signed in on starts locked).
pub async fn go(browser: &Browser, path: &str) -> Result<()> {
    browser
        .client
        .execute(
            "history.pushState(null, '', arguments[0]);
             window.dispatchEvent(new PopStateEvent('popstate', { state: null }));",
            vec![serde_json::json!(path)],
        )
        .await?;
    let wanted = path.split('?').next().unwrap_or(path).to_owned();
    browser.wait_for_path(|p| p == wanted).await?;
    Ok(())
}

/// Waits for the collection screen whose path ends with `from`, then opens the same
/// collection's `to` screen by its address, inside the app.
pub async fn jump_to(browser: &Browser, _base: &str, from: &str, to: &str) -> Result<()> {
    let path = browser.wait_for_path(|p| p.ends_with(from)).await?;
    go(browser, &path.replace(from, to)).await
}

/// Waits until `check` holds for the texts of the elements with this `data-testid`; answers them.
pub async fn wait_until_texts(
    browser: &Browser,
    test_id: &str,
    check: impl Fn(&[String]) -> bool,
) -> Result<Vec<String>> {
    let deadline = tokio::time::Instant::now() + PATIENCE;
    loop {
        let texts = browser.texts_of_all(test_id).await.unwrap_or_default();
        if check(&texts) {
            return Ok(texts);
        }
        ensure!(
            tokio::time::Instant::now() < deadline,
            "{test_id}: {texts:?}"
        );
        tokio::time::sleep(Duration::from_millis(150)).await;
    }
}

/// Waits until an element with this `data-testid` has a text satisfying `check`; answers it.
pub async fn wait_until_text(
    browser: &Browser,
    test_id: &str,
    check: impl Fn(&str) -> bool,
) -> Result<String> {
    let texts = wait_until_texts(browser, test_id, |texts| texts.iter().any(|t| check(t))).await?;
    Ok(texts
        .into_iter()
        .find(|t| check(t))
        .expect("the wait ended on a matching text"))
}

/// Waits until exactly `n` elements carry this `data-testid`.
pub async fn wait_for_count(browser: &Browser, test_id: &str, n: usize) -> Result<()> {
    let deadline = tokio::time::Instant::now() + PATIENCE;
    loop {
        let found = browser.texts_of_all(test_id).await?.len();
        if found == n {
            return Ok(());
        }
        ensure!(
            tokio::time::Instant::now() < deadline,
            "{found} {test_id}, expected {n}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// From the tubes screen: marks `tubes` tubes drawn, prints their labels and opens review.
pub async fn draw_label_and_review(browser: &Browser, tubes: usize) -> Result<()> {
    wait_for_count(browser, "tube-card", tubes).await?;
    for i in 1..=tubes {
        browser.click(&format!("mark-drawn-{i}")).await?;
        let stamp = browser.text_of(&format!("drawn-at-{i}")).await?;
        ensure!(stamp.starts_with("Drawn "), "{stamp}");
    }
    browser.click("go-label").await?;
    browser.wait_for_path(|p| p.ends_with("/label")).await?;
    // The print dialog is the browser's; headless Chromium gets a no-op instead.
    browser
        .client
        .execute("window.print = () => {};", vec![])
        .await?;
    for i in 1..=tubes {
        browser.click("print-label").await?;
        wait_for_count(browser, "label-preview", i).await?;
    }
    let barcodes = browser.texts_of_all("barcode").await?.len();
    ensure!(barcodes == tubes, "{barcodes} barcodes for {tubes} labels");
    browser.click("go-review").await?;
    browser.wait_for_path(|p| p.ends_with("/review")).await?;
    Ok(())
}

/// One whole collection of the demo patient, from the draw list to "finalized".
pub async fn collect_one(browser: &Browser, tubes: usize) -> Result<()> {
    start_and_identify(browser).await?;
    draw_label_and_review(browser, tubes).await?;
    browser.click("finalize").await?;
    browser.wait_for("finalized").await
}

async fn idb(browser: &Browser, body: &str, args: Vec<Value>) -> Result<Value> {
    // Opens the app's database at whatever version the app made, runs `body` with `db` and
    // `done`, and closes it again so the app's own connection is never blocked.
    let script = format!(
        "const done = arguments[arguments.length - 1];
         const args = Array.from(arguments).slice(0, -1);
         const req = indexedDB.open('drawline');
         req.onerror = () => done({{ error: String(req.error) }});
         req.onsuccess = () => {{
           const db = req.result;
           const finish = (v) => {{ db.close(); done(v); }};
           try {{ {body} }} catch (e) {{ finish({{ error: String(e) }}); }}
         }};"
    );
    let v = browser.client.execute_async(&script, args).await?;
    if let Some(e) = v.get("error") {
        bail!("IndexedDB: {e}");
    }
    Ok(v)
}

/// The enrolled device's token, read from the tablet's settings store.
pub async fn device_token(browser: &Browser) -> Result<String> {
    let v = idb(
        browser,
        "const g = db.transaction('settings').objectStore('settings').get('device');
         g.onsuccess = () => finish(g.result ? g.result.value.token : null);",
        vec![],
    )
    .await?;
    match v.as_str() {
        Some(t) => Ok(t.to_owned()),
        None => bail!("the tablet is not enrolled"),
    }
}

/// Puts outbox records straight into the tablet's outbox, as finalizing would.
pub async fn inject_outbox(browser: &Browser, records: Vec<Value>) -> Result<()> {
    idb(
        browser,
        "const tx = db.transaction('outbox', 'readwrite');
         for (const r of args[0]) tx.objectStore('outbox').put(r);
         tx.oncomplete = () => finish(true);
         tx.onerror = () => finish({ error: String(tx.error) });",
        vec![Value::Array(records)],
    )
    .await
    .map(|_| ())
}

/// Every record of every store of the tablet's database, as JSON text: what someone who copied
/// the browser profile would read.
pub async fn raw_database(browser: &Browser) -> Result<String> {
    let v = idb(
        browser,
        "const names = Array.from(db.objectStoreNames);
         const tx = db.transaction(names);
         const out = {};
         for (const s of names) {
           const r = tx.objectStore(s).getAll();
           r.onsuccess = () => { out[s] = r.result; };
         }
         tx.oncomplete = () => finish(JSON.stringify(out));",
        vec![],
    )
    .await?;
    Ok(v.as_str().unwrap_or_default().to_owned())
}

/// Keys of the drafts, outbox and receipts stores, in that order.
pub async fn store_keys(browser: &Browser) -> Result<[Vec<String>; 3]> {
    let v = idb(
        browser,
        "const tx = db.transaction(['drafts', 'outbox', 'receipts']);
         const out = [];
         for (const s of ['drafts', 'outbox', 'receipts']) {
           const r = tx.objectStore(s).getAllKeys();
           r.onsuccess = () => { out[['drafts', 'outbox', 'receipts'].indexOf(s)] = r.result; };
         }
         tx.oncomplete = () => finish(out);",
        vec![],
    )
    .await?;
    let list = |i: usize| -> Vec<String> {
        v[i].as_array()
            .map(|a| {
                a.iter()
                    .filter_map(|k| k.as_str().map(String::from))
                    .collect()
            })
            .unwrap_or_default()
    };
    Ok([list(0), list(1), list(2)])
}

/// From the tubes screen with every tube drawn: prints the `tubes` labels and opens review.
pub async fn label_and_review(browser: &Browser, tubes: usize) -> Result<()> {
    browser.click("go-label").await?;
    browser.wait_for_path(|p| p.ends_with("/label")).await?;
    browser
        .client
        .execute("window.print = () => {};", vec![])
        .await?;
    for i in 1..=tubes {
        browser.click("print-label").await?;
        wait_for_count(browser, "label-preview", i).await?;
    }
    browser.click("go-review").await?;
    browser.wait_for_path(|p| p.ends_with("/review")).await?;
    Ok(())
}

/// Waits until the status bar says `n` waiting to sync.
pub async fn wait_for_waiting(browser: &Browser, n: usize) -> Result<()> {
    let expected = format!("{n} waiting to sync");
    let deadline = tokio::time::Instant::now() + PATIENCE;
    loop {
        let now = browser.texts_of_all("waiting-to-sync").await?;
        if now.first().is_some_and(|t| *t == expected) {
            return Ok(());
        }
        ensure!(
            tokio::time::Instant::now() < deadline,
            "status bar says {now:?}, expected {expected}"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

/// Unlocks the lock screen with `pin` (after a reload, an idle lock or "Lock") and waits until
/// the app under it is back.
pub async fn unlock(browser: &Browser, pin: &str) -> Result<()> {
    browser.type_into("unlock-pin", pin).await?;
    browser.click("unlock-submit").await?;
    wait_for_count(browser, "lock-screen", 0).await
}
