//! Sync under faults, end to end with the real server and headless Chromium: nothing is lost and
//! nothing arrives twice, whether the server is down, the network cuts connections, the server
//! dies mid-batch, the browser dies mid-finalize, or the tablet's clock is wrong.

use std::collections::HashSet;
use std::time::{Duration, Instant};

use anyhow::{bail, ensure, Result};
use drawline_domain::{Device, SiteConfig};
use drawline_e2e::flow::{self, MRN};
use drawline_e2e::lab::{self, Lab};
use drawline_e2e::proxy::FlakyProxy;
use drawline_e2e::{Browser, Server, PATIENCE};

/// Sync after a fault waits for retries with backoff (at most a minute apart): allow several.
const SYNC_PATIENCE: Duration = Duration::from_secs(300);

/// Tubes of the demo patient's tests (PT, APTT, CBC), from the planner the app uses.
fn demo_tubes() -> usize {
    SiteConfig::default_site()
        .plan(&["PT", "APTT", "CBC"], Device::EvacuatedHolder)
        .expect("demo tests are in the default catalog")
        .tubes
        .len()
}

/// Waits until the status bar says `n` waiting to sync, for as long as sync may need.
async fn wait_for_waiting(browser: &Browser, n: usize) -> Result<()> {
    let want = format!("{n} waiting to sync");
    let deadline = Instant::now() + SYNC_PATIENCE;
    loop {
        let text = browser.text_of("waiting-to-sync").await?;
        if text == want {
            return Ok(());
        }
        if Instant::now() > deadline {
            bail!("still {text:?}, expected {want:?}");
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
}

/// The app is stored by its service worker, so a reload works with the server down.
async fn wait_until_ready_offline(browser: &Browser) -> Result<()> {
    flow::prepare_round(browser, PATIENCE).await.map(|_| ())
}

/// The lab holds exactly `expected` collections of this device, each with one version.
async fn assert_lab_holds_exactly(
    lab: &Lab,
    token: &str,
    expected: &HashSet<String>,
) -> Result<()> {
    let held = lab.collections(token).await?;
    let ids: HashSet<String> = held.iter().map(|c| c.id.to_string()).collect();
    ensure!(held.len() == ids.len(), "the lab lists a collection twice");
    ensure!(
        &ids == expected,
        "the lab holds {} collections, expected {}",
        ids.len(),
        expected.len()
    );
    ensure!(
        held.iter().all(|c| c.latest_version == 1),
        "a collection has more than one version"
    );
    Ok(())
}

/// Waits until nothing waits to sync, then checks the lab holds exactly `expected`, once each,
/// and the tablet a receipt for each and nothing in its outbox; answers the receipts.
async fn assert_synced_exactly_once(
    browser: &Browser,
    lab: &Lab,
    token: &str,
    expected: &HashSet<String>,
) -> Result<Vec<String>> {
    wait_for_waiting(browser, 0).await?;
    assert_lab_holds_exactly(lab, token, expected).await?;
    let [_, outbox, receipts] = flow::store_keys(browser).await?;
    ensure!(outbox.is_empty(), "{} left in the outbox", outbox.len());
    ensure!(
        receipts.len() == expected.len(),
        "{} receipts",
        receipts.len()
    );
    Ok(receipts)
}

fn ids_of(records: &[serde_json::Value]) -> HashSet<String> {
    records
        .iter()
        .map(|r| r["collection_id"].as_str().unwrap_or_default().to_owned())
        .collect()
}

/// A server, a counting proxy in front of it, and a tablet enrolled through the proxy (ready to
/// start offline), with finalized collections built for its worklist but not yet stored.
struct ProxiedTablet {
    server: Server,
    proxy: FlakyProxy,
    browser: Browser,
    /// The tablet's device token.
    token: String,
    /// The lab API of the server.
    lab: Lab,
    /// The collections, as outbox records.
    records: Vec<serde_json::Value>,
    /// Their collection ids.
    expected: HashSet<String>,
}

/// A [`ProxiedTablet`] with `queued` collections built.
async fn proxied_tablet_with(queued: usize) -> Result<ProxiedTablet> {
    let server = Server::start().await?;
    let proxy = FlakyProxy::start(server.port()).await?;
    let browser = Browser::start().await?;
    flow::enroll_and_sign_in(&browser, &proxy.base, server.demo_code()?).await?;
    wait_until_ready_offline(&browser).await?;
    let token = flow::device_token(&browser).await?;
    let lab = Lab::new(&server.base);
    let amara = lab.user_id(&token, "amara", "1234").await?;
    let records = lab::outbox_records(&lab.worklist(&token).await?, &amara, queued, lab::now())?;
    let expected = ids_of(&records);
    Ok(ProxiedTablet {
        server,
        proxy,
        browser,
        token,
        lab,
        records,
        expected,
    })
}

/// A fresh demo tablet enrolled at the server, with its device token and the server's lab API.
async fn enrolled_tablet_with_lab() -> Result<(Server, Browser, String, Lab)> {
    let (server, browser) = flow::enrolled_tablet().await?;
    let token = flow::device_token(&browser).await?;
    let lab = Lab::new(&server.base);
    Ok((server, browser, token, lab))
}

#[tokio::test]
#[ignore = "needs the release PWA, the server binary and chromedriver: run `cargo xtask test`"]
async fn a_collection_made_with_the_server_down_arrives_exactly_once_when_it_returns() -> Result<()>
{
    let (server, browser) = flow::enrolled_tablet().await?;
    let base = server.base.clone();
    wait_until_ready_offline(&browser).await?;
    let token = flow::device_token(&browser).await?;

    let stopped = server.stop().await?;
    // A reload with the server gone: the shell comes from the service worker's cache.
    browser.client.goto(&base).await?;
    flow::unlock(&browser, "1234").await?;
    browser.wait_for_path(|p| p == "/draws").await?;
    flow::collect_one(&browser, demo_tubes()).await?;
    wait_for_waiting(&browser, 1).await?;
    let [drafts, outbox, _] = flow::store_keys(&browser).await?;
    ensure!(
        drafts.is_empty() && outbox.len() == 1,
        "{drafts:?} {outbox:?}"
    );
    let id = outbox[0].trim_end_matches("/v1").to_owned();

    let server = stopped.restart().await?;
    // No click: the retry timer finds the server again by itself.
    let lab = Lab::new(&server.base);
    let receipts =
        assert_synced_exactly_once(&browser, &lab, &token, &HashSet::from([id.clone()])).await?;
    ensure!(receipts == [format!("{id}/v1")]);
    // Back on the draw list the patient is collected and synced, not offered again.
    flow::go(&browser, "/draws").await?;
    let text = browser.patient_card_text(MRN).await?;
    ensure!(text.contains("Collected · synced"), "{text}");
    browser.close().await
}

#[tokio::test]
#[ignore = "needs the release PWA, the server binary and chromedriver: run `cargo xtask test`"]
async fn two_hundred_collections_sync_exactly_once_through_a_proxy_that_drops_and_cuts_connections(
) -> Result<()> {
    let t = proxied_tablet_with(200).await?;

    t.proxy.set_flaky(true);
    flow::inject_outbox(&t.browser, t.records.clone()).await?;
    flow::sync_now(&t.browser).await?;
    let receipts = assert_synced_exactly_once(&t.browser, &t.lab, &t.token, &t.expected).await?;
    ensure!(receipts.len() == 200, "{} receipts", receipts.len());
    let stats = t.proxy.stats();
    println!("flaky proxy: {stats:?}");
    ensure!(
        stats.refused > 0 && stats.cut > 0,
        "the proxy never failed a connection: {stats:?}"
    );
    t.browser.close().await
}

#[tokio::test]
#[ignore = "needs the release PWA, the server binary and chromedriver: run `cargo xtask test`"]
async fn the_server_killed_in_the_middle_of_a_batch_loses_and_duplicates_nothing() -> Result<()> {
    // Two batches' worth, so the kill lands with one batch in flight and one still queued.
    let t = proxied_tablet_with(400).await?;
    flow::inject_outbox(&t.browser, t.records.clone()).await?;

    let before = t.proxy.stats().pushes;
    flow::sync_now(&t.browser).await?;
    let deadline = Instant::now() + PATIENCE;
    while t.proxy.stats().pushes == before {
        ensure!(Instant::now() < deadline, "no push reached the server");
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    let stopped = t.server.stop().await?;
    let server = stopped.restart().await?;

    let lab = Lab::new(&server.base);
    let receipts = assert_synced_exactly_once(&t.browser, &lab, &t.token, &t.expected).await?;
    ensure!(receipts.len() == 400);
    t.browser.close().await
}

#[tokio::test]
#[ignore = "needs the release PWA, the server binary and chromedriver: run `cargo xtask test`"]
async fn a_browser_killed_during_finalize_leaves_the_collection_a_draft_or_in_the_outbox_never_both(
) -> Result<()> {
    let (server, browser) = flow::enrolled_tablet().await?;
    let base = server.base.clone();
    wait_until_ready_offline(&browser).await?;
    // The server stays down so a finalized record stays in the outbox, where the test looks.
    let _stopped = server.stop().await?;
    browser.client.goto(&base).await?;
    flow::unlock(&browser, "1234").await?;
    browser.wait_for_path(|p| p == "/draws").await?;
    flow::start_and_identify(&browser).await?;
    flow::draw_label_and_review(&browser, demo_tubes()).await?;
    let path = browser.wait_for_path(|p| p.ends_with("/review")).await?;
    let id = path
        .trim_start_matches("/collect/")
        .trim_end_matches("/review")
        .to_owned();

    browser.click("finalize").await?;
    let profile = browser.kill().await?;

    let browser = Browser::start_with_profile(profile).await?;
    browser.client.goto(&base).await?;
    flow::unlock(&browser, "1234").await?;
    browser.wait_for("draft-count").await?;
    let [drafts, outbox, receipts] = flow::store_keys(&browser).await?;
    let as_draft = drafts.contains(&id);
    let in_outbox = outbox.contains(&format!("{id}/v1"));
    println!("after the kill: draft {as_draft}, outbox {in_outbox}");
    ensure!(
        as_draft != in_outbox,
        "draft {as_draft}, outbox {in_outbox}: must be exactly one"
    );
    ensure!(receipts.is_empty());
    browser.close().await
}

#[tokio::test]
#[ignore = "needs the release PWA, the server binary and chromedriver: run `cargo xtask test`"]
async fn a_tablet_clock_hours_wrong_still_syncs_and_the_lab_flags_the_skew() -> Result<()> {
    let server = Server::start().await?;
    let browser = Browser::start().await?;
    // Every page of this tablet sees a clock three hours fast.
    browser
        .cdp(
            "Page.addScriptToEvaluateOnNewDocument",
            serde_json::json!({ "source": "(() => {
                const shift = 3 * 3600 * 1000;
                const Real = Date;
                class Skewed extends Real {
                    constructor(...a) { if (a.length === 0) super(Real.now() + shift); else super(...a); }
                    static now() { return Real.now() + shift; }
                }
                globalThis.Date = Skewed;
            })();" }),
        )
        .await?;
    flow::enroll_at(&browser, &server).await?;
    let token = flow::device_token(&browser).await?;
    flow::collect_one(&browser, demo_tubes()).await?;
    wait_for_waiting(&browser, 0).await?;
    let skew = browser.text_of("clock-skew").await?;
    ensure!(skew.contains("3 h") && skew.contains("ahead"), "{skew}");

    let lab = Lab::new(&server.base);
    let held = lab.collections(&token).await?;
    ensure!(held.len() == 1, "{} collections", held.len());
    let versions = lab.versions(&token, held[0].id).await?;
    let seconds = versions[0].clock_skew_seconds;
    ensure!(
        (3 * 3600 - 600..=3 * 3600 + 600).contains(&seconds),
        "skew recorded as {seconds} s"
    );
    let [_, _, receipts] = flow::store_keys(&browser).await?;
    ensure!(receipts.len() == 1);
    browser.close().await
}

#[tokio::test]
#[ignore = "needs the release PWA, the server binary and chromedriver: run `cargo xtask test`"]
async fn a_thousand_queued_collections_sync_once_each_and_the_cost_is_reported() -> Result<()> {
    let t = proxied_tablet_with(1000).await?;
    flow::inject_outbox(&t.browser, t.records.clone()).await?;

    let before = t.proxy.stats();
    let started = Instant::now();
    flow::sync_now(&t.browser).await?;
    wait_for_waiting(&t.browser, 0).await?;
    let took = started.elapsed();
    let after = t.proxy.stats();
    // A figure for the record, not an assertion: these machines are shared.
    println!(
        "synced 1000 queued collections in {:.1} s with {} push and {} pull requests, {} bytes sent",
        took.as_secs_f64(),
        after.pushes - before.pushes,
        after.pulls - before.pulls,
        after.push_bytes - before.push_bytes
    );
    assert_lab_holds_exactly(&t.lab, &t.token, &t.expected).await?;
    t.browser.close().await
}

#[tokio::test]
#[ignore = "needs the release PWA, the server binary and chromedriver: run `cargo xtask test`"]
async fn orders_cancelled_while_the_tablet_was_away_are_flagged_at_the_next_pull() -> Result<()> {
    let (_server, browser, token, lab) = enrolled_tablet_with_lab().await?;
    let worklist = lab.worklist(&token).await?;
    let order_of = |mrn: &str| -> Result<String> {
        let patient = worklist
            .patients
            .iter()
            .find(|p| p.identity.mrn.as_str() == mrn)
            .ok_or_else(|| anyhow::anyhow!("{mrn} not on the worklist"))?;
        Ok(worklist
            .orders
            .iter()
            .find(|o| o.order.patient == patient.id)
            .map(|o| o.order.id.to_string())
            .unwrap_or_default())
    };
    let held = order_of(MRN)?;
    let other = worklist
        .patients
        .iter()
        .find(|p| p.identity.mrn.as_str() != MRN)
        .map(|p| p.identity.mrn.to_string())
        .unwrap_or_default();
    let free = order_of(&other)?;
    // A draft now holds the demo patient's orders.
    flow::start_and_identify(&browser).await?;

    let supervisor = lab.sign_in(&token, "sam", "9876").await?;
    lab.cancel_order(&supervisor, &held, "ordered twice")
        .await?;
    lab.cancel_order(&supervisor, &free, "patient discharged")
        .await?;

    flow::go(&browser, "/draws").await?;
    browser.click("prepare-round").await?;
    browser.wait_for("round-ready").await?;
    // The list re-renders as the pull lands: read it once it has settled at two notices.
    let deadline = Instant::now() + PATIENCE;
    let notices = loop {
        let found = browser
            .texts_of_all("order-notice")
            .await
            .unwrap_or_default();
        if found.len() == 2 {
            break found;
        }
        ensure!(Instant::now() < deadline, "notices: {found:?}");
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    ensure!(
        notices.iter().any(|n| n.contains("cancelled by the lab")
            && n.contains("ordered twice")
            && n.contains("still be sent")),
        "the held order is flagged and kept: {notices:?}"
    );
    ensure!(
        notices
            .iter()
            .any(|n| n.contains("patient discharged") && n.contains("Do not draw it")),
        "{notices:?}"
    );
    browser.click("acknowledge-notices").await?;
    flow::wait_for_count(&browser, "order-notice", 0).await?;
    // The draft that holds the cancelled order is still there to finish and send.
    browser.wait_for_text("draft-count", "1").await?;
    browser.close().await
}

#[tokio::test]
#[ignore = "needs the release PWA, the server binary and chromedriver: run `cargo xtask test`"]
async fn a_revoked_tablet_stops_syncing_and_keeps_its_undelivered_records() -> Result<()> {
    let (_server, browser, token, lab) = enrolled_tablet_with_lab().await?;
    let worklist = lab.worklist(&token).await?;
    let amara = lab.user_id(&token, "amara", "1234").await?;
    let supervisor = lab.sign_in(&token, "sam", "9876").await?;
    lab.revoke_device(&supervisor, "Demo tablet").await?;

    let records = lab::outbox_records(&worklist, &amara, 2, lab::now())?;
    flow::inject_outbox(&browser, records).await?;
    flow::sync_now(&browser).await?;
    // The revoked screen covers the app and says what the tablet keeps for the lab.
    browser.wait_for("revoked").await?;
    let kept = browser.text_of("revoked-kept").await?;
    ensure!(kept.contains('2'), "{kept}");
    let [_, outbox, receipts] = flow::store_keys(&browser).await?;
    ensure!(
        outbox.len() == 2 && receipts.is_empty(),
        "the records stay on the tablet"
    );
    browser.close().await
}

#[tokio::test]
#[ignore = "needs the release PWA, the server binary and chromedriver: run `cargo xtask test`"]
async fn with_nobody_signed_in_the_tablet_still_sends_its_outbox_and_pulls_no_patient_data(
) -> Result<()> {
    let t = proxied_tablet_with(3).await?;
    t.browser.click("sign-out").await?;
    t.browser.wait_for_path(|p| p == "/sign-in").await?;
    // A fresh start with nobody signed in: from here on no pull may leave the tablet.
    t.browser
        .client
        .goto(&format!("{}/sign-in", t.proxy.base))
        .await?;
    t.browser.wait_for_path(|p| p == "/sign-in").await?;
    let pulls = t.proxy.stats().pulls;
    flow::inject_outbox(&t.browser, t.records.clone()).await?;
    // Sync starts by itself when the app starts; nobody can press "Sync now".
    t.browser
        .client
        .goto(&format!("{}/sign-in", t.proxy.base))
        .await?;
    let deadline = Instant::now() + SYNC_PATIENCE;
    loop {
        let [_, outbox, _] = flow::store_keys(&t.browser).await?;
        if outbox.is_empty() {
            break;
        }
        if Instant::now() > deadline {
            bail!("{} still in the outbox with nobody signed in", outbox.len());
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    assert_lab_holds_exactly(&t.lab, &t.token, &t.expected).await?;
    let stats = t.proxy.stats();
    ensure!(stats.pushes > 0, "{stats:?}");
    ensure!(
        stats.pulls == pulls,
        "a pull left the tablet with nobody signed in: {stats:?}"
    );
    t.browser.close().await
}
