//! The real server serving the real release build, in headless Chromium.

use anyhow::{ensure, Result};
use drawline_e2e::{flow, Browser, Server};

/// The demo site's name, as the app shows it.
const SITE: &str = "Demo General Hospital";

/// A fresh demo server and a browser on its app, once the app shows the site's name.
async fn app_open() -> Result<(Server, Browser)> {
    let server = Server::start().await?;
    let browser = Browser::start().await?;
    browser.client.goto(&server.base).await?;
    browser.wait_for_text("site-name", SITE).await?;
    Ok((server, browser))
}

#[tokio::test]
#[ignore = "needs the release PWA, the server binary and chromedriver: run `cargo xtask test`"]
async fn the_app_shows_the_demo_site_and_registers_its_service_worker() -> Result<()> {
    let (server, browser) = app_open().await?;
    browser.wait_for_text("draft-count", "0").await?;
    browser
        .wait_for_text("waiting-to-sync", "0 waiting to sync")
        .await?;
    browser.wait_for_text("sw-status", "Ready").await?;

    let active = browser
        .run_async(
            "navigator.serviceWorker.ready.then(r => done(r.active ? r.active.scriptURL : null));",
        )
        .await?;
    assert_eq!(
        active.as_str(),
        Some(format!("{}/sw.js", server.base).as_str())
    );
    browser.close().await
}

#[tokio::test]
#[ignore = "needs the release PWA, the server binary and chromedriver: run `cargo xtask test`"]
async fn with_the_server_stopped_a_reload_starts_the_app_from_the_service_worker_cache(
) -> Result<()> {
    let (server, browser) = app_open().await?;
    // Wait until the worker is active and controls the page, so the shell is cached.
    browser.wait_for_service_worker_control().await?;

    let stopped = server.stop().await?;
    browser.client.refresh().await?;
    // The shell came from the cache: the app runs and says the lab is unreachable.
    let notice = browser.text_of("server-unreachable").await?;
    assert!(notice.contains("cannot be reached"), "{notice}");
    browser.wait_for_text("draft-count", "0").await?;

    let server = stopped.restart().await?;
    browser.client.refresh().await?;
    browser.wait_for_text("site-name", SITE).await?;
    drop(server);
    browser.close().await
}

/// The cache names the page can see.
async fn shell_caches(browser: &Browser) -> Result<Vec<String>> {
    let v = browser
        .run_async(
            "caches.keys().then(k => done(k.filter(n => n.startsWith('drawline-shell-')).sort()));",
        )
        .await?;
    Ok(serde_json::from_value(v)?)
}

#[tokio::test]
#[ignore = "needs the release PWA, the server binary and chromedriver: run `cargo xtask test`"]
async fn a_new_version_is_offered_only_off_the_collection_screens_and_replaces_the_old_cache(
) -> Result<()> {
    let dist = drawline_e2e::copy_of_dist()?;
    let server = Server::start_serving(dist.path().to_path_buf()).await?;
    let browser = Browser::start().await?;
    flow::enroll_at(&browser, &server).await?;
    browser.wait_for_text("sw-status", "Ready").await?;
    browser.wait_for_service_worker_control().await?;
    let old = shell_caches(&browser).await?;
    ensure!(old.len() == 1, "{old:?}");

    // Open a collection, then release a new version (a new build stamp in sw.js).
    flow::start_and_identify(&browser).await?;
    let sw = dist.path().join("sw.js");
    let text = std::fs::read_to_string(&sw)?;
    let stamp = old[0].trim_start_matches("drawline-shell-");
    ensure!(text.contains(stamp), "sw.js carries its build stamp");
    std::fs::write(&sw, text.replace(stamp, "e2e-new-version"))?;
    browser
        .run_async(
            "navigator.serviceWorker.getRegistration().then(r => r.update()).then(() => done(true));",
        )
        .await?;
    // Installed and waiting, but mid-collection the app keeps quiet about it.
    let deadline = tokio::time::Instant::now() + drawline_e2e::PATIENCE;
    loop {
        let waiting = browser
            .run_async("navigator.serviceWorker.getRegistration().then(r => done(!!r.waiting));")
            .await?;
        if waiting.as_bool() == Some(true) {
            break;
        }
        ensure!(tokio::time::Instant::now() < deadline, "no waiting worker");
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    }
    ensure!(
        browser.texts_of_all("update-ready").await?.is_empty(),
        "update offered in the middle of a collection"
    );
    ensure!(shell_caches(&browser).await?.contains(&old[0]));

    // Off the collection screens it is offered; accepting reloads into the new version.
    flow::go(&browser, "/draws").await?;
    browser.click("update-reload").await?;
    let deadline = tokio::time::Instant::now() + drawline_e2e::PATIENCE;
    loop {
        let caches = shell_caches(&browser).await.unwrap_or_default();
        if caches == ["drawline-shell-e2e-new-version"] {
            break;
        }
        ensure!(
            tokio::time::Instant::now() < deadline,
            "caches after the update: {caches:?}"
        );
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    }
    // The draft made before the update is still there, behind the PIN (a reload locks).
    flow::unlock(&browser, "1234").await?;
    browser.wait_for_text("draft-count", "1").await?;
    browser.close().await
}
