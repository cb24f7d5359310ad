//! Request extractors whose rejections are JSON problems, so malformed input never gets a plain-text error.

use axum::extract::rejection::{
    BytesRejection, JsonRejection, MissingJsonContentType, PathRejection, QueryRejection,
};
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

/// `axum::Json` with problem rejections; a body above [`BLOCKING_PARSE_BYTES`] is parsed off the
/// async workers.
#[derive(Debug)]
pub struct ApiJson<T>(pub T);

/// JSON bodies longer than this are parsed on the blocking pool: parsing a few MiB takes long
/// enough to hold up every other request sharing the async worker.
pub const BLOCKING_PARSE_BYTES: usize = 64 * 1024;

impl<T, S> FromRequest<S> for ApiJson<T>
where
    T: serde::de::DeserializeOwned + Send + 'static,
    S: Send + Sync,
{
    type Rejection = AppError;

    async fn from_request(req: axum::extract::Request, state: &S) -> Result<Self, AppError> {
        // The same steps and rejections as `axum::Json`: content type, body (with its size
        // limit), then the parse.
        if !json_content_type(req.headers()) {
            return Err(JsonRejection::from(MissingJsonContentType::default()).into());
        }
        let bytes = axum::body::Bytes::from_request(req, state)
            .await
            .map_err(JsonRejection::from)?;
        let parsed = if bytes.len() > BLOCKING_PARSE_BYTES {
            crate::offload::off_workers(move || axum::Json::<T>::from_bytes(&bytes)).await
        } else {
            axum::Json::<T>::from_bytes(&bytes)
        };
        parsed
            .map(|axum::Json(value)| ApiJson(value))
            .map_err(AppError::from)
    }
}

/// `application/json` or any `+json` type, as `axum::Json` accepts.
fn json_content_type(headers: &axum::http::HeaderMap) -> bool {
    headers
        .get(axum::http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<mime::Mime>().ok())
        .is_some_and(|m| {
            m.type_() == "application"
                && (m.subtype() == "json" || m.suffix().is_some_and(|s| s == "json"))
        })
}

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
        let text = match &r {
            JsonRejection::JsonDataError(_) => without_input(&r.body_text()),
            _ => r.body_text(),
        };
        too_large_or(r.status(), code, text)
    }
}

/// A JSON data error that names the field and not the value: serde's message quotes what it read
/// (`invalid type: string "..."`, ``unknown variant `...` ``), which may be patient data. Only
/// "missing field" messages, which name one of our own fields, are kept whole.
pub fn without_input(text: &str) -> String {
    const PREFIX: &str = "Failed to deserialize the JSON body into the target type: ";
    let rest = text.strip_prefix(PREFIX).unwrap_or(text);
    if rest.contains("missing field `") && !rest.contains('"') {
        return text.to_owned();
    }
    // `path: message`, the path being field names and indexes (no blanks); else no path.
    let path = rest.split_once(": ").map(|(p, _)| p).filter(|p| {
        !p.is_empty()
            && p.chars()
                .all(|c| c.is_ascii_alphanumeric() || "_.[]".contains(c))
    });
    match path {
        Some(p) => format!("{PREFIX}field `{p}` has a value of the wrong type or form"),
        None => format!("{PREFIX}a value has the wrong type or form"),
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

#[cfg(test)]
mod tests {
    use super::without_input;

    #[test]
    fn a_json_data_error_names_the_field_and_never_the_value() {
        let serde = "Failed to deserialize the JSON body into the target type: \
                     records[0].version: invalid type: string \"Chalmers\", expected u32 at line 1 column 9";
        let text = without_input(serde);
        assert!(text.contains("records[0].version"), "{text}");
        assert!(!text.contains("Chalmers"), "{text}");
        let variant = "Failed to deserialize the JSON body into the target type: \
                       role: unknown variant `Peter 12345`, expected one of `collector`";
        assert!(!without_input(variant).contains("Peter"));
        let missing =
            "Failed to deserialize the JSON body into the target type: missing field `pin`";
        assert_eq!(without_input(missing), missing);
    }
}
