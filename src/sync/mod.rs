//! Talks HTTP to the lab server: the only module that does.

use drawline_domain::api::{Health, API_PREFIX};
use wasm_bindgen::JsCast;
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

/// GETs an API path (relative to `/api/v1`) from the server that served the app and parses its JSON.
pub async fn get_json<T: serde::de::DeserializeOwned>(path: &str) -> Result<T, SyncError> {
    let window = web_sys::window().ok_or(SyncError::Offline)?;
    let url = format!("{API_PREFIX}{path}");
    let response = JsFuture::from(window.fetch_with_str(&url))
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

/// The server's health and site name.
pub async fn fetch_health() -> Result<Health, SyncError> {
    get_json("/health").await
}
