//! What the collector must know at the bedside, through the real UI: an imported patient's alerts
//! (latex allergy, no draw from the left arm) on every step of the collection, the order's note on
//! the tube card of its tube, and after the lab asks for a recollection, its reason there too.

use std::time::Duration;

use anyhow::{ensure, Result};
use drawline_domain::{Device, SiteConfig};
use drawline_e2e::flow::{self, wait_for_count, ENTER};
use drawline_e2e::lab::Lab;
use drawline_e2e::{Browser, PATIENCE};

/// The demo ward round, drawn by the demo tablet.
const WARD_ROUND: &str = "Ward 5 morning round";
const PATIENT: &str = "MRN900301";
const WRISTBAND: &str = "DL1|MRN900301|MOREAU^CLAIRE|19580214";
const NOTE: &str = "Hard stick: use a butterfly on the right hand";

/// One patient with a left-arm restriction and a latex allergy (given on one row, the allergy
/// again on the other: kept once), a PT and a CBC, the CBC with the placer's note.
const CSV: &str = "order_id,mrn,family,given,birth_date,test,note,alerts\n\
    moreau-pt,MRN900301,Moreau,Claire,1958-02-14,PT,,allergy: Latex\n\
    moreau-cbc,MRN900301,Moreau,Claire,1958-02-14,CBC,Hard stick: use a butterfly on the right hand,\"arm-restriction left: No draw from left arm (fistula); allergy: Latex\"\n";

/// Caps of the patient's tubes in order of draw.
fn caps() -> Vec<String> {
    SiteConfig::default_site()
        .plan(&["PT", "CBC"], Device::EvacuatedHolder)
        .expect("PT and CBC are in the default catalog")
        .tubes
        .into_iter()
        .map(|t| t.cap)
        .collect()
}

/// The alerts box must be on this screen, arm restriction first and naming its side in words.
async fn alerts_shown(browser: &Browser, screen: &str) -> Result<()> {
    let deadline = tokio::time::Instant::now() + PATIENCE;
    loop {
        let items = browser.texts_of_all("patient-alert").await?;
        if items.len() == 2 {
            ensure!(
                items[0].contains("Arm restriction: left arm")
                    && items[0].contains("No draw from left arm (fistula)")
                    && items[1].contains("Allergy")
                    && items[1].contains("Latex"),
                "{screen}: {items:?}"
            );
            let title = browser.text_of("patient-alerts").await?;
            ensure!(
                title.to_lowercase().contains("patient alerts (2)"),
                "{screen}: {title}"
            );
            return Ok(());
        }
        ensure!(
            tokio::time::Instant::now() < deadline,
            "{screen}: patient alerts {items:?}"
        );
        tokio::time::sleep(Duration::from_millis(150)).await;
    }
}

/// The text of each tube card, in order of draw, once there are `n`.
async fn tube_cards(browser: &Browser, n: usize) -> Result<Vec<String>> {
    wait_for_count(browser, "tube-card", n).await?;
    browser.texts_of_all("tube-card").await
}

/// Scrolls the first element with this `data-testid` to the middle of the window, for a
/// screenshot.
async fn scroll_to(browser: &Browser, test_id: &str) -> Result<()> {
    browser
        .client
        .execute(
            "document.querySelector(`[data-testid=\"${arguments[0]}\"]`).scrollIntoView({block: 'center'})",
            vec![test_id.into()],
        )
        .await?;
    Ok(())
}

/// Scrolls to the top, so a screenshot shows the banner and the alerts.
async fn to_top(browser: &Browser) -> Result<()> {
    browser
        .client
        .execute("window.scrollTo(0, 0)", vec![])
        .await?;
    Ok(())
}

