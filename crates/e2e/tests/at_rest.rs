//! Patient data at rest on the tablet: what a copied browser profile reveals, and what a revoked tablet keeps.

use anyhow::{ensure, Result};
use drawline_e2e::lab::{self, Lab};
use drawline_e2e::{flow, Browser};

/// The demo round's names, MRNs and birth dates (in both spellings the app meets them).
const PATIENT_DATA: &[&str] = &[
    "Lindqvist",
    "LINDQVIST",
    "Nakamura",
    "Okonkwo",
    "Brennan",
    "MRN100233",
    "MRN100231",
    "MRN100235",
    "1937-06-30",
    "19370630",
    "1948-03-12",
];

fn clear_patient_data(dump: &str) -> Vec<&'static str> {
    PATIENT_DATA
        .iter()
        .copied()
        .filter(|s| dump.contains(s))
        .collect()
}

/// From the draw list, opens a patient's collection (a draft from then on) and goes back, all
/// inside the app: loading a page anew would lock the tablet.
async fn leave_a_draft(browser: &Browser, mrn: &str) -> Result<()> {
    browser.wait_for_path(|p| p == "/draws").await?;
    browser.click(&format!("collect-{mrn}")).await?;
    browser.wait_for_path(|p| p.ends_with("/identify")).await?;
    browser.client.execute("history.back();", vec![]).await?;
    browser.wait_for_path(|p| p == "/draws").await?;
    Ok(())
}

/// From the "finalized" screen back to the draw list, inside the app.
async fn back_to_the_list(browser: &Browser) -> Result<()> {
    browser.click("back-to-list").await?;
    browser.wait_for_path(|p| p == "/draws").await?;
    Ok(())
}

async fn assert_nothing_in_the_clear(browser: &Browser, when: &str) -> Result<()> {
    let dump = flow::raw_database(browser).await?;
    ensure!(
        dump.contains("drawline_enc"),
        "{when}: nothing is encrypted: {dump}"
    );
    let found = clear_patient_data(&dump);
    ensure!(found.is_empty(), "{when}: in the clear: {found:?}");
    Ok(())
}

#[tokio::test]
#[ignore = "needs the release PWA, the server binary and chromedriver: run `cargo xtask test`"]
async fn after_a_round_the_raw_database_holds_no_patient_name_mrn_or_birth_date() -> Result<()> {
    let (server, browser) = flow::enrolled_tablet().await?;
    // Out of signal: one collection finalized (the outbox), one left open (a draft), beside the
    // round's worklist.
    browser.set_offline(true).await?;
    flow::collect_one(&browser, 2).await?;
    flow::wait_for_waiting(&browser, 1).await?;
    back_to_the_list(&browser).await?;
    leave_a_draft(&browser, "MRN100231").await?;
    let [drafts, outbox, _] = flow::store_keys(&browser).await?;
    ensure!(
        drafts.len() == 1 && outbox.len() == 1,
        "{drafts:?} {outbox:?}"
    );
    assert_nothing_in_the_clear(&browser, "offline").await?;
    // Back in signal: the collection syncs (a receipt).
    browser.set_offline(false).await?;
    flow::sync_now(&browser).await?;
    flow::wait_for_waiting(&browser, 0).await?;
    let [_, _, receipts] = flow::store_keys(&browser).await?;
    ensure!(receipts.len() == 1, "{receipts:?}");
    assert_nothing_in_the_clear(&browser, "synced").await?;
    drop(server);
    browser.close().await
}

#[tokio::test]
#[ignore = "needs the release PWA, the server binary and chromedriver: run `cargo xtask test`"]
async fn a_revoked_tablet_deletes_what_the_lab_holds_and_keeps_exactly_its_unsynced_collection(
) -> Result<()> {
    let (server, browser) = flow::enrolled_tablet().await?;
    let lab = Lab::new(&server.base);
    let token = flow::device_token(&browser).await?;
    let reader = lab.reader(&token).await?;
    let worklist = lab.worklist(&reader).await?;
    let amara = lab.user_id(&token, "amara", "1234").await?;
    // One collection the lab holds.
    let synced = lab::outbox_records(&worklist, &amara, 1, lab::now())?;
    flow::inject_outbox(&browser, synced).await?;
    flow::sync_now(&browser).await?;
    flow::wait_for_waiting(&browser, 0).await?;
    // Out of signal: one finalized and one left open; meanwhile the lab revokes the tablet.
    browser.set_offline(true).await?;
    browser.client.execute("history.back();", vec![]).await?;
    browser.wait_for_path(|p| p == "/draws").await?;
    flow::collect_one(&browser, 2).await?;
    flow::wait_for_waiting(&browser, 1).await?;
    back_to_the_list(&browser).await?;
    leave_a_draft(&browser, "MRN100234").await?;
    let [drafts, unsynced, receipts] = flow::store_keys(&browser).await?;
    ensure!(
        drafts.len() == 1 && unsynced.len() == 1 && receipts.len() == 1,
        "{drafts:?} {unsynced:?} {receipts:?}"
    );
    let supervisor = lab.sign_in(&token, "sam", "9876").await?;
    lab.revoke_device(&supervisor, "Demo tablet").await?;
    browser.set_offline(false).await?;
    flow::sync_now(&browser).await.ok();
    browser.wait_for("revoked").await?;
    let kept = browser.text_of("revoked-kept").await?;
    ensure!(kept.contains('1'), "{kept}");
    browser.capture_both_sizes("40-revoked").await?;
    let [after_drafts, outbox, receipts] = flow::store_keys(&browser).await?;
    ensure!(receipts.is_empty(), "receipts kept: {receipts:?}");
    ensure!(outbox == unsynced, "{outbox:?} != {unsynced:?}");
    ensure!(
        after_drafts == drafts,
        "the open draft is kept: {after_drafts:?}"
    );
    let dump = flow::raw_database(&browser).await?;
    for gone in ["key_wraps", "\"session\"", "signed_in"] {
        ensure!(!dump.contains(gone), "{gone} survived the wipe");
    }
    ensure!(clear_patient_data(&dump).is_empty(), "{dump}");
    drop(server);
    browser.close().await
}
