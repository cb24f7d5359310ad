//! The real `drawline serve` process killed (SIGKILL) while a push batch is in flight, then
//! restarted: resending the batch stores every record exactly once.

use std::path::Path;
use std::process::{Child, Command, Stdio};

use chrono::Utc;
use drawline_server::api::{PushRecord, PushResponse};
use drawline_server::store::{SiteStore, SyncStore};
use drawline_server::{accounts, SqliteStore};
use rand::Rng;
use serde_json::json;
use uuid::Uuid;

use crate::fixtures;
use crate::helpers::{add_fixture_collectors, seed_collection_orders, serving_base};

/// Starts the server on a free port; answers the process and its base URL.
fn start(db: &Path, dir: &Path) -> (Child, String) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_drawline"))
        .args(["serve", "--addr", "127.0.0.1:0", "--dist"])
        .arg(dir.join("no-app"))
        .env("DRAWLINE_DB", db)
        .env_remove("DRAWLINE_CONFIG")
        .env_remove("DRAWLINE_SITE_DIR")
        .current_dir(dir)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let base = serving_base(&mut child);
    (child, base)
}

async fn push(
    client: &reqwest::Client,
    base: &str,
    token: &str,
    body: &serde_json::Value,
) -> Result<PushResponse, String> {
    let res = client
        .post(format!("{base}/api/v1/sync/push"))
        .bearer_auth(token)
        .json(body)
        .send()
        .await
        .map_err(|e| e.to_string())?;
    if !res.status().is_success() {
        return Err(res.status().to_string());
    }
    res.json().await.map_err(|e| e.to_string())
}

#[tokio::test]
async fn a_server_killed_in_the_middle_of_a_batch_then_restarted_stores_each_record_exactly_once() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("lab.sqlite");
    let (code, device_id) = {
        let store = SqliteStore::open(&db).unwrap();
        store.set_site_name("Test Lab").await.unwrap();
        let code = accounts::register_device(&store, "Tablet", "test", Utc::now())
            .await
            .unwrap();
        seed_collection_orders(&store, code.device_id).await;
        add_fixture_collectors(&db);
        (code.code, code.device_id)
    };
    // Generous: a shared 2-core machine under load can take long over 200 records, and a
    // timeout here would fail the test for the machine's sake, not the server's.
    let client = reqwest::Client::builder()
        .timeout(std::time::Duration::from_secs(120))
        .build()
        .unwrap();
    let (mut server, mut base) = start(&db, dir.path());
    let enrolled: serde_json::Value = client
        .post(format!("{base}/api/v1/enroll"))
        .json(&json!({ "code": code }))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let token = enrolled["token"].as_str().unwrap().to_owned();

    let batch = || {
        let records: Vec<serde_json::Value> = (0..200)
            .map(|_| {
                serde_json::to_value(PushRecord::from_finalized(&fixtures::finalized_collection(
                    Uuid::new_v4(),
                )))
                .unwrap()
            })
            .collect();
        json!({
            "device_clock": Utc::now().fixed_offset(),
            "queue_length": 200,
            "records": records,
        })
    };
    // A first batch that goes through shows how long one takes here, so the kills below land
    // anywhere from before the request to after the commit.
    let started = std::time::Instant::now();
    let warm_up = push(&client, &base, &token, &batch()).await.unwrap();
    assert!(warm_up.results.iter().all(|r| r.outcome.is_synced()));
    let took = started.elapsed().as_millis().max(10) as u64;

    let body = batch();
    // Kill the server at a random moment of the push, five times over.
    let mut rng = rand::thread_rng();
    for _ in 0..5 {
        let in_flight = {
            let (client, base, token, body) =
                (client.clone(), base.clone(), token.clone(), body.clone());
            tokio::spawn(async move { push(&client, &base, &token, &body).await })
        };
        tokio::time::sleep(std::time::Duration::from_millis(
            rng.gen_range(0..took * 3 / 2),
        ))
        .await;
        server.kill().unwrap();
        server.wait().unwrap();
        // Either it completed before the kill (fine), or the device saw an error and will resend.
        match in_flight.await.unwrap() {
            Ok(out) => eprintln!(
                "the push finished before the kill ({} results)",
                out.results.len()
            ),
            Err(e) => eprintln!("the push was cut by the kill: {e}"),
        }
        (server, base) = start(&db, dir.path());
    }
    server.kill().unwrap();
    server.wait().unwrap();

    // Restart and resend: the device holds a receipt for everything.
    let (mut server, base) = start(&db, dir.path());
    let out = push(&client, &base, &token, &body).await.unwrap();
    assert_eq!(out.results.len(), 200);
    assert!(out.results.iter().all(|r| r.outcome.is_synced()), "{out:?}");
    let again = push(&client, &base, &token, &body).await.unwrap();
    assert!(again
        .results
        .iter()
        .zip(&out.results)
        .all(|(a, b)| a.receipt == b.receipt));
    server.kill().unwrap();
    server.wait().unwrap();

    let store = SqliteStore::open(&db).unwrap();
    let collections = store.list_collections(Some(device_id)).await.unwrap();
    assert_eq!(collections.len(), 400);
    for c in &collections {
        assert_eq!(store.collection_versions(c.id).await.unwrap().len(), 1);
    }
    assert_eq!(store.receipts(device_id, None).await.unwrap().len(), 400);
}
