//! Talks HTTP to the lab server (the only module that does), and decides and runs sync.

pub mod pull;
pub mod push;
pub mod runner;

use drawline_domain::api::{
    EnrollRequest, EnrollResponse, Health, PullQuery, PullResponse, PushRequest, PushResponse,
    SessionResponse, SignInRequest, Worklist, API_PREFIX,
};
use drawline_domain::SiteConfig;
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;

/// Why a call to the lab server did not succeed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SyncError {
    /// No connection, DNS failure, server down: try again later.
    #[error("the lab server cannot be reached")]
    Offline,
    /// The server answered with an error status.
    #[error("the lab server answered {status}: {message}")]
    Server {
        /// HTTP status code.
        status: u16,
        /// The problem's human message, or the status text.
        message: String,
    },
    /// The server's answer was not what this app version understands.
    #[error("unexpected answer from the lab server: {0}")]
    Protocol(String),
}

impl SyncError {
    /// The server's own message when it gave one (it is written for people), else ours.
    pub fn human(&self) -> String {
        match self {
            SyncError::Server { message, .. } => message.clone(),
            other => other.to_string(),
        }
    }
}

/// A request that has not answered by then is given up and retried: a half-open connection
/// on bad Wi-Fi must never hang sync for good.
const REQUEST_TIMEOUT_MS: u32 = 45_000;

/// Sends one request to an API path (relative to `/api/v1`) of the server that served the app.
async fn call<T: serde::de::DeserializeOwned>(
    method: &str,
    path: &str,
    token: Option<&str>,
    body: Option<String>,
) -> Result<T, SyncError> {
    let window = web_sys::window().ok_or(SyncError::Offline)?;
    let url = format!("{API_PREFIX}{path}");
    let init = web_sys::RequestInit::new();
    init.set_method(method);
    let headers = web_sys::Headers::new().map_err(|_| SyncError::Protocol("headers".into()))?;
    if let Some(token) = token {
        headers
            .set("Authorization", &format!("Bearer {token}"))
            .map_err(|_| SyncError::Protocol("token is not a header value".into()))?;
    }
    if let Some(body) = body {
        headers
            .set("Content-Type", "application/json")
            .map_err(|_| SyncError::Protocol("headers".into()))?;
        init.set_body(&JsValue::from_str(&body));
    }
    init.set_headers(&headers);
    init.set_signal(Some(&web_sys::AbortSignal::timeout_with_u32(
        REQUEST_TIMEOUT_MS,
    )));
    let response = JsFuture::from(window.fetch_with_str_and_init(&url, &init))
        .await
        .map_err(|_| SyncError::Offline)?;
    let response: web_sys::Response = response
        .dyn_into()
        .map_err(|_| SyncError::Protocol("not a Response".into()))?;
    let text = JsFuture::from(
        response
            .text()
            .map_err(|_| SyncError::Protocol("unreadable body".into()))?,
    )
    .await
    .map_err(|_| SyncError::Offline)?
    .as_string()
    .unwrap_or_default();
    if !response.ok() {
        let message = serde_json::from_str::<serde_json::Value>(&text)
            .ok()
            .and_then(|v| v.get("message").and_then(|m| m.as_str()).map(String::from))
            .unwrap_or_else(|| response.status_text());
        return Err(SyncError::Server {
            status: response.status(),
            message,
        });
    }
    serde_json::from_str(&text).map_err(|e| SyncError::Protocol(e.to_string()))
}

/// GETs an API path (relative to `/api/v1`) from the server that served the app and parses its JSON.
pub async fn get_json<T: serde::de::DeserializeOwned>(path: &str) -> Result<T, SyncError> {
    call("GET", path, None, None).await
}

/// GETs an API path with a bearer token.
pub async fn get_json_auth<T: serde::de::DeserializeOwned>(
    path: &str,
    token: &str,
) -> Result<T, SyncError> {
    call("GET", path, Some(token), None).await
}

/// POSTs JSON to an API path, with a bearer token when given, and parses the JSON answer.
pub async fn post_json<B: serde::Serialize, T: serde::de::DeserializeOwned>(
    path: &str,
    token: Option<&str>,
    body: &B,
) -> Result<T, SyncError> {
    let body = serde_json::to_string(body).map_err(|e| SyncError::Protocol(e.to_string()))?;
    call("POST", path, token, Some(body)).await
}

/// The server's health and site name.
pub async fn fetch_health() -> Result<Health, SyncError> {
    get_json("/health").await
}

/// Exchanges a one-time enrollment code for this device's token.
pub async fn enroll(code: &str) -> Result<EnrollResponse, SyncError> {
    post_json(
        "/enroll",
        None,
        &EnrollRequest {
            code: code.trim().to_uppercase(),
        },
    )
    .await
}

/// Signs a collector in on this (enrolled) device.
pub async fn sign_in(
    device_token: &str,
    username: &str,
    pin: &str,
) -> Result<SessionResponse, SyncError> {
    post_json(
        "/sessions",
        Some(device_token),
        &SignInRequest {
            username: username.trim().to_owned(),
            pin: pin.to_owned(),
        },
    )
    .await
}

