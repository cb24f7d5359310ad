//! Request extractors whose rejections are JSON problems, so malformed input never gets a plain-text error.

use axum::extract::rejection::{BytesRejection, JsonRejection, PathRejection, QueryRejection};
use axum::extract::{FromRequest, FromRequestParts};
use axum::http::StatusCode;

use crate::AppError;

/// Reads an optional opaque cursor from a query: absent or empty is `None`; one `decode` does not
/// recognise is an `invalid_cursor` problem that tells the client how to `start_over`.
pub fn cursor<T>(
    text: Option<&str>,
    decode: impl FnOnce(&str) -> Option<T>,
    start_over: &str,
) -> Result<Option<T>, AppError> {
    match text.filter(|c| !c.is_empty()) {
        None => Ok(None),
        Some(text) => decode(text).map(Some).ok_or_else(|| {
            AppError::bad_request(
                "invalid_cursor",
                format!("The cursor is not one this server issued; {start_over}."),
            )
        }),
    }
}

/// `axum::Json` with problem rejections.
#[derive(Debug, FromRequest)]
#[from_request(via(axum::Json), rejection(AppError))]
pub struct ApiJson<T>(pub T);

/// `axum::extract::Path` with problem rejections.
#[derive(Debug, FromRequestParts)]
#[from_request(via(axum::extract::Path), rejection(AppError))]
pub struct ApiPath<T>(pub T);

/// `axum::extract::Query` with problem rejections.
#[derive(Debug, FromRequestParts)]
#[from_request(via(axum::extract::Query), rejection(AppError))]
pub struct ApiQuery<T>(pub T);

/// The raw body with problem rejections (and the body size limit).
#[derive(Debug)]
pub struct ApiBytes(pub axum::body::Bytes);

impl<S: Send + Sync> FromRequest<S> for ApiBytes {
    type Rejection = AppError;

    async fn from_request(req: axum::extract::Request, state: &S) -> Result<Self, AppError> {
        Ok(ApiBytes(axum::body::Bytes::from_request(req, state).await?))
    }
}

fn too_large_or(status: StatusCode, code: &'static str, message: String) -> AppError {
    if status == StatusCode::PAYLOAD_TOO_LARGE {
        return AppError::BadRequest {
            status,
            code: "payload_too_large",
            message: "The request body is larger than this route accepts.".into(),
        };
    }
    AppError::BadRequest {
        status,
        code,
        message,
    }
}

impl From<JsonRejection> for AppError {
    fn from(r: JsonRejection) -> Self {
        let code = match &r {
            JsonRejection::JsonDataError(_) => "invalid_body",
            JsonRejection::JsonSyntaxError(_) => "malformed_json",
            JsonRejection::MissingJsonContentType(_) => "unsupported_media_type",
            _ => "unreadable_body",
        };
        too_large_or(r.status(), code, r.body_text())
    }
}

impl From<BytesRejection> for AppError {
    fn from(r: BytesRejection) -> Self {
        too_large_or(r.status(), "unreadable_body", r.body_text())
    }
}

impl From<PathRejection> for AppError {
    fn from(r: PathRejection) -> Self {
        // A malformed id in the path names nothing that exists.
        AppError::bad_request("invalid_path", r.body_text())
    }
}

impl From<QueryRejection> for AppError {
    fn from(r: QueryRejection) -> Self {
        AppError::bad_request("invalid_query", r.body_text())
    }
}
