//! Push requests as the app builds them from outbox records, sent from native Rust.

use anyhow::{Context, Result};
use drawline_domain::api::{PublicJwk, PushRecord, PushRequest};
use drawline_e2e::lab;
use reqwest::StatusCode;
use serde_json::Value;

/// The record the app pushes for an outbox record (as the app's push builds it).
pub fn push_record(outbox: &Value) -> Result<PushRecord> {
    Ok(PushRecord {
        id: outbox["collection_id"]
            .as_str()
            .context("collection_id")?
            .parse()?,
        version: 1,
        supersedes: None,
        content_hash: outbox["hash"].as_str().context("hash")?.to_owned(),
        collection: outbox["data"].clone(),
    })
}

/// The serialised push of these outbox records by a device that says `queue_length` wait.
pub fn push_body(outbox: &[Value], queue_length: usize) -> Result<Vec<u8>> {
    let req = PushRequest {
        sealed: Vec::new(),
        device_clock: lab::now(),
        app_version: Some("bench".into()),
        queue_length: queue_length as u32,
        oldest_unsynced_seconds: Some(0),
        last_error: None,
        records: outbox.iter().map(push_record).collect::<Result<_>>()?,
    };
    Ok(serde_json::to_vec(&req)?)
}

/// The serialised push of these outbox records sealed to the lab's public key `lab` in Rust (as
/// the tablet seals them at finalize), sent only as sealed copies, as the app sends them.
pub fn sealed_push_body(outbox: &[Value], lab: &PublicJwk, queue_length: usize) -> Result<Vec<u8>> {
    let sealed = outbox
        .iter()
        .map(|o| {
            let record = push_record(o)?;
            drawline_server::lab_key::seal_record(lab, &record).map_err(anyhow::Error::from)
        })
        .collect::<Result<_>>()?;
    let req = PushRequest {
        sealed,
        device_clock: lab::now(),
        app_version: Some("bench".into()),
        queue_length: queue_length as u32,
        oldest_unsynced_seconds: Some(0),
        last_error: None,
        records: Vec::new(),
    };
    Ok(serde_json::to_vec(&req)?)
}

/// `POST /api/v1/sync/push` of a serialised body to the server at `base`, as `token`.
pub fn push_request(
    http: &reqwest::Client,
    base: &str,
    token: &str,
    body: Vec<u8>,
) -> reqwest::RequestBuilder {
    http.post(format!("{base}/api/v1/sync/push"))
        .bearer_auth(token)
        .header("content-type", "application/json")
        .body(body)
}

/// Sends `req`; answers its status and body.
pub async fn send(req: reqwest::RequestBuilder) -> Result<(StatusCode, String)> {
    let res = req.send().await?;
    let status = res.status();
    Ok((status, res.text().await?))
}