/// The device's worklist (orders and patients of its rounds).
pub async fn fetch_worklist(token: &str) -> Result<Worklist, SyncError> {
    get_json_auth("/worklist", token).await
}

/// The site's catalog and order of draw, which the tube planner needs.
pub async fn fetch_site(token: &str) -> Result<SiteConfig, SyncError> {
    get_json_auth("/site", token).await
}

/// Sends a batch of finalized collections (`POST /sync/push`) with the device token.
pub async fn push(device_token: &str, request: &PushRequest) -> Result<PushResponse, SyncError> {
    post_json("/sync/push", Some(device_token), request).await
}

/// Pulls the worklist changes since the query's cursor (`GET /sync/pull`) with the device token.
pub async fn pull(device_token: &str, query: &PullQuery) -> Result<PullResponse, SyncError> {
    let mut pairs: Vec<(&str, String)> = Vec::new();
    if let Some(c) = &query.cursor {
        pairs.push(("cursor", c.clone()));
    }
    if let Some(t) = &query.device_clock {
        pairs.push(("device_clock", t.to_rfc3339()));
    }
    if let Some(v) = &query.app_version {
        pairs.push(("app_version", v.clone()));
    }
    if let Some(n) = query.queue_length {
        pairs.push(("queue_length", n.to_string()));
    }
    if let Some(n) = query.oldest_unsynced_seconds {
        pairs.push(("oldest_unsynced_seconds", n.to_string()));
    }
    if let Some(e) = &query.last_error {
        pairs.push(("last_error", e.clone()));
    }
    if let Some(n) = query.limit {
        pairs.push(("limit", n.to_string()));
    }
    let qs: Vec<String> = pairs
        .iter()
        .map(|(k, v)| format!("{k}={}", String::from(js_sys::encode_uri_component(v))))
        .collect();
    get_json_auth(&format!("/sync/pull?{}", qs.join("&")), device_token).await
}

/// Supervisor routes of the lab server, called with a supervisor's session token.
pub mod supervisor {
    use drawline_domain::api::{
        CollectionDetail, ConflictChoice, DeviceView, DevicesOverview, NoteRequest, QueuePage,
        RecollectRequest, RecollectResponse, ResolveConflictRequest, ReviewEvent, ReviewRequest,
    };
    use uuid::Uuid;

    use super::{get_json_auth, post_json, SyncError};

    /// Every device, most at risk first.
    pub async fn devices(token: &str) -> Result<DevicesOverview, SyncError> {
        get_json_auth("/supervisor/devices", token).await
    }

    /// One page of the review queue; `query` is the URL query without `?` (already encoded).
    pub async fn queue(token: &str, query: &str) -> Result<QueuePage, SyncError> {
        get_json_auth(&format!("/supervisor/queue?{query}"), token).await
    }

    /// Everything the lab knows of one collection.
    pub async fn collection(token: &str, id: Uuid) -> Result<CollectionDetail, SyncError> {
        get_json_auth(&format!("/supervisor/collections/{id}"), token).await
    }

    /// Marks a collection reviewed.
    pub async fn mark_reviewed(
        token: &str,
        id: Uuid,
        note: Option<String>,
    ) -> Result<ReviewEvent, SyncError> {
        post_json(
            &format!("/supervisor/collections/{id}/review"),
            Some(token),
            &ReviewRequest { note },
        )
        .await
    }

    /// Adds a note to a collection.
    pub async fn add_note(token: &str, id: Uuid, text: String) -> Result<ReviewEvent, SyncError> {
        post_json(
            &format!("/supervisor/collections/{id}/notes"),
            Some(token),
            &NoteRequest { text },
        )
        .await
    }

    /// Resolves a conflict: which version stands.
    pub async fn resolve(
        token: &str,
        id: Uuid,
        attempt_id: i64,
        keep: ConflictChoice,
        note: Option<String>,
    ) -> Result<ReviewEvent, SyncError> {
        post_json(
            &format!("/supervisor/collections/{id}/resolve"),
            Some(token),
            &ResolveConflictRequest {
                attempt_id,
                keep,
                note,
            },
        )
        .await
    }

    /// Asks for the collection's orders to be drawn again.
    pub async fn recollect(
        token: &str,
        id: Uuid,
        reason: String,
    ) -> Result<RecollectResponse, SyncError> {
        post_json(
            &format!("/supervisor/collections/{id}/recollect"),
            Some(token),
            &RecollectRequest {
                reason,
                orders: None,
                round: None,
                due_at: None,
            },
        )
        .await
    }

    /// Revokes a device: its token fails at once.
    pub async fn revoke(token: &str, id: Uuid) -> Result<DeviceView, SyncError> {
        post_json(
            &format!("/devices/{id}/revoke"),
            Some(token),
            &serde_json::json!({}),
        )
        .await
    }
}
