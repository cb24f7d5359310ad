//! Identification through the real UI: twins on one ward need the MRN; a wrong wristband is a
//! hard stop that must be acknowledged and reaches the supervisor as "identification mismatch
//! before draw"; an MRN-only wristband confirmed by what the patient states is scan + verbal,
//! not manual, at the lab; bad input in the wristband field says what was read; a site that asks
//! for a second wristband scan finalizes only after the right one.

use anyhow::{ensure, Result};
use drawline_domain::{Device, SiteConfig};
use drawline_e2e::flow::{self, wait_for_count, ENTER, MRN};
use drawline_e2e::lab::Lab;
use drawline_e2e::{Browser, PATIENCE};

/// The demo ward round, where the twins are admitted.
const WARD_ROUND: &str = "Ward 5 morning round";
/// Walker, Edith of the demo home round: somebody else.
const OTHER_WRISTBAND: &str = "DL1|MRN200101|WALKER^EDITH|19330105";
const TWIN_A: &str = "MRN900001";
const TWIN_B_WRISTBAND: &str = "DL1|MRN900002|SMITH^JUDY^GIRL^B|20261127";

/// Twins born on one day, one CBC each, on the demo ward round.
const TWINS_CSV: &str = "order_id,mrn,family,given,birth_date,test,location\n\
    twin-a-cbc,MRN900001,SMITH,Judy Girl A,2026-11-27,CBC,NICU cot 1\n\
    twin-b-cbc,MRN900002,SMITH,Judy Girl B,2026-11-27,CBC,NICU cot 2\n";

/// Scrolls the element with this `data-testid` to the top of the window, for a screenshot.
async fn scroll_to(browser: &Browser, test_id: &str) -> Result<()> {
    browser
        .client
        .execute(
            "document.querySelector(`[data-testid=\"${arguments[0]}\"]`).scrollIntoView()",
            vec![test_id.into()],
        )
        .await?;
    Ok(())
}

#[tokio::test]
#[ignore = "needs the release PWA, the server binary and chromedriver: run `cargo xtask test`"]
async fn twins_on_one_ward_need_the_mrn_and_the_other_twins_wristband_is_a_hard_stop() -> Result<()>
{
    let (server, browser) = flow::enrolled_tablet().await?;
    let lab = Lab::new(&server.base);
    let token = flow::device_token(&browser).await?;
    let supervisor = lab.sign_in(&token, "sam", "9876").await?;
    let report = lab.import_csv(&supervisor, WARD_ROUND, TWINS_CSV).await?;
    ensure!(report["created"] == 2, "{report}");
    flow::prepare_round(&browser, PATIENCE).await?;
    browser.click(&format!("collect-{TWIN_A}")).await?;
    browser.wait_for_path(|p| p.ends_with("/identify")).await?;

    // The screen says why name and date of birth will not do.
    let notice = browser.text_of("twins-notice").await?;
    ensure!(
        notice.contains("SMITH, Judy Girl B")
            && notice.contains("same family name and date of birth"),
        "{notice}"
    );
    browser
        .type_into("manual-name", "SMITH, Judy Girl A")
        .await?;
    browser.type_into("manual-dob", "2026-11-27").await?;
    browser.click("manual-submit").await?;
    let refused = flow::wait_until_text(&browser, "manual-error", |t| t.contains("MRN")).await?;
    ensure!(
        refused
            .contains("another patient on this round has the same family name and date of birth"),
        "{refused}"
    );
    browser
        .client
        .execute("window.scrollTo(0, 0)", vec![])
        .await?;
    browser.capture_both_sizes("30-identify-twins").await?;

    // The other twin's wristband: WRONG PATIENT, naming the given name and the MRN.
    browser
        .type_into("wristband-scan", &format!("{TWIN_B_WRISTBAND}{ENTER}"))
        .await?;
    let message = browser.text_of("hard-stop-message").await?;
    ensure!(
        message.contains("WRONG PATIENT") && message.contains("name") && message.contains("MRN"),
        "{message}"
    );
    let stop = browser.text_of("hard-stop").await?;
    ensure!(
        stop.contains("JUDY GIRL B") && stop.contains("Wrong-patient stops on this collection: 1"),
        "{stop}"
    );
    browser
        .capture_both_sizes("31-hard-stop-acknowledge")
        .await?;

    // A reload does not clear it: the stop comes back from the saved draft.
    browser.client.refresh().await?;
    flow::unlock(&browser, "1234").await?;
    let again = browser.text_of("hard-stop-message").await?;
    ensure!(again.contains("WRONG PATIENT"), "{again}");
    flow::acknowledge_hard_stop(&browser).await?;

    // With the MRN, the right twin is identified.
    browser
        .type_into("manual-name", "SMITH, Judy Girl A")
        .await?;
    browser.type_into("manual-dob", "2026-11-27").await?;
    browser.type_into("manual-mrn", TWIN_A).await?;
    browser.click("manual-submit").await?;
    browser.wait_for_path(|p| p.ends_with("/tubes")).await?;
    browser.close().await
}

