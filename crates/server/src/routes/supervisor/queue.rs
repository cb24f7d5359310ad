//! `GET /supervisor/queue`: what reached (or failed to reach) the lab, filtered, paged, ETagged.

use axum::extract::State;
use axum::http::{header, HeaderMap, HeaderValue, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use axum::Json;
use base64::Engine;
use chrono::{DateTime, SubsecRound, Utc};
use sha2::{Digest, Sha256};

use crate::api::{QueueItem, QueuePage, QueueQuery, MAX_QUEUE_PAGE};
use crate::auth::Supervisor;
use crate::error::Problem;
use crate::extract::ApiQuery;
use crate::store::QueueFilter;
use crate::{AppError, AppState};

/// Default page size of the review queue.
pub const DEFAULT_QUEUE_PAGE: u32 = 50;

const CURSOR_VERSION: &str = "q1";

/// The opaque cursor after a queue item.
pub fn encode_queue_cursor(item: &QueueItem) -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(format!(
        "{CURSOR_VERSION}|{}|{}",
        item.received_at
            .to_rfc3339_opts(chrono::SecondsFormat::Micros, true),
        item.key
    ))
}

/// Reads a queue cursor this server issued.
pub fn decode_queue_cursor(text: &str) -> Option<(DateTime<Utc>, String)> {
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(text.trim())
        .ok()?;
    let text = String::from_utf8(bytes).ok()?;
    let mut parts = text.splitn(3, '|');
    let (version, at, key) = (parts.next()?, parts.next()?, parts.next()?);
    if version != CURSOR_VERSION || key.is_empty() || key.len() > 64 {
        return None;
    }
    let at = DateTime::parse_from_rfc3339(at).ok()?.with_timezone(&Utc);
    Some((at, key.to_owned()))
}

fn invalid_query(message: impl Into<String>) -> AppError {
    AppError::bad_request("invalid_query", message)
}

fn if_none_match(headers: &HeaderMap, etag: &str) -> bool {
    headers
        .get_all(header::IF_NONE_MATCH)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .map(str::trim)
        .any(|t| t == "*" || t == etag)
}

/// Collections received and pushes refused, newest arrival first, filtered and paged
/// (`next_cursor`). Each item carries its flags (clock skew, synced late, outside the timed
/// window, exception, manual identification, correction) and its review state. Poll cheaply with
/// `changed_since` (the previous `server_time`) or `If-None-Match` (the previous `ETag`: 304 while
/// nothing changed).
#[utoipa::path(get, path = "/supervisor/queue", tag = "supervisor", params(QueueQuery),
    security(("bearer" = [])),
    responses((status = 200, body = QueuePage, headers(("ETag" = String))),
              (status = 304, description = "nothing changed since the `If-None-Match` ETag"),
              (status = 400, description = "unreadable filter or cursor", body = Problem),
              (status = 401, body = Problem), (status = 403, body = Problem),
              (status = 422, description = "`invalid_time`: a filter time outside the years the lab takes", body = Problem)))]
pub async fn queue(
    State(state): State<AppState>,
    _: Supervisor,
    uri: Uri,
    headers: HeaderMap,
    ApiQuery(q): ApiQuery<QueueQuery>,
) -> Result<Response, AppError> {
    // Taken first, so a change made while this answer is built is after it, not lost.
    let now = Utc::now().trunc_subsecs(6);
    crate::instants::check_utc_field("from", q.from.as_ref())?;
    crate::instants::check_utc_field("to", q.to.as_ref())?;
    crate::instants::check_utc_field("changed_since", q.changed_since.as_ref())?;
    if let (Some(from), Some(to)) = (q.from, q.to) {
        if from > to {
            return Err(invalid_query("`from` is after `to`"));
        }
    }
    let after = crate::extract::cursor(
        q.cursor.as_deref(),
        decode_queue_cursor,
        "start again without a cursor",
    )?;
    let blank = |s: Option<String>| s.map(|s| s.trim().to_owned()).filter(|s| !s.is_empty());
    let limit = q
        .limit
        .unwrap_or(DEFAULT_QUEUE_PAGE)
        .clamp(1, MAX_QUEUE_PAGE);
    let filter = QueueFilter {
        query: QueueQuery {
            collector: blank(q.collector),
            patient: blank(q.patient),
            ..q
        },
        after,
        limit,
        skew_threshold_seconds: state.sync.skew_threshold.num_seconds(),
        late_sync_seconds: state.review.late_sync.num_seconds(),
    };
    // The answer is a function of the stored data, the query and the thresholds only.
    let stamp = state.store.review_stamp().await?;
    let digest = Sha256::digest(
        format!(
            "{stamp}|{}|{}|{}",
            uri.query().unwrap_or(""),
            filter.skew_threshold_seconds,
            filter.late_sync_seconds
        )
        .as_bytes(),
    );
    let etag = format!("W/\"{}\"", &hex::encode(digest)[..32]);
    let etag_value = HeaderValue::from_str(&etag)
        .map_err(|e| AppError::bad_request("invalid_query", e.to_string()))?;
    let cache = HeaderValue::from_static("private, no-cache");
    if if_none_match(&headers, &etag) {
        return Ok((
            StatusCode::NOT_MODIFIED,
            [(header::ETAG, etag_value), (header::CACHE_CONTROL, cache)],
        )
            .into_response());
    }
    let rows = state.store.review_queue(filter).await?;
    let next_cursor = rows
        .has_more
        .then(|| rows.items.last().map(encode_queue_cursor))
        .flatten();
    let page = QueuePage {
        server_time: now,
        total: rows.total,
        items: rows.items,
        next_cursor,
        unreadable: state.store.unreadable_rows().await?,
    };
    Ok((
        [(header::ETAG, etag_value), (header::CACHE_CONTROL, cache)],
        Json(page),
    )
        .into_response())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_queue_cursor_reads_back_and_garbage_is_not_a_cursor() {
        let at = Utc::now().trunc_subsecs(6);
        let text = base64::engine::general_purpose::URL_SAFE_NO_PAD
            .encode(format!("q1|{}|c:abc", at.to_rfc3339()));
        assert_eq!(decode_queue_cursor(&text), Some((at, "c:abc".into())));
        for bad in ["", "x", "cTE", "cTJ8eHx5"] {
            assert_eq!(decode_queue_cursor(bad), None, "{bad}");
        }
    }
}
