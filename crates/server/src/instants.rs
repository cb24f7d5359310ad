//! Instants in requests checked at the edge with the domain's `instant_range`: refused with a 422 `invalid_time` naming the field.
//!
//! An instant the lab accepts must read back: one it stored but could not read would take
//! down every list that shows it.

use chrono::{DateTime, FixedOffset, Utc};
use drawline_domain::instant_range::{check_instant, check_utc, InstantError};

use crate::api::push_codes::INVALID_TIME;
use crate::AppError;

/// The 422 for a time in a request the lab does not take; the message names the field, not the value.
pub fn invalid_time(field: &str, e: InstantError) -> AppError {
    AppError::unprocessable(INVALID_TIME, format!("{field}: {e}"))
}

/// The first time in a pushed record the lab does not take, as a rejection reason that names
/// the field (`collection.tubes[0].drawn_at.utc`) and never its value.
pub fn first_bad_instant(collection: &serde_json::Value) -> Option<String> {
    drawline_domain::instant_range::first_bad_instant(collection, "collection")
        .map(|b| b.to_string())
}

/// Checks an optional instant with its offset (a device clock).
pub fn check_field(field: &str, t: Option<&DateTime<FixedOffset>>) -> Result<(), AppError> {
    t.map_or(Ok(()), |t| {
        check_instant(t).map_err(|e| invalid_time(field, e))
    })
}

/// Checks an optional UTC instant (a due time, a filter bound).
pub fn check_utc_field(field: &str, t: Option<&DateTime<Utc>>) -> Result<(), AppError> {
    t.map_or(Ok(()), |t| check_utc(t).map_err(|e| invalid_time(field, e)))
}
