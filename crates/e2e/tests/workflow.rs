//! The bedside workflow through the real UI: enroll, sign in, identify by wristband scan, draw
//! in order, label, finalize; the wrong-wristband hard stop; resuming after a reload and after
//! the browser is killed.

use anyhow::Result;
use drawline_domain::{Device, SiteConfig};
use drawline_e2e::flow::{self, start_and_identify, wait_for_count, ENTER, MRN, WRISTBAND};
use drawline_e2e::{Browser, Server};

/// Walker, Edith of the demo home round: somebody else.
const OTHER_WRISTBAND: &str = "DL1|MRN200101|WALKER^EDITH|19330105";

/// Caps of the tubes the planner gives for the patient's tests, in order of draw.
fn expected_caps() -> Vec<String> {
    SiteConfig::default_site()
        .plan(&["PT", "APTT", "CBC"], Device::EvacuatedHolder)
        .expect("demo tests are in the default catalog")
        .tubes
        .into_iter()
        .map(|t| t.cap)
        .collect()
}

#[tokio::test]
#[ignore = "needs the release PWA, the server binary and chromedriver: run `cargo xtask test`"]
async fn one_full_collection_from_the_draw_list_to_the_outbox() -> Result<()> {
    let (_server, browser) = flow::enrolled_tablet().await?;
    browser
        .wait_for_text("waiting-to-sync", "0 waiting to sync")
        .await?;

    start_and_identify(&browser).await?;
    browser
        .wait_for_text("identified-badge", "Identified")
        .await?;
    wait_for_count(&browser, "tube-card", expected_caps().len()).await?;
    let caps = browser.texts_of_all("cap-words").await?;
    let caps: Vec<String> = caps.into_iter().map(|c| c.to_lowercase()).collect();
    assert_eq!(
        caps,
        expected_caps(),
        "tubes in the planner's order of draw"
    );

    // Draw, label and open review as a collector does: every tube stamped from the clock,
    // every label printed with its barcode.
    flow::draw_label_and_review(&browser, caps.len()).await?;
    browser.click("finalize").await?;
    browser.wait_for("finalized").await?;
    browser.wait_for_text("draft-count", "0").await?;
    // The server is up, so finalizing sends it at once: the outbox empties into receipts.
    browser
        .wait_for_text("waiting-to-sync", "0 waiting to sync")
        .await?;
    let [drafts, outbox, receipts] = flow::store_keys(&browser).await?;
    assert!(
        drafts.is_empty() && outbox.is_empty(),
        "{drafts:?} {outbox:?}"
    );
    assert_eq!(receipts.len(), 1);

    // Back on the draw list the patient is shown as collected, not offered again.
    browser.click("back-to-list").await?;
    browser.wait_for_path(|p| p == "/draws").await?;
    let text = browser.patient_card_text(MRN).await?;
    assert!(text.contains("Collected"), "{text}");
    browser.close().await
}

#[tokio::test]
#[ignore = "needs the release PWA, the server binary and chromedriver: run `cargo xtask test`"]
async fn a_wrong_wristband_is_a_hard_stop_naming_what_did_not_match() -> Result<()> {
    let (_server, browser) = flow::enrolled_tablet().await?;
    flow::open_collection(&browser).await?;

    // Not a wristband at all: refused, showing what was read.
    browser
        .type_into("wristband-scan", &format!("hello{ENTER}"))
        .await?;
    let refused = browser.text_of("scan-error").await?;
    assert!(
        refused.contains("hello") && refused.contains("not a wristband"),
        "{refused}"
    );

    browser
        .type_into("wristband-scan", &format!("{OTHER_WRISTBAND}{ENTER}"))
        .await?;
    let message = browser.text_of("hard-stop-message").await?;
    assert!(message.contains("WRONG PATIENT"), "{message}");
    for what in ["name", "date of birth", "MRN"] {
        assert!(message.contains(what), "{message} should name the {what}");
    }
    let stop = browser.text_of("hard-stop").await?;
    assert!(stop.contains("WALKER"), "shows what was read: {stop}");

    flow::acknowledge_hard_stop(&browser).await?;
    browser
        .wait_for_text("identified-badge", "Not identified")
        .await?;
    assert!(browser
        .wait_for_path(|p| p.ends_with("/identify"))
        .await
        .is_ok());
    browser.close().await
}

