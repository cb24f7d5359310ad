//! The browser's HTTP client of the lab API: the account calls and the sync [`Transport`].
//!
//! `fetch` with a timeout, JSON in and out, the server's problem message on errors.

use drawline_domain::api::{
    EnrollRequest, EnrollResponse, Health, Heartbeat, PullQuery, PullResponse, PushRequest,
    PushResponse, SessionResponse, SignInRequest, API_PREFIX,
};
use drawline_domain::SiteConfig;
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;

use super::error::SyncError;
use super::transport::Transport;
use crate::storage::boot_hints;

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
        let problem = serde_json::from_str::<serde_json::Value>(&text).ok();
        let field = |name: &str| {
            problem
                .as_ref()
                .and_then(|v| v.get(name).and_then(|m| m.as_str()).map(String::from))
        };
        let message = field("message").unwrap_or_else(|| response.status_text());
        let retry_after = response.headers().get("Retry-After").ok().flatten();
        if let Some(retry_after_secs) = retry_after_seconds(response.status(), retry_after) {
            return Err(SyncError::RetryLater {
                status: response.status(),
                code: field("code").unwrap_or_default(),
                message,
                retry_after_secs,
            });
        }
        if response.status() == 403 && field("code").as_deref() == Some("device_revoked") {
            return Err(SyncError::Revoked(message));
        }
        return Err(SyncError::Server {
            status: response.status(),
            message,
        });
    }
    // A 204 has no body: it reads as JSON `null`, i.e. `()`.
    let text = if text.is_empty() { "null" } else { &text };
    serde_json::from_str(text).map_err(|e| SyncError::Protocol(e.to_string()))
}

/// The wait a 429 or 503 answer asks for: its `Retry-After` in whole seconds (the lab never
/// sends the HTTP-date form); `None` for other answers or a header that is not a number.
fn retry_after_seconds(status: u16, header: Option<String>) -> Option<u64> {
    if !matches!(status, 429 | 503) {
        return None;
    }
    header?.trim().parse().ok()
}

/// GETs an API path (relative to `/api/v1`) from the server that served the app and parses its JSON.
pub(crate) async fn get_json<T: serde::de::DeserializeOwned>(path: &str) -> Result<T, SyncError> {
    call("GET", path, None, None).await
}

/// GETs an API path with a bearer token.
pub(crate) async fn get_json_auth<T: serde::de::DeserializeOwned>(
    path: &str,
    token: &str,
) -> Result<T, SyncError> {
    call("GET", path, Some(token), None).await
}

/// POSTs JSON to an API path, with a bearer token when given, and parses the JSON answer.
pub(crate) async fn post_json<B: serde::Serialize, T: serde::de::DeserializeOwned>(
    path: &str,
    token: Option<&str>,
    body: &B,
) -> Result<T, SyncError> {
    let body = serde_json::to_string(body).map_err(|e| SyncError::Protocol(e.to_string()))?;
    call("POST", path, token, Some(body)).await
}

/// The server's health and site name; the name is kept as a boot hint for the next start.
pub async fn fetch_health() -> Result<Health, SyncError> {
    let health: Health = get_json("/health").await?;
    boot_hints::update(|h| h.site_name = Some(health.site.clone()));
    Ok(health)
}

/// Exchanges a one-time enrollment code for this device's token, telling the lab this
/// database's marker and, when the browser lost the one before, that one's.
pub async fn enroll(
    code: &str,
    db_marker: &str,
    previous_marker: Option<&str>,
) -> Result<EnrollResponse, SyncError> {
    post_json(
        "/enroll",
        None,
        &EnrollRequest {
            db_marker: Some(db_marker.to_owned()),
            previous_marker: previous_marker.map(str::to_owned),
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

/// The lab API over the browser's `fetch`.
pub struct Http;

/// The pull query as URL pairs, leaving out what is unset.
fn pull_pairs(query: &PullQuery) -> Vec<(&'static str, String)> {
    let mut pairs: Vec<(&'static str, String)> = Vec::new();
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
    pairs
}

#[async_trait::async_trait(?Send)]
impl Transport for Http {
    async fn push(&self, token: &str, request: &PushRequest) -> Result<PushResponse, SyncError> {
        post_json("/sync/push", Some(token), request).await
    }

    async fn pull(&self, token: &str, query: &PullQuery) -> Result<PullResponse, SyncError> {
        let qs: Vec<String> = pull_pairs(query)
            .iter()
            .map(|(k, v)| format!("{k}={}", String::from(js_sys::encode_uri_component(v))))
            .collect();
        get_json_auth(&format!("/sync/pull?{}", qs.join("&")), token).await
    }

    async fn site(&self, token: &str) -> Result<SiteConfig, SyncError> {
        get_json_auth("/site", token).await
    }

    async fn heartbeat(&self, token: &str, beat: &Heartbeat) -> Result<(), SyncError> {
        post_json("/heartbeat", Some(token), beat).await
    }

    async fn rotate(&self, token: &str) -> Result<EnrollResponse, SyncError> {
        call("POST", "/devices/current/token", Some(token), None).await
    }
}

#[cfg(test)]
mod tests {
    use super::retry_after_seconds;

    #[test]
    fn only_a_429_or_503_with_a_number_of_seconds_asks_to_retry_later() {
        assert_eq!(retry_after_seconds(429, Some("240".into())), Some(240));
        assert_eq!(retry_after_seconds(503, Some(" 2 ".into())), Some(2));
        assert_eq!(retry_after_seconds(503, None), None);
        assert_eq!(retry_after_seconds(401, Some("5".into())), None);
        assert_eq!(
            retry_after_seconds(429, Some("Wed, 21 Oct 2015 07:28:00 GMT".into())),
            None
        );
    }
}
