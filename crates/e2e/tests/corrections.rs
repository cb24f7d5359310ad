//! Corrections and voids end to end: a draw time corrected on the tubes screen, a finalized
//! collection corrected and another voided from the sync screen, each reaching the lab with every
//! version and its reason, stable FHIR ids (entered-in-error after the void), and an export the
//! independent FHIR R4 validator accepts.

use std::time::{Duration, Instant};

use anyhow::{ensure, Context, Result};
use drawline_domain::api::CollectionDetail;
use drawline_domain::collection::Event;
use drawline_domain::{Device, SiteConfig};
use drawline_e2e::flow;
use drawline_e2e::lab::{self, Lab};
use drawline_e2e::{Browser, PATIENCE};
use fantoccini::Locator;
use serde_json::Value;
use uuid::Uuid;

/// How many tubes the demo patient's collection has (PT, APTT, CBC).
fn demo_tubes() -> usize {
    SiteConfig::default_site()
        .plan(&["PT", "APTT", "CBC"], Device::EvacuatedHolder)
        .expect("demo tests are in the default catalog")
        .tubes
        .len()
}

/// `(resource, status, versionId)` of each resource of a collection's FHIR export at the lab.
fn fhir_resources(fhir: &Value) -> Vec<(String, String, String)> {
    fhir["entry"]
        .as_array()
        .map(Vec::as_slice)
        .unwrap_or_default()
        .iter()
        .map(|e| {
            let r = &e["resource"];
            let s = |v: &Value| v.as_str().unwrap_or_default().to_owned();
            (
                format!("{}/{}", s(&r["resourceType"]), s(&r["id"])),
                s(&r["status"]),
                s(&r["meta"]["versionId"]),
            )
        })
        .collect()
}

fn ids(r: &[(String, String, String)]) -> Vec<String> {
    r.iter().map(|x| x.0.clone()).collect()
}