#[tokio::test]
#[ignore = "needs the release PWA, the server binary and chromedriver: run `cargo xtask test`"]
async fn a_wrong_wristband_is_acknowledged_then_scan_plus_verbal_reaches_the_supervisor_flagged(
) -> Result<()> {
    let (server, browser) = flow::enrolled_tablet().await?;
    let lab = Lab::new(&server.base);
    flow::open_collection(&browser).await?;

    // Bad input in the wristband field: each says what was read, none changes the record.
    browser.type_into("wristband-scan", ENTER).await?;
    flow::wait_until_text(&browser, "scan-error", |t| t.contains("blank")).await?;
    browser
        .type_into("wristband-scan", &format!("D1A2B3C4D5E-1{ENTER}"))
        .await?;
    let label =
        flow::wait_until_text(&browser, "scan-error", |t| t.contains("D1A2B3C4D5E-1")).await?;
    ensure!(label.contains("tube label"), "{label}");
    browser
        .wait_for_text("identified-badge", "Not identified")
        .await?;

    // A wrong wristband: the stop cannot be tapped away, and is counted.
    browser
        .type_into("wristband-scan", &format!("{OTHER_WRISTBAND}{ENTER}"))
        .await?;
    browser.wait_for("hard-stop").await?;
    flow::acknowledge_hard_stop(&browser).await?;
    let count = browser.text_of("wrong-patient-count").await?;
    ensure!(count.contains("1"), "{count}");

    // The MRN-only wristband, then the name and date of birth the patient states.
    let mrn_only = MRN;
    browser
        .type_into("wristband-scan", &format!("{mrn_only}{ENTER}"))
        .await?;
    let expected = browser.text_of("verbal-expected").await?;
    ensure!(expected.contains("LINDQVIST, Erik"), "{expected}");
    browser
        .capture_both_sizes("32-identify-scan-verbal")
        .await?;
    browser.click("confirm-verbal").await?;
    browser.wait_for_path(|p| p.ends_with("/tubes")).await?;
    flow::prepare_draw(&browser, "RACF").await?;

    let tubes = SiteConfig::default_site()
        .plan(&["PT", "APTT", "CBC"], Device::EvacuatedHolder)?
        .tubes
        .len();
    flow::draw_label_and_review(&browser, tubes).await?;
    let ident = browser.text_of("review-identification").await?;
    ensure!(
        ident.contains("wristband scan + verbal confirmation"),
        "{ident}"
    );
    browser.click("finalize").await?;
    browser.wait_for("finalized").await?;
    browser
        .wait_for_text("waiting-to-sync", "0 waiting to sync")
        .await?;

    // At the lab: flagged as a mismatch before the draw, not as manual identification.
    let token = flow::device_token(&browser).await?;
    let supervisor = lab.sign_in(&token, "sam", "9876").await?;
    let flagged = lab
        .queue(&supervisor, "?flag=identification_mismatch")
        .await?;
    ensure!(flagged.total == 1, "{flagged:?}");
    let item = &flagged.items[0];
    ensure!(
        item.wrong_patient_before_draw == 1 && !item.flags.manual_identification,
        "{item:?}"
    );
    let manual = lab
        .queue(&supervisor, "?flag=manual_identification")
        .await?;
    ensure!(manual.total == 0, "{manual:?}");
    let detail = lab.detail(&supervisor, item.collection_id).await?;
    let record = detail.versions[0]
        .record
        .as_ref()
        .expect("a readable record");
    ensure!(
        record.identification_method.as_deref() == Some("scan-verbal"),
        "{:?}",
        record.identification_method
    );

    // And on the supervisor's screens.
    flow::sign_in_supervisor(&browser).await?;
    browser.click("tab-queue").await?;
    browser
        .choose("filter-flag", "identification_mismatch")
        .await?;
    wait_for_count(&browser, "queue-item", 1).await?;
    flow::wait_until_text(&browser, "queue-flag", |t| {
        t == "Identification mismatch before draw (1 attempt)"
    })
    .await?;
    scroll_to(&browser, "queue-item").await?;
    browser
        .capture_both_sizes("33-supervisor-queue-mismatch")
        .await?;
    browser.click("queue-open").await?;
    let stops = browser.text_of("wrong-patient-stops").await?;
    ensure!(stops.contains("1 wrong-patient stop"), "{stops}");
    let attempts = browser.texts_of_all("identification-attempt").await?;
    ensure!(
        attempts.iter().any(|a| a.contains("WRONG PATIENT"))
            && attempts.iter().any(|a| a.contains("acknowledged"))
            && attempts.iter().any(|a| a.contains("tube label")),
        "{attempts:?}"
    );
    scroll_to(&browser, "wrong-patient-stops").await?;
    browser
        .capture_both_sizes("34-supervisor-collection-identification")
        .await?;
    browser.close().await
}

