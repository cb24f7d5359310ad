//! The one error type of the HTTP API, answered as a JSON problem with a stable code.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::Serialize;

/// Every way an API request can fail.
#[derive(Debug, thiserror::Error)]
pub enum AppError {
    /// The storage layer failed; details are logged, not sent.
    #[error("storage error: {0}")]
    Storage(#[from] crate::store::StoreError),
    /// The thing asked for does not exist.
    #[error("{0}")]
    NotFound(String),
}

/// RFC 9457 style problem body.
#[derive(Debug, Serialize)]
pub struct Problem {
    /// Stable machine-readable code, e.g. `not_found`.
    pub code: &'static str,
    /// Human message.
    pub message: String,
}

impl IntoResponse for AppError {
    fn into_response(self) -> Response {
        let (status, code, message) = match &self {
            AppError::Storage(e) => {
                tracing::error!(error = %e, "storage failure");
                (
                    StatusCode::SERVICE_UNAVAILABLE,
                    "storage_unavailable",
                    "The lab server's database is not available; try again shortly.".to_string(),
                )
            }
            AppError::NotFound(m) => (StatusCode::NOT_FOUND, "not_found", m.clone()),
        };
        (status, Json(Problem { code, message })).into_response()
    }
}
