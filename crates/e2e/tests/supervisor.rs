//! Supervisor review end to end: two tablets (two browser profiles) sync, one goes silent with
//! unsynced work, and a supervisor sees both correctly and reviews a collection.

use anyhow::{ensure, Result};
use drawline_e2e::flow;
use drawline_e2e::lab::{self, Lab};
use drawline_e2e::{Browser, Server};

async fn sync_and_wait(browser: &Browser, waiting: &str) -> Result<()> {
    flow::sync_now(browser).await?;
    flow::wait_until_texts(browser, "waiting-to-sync", |t| {
        t.first().is_some_and(|x| x == waiting)
    })
    .await
    .map(|_| ())
}

#[tokio::test]
#[ignore = "needs the release PWA, the server binary and chromedriver: run `cargo xtask test`"]
async fn a_supervisor_sees_a_silent_tablet_with_unsynced_work_first_and_reviews_a_collection(
) -> Result<()> {
    // Any silence counts as stale here, so the test need not wait an hour.
    let server = Server::start_with_flags(&["--stale-device-minutes", "0"]).await?;
    let lab = Lab::new(&server.base);

    // Tablet A: the demo ward tablet, with amara.
    let a = Browser::start().await?;
    flow::enroll_at(&a, &server).await?;
    let token_a = flow::device_token(&a).await?;
    let worklist = lab.worklist(&token_a).await?;
    let supervisor = lab.sign_in(&token_a, "sam", "9876").await?;
    let code_b = lab.new_device(&supervisor, "Home visit tablet").await?;

    // A collector never gets the supervisor screens.
    flow::go(&a, "/supervisor/devices").await?;
    a.wait_for("supervisors-only").await?;

    // Tablet B: one collection the lab takes, one it rejects (a collector it does not know).
    let b = Browser::start().await?;
    flow::enroll_and_sign_in_as(&b, &server.base, &code_b, "ben", "2345").await?;
    let ben = lab.user_id(&token_a, "ben", "2345").await?;
    let stranger = "00000000-0000-4000-8000-00000000dead";
    let mut records = lab::outbox_records(&worklist, &ben, 1, lab::now())?;
    records.extend(lab::outbox_records(&worklist, stranger, 1, lab::now())?);
    flow::inject_outbox(&b, records).await?;
    sync_and_wait(&b, "1 waiting to sync").await?;
    b.wait_for("needs-attention").await?;
    let reason = b.text_of("record-reason").await?;
    ensure!(reason.contains("not a user of the lab"), "{reason}");
    // B goes silent holding that record.
    drop(b.kill().await?);

    // Tablet A syncs two collections.
    let amara = lab.user_id(&token_a, "amara", "1234").await?;
    let records = lab::outbox_records(&worklist, &amara, 2, lab::now())?;
    flow::inject_outbox(&a, records).await?;
    sync_and_wait(&a, "0 waiting to sync").await?;

    // The supervisor signs in on tablet A.
    a.click("sign-out").await?;
    a.wait_for_path(|p| p == "/sign-in").await?;
    a.type_into("username", "sam").await?;
    a.type_into("pin", "9876").await?;
    a.click("sign-in-submit").await?;
    a.wait_for_path(|p| p == "/supervisor/devices").await?;
    let risks = flow::wait_until_texts(&a, "device-risk", |t| t.len() == 2).await?;
    let cards = a
        .client
        .find_all(fantoccini::Locator::Css("[data-testid=\"device-card\"]"))
        .await?;
    let first = cards[0].attr("data-name").await?.unwrap_or_default();
    ensure!(
        first == "Home visit tablet" && risks[0] == "At risk",
        "first card {first} {risks:?}"
    );
    let queues = a.texts_of_all("device-queue").await?;
    let quarantined = a.texts_of_all("device-quarantined").await?;
    ensure!(queues == ["1", "0"], "{queues:?}");
    ensure!(quarantined[0] == "1", "{quarantined:?}");
    let reasons = a.text_of("device-reasons").await?;
    ensure!(reasons.to_lowercase().contains("unsynced"), "{reasons}");
    a.capture_both_sizes("20-supervisor-devices").await?;

    // The queue: the rejection, and the three accepted collections.
    a.click("tab-queue").await?;
    a.choose("filter-status", "rejected").await?;
    let statuses = flow::wait_until_texts(&a, "queue-status", |t| t == ["Rejected"]).await?;
    ensure!(statuses.len() == 1);
    a.choose("filter-status", "accepted").await?;
    flow::wait_until_texts(&a, "queue-status", |t| {
        t.len() == 3 && t.iter().all(|s| s.starts_with("Accepted"))
    })
    .await?;
    a.capture_both_sizes("21-supervisor-queue").await?;

    // Review one: the action comes back in its history and in the queue.
    a.click("queue-open").await?;
    a.wait_for_path(|p| p.starts_with("/supervisor/collections/"))
        .await?;
    a.wait_for("tube-table").await?;
    let label = a.text_of("label-data").await?;
    ensure!(label.contains("printed:"), "{label}");
    let fhir = a
        .client
        .find(fantoccini::Locator::Css("[data-testid=\"fhir\"]"))
        .await?;
    let fhir = fhir.prop("textContent").await?.unwrap_or_default();
    ensure!(fhir.contains("\"Specimen\""), "FHIR export shown");
    a.type_into("review-note", "labels checked at the lab")
        .await?;
    a.click("mark-reviewed").await?;
    let events = flow::wait_until_texts(&a, "review-event", |t| !t.is_empty()).await?;
    ensure!(
        events[0].contains("Sam")
            && events[0].contains("reviewed")
            && events[0].contains("labels checked"),
        "{events:?}"
    );
    a.wait_for("collection-reviewed").await?;
    a.capture_both_sizes("22-supervisor-collection").await?;
    a.click("back-to-queue").await?;
    a.choose("filter-reviewed", "true").await?;
    flow::wait_until_texts(&a, "queue-reviewed", |t| t.len() == 1).await?;
    flow::wait_until_texts(&a, "queue-item", |t| t.len() == 1).await?;
    a.close().await
}