#[tokio::test]
#[ignore = "needs the release PWA, the server binary and chromedriver: run `cargo xtask test`"]
async fn a_site_that_asks_for_a_second_wristband_scan_finalizes_only_after_the_right_one(
) -> Result<()> {
    let site = tempfile::tempdir()?;
    std::fs::write(
        site.path().join("safety.json"),
        r#"{ "second_wristband_scan": true }"#,
    )?;
    let site_dir = site.path().to_string_lossy().into_owned();
    let server = drawline_e2e::Server::start_with_flags(&["--site-dir", &site_dir]).await?;
    let browser = Browser::start().await?;
    flow::enroll_at(&browser, &server).await?;
    flow::start_and_identify(&browser).await?;
    let tubes = SiteConfig::default_site()
        .plan(&["PT", "APTT", "CBC"], Device::EvacuatedHolder)?
        .tubes
        .len();
    flow::draw_label_and_review(&browser, tubes).await?;

    // Finalize is refused until the wristband is scanned again after the draw.
    browser.wait_for("second-scan").await?;
    browser.capture_both_sizes("38-review-second-scan").await?;
    browser.click("finalize").await?;
    let refused = flow::wait_until_text(&browser, "finalize-error", |t| !t.is_empty()).await?;
    ensure!(refused.to_lowercase().contains("wristband"), "{refused}");
    ensure!(
        browser.texts_of_all("finalized").await?.is_empty(),
        "finalized without the second scan"
    );

    // Another patient's wristband at the second scan is a wrong-patient stop like any other.
    browser
        .type_into("wristband-rescan", &format!("{OTHER_WRISTBAND}{ENTER}"))
        .await?;
    browser.wait_for("hard-stop").await?;
    flow::acknowledge_hard_stop(&browser).await?;

    // The right wristband: done, and finalize goes through.
    browser
        .type_into("wristband-rescan", &format!("{}{ENTER}", flow::WRISTBAND))
        .await?;
    let done =
        flow::wait_until_text(&browser, "second-scan-state", |t| t.starts_with("Done")).await?;
    ensure!(done.contains("matches"), "{done}");
    browser
        .capture_both_sizes("39-review-second-scan-done")
        .await?;
    browser.click("finalize").await?;
    browser.wait_for("finalized").await?;
    browser.close().await
}
