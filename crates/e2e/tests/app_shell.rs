//! The real server serving the real release build, in headless Chromium.

use anyhow::Result;
use drawline_e2e::{Browser, Server};

#[tokio::test]
#[ignore = "needs the release PWA, the server binary and chromedriver: run `cargo xtask test`"]
async fn the_app_shows_the_demo_site_and_registers_its_service_worker() -> Result<()> {
    let server = Server::start().await?;
    let browser = Browser::start().await?;
    browser.client.goto(&server.base).await?;

    browser
        .wait_for_text("site-name", "Demo General Hospital")
        .await?;
    browser.wait_for_text("draft-count", "0").await?;
    browser
        .wait_for_text("waiting-to-sync", "0 waiting to sync")
        .await?;
    browser.wait_for_text("sw-status", "Ready").await?;

    let active: serde_json::Value = browser
        .client
        .execute_async(
            "const done = arguments[arguments.length - 1];
             navigator.serviceWorker.ready.then(r => done(r.active ? r.active.scriptURL : null));",
            vec![],
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
    let server = Server::start().await?;
    let browser = Browser::start().await?;
    browser.client.goto(&server.base).await?;
    browser
        .wait_for_text("site-name", "Demo General Hospital")
        .await?;
    // Wait until the worker is active and controls the page, so the shell is cached.
    browser
        .client
        .execute_async(
            "const done = arguments[arguments.length - 1];
             navigator.serviceWorker.ready.then(() => {
               if (navigator.serviceWorker.controller) return done(true);
               navigator.serviceWorker.addEventListener('controllerchange', () => done(true));
             });",
            vec![],
        )
        .await?;

    let stopped = server.stop().await?;
    browser.client.refresh().await?;
    // The shell came from the cache: the app runs and says the lab is unreachable.
    let notice = browser.text_of("server-unreachable").await?;
    assert!(notice.contains("cannot be reached"), "{notice}");
    browser.wait_for_text("draft-count", "0").await?;

    let server = stopped.restart().await?;
    browser.client.refresh().await?;
    browser
        .wait_for_text("site-name", "Demo General Hospital")
        .await?;
    drop(server);
    browser.close().await
}