/// The supervisor's detail of a collection once the lab holds `n` versions of it.
async fn detail_with_versions(
    lab: &Lab,
    token: &str,
    id: Uuid,
    n: usize,
) -> Result<CollectionDetail> {
    let deadline = Instant::now() + PATIENCE;
    loop {
        if let Ok(d) = lab.supervisor_detail(token, id).await {
            if d.versions.len() == n {
                return Ok(d);
            }
            ensure!(
                d.versions.len() < n,
                "{} versions of {id}, expected {n}",
                d.versions.len()
            );
        }
        ensure!(
            Instant::now() < deadline,
            "the lab never held {n} versions of {id}"
        );
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
}

/// The sync state shown on the line of the sync screen for outbox or receipt key `key`.
async fn wait_for_line(browser: &Browser, key: &str, state: &str) -> Result<()> {
    let deadline = Instant::now() + PATIENCE;
    loop {
        let now = browser
            .client
            .execute(
                "const l = document.querySelector(`[data-key=\"${arguments[0]}\"] [data-testid=\"record-state\"]`);
                 return l ? l.innerText.trim() : null;",
                vec![Value::String(key.to_owned())],
            )
            .await?;
        if now.as_str() == Some(state) {
            return Ok(());
        }
        ensure!(
            Instant::now() < deadline,
            "line {key} is {now}, expected {state}"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

/// Waits until the sync screen's line for `key` shows `text`.
async fn wait_for_line_text(browser: &Browser, key: &str, text: &str) -> Result<()> {
    let deadline = Instant::now() + PATIENCE;
    loop {
        let now = browser
            .client
            .execute(
                "const l = document.querySelector(`[data-key=\"${arguments[0]}\"]`);
                 return l ? l.innerText : '';",
                vec![Value::String(key.to_owned())],
            )
            .await?;
        if now.as_str().is_some_and(|t| t.contains(text)) {
            return Ok(());
        }
        ensure!(
            Instant::now() < deadline,
            "line {key} shows {now}, not {text}"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

/// Clicks the button `test_id` on the sync screen's line for `key`.
async fn click_on_line(browser: &Browser, key: &str, test_id: &str) -> Result<()> {
    let css = format!("[data-key=\"{key}\"] [data-testid=\"{test_id}\"]");
    browser
        .client
        .find(Locator::Css(&css))
        .await
        .with_context(|| format!("no {test_id} on line {key}"))?
        .click()
        .await?;
    Ok(())
}

/// Replaces what the field `test_id` holds with `text`.
async fn retype(browser: &Browser, test_id: &str, text: &str) -> Result<()> {
    let field = browser.element(test_id).await?;
    field.clear().await?;
    field.send_keys(text).await?;
    Ok(())
}

/// Corrects tube `tube`'s draw time on the tubes screen to the minute it shows (dropping the
/// seconds), with `reason`; answers the new `HH:MM`.
async fn correct_time(browser: &Browser, tube: usize, reason: &str) -> Result<String> {
    let stamp = browser.text_of(&format!("drawn-at-{tube}")).await?;
    let hm = stamp
        .trim_start_matches("Drawn ")
        .get(..5)
        .with_context(|| format!("no time in {stamp}"))?
        .to_owned();
    browser.click(&format!("correct-time-{tube}")).await?;
    browser.wait_for("correct-time-form").await?;
    retype(browser, "correct-time-value", &hm).await?;
    browser.type_into("correct-time-reason", reason).await?;
    browser.click("correct-time-save").await?;
    let note = browser.text_of(&format!("corrected-{tube}")).await?;
    ensure!(note.contains(reason), "{note}");
    browser
        .wait_for_text(&format!("drawn-at-{tube}"), &format!("Drawn {hm}:00"))
        .await?;
    Ok(hm)
}

#[tokio::test]
#[ignore = "needs the release PWA, the server binary and chromedriver: run `cargo xtask test`"]
async fn a_time_correction_a_corrected_and_a_voided_collection_reach_the_lab_with_stable_fhir_ids(
) -> Result<()> {
    let (server, browser) = flow::enrolled_tablet().await?;
    let lab = Lab::new(&server.base);
    let token = flow::device_token(&browser).await?;
    let supervisor = lab.sign_in(&token, "sam", "9876").await?;
    let tubes = demo_tubes();

    // At the bedside: every tube drawn, then the first one's time corrected with a reason. A
    // time that is not one is refused, naming what was read.
    flow::start_and_identify(&browser).await?;
    flow::wait_for_count(&browser, "tube-card", tubes).await?;
    for i in 1..=tubes {
        browser.click(&format!("mark-drawn-{i}")).await?;
        browser.wait_for(&format!("drawn-at-{i}")).await?;
    }
    browser.click("correct-time-1").await?;
    browser.wait_for("correct-time-form").await?;
    retype(&browser, "correct-time-value", "8 o'clock").await?;
    browser
        .type_into("correct-time-reason", "tapped Drawn after labelling")
        .await?;
    browser.click("correct-time-save").await?;
    let refused = browser.text_of("correct-time-error").await?;
    ensure!(
        refused.contains("\"8 o'clock\" is not a time of day"),
        "{refused}"
    );
    browser.capture_both_sizes("30-tubes-correct-time").await?;
    browser.click("correct-time-cancel").await?;
    correct_time(&browser, 1, "tapped Drawn after labelling").await?;
    flow::label_and_review(&browser, tubes).await?;
    let shown = browser.text_of("review-time-corrected-1").await?;
    ensure!(shown.contains("tapped Drawn after labelling"), "{shown}");
    browser
        .capture_both_sizes("31-review-time-corrected")
        .await?;
    browser.click("finalize").await?;
    browser.wait_for("finalized").await?;

    // It reaches the lab with the correction in its history.
    let deadline = Instant::now() + PATIENCE;
    let a = loop {
        if let Some(c) = lab.collections(&token).await?.first() {
            break c.id;
        }
        ensure!(
            Instant::now() < deadline,
            "the collection never reached the lab"
        );
        tokio::time::sleep(Duration::from_millis(250)).await;
    };
    let a1 = detail_with_versions(&lab, &supervisor, a, 1).await?;
    let history = &a1.versions[0].record.as_ref().context("readable")?.history;
    ensure!(
        history.iter().any(|h| matches!(&h.event,
            Event::DrawTimeCorrected { tube: 1, reason, .. } if reason == "tapped Drawn after labelling")),
        "the time correction is in the lab's record"
    );
    let a1_fhir = fhir_resources(&a1.fhir);
    ensure!(!a1_fhir.is_empty(), "{:?}", a1.fhir);
    ensure!(
        a1_fhir.iter().all(|(_, s, v)| s == "available" && v == "1"),
        "{a1_fhir:?}"
    );

    // A second collection, of another patient, finalized on the tablet and synced.
    let mut worklist = lab.worklist(&token).await?;
    worklist
        .patients
        .retain(|p| p.identity.mrn.as_str() != flow::MRN);
    let amara = lab.user_id(&token, "amara", "1234").await?;
    let record = lab::outbox_records(&worklist, &amara, 1, lab::now())?.remove(0);
    let b: Uuid = record["collection_id"].as_str().context("id")?.parse()?;
    let b_patient = worklist
        .patients
        .iter()
        .find(|p| record["data"]["record"]["patient"]["id"].as_str() == Some(p.id.as_str()))
        .context("B's patient")?
        .identity
        .mrn
        .to_string();
    flow::inject_outbox(&browser, vec![record]).await?;
    flow::sync_now(&browser).await?;
    let b1 = detail_with_versions(&lab, &supervisor, b, 1).await?;
    let b1_fhir = fhir_resources(&b1.fhir);
    wait_for_line(&browser, &format!("{b}/v1"), "Synced").await?;
    wait_for_line(&browser, &format!("{a}/v1"), "Synced").await?;
    browser.capture_both_sizes("32-sync-correct-void").await?;

    // The first is corrected from the sync screen: a new draft version, through review.
    click_on_line(&browser, &format!("{a}/v1"), "correct-collection").await?;
    browser.wait_for("correct-form").await?;
    browser
        .type_into(
            "amend-reason",
            "second tube time taken from the wrong clock",
        )
        .await?;
    browser.click("amend-confirm").await?;
    browser.wait_for_path(|p| p.ends_with("/review")).await?;
    let banner = browser.text_of("review-correction").await?;
    ensure!(
        banner.contains("Correction of finalized version 1")
            && banner.contains("second tube time taken from the wrong clock"),
        "{banner}"
    );
    flow::jump_to(&browser, &server.base, "/review", "/tubes").await?;
    correct_time(&browser, 2, "time from the ward clock").await?;
    flow::jump_to(&browser, &server.base, "/tubes", "/review").await?;
    browser.click("finalize").await?;
    browser.wait_for("finalized").await?;
    let a2 = detail_with_versions(&lab, &supervisor, a, 2).await?;
    ensure!(
        a2.versions[1].reason.as_deref() == Some("second tube time taken from the wrong clock"),
        "{:?}",
        a2.versions[1].reason
    );
    ensure!(a2.versions[1].supersedes == Some(1) && a2.versions[1].flags.corrected);
    let a2_fhir = fhir_resources(&a2.fhir);
    ensure!(ids(&a2_fhir) == ids(&a1_fhir), "{a2_fhir:?} vs {a1_fhir:?}");
    ensure!(
        a2_fhir.iter().all(|(_, s, v)| s == "available" && v == "2"),
        "{a2_fhir:?}"
    );

    // The second is voided from the sync screen, then the tablet reloads at once: the void is
    // on disk and reaches the lab exactly once.
    flow::open_sync_screen(&browser).await?;
    wait_for_line(&browser, &format!("{b}/v1"), "Synced").await?;
    click_on_line(&browser, &format!("{b}/v1"), "void-collection").await?;
    browser.wait_for("void-form").await?;
    browser
        .type_into("amend-reason", "collected on the wrong visit")
        .await?;
    browser.capture_both_sizes("33-void-form").await?;
    browser.click("amend-confirm").await?;
    wait_for_line_text(
        &browser,
        &format!("{b}/v2"),
        "Voided as entered in error: collected on the wrong visit",
    )
    .await?;
    browser.client.refresh().await?;
    flow::unlock(&browser, "1234").await?;
    let b2 = detail_with_versions(&lab, &supervisor, b, 2).await?;
    let void = b2.versions[1].voided.as_ref().context("a void")?;
    ensure!(void.reason == "collected on the wrong visit", "{void:?}");
    ensure!(b2.versions[1].flags.voided && b2.versions[1].standing);
    let b2_fhir = fhir_resources(&b2.fhir);
    ensure!(ids(&b2_fhir) == ids(&b1_fhir), "{b2_fhir:?} vs {b1_fhir:?}");
    ensure!(
        b2_fhir
            .iter()
            .all(|(_, s, v)| s == "entered-in-error" && v == "2"),
        "{b2_fhir:?}"
    );
    wait_for_line(&browser, &format!("{b}/v2"), "Synced").await?;
    ensure!(
        lab.versions(&token, b).await?.len() == 2,
        "the void arrived once"
    );
    browser.capture_both_sizes("34-sync-after-void").await?;

    // The void gave B's orders back to the round: the patient can be collected again.
    flow::go(&browser, "/draws").await?;
    browser.wait_for(&format!("collect-{b_patient}")).await?;

    // The exports after the correction and after the void pass an independent R4 validator.
    let searchset: Value = reqwest::Client::new()
        .get(format!("{}/api/v1/fhir/Specimen", server.base))
        .bearer_auth(&supervisor)
        .send()
        .await?
        .json()
        .await?;
    lab::fhir_validate(&[
        ("after-correction", &a2.fhir),
        ("after-void", &b2.fhir),
        ("searchset", &searchset),
    ])?;

    // The supervisor sees every version with its reason.
    browser.click("sign-out").await?;
    browser.wait_for_path(|p| p == "/sign-in").await?;
    browser.type_into("username", "sam").await?;
    browser.type_into("pin", "9876").await?;
    browser.click("sign-in-submit").await?;
    browser
        .wait_for_path(|p| p == "/supervisor/devices")
        .await?;
    // The queue flags the void, and filters on it.
    browser.click("tab-queue").await?;
    browser.choose("filter-flag", "voided").await?;
    let deadline = Instant::now() + PATIENCE;
    loop {
        let flags = browser.texts_of_all("queue-flag").await?;
        let items = browser.texts_of_all("queue-item").await?;
        if items.len() == 1 && flags.iter().any(|f| f == "Voided (entered in error) v2") {
            break;
        }
        ensure!(Instant::now() < deadline, "queue {items:?} flags {flags:?}");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    browser
        .capture_both_sizes("37-supervisor-queue-voided")
        .await?;
    flow::go(&browser, &format!("/supervisor/collections/{b}")).await?;
    let voided = browser.text_of("version-void").await?;
    ensure!(voided.contains("collected on the wrong visit"), "{voided}");
    browser
        .capture_both_sizes("35-supervisor-voided-versions")
        .await?;
    flow::go(&browser, &format!("/supervisor/collections/{a}")).await?;
    let why = browser.text_of("version-reason").await?;
    ensure!(
        why.contains("second tube time taken from the wrong clock"),
        "{why}"
    );
    let corrected = browser.texts_of_all("time-corrected").await?;
    ensure!(
        corrected
            .iter()
            .any(|t| t.contains("tapped Drawn after labelling"))
            && corrected
                .iter()
                .any(|t| t.contains("time from the ward clock")),
        "{corrected:?}"
    );
    // Scrolled to the tubes of the standing version, where the time corrections show.
    browser
        .client
        .execute(
            "document.querySelector('[data-testid=\"time-corrected\"]').scrollIntoView({block: 'center'});",
            vec![],
        )
        .await?;
    browser
        .capture_both_sizes("36-supervisor-corrected-versions")
        .await?;
    browser.close().await
}
