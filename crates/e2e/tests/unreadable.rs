//! A stored row the lab cannot read back: the supervisor's lists still answer, and say so.

use anyhow::{ensure, Result};
use drawline_e2e::flow;
use drawline_e2e::lab::{self, Lab};
use drawline_e2e::{Browser, Server};

#[tokio::test]
#[ignore = "needs the release PWA, the server binary and chromedriver: run `cargo xtask test`"]
async fn a_supervisor_sees_every_readable_collection_and_a_banner_naming_the_unreadable_one(
) -> Result<()> {
    let server = Server::start().await?;
    let lab = Lab::new(&server.base);
    let a = Browser::start().await?;
    flow::enroll_at(&a, &server).await?;
    let token = flow::device_token(&a).await?;
    let worklist = lab.worklist(&token).await?;
    let amara = lab.user_id(&token, "amara", "1234").await?;
    let records = lab::outbox_records(&worklist, &amara, 2, lab::now())?;
    flow::inject_outbox(&a, records).await?;
    flow::sync_now(&a).await?;
    flow::wait_until_texts(&a, "waiting-to-sync", |t| {
        t.first().is_some_and(|x| x == "0 waiting to sync")
    })
    .await?;
    let supervisor = lab.sign_in(&token, "sam", "9876").await?;
    let queue = lab.queue(&supervisor, "").await?;
    ensure!(queue.items.len() == 2, "{} items", queue.items.len());
    let bad = queue.items[0].collection_id;
    // As an older server could have stored it: a year past 9999, which does not read back.
    let db = rusqlite::Connection::open(server.database())?;
    db.execute(
        "UPDATE collection_versions SET received_at = '+10000-01-01T00:00:00.000000Z'
         WHERE collection_id = ?1",
        [bad.to_string()],
    )?;

    a.click("sign-out").await?;
    a.wait_for_path(|p| p == "/sign-in").await?;
    a.type_into("username", "sam").await?;
    a.type_into("pin", "9876").await?;
    a.click("sign-in-submit").await?;
    a.wait_for_path(|p| p == "/supervisor/devices").await?;
    a.click("tab-queue").await?;
    flow::wait_until_texts(&a, "queue-item", |t| t.len() == 1).await?;
    let banner = flow::wait_until_texts(&a, "unreadable-banner", |t| !t.is_empty()).await?;
    ensure!(
        banner[0].starts_with("1 stored record could not be read")
            && banner[0].contains(&bad.to_string()),
        "{banner:?}"
    );
    a.capture_both_sizes("23-supervisor-unreadable").await?;
    // The devices screen says it too.
    a.click("tab-devices").await?;
    flow::wait_until_texts(&a, "unreadable-banner", |t| !t.is_empty()).await?;
    a.close().await
}
