//! The real app under the lab server's Content-Security-Policy: it loads, works and works offline without a violation.

use anyhow::{ensure, Result};
use drawline_domain::{Device, SiteConfig};
use drawline_e2e::{flow, Browser, Server};

fn demo_tubes() -> usize {
    SiteConfig::default_site()
        .plan(&["PT", "APTT", "CBC"], Device::EvacuatedHolder)
        .expect("demo tests are in the default catalog")
        .tubes
        .len()
}

/// The shell's policy as the server sends it: strict, with the loader allowed by its hash.
async fn shell_policy(server: &Server) -> Result<String> {
    let res = reqwest::get(&server.base).await?;
    let csp = res
        .headers()
        .get("content-security-policy")
        .map(|v| v.to_str().unwrap_or_default().to_owned())
        .unwrap_or_default();
    ensure!(
        csp.contains("script-src 'self' 'wasm-unsafe-eval' 'sha256-"),
        "{csp}"
    );
    ensure!(!csp.contains("unsafe-inline"), "{csp}");
    Ok(csp)
}

#[tokio::test]
#[ignore = "needs the release PWA, the server binary and chromedriver: run `cargo xtask test`"]
async fn a_whole_collection_runs_under_the_strict_policy_without_a_violation() -> Result<()> {
    let server = Server::start().await?;
    shell_policy(&server).await?;
    let browser = Browser::start().await?;
    browser.watch_csp_violations().await?;
    flow::enroll_at(&browser, &server).await?;
    flow::start_and_identify(&browser).await?;
    flow::wait_for_count(&browser, "tube-card", demo_tubes()).await?;
    // The cap colours are set through the CSSOM, which the policy allows.
    let caps = browser
        .client
        .execute(
            "return [...document.querySelectorAll('[data-testid=tube-card] .cap')]
               .map(e => getComputedStyle(e).backgroundColor);",
            vec![],
        )
        .await?;
    let caps: Vec<String> = serde_json::from_value(caps)?;
    ensure!(caps.len() == demo_tubes(), "{caps:?}");
    ensure!(
        caps.iter().all(|c| c != "rgba(0, 0, 0, 0)"),
        "a cap without its colour: {caps:?}"
    );
    browser.capture_both_sizes("tubes-under-csp").await?;
    flow::draw_label_and_review(&browser, demo_tubes()).await?;
    browser.click("finalize").await?;
    browser.wait_for("finalized").await?;
    let violations = browser.csp_violations().await?;
    ensure!(violations.is_empty(), "{violations:#?}");

    // The watch would have seen one: an inline style attribute is a violation.
    browser
        .client
        .execute(
            "document.body.setAttribute('style', 'outline: 1px solid red');",
            vec![],
        )
        .await?;
    let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(10);
    loop {
        let seen = browser.csp_violations().await?;
        if seen.iter().any(|v| v.starts_with("style-src")) {
            break;
        }
        ensure!(
            tokio::time::Instant::now() < deadline,
            "no violation seen: {seen:?}"
        );
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    browser.close().await
}

#[tokio::test]
#[ignore = "needs the release PWA, the server binary and chromedriver: run `cargo xtask test`"]
async fn the_shell_from_the_service_worker_cache_runs_offline_under_the_policy() -> Result<()> {
    let server = Server::start().await?;
    let browser = Browser::start().await?;
    browser.watch_csp_violations().await?;
    browser.client.goto(&server.base).await?;
    browser.wait_for_service_worker_control().await?;
    let online = browser.csp_violations().await?;
    ensure!(online.is_empty(), "{online:#?}");

    let _stopped = server.stop().await?;
    browser.client.refresh().await?;
    let notice = browser.text_of("server-unreachable").await?;
    ensure!(notice.contains("cannot be reached"), "{notice}");
    let offline = browser.csp_violations().await?;
    ensure!(offline.is_empty(), "{offline:#?}");
    browser.close().await
}
