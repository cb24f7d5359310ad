//! Lab accessions and wrong blood in tube end to end: a pre-labelled tube of the right patient
//! binds and reaches the lab; another patient's accession is a hard stop that changes nothing but
//! the logged attempt; and one stock label used for two patients on two offline tablets is
//! refused by the lab for the second, quarantined there, and shown first to the supervisor.

use std::time::{Duration, Instant};

use anyhow::{ensure, Context, Result};
use drawline_domain::collection::Event;
use drawline_domain::{Device, FinalizedCollection, SiteConfig};
use drawline_e2e::flow::{self, ENTER};
use drawline_e2e::lab::Lab;
use drawline_e2e::{Browser, Server, PATIENCE};
use uuid::Uuid;

/// Chen, Wei of the demo ward round: MG, HBA1C and GLU, each with a lab accession.
const CHEN: &str = "MRN100240";
const CHEN_WRISTBAND: &str = "DL1|MRN100240|CHEN^WEI|19680707";
/// Murphy, Siobhan's TBIL accession (same ward round): another patient's tube.
const MURPHY_ACCESSION: &str = "LAB2400191";
/// Walker, Edith of the demo home visits: PT.
const WALKER: &str = "MRN200101";
const WALKER_WRISTBAND: &str = "DL1|MRN200101|WALKER^EDITH|19330105";
/// A stock label of the site's pre-printed rolls (pattern `S######`).
const STOCK_LABEL: &str = "S123456";

/// How many tubes the default site plans for these tests.
fn tubes_for(tests: &[&str]) -> usize {
    SiteConfig::default_site()
        .plan(tests, Device::EvacuatedHolder)
        .expect("demo tests are in the default catalog")
        .tubes
        .len()
}

/// From the draw list: opens the patient, scans the wristband, marks `tubes` drawn and opens
/// the label screen (with the print dialog stubbed). Answers the collection id.
async fn draw_and_open_labels(
    browser: &Browser,
    mrn: &str,
    wristband: &str,
    tubes: usize,
) -> Result<Uuid> {
    browser.click(&format!("collect-{mrn}")).await?;
    browser.wait_for_path(|p| p.ends_with("/identify")).await?;
    browser
        .type_into("wristband-scan", &format!("{wristband}{ENTER}"))
        .await?;
    let path = browser.wait_for_path(|p| p.ends_with("/tubes")).await?;
    flow::prepare_draw(browser, "RACF").await?;
    flow::wait_for_count(browser, "tube-card", tubes).await?;
    for i in 1..=tubes {
        browser.click(&format!("mark-drawn-{i}")).await?;
        browser.text_of(&format!("drawn-at-{i}")).await?;
    }
    browser.click("go-label").await?;
    browser.wait_for_path(|p| p.ends_with("/label")).await?;
    browser
        .client
        .execute("window.print = () => {};", vec![])
        .await?;
    let id = path
        .split('/')
        .find_map(|s| Uuid::parse_str(s).ok())
        .context("the collection id is in the address")?;
    Ok(id)
}

/// Scans a tube label as a keyboard-wedge scanner types it.
async fn scan_tube(browser: &Browser, text: &str) -> Result<()> {
    browser
        .type_into("tube-scan", &format!("{text}{ENTER}"))
        .await
}

/// From the label screen with every tube labelled: review and finalize.
async fn review_and_finalize(browser: &Browser) -> Result<()> {
    browser.click("go-review").await?;
    browser.wait_for_path(|p| p.ends_with("/review")).await?;
    browser.click("finalize").await?;
    browser.wait_for("finalized").await
}

/// The newest version of `id` the lab holds, as the device pushed it (waits for it to arrive).
async fn received(lab: &Lab, token: &str, id: Uuid) -> Result<FinalizedCollection> {
    let deadline = Instant::now() + PATIENCE;
    loop {
        if let Ok(versions) = lab.versions(token, id).await {
            if let Some(v) = versions.last() {
                return Ok(FinalizedCollection::from_json_value(v.body.clone())?);
            }
        }
        ensure!(
            Instant::now() < deadline,
            "collection {id} never reached the lab"
        );
        tokio::time::sleep(Duration::from_millis(300)).await;
    }
}