#[tokio::test]
#[ignore = "needs the release PWA, the server binary and chromedriver: run `cargo xtask test`"]
async fn a_reload_and_a_killed_browser_resume_at_the_same_step_with_the_same_data() -> Result<()> {
    let (server, browser) = flow::enrolled_tablet().await?;
    let tubes_path = start_and_identify(&browser).await?;
    browser.click("mark-drawn-1").await?;
    let stamp = browser.text_of("drawn-at-1").await?;

    browser.client.refresh().await?;
    // A reload locks the tablet: the PIN brings back the same screen.
    flow::unlock(&browser, "1234").await?;
    assert_eq!(
        browser.wait_for_path(|p| p.ends_with("/tubes")).await?,
        tubes_path
    );
    assert_eq!(browser.text_of("drawn-at-1").await?, stamp);
    browser.wait_for("mark-drawn-2").await?;
    browser
        .wait_for_text("identified-badge", "Identified")
        .await?;

    // Power cut: the browser dies without closing anything.
    let profile = browser.kill().await?;
    let browser = Browser::start_with_profile(profile).await?;
    browser.client.goto(&server.base).await?;
    flow::unlock(&browser, "1234").await?;
    browser.wait_for_path(|p| p == "/draws").await?;
    browser.click("resume-banner").await?;
    browser.click(&format!("resume-{MRN}")).await?;
    assert_eq!(
        browser.wait_for_path(|p| p.ends_with("/tubes")).await?,
        tubes_path
    );
    assert_eq!(browser.text_of("drawn-at-1").await?, stamp);
    browser.wait_for("mark-drawn-2").await?;
    browser.close().await
}

/// Not a check: saves screenshots of every screen at both tablet sizes into `SCREENSHOT_DIR`
/// for a person to look at. Does nothing when the variable is unset.
#[tokio::test]
#[ignore = "needs the release PWA, the server binary and chromedriver: run `cargo xtask test`"]
async fn screenshots_of_every_screen_at_tablet_sizes() -> Result<()> {
    // Without SCREENSHOT_DIR the walk still runs (every screen must render and fit); the
    // pictures then go to a temporary folder.
    let (_tmp, dir) = drawline_e2e::screenshot_dir()?;
    for (w, h) in [(1024, 768), (768, 1024)] {
        let server = Server::start().await?;
        let browser = Browser::start_sized(w, h).await?;
        let shot = |name: &str| dir.join(format!("{w}x{h}-{name}.png"));
        browser.client.goto(&server.base).await?;
        browser.wait_for_path(|p| p == "/enroll").await?;
        browser.wait_for("site-name").await?;
        browser.capture(&shot("01-enroll")).await?;
        browser
            .type_into(
                "enroll-code",
                server.enrollment_code.as_deref().unwrap_or(""),
            )
            .await?;
        browser.click("enroll-submit").await?;
        browser.wait_for_path(|p| p == "/sign-in").await?;
        browser.wait_for("site-name").await?;
        browser.capture(&shot("02-sign-in")).await?;
        browser.type_into("username", "amara").await?;
        browser.type_into("pin", "1234").await?;
        browser.click("sign-in-submit").await?;
        browser.wait_for(&format!("collect-{MRN}")).await?;
        browser.capture(&shot("03-draw-list")).await?;
        browser.click(&format!("collect-{MRN}")).await?;
        browser.wait_for("wristband-scan").await?;
        browser.capture(&shot("04-identify")).await?;
        browser
            .type_into("wristband-scan", &format!("{OTHER_WRISTBAND}{ENTER}"))
            .await?;
        browser.wait_for("hard-stop").await?;
        browser.capture(&shot("05-hard-stop")).await?;
        flow::acknowledge_hard_stop(&browser).await?;
        browser
            .type_into("wristband-scan", &format!("{WRISTBAND}{ENTER}"))
            .await?;
        browser.wait_for("venipuncture").await?;
        browser
            .client
            .execute(
                "document.querySelector('[data-testid=venipuncture]').scrollIntoView();",
                vec![],
            )
            .await?;
        browser.capture(&shot("06a-venipuncture")).await?;
        flow::prepare_draw(&browser, "RACF").await?;
        browser.wait_for("mark-drawn-1").await?;
        browser.click("mark-drawn-1").await?;
        browser.wait_for("drawn-at-1").await?;
        browser.capture(&shot("06-tubes")).await?;
        browser.click("mark-drawn-2").await?;
        browser.click("go-label").await?;
        browser
            .client
            .execute("window.print = () => {};", vec![])
            .await?;
        browser.click("print-label").await?;
        wait_for_count(&browser, "label-preview", 1).await?;
        browser.capture(&shot("07-label")).await?;
        browser.click("print-label").await?;
        wait_for_count(&browser, "label-preview", 2).await?;
        browser.click("go-review").await?;
        browser.wait_for("finalize").await?;
        browser.capture(&shot("08-review")).await?;
        flow::jump_to(&browser, &server.base, "/review", "/exceptions").await?;
        browser.wait_for("exception-submit").await?;
        browser.capture(&shot("09-exceptions")).await?;
        // The screens off the collection, each by its address: (path, what shows it, picture).
        for (path, shown_by, name) in [
            ("/drafts", "draft-card", "10-drafts"),
            ("/sync", "sync-phase", "11-sync"),
            ("/settings", "storage-persistent", "12-settings"),
        ] {
            flow::go(&browser, path).await?;
            browser.wait_for(shown_by).await?;
            browser.capture(&shot(name)).await?;
        }
        drop(server);
        browser.close().await?;
    }
    Ok(())
}