#[tokio::test]
#[ignore = "needs the release PWA, the server binary and chromedriver: run `cargo xtask test`"]
async fn alerts_stay_on_every_step_and_the_tube_card_shows_the_note_and_a_recollections_reason(
) -> Result<()> {
    let (server, browser) = flow::enrolled_tablet().await?;
    let lab = Lab::new(&server.base);
    let token = flow::device_token(&browser).await?;
    let supervisor = lab.sign_in(&token, "sam", "9876").await?;
    let report = lab.import_csv(&supervisor, WARD_ROUND, CSV).await?;
    ensure!(report["created"] == 2, "{report}");
    flow::prepare_round(&browser, PATIENCE).await?;
    let caps = caps();
    let cbc = caps
        .iter()
        .position(|c| c == "lavender")
        .expect("the CBC tube is lavender");

    // Identify: the alerts are there before anything is drawn.
    // The draw list card already says it, before anyone walks into the room.
    let card = browser.patient_card_text(PATIENT).await?;
    ensure!(
        card.contains("Alerts:")
            && card.contains("Arm restriction: left arm")
            && card.contains("Latex"),
        "{card}"
    );
    scroll_to(&browser, "card-alerts").await?;
    browser
        .capture_both_sizes("59-draw-list-card-alerts")
        .await?;
    browser.click(&format!("collect-{PATIENT}")).await?;
    browser.wait_for_path(|p| p.ends_with("/identify")).await?;
    alerts_shown(&browser, "identify").await?;
    to_top(&browser).await?;
    browser.capture_both_sizes("60-identify-alerts").await?;
    browser
        .type_into("wristband-scan", &format!("{WRISTBAND}{ENTER}"))
        .await?;
    browser.wait_for_path(|p| p.ends_with("/tubes")).await?;

    // Tubes: the alerts, and the CBC order's note on the CBC tube only.
    alerts_shown(&browser, "tubes").await?;
    let cards = tube_cards(&browser, caps.len()).await?;
    for (i, card) in cards.iter().enumerate() {
        ensure!(
            card.contains(NOTE) == (i == cbc),
            "the note is on the CBC tube only: {cards:?}"
        );
    }
    ensure!(
        !cards.iter().any(|c| c.contains("Recollection")),
        "{cards:?}"
    );
    to_top(&browser).await?;
    browser.capture_both_sizes("61-tubes-alerts").await?;
    scroll_to(&browser, "tube-note").await?;
    browser.capture_both_sizes("62-tubes-note").await?;

    // Not collected (the exceptions screen) shows them too.
    browser.click("go-exceptions").await?;
    browser
        .wait_for_path(|p| p.ends_with("/exceptions"))
        .await?;
    alerts_shown(&browser, "exceptions").await?;
    browser.client.back().await?;
    browser.wait_for_path(|p| p.ends_with("/tubes")).await?;

    // The fistula arm cannot be chosen for the venipuncture; the right arm can.
    browser.wait_for("venipuncture").await?;
    let left = browser.element("site-LACF").await?;
    ensure!(
        !left.is_enabled().await?,
        "a site on the restricted arm must not be offered"
    );
    let why = left.text().await?;
    ensure!(why.contains("fistula"), "{why}");
    flow::prepare_draw(&browser, "RACF").await?;

    // Draw, then label and review: the alerts stay on each.
    wait_for_count(&browser, "tube-card", caps.len()).await?;
    for i in 1..=caps.len() {
        browser.click(&format!("mark-drawn-{i}")).await?;
        browser.wait_for(&format!("drawn-at-{i}")).await?;
    }
    browser.click("go-label").await?;
    browser.wait_for_path(|p| p.ends_with("/label")).await?;
    alerts_shown(&browser, "label").await?;
    browser
        .client
        .execute("window.print = () => {};", vec![])
        .await?;
    for i in 1..=caps.len() {
        browser.click("print-label").await?;
        wait_for_count(&browser, "label-preview", i).await?;
    }
    browser.click("go-review").await?;
    browser.wait_for_path(|p| p.ends_with("/review")).await?;
    alerts_shown(&browser, "review").await?;
    browser.click("finalize").await?;
    browser.wait_for("finalized").await?;
    browser
        .wait_for_text("waiting-to-sync", "0 waiting to sync")
        .await?;

    // The lab finds the specimens haemolysed and asks for both orders again.
    let collections = lab.collections(&token).await?;
    ensure!(collections.len() == 1, "{collections:?}");
    let made = lab
        .recollect(&supervisor, collections[0].id, "Haemolysed")
        .await?;
    ensure!(made == ["moreau-pt-R1", "moreau-cbc-R1"], "{made:?}");

    // The tablet pulls the new orders; each tube card says why, the note still there.
    browser.click("back-to-list").await?;
    browser.wait_for_path(|p| p == "/draws").await?;
    flow::prepare_round(&browser, PATIENCE).await?;
    browser.click(&format!("collect-{PATIENT}")).await?;
    browser.wait_for_path(|p| p.ends_with("/identify")).await?;
    alerts_shown(&browser, "identify again").await?;
    browser
        .type_into("wristband-scan", &format!("{WRISTBAND}{ENTER}"))
        .await?;
    browser.wait_for_path(|p| p.ends_with("/tubes")).await?;
    let cards = tube_cards(&browser, caps.len()).await?;
    ensure!(
        cards
            .iter()
            .all(|c| c.contains("Recollection requested: Haemolysed")),
        "{cards:?}"
    );
    ensure!(cards[cbc].contains(NOTE), "the note is kept: {cards:?}");
    let reasons = browser.texts_of_all("tube-recollection").await?;
    ensure!(reasons.len() == caps.len(), "{reasons:?}");
    scroll_to(&browser, "tube-notes").await?;
    browser.capture_both_sizes("63-tubes-recollection").await?;
    browser.close().await
}