#[tokio::test]
#[ignore = "needs the release PWA, the server binary and chromedriver: run `cargo xtask test`"]
async fn a_lab_accession_binds_only_to_its_own_patient_and_another_patients_is_a_hard_stop(
) -> Result<()> {
    let (server, browser) = flow::enrolled_tablet().await?;
    let lab = Lab::new(&server.base);
    let tubes = tubes_for(&["MG", "HBA1C", "GLU"]);
    let id = draw_and_open_labels(&browser, CHEN, CHEN_WRISTBAND, tubes).await?;

    // The screen names this patient's pre-labelled tube for the current tube.
    let shown = browser.text_of("lab-accessions").await?;
    ensure!(shown.contains("LAB24002"), "{shown}");
    browser.capture_both_sizes("30-label-lab-accession").await?;

    // Another patient's accession: WRONG BLOOD IN TUBE, naming what was read and whose it is.
    scan_tube(&browser, MURPHY_ACCESSION).await?;
    browser.wait_for("hard-stop").await?;
    let stop = browser.text_of("hard-stop").await?;
    ensure!(
        stop.contains("WRONG BLOOD IN TUBE")
            && stop.contains(MURPHY_ACCESSION)
            && stop.contains("MRN100239"),
        "{stop}"
    );
    browser.capture_both_sizes("31-label-wbit-stop").await?;
    // Still there after a reload: it waits for an acknowledgement.
    browser.client.refresh().await?;
    flow::unlock(&browser, "1234").await?;
    browser.wait_for("hard-stop").await?;
    let again = browser.text_of("hard-stop").await?;
    ensure!(again.contains(MURPHY_ACCESSION), "{again}");
    flow::acknowledge_hard_stop(&browser).await?;
    browser.wait_for("tube-scan").await?;
    ensure!(
        browser.texts_of_all("label-preview").await?.is_empty(),
        "the refused label bound nothing"
    );

    // A wristband in the tube field is refused with a message naming it, and is no hard stop.
    scan_tube(&browser, CHEN_WRISTBAND).await?;
    let note = flow::wait_until_texts(&browser, "label-error", |t| {
        t.first().is_some_and(|x| x.contains("wristband"))
    })
    .await?;
    ensure!(note[0].contains("DL1|MRN100240"), "{note:?}");

    // The right accession for each tube, as the screen names it.
    browser
        .client
        .execute("window.print = () => {};", vec![])
        .await?;
    for i in 1..=tubes {
        let shown = browser.text_of("lab-accessions").await?;
        let accession = shown
            .split(|c: char| !c.is_ascii_alphanumeric())
            .find(|w| w.starts_with("LAB24002"))
            .context("an accession is shown")?
            .to_owned();
        scan_tube(&browser, &accession).await?;
        flow::wait_for_count(&browser, "label-preview", i).await?;
    }
    review_and_finalize(&browser).await?;

    // It reaches the lab with the lab's accessions on its tubes and the refusal in its history.
    let token = flow::device_token(&browser).await?;
    let f = received(&lab, &token, id).await?;
    let mut labels: Vec<String> = f
        .record()
        .tubes()
        .iter()
        .filter_map(|t| t.accession.as_ref().map(ToString::to_string))
        .collect();
    labels.sort();
    ensure!(
        labels == ["LAB2400201", "LAB2400202", "LAB2400203"],
        "{labels:?}"
    );
    let refused: Vec<_> = f
        .record()
        .history()
        .iter()
        .filter_map(|e| match &e.event {
            Event::TubeLabelRefused { read, reason, .. } => Some((read.clone(), reason.as_str())),
            _ => None,
        })
        .collect();
    ensure!(
        refused.len() == 2
            && refused[0] == (MURPHY_ACCESSION.to_owned(), "another-patient")
            && refused[1].1 == "wristband",
        "{refused:?}"
    );
    browser.close().await
}

