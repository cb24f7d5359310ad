//! The one error type of the HTTP API, answered as a JSON problem with a stable code.

use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::store::StoreError;

/// Every way an API request can fail.
#[derive(Debug, thiserror::Error)]
pub enum AppError {
    /// The storage layer failed; details are logged, not sent.
    #[error("storage error: {0}")]
    Storage(#[from] StoreError),
    /// The thing asked for does not exist (or belongs to someone else).
    #[error("{0}")]
    NotFound(String),
    /// The request could not be read: bad JSON, wrong content type, too large, bad path or query.
    #[error("{message}")]
    BadRequest {
        /// HTTP status (400, 409, 413, 415 or 422).
        status: StatusCode,
        /// Stable code.
        code: &'static str,
        /// Human message.
        message: String,
    },
    /// No credentials, or credentials that do not work.
    #[error("{message}")]
    Unauthorized {
        /// Stable code.
        code: &'static str,
        /// Human message.
        message: String,
    },
    /// Authenticated, but not allowed.
    #[error("{message}")]
    Forbidden {
        /// Stable code.
        code: &'static str,
        /// Human message.
        message: String,
    },
    /// Too many failed sign-ins; try again later.
    #[error("too many failed sign-ins; retry in {retry_after_secs} s")]
    TooManyAttempts {
        /// Seconds until the next attempt is allowed.
        retry_after_secs: u64,
    },
    /// The request conflicts with what the server holds.
    #[error("{0}")]
    Conflict(String),
    /// Every PIN worker stayed busy (too many sign-ins at once); try again shortly.
    #[error("busy checking other PINs; retry in {retry_after_secs} s")]
    Busy {
        /// Seconds to wait before trying again.
        retry_after_secs: u64,
    },
    /// A device went over one of its quotas (pushes per minute, stored bytes); nothing was
    /// stored, and the same request may be sent again after `retry_after_secs`.
    #[error("{message}")]
    QuotaExceeded {
        /// 429 (too many pushes) or 507 (too much stored).
        status: StatusCode,
        /// Stable code.
        code: &'static str,
        /// Human message.
        message: String,
        /// Seconds until trying again makes sense.
        retry_after_secs: u64,
    },
}

impl AppError {
    /// A 400 with the given code.
    pub fn bad_request(code: &'static str, message: impl Into<String>) -> Self {
        AppError::BadRequest {
            status: StatusCode::BAD_REQUEST,
            code,
            message: message.into(),
        }
    }

    /// A 422: well-formed but not acceptable.
    pub fn unprocessable(code: &'static str, message: impl Into<String>) -> Self {
        AppError::BadRequest {
            status: StatusCode::UNPROCESSABLE_ENTITY,
            code,
            message: message.into(),
        }
    }

    /// A 401 with the given code.
    pub fn unauthorized(code: &'static str, message: impl Into<String>) -> Self {
        AppError::Unauthorized {
            code,
            message: message.into(),
        }
    }

    /// A 403 with the given code.
    pub fn forbidden(code: &'static str, message: impl Into<String>) -> Self {
        AppError::Forbidden {
            code,
            message: message.into(),
        }
    }
}

/// RFC 9457 style problem body: every error of the API has this shape.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Problem {
    /// Stable machine-readable code, e.g. `not_found`, `invalid_token`, `malformed_json`.
    pub code: String,
    /// Human message.
    pub message: String,
}

/// The status and body of a problem, without the response around it.
pub fn problem(status: StatusCode, code: &str, message: impl Into<String>) -> Response {
    let body = Problem {
        code: code.to_owned(),
        message: message.into(),
    };
    (status, Json(body)).into_response()
}

impl IntoResponse for AppError {
    fn into_response(self) -> Response {
        match self {
            AppError::Storage(StoreError::Conflict(m)) => {
                problem(StatusCode::CONFLICT, "conflict", m)
            }
            AppError::Storage(StoreError::OverQuota { stored, limit }) => {
                AppError::QuotaExceeded {
                    status: StatusCode::INSUFFICIENT_STORAGE,
                    code: "storage_quota_exceeded",
                    message: format!(
                        "This device has {} MiB of records stored at the lab, its quota is {} MiB: \
                         nothing of this push was stored. The tablet keeps its records; ask the lab \
                         to raise the quota.",
                        stored / (1024 * 1024),
                        limit / (1024 * 1024)
                    ),
                    retry_after_secs: 600,
                }
                .into_response()
            }
            AppError::Storage(e) => {
                tracing::error!(error = %e, "storage failure");
                problem(
                    StatusCode::SERVICE_UNAVAILABLE,
                    "storage_unavailable",
                    "The lab server's database is not available; try again shortly.",
                )
            }
            AppError::NotFound(m) => problem(StatusCode::NOT_FOUND, "not_found", m),
            AppError::BadRequest {
                status,
                code,
                message,
            } => problem(status, code, message),
            AppError::Unauthorized { code, message } => {
                let mut res = problem(StatusCode::UNAUTHORIZED, code, message);
                res.headers_mut().insert(
                    header::WWW_AUTHENTICATE,
                    HeaderValue::from_static("Bearer realm=\"drawline\""),
                );
                res
            }
            AppError::Forbidden { code, message } => problem(StatusCode::FORBIDDEN, code, message),
            AppError::TooManyAttempts { retry_after_secs } => {
                let mut res = problem(
                    StatusCode::TOO_MANY_REQUESTS,
                    "too_many_attempts",
                    format!("Too many failed sign-ins for this user; try again in {retry_after_secs} seconds, or ask a supervisor to unlock."),
                );
                res.headers_mut()
                    .insert(header::RETRY_AFTER, HeaderValue::from(retry_after_secs));
                res
            }
            AppError::Conflict(m) => problem(StatusCode::CONFLICT, "conflict", m),
            AppError::Busy { retry_after_secs } => {
                let mut res = problem(
                    StatusCode::SERVICE_UNAVAILABLE,
                    "busy",
                    format!("The lab server is busy checking other sign-ins; try again in {retry_after_secs} seconds."),
                );
                res.headers_mut()
                    .insert(header::RETRY_AFTER, HeaderValue::from(retry_after_secs));
                res
            }
            AppError::QuotaExceeded {
                status,
                code,
                message,
                retry_after_secs,
            } => {
                let mut res = problem(status, code, message);
                res.headers_mut()
                    .insert(header::RETRY_AFTER, HeaderValue::from(retry_after_secs));
                res
            }
        }
    }
}