#[tokio::test]
#[ignore = "needs the release PWA, the server binary and chromedriver: run `cargo xtask test`"]
async fn one_stock_label_on_two_offline_tablets_is_refused_for_the_second_patient_and_shown_first(
) -> Result<()> {
    let site = tempfile::tempdir()?;
    std::fs::write(
        site.path().join("safety.json"),
        r#"{ "accession": { "pattern": "S######", "stock_labels": true } }"#,
    )?;
    let site_dir = site.path().to_string_lossy().into_owned();
    let server = Server::start_with_flags(&["--site-dir", &site_dir]).await?;
    let lab = Lab::new(&server.base);

    // Tablet 1: the demo ward tablet with amara. Tablet 2: a new tablet with the home visits.
    let one = Browser::start().await?;
    flow::enroll_at(&one, &server).await?;
    let token_one = flow::device_token(&one).await?;
    let supervisor = lab.sign_in(&token_one, "sam", "9876").await?;
    let code_two = lab.new_device(&supervisor, "Tablet 2").await?;
    lab.assign_round(&supervisor, "Home visits", "Tablet 2")
        .await?;
    let two = Browser::start().await?;
    flow::enroll_and_sign_in_as(&two, &server.base, &code_two, "ben", "2345").await?;
    two.wait_for(&format!("collect-{WALKER}")).await?;
    flow::prepare_round(&one, PATIENCE).await?;
    flow::prepare_round(&two, PATIENCE).await?;

    // Both offline: the lab is down.
    let stopped = server.stop().await?;
    let erik_tubes = tubes_for(&["PT", "APTT", "CBC"]);
    let erik = draw_and_open_labels(&one, flow::MRN, flow::WRISTBAND, erik_tubes).await?;
    scan_tube(&one, STOCK_LABEL).await?;
    flow::wait_for_count(&one, "label-preview", 1).await?;
    for i in 2..=erik_tubes {
        one.click("print-label").await?;
        flow::wait_for_count(&one, "label-preview", i).await?;
    }
    review_and_finalize(&one).await?;

    let walker = draw_and_open_labels(&two, WALKER, WALKER_WRISTBAND, tubes_for(&["PT"])).await?;
    scan_tube(&two, STOCK_LABEL).await?;
    flow::wait_for_count(&two, "label-preview", 1).await?;
    review_and_finalize(&two).await?;

    // The lab is back; tablet 1 syncs first, then tablet 2. Tablet 2 stays out of signal until
    // then: its own retry timer would otherwise race tablet 1 to the lab.
    two.set_offline(true).await?;
    let server = stopped.restart().await?;
    flow::sync_now(&one).await?;
    flow::wait_until_texts(&one, "waiting-to-sync", |t| {
        t.first().is_some_and(|x| x == "0 waiting to sync")
    })
    .await?;
    two.set_offline(false).await?;
    flow::sync_now(&two).await?;
    two.wait_for("needs-attention").await?;
    let state = flow::wait_until_texts(&two, "record-state", |t| {
        t.first()
            .is_some_and(|x| x == "POSSIBLE WRONG BLOOD IN TUBE")
    })
    .await?;
    ensure!(state.len() == 1, "{state:?}");
    let reason = two.text_of("record-reason").await?;
    // It names the label, never the other patient (tablet 2 cannot read them).
    ensure!(
        reason.contains(STOCK_LABEL) && !reason.contains(flow::MRN),
        "{reason}"
    );
    two.capture_both_sizes("32-sync-wbit-quarantined").await?;
    // Exactly one stored: tablet 1's.
    let token_two = flow::device_token(&two).await?;
    let stored = lab.versions(&token_two, walker).await.unwrap_or_default();
    ensure!(
        stored.is_empty(),
        "the refused collection was stored: {stored:?}"
    );
    received(&lab, &token_one, erik).await?;
    two.close().await?;

    // The supervisor sees it first, and both collections side by side.
    one.click("sign-out").await?;
    one.wait_for_path(|p| p == "/sign-in").await?;
    one.type_into("username", "sam").await?;
    one.type_into("pin", "9876").await?;
    one.click("sign-in-submit").await?;
    one.wait_for_path(|p| p == "/supervisor/devices").await?;
    one.click("tab-queue").await?;
    let statuses = flow::wait_until_texts(&one, "queue-status", |t| t.len() == 2).await?;
    ensure!(statuses[0] == "Rejected", "{statuses:?}");
    let items = one
        .client
        .find_all(fantoccini::Locator::Css("[data-testid=\"queue-item\"]"))
        .await?;
    let first_wbit = items[0].attr("data-wbit").await?;
    let first_id = items[0].attr("data-collection").await?;
    ensure!(
        first_wbit.as_deref() == Some("true") && first_id == Some(walker.to_string()),
        "{first_wbit:?} {first_id:?}"
    );
    one.wait_for("queue-wbit").await?;
    let alert = one.text_of("queue-wbit-alert").await?;
    ensure!(alert.contains("1 possible wrong blood in tube"), "{alert}");
    one.capture_both_sizes("33-supervisor-queue-wbit").await?;
    one.click("queue-open").await?;
    one.wait_for("wbit-compare").await?;
    let refused = one.text_of("wbit-refused").await?;
    let holder = one.text_of("wbit-holder").await?;
    ensure!(
        refused.contains(WALKER) && refused.contains(STOCK_LABEL),
        "{refused}"
    );
    ensure!(
        holder.contains(flow::MRN) && holder.contains(&erik.to_string()),
        "{holder}"
    );
    one.capture_both_sizes("34-supervisor-collection-wbit")
        .await?;
    drop(server);
    one.close().await
}
