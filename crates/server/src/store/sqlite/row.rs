//! Reading and writing SQLite values: instants as fixed-width text, UUIDs, JSON columns.

use chrono::{DateTime, FixedOffset, SecondsFormat, Utc};
use rusqlite::types::Type;
use rusqlite::{Connection, Params, Row, ToSql};
use serde::de::DeserializeOwned;
use serde::Serialize;
use uuid::Uuid;

use crate::store::error::StoreError;

/// Instants are stored as fixed-width RFC 3339 UTC text, so text order is time order.
pub(super) fn ts(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Micros, true)
}

/// A column that does not hold what it should.
pub(super) fn conversion(
    idx: usize,
    e: impl Into<Box<dyn std::error::Error + Send + Sync>>,
) -> rusqlite::Error {
    rusqlite::Error::FromSqlConversionFailure(idx, Type::Text, e.into())
}

/// A stored value that does not read back as what it should be.
pub(super) fn corrupt(e: impl std::fmt::Display) -> StoreError {
    StoreError::corrupt(e)
}

/// Reads a nullable text column through `parse`.
fn opt_parsed<T, E>(
    row: &Row<'_>,
    idx: usize,
    parse: impl FnOnce(&str) -> Result<T, E>,
) -> rusqlite::Result<Option<T>>
where
    E: Into<Box<dyn std::error::Error + Send + Sync>>,
{
    let s: Option<String> = row.get(idx)?;
    s.map(|s| parse(&s).map_err(|e| conversion(idx, e)))
        .transpose()
}

/// Reads a text column through `parse`.
fn parsed<T, E>(
    row: &Row<'_>,
    idx: usize,
    parse: impl FnOnce(&str) -> Result<T, E>,
) -> rusqlite::Result<T>
where
    E: Into<Box<dyn std::error::Error + Send + Sync>>,
{
    let s: String = row.get(idx)?;
    parse(&s).map_err(|e| conversion(idx, e))
}

fn utc(s: &str) -> Result<DateTime<Utc>, chrono::ParseError> {
    DateTime::parse_from_rfc3339(s).map(|t| t.with_timezone(&Utc))
}

/// Reads a UUID column.
pub(super) fn uuid_at(row: &Row<'_>, idx: usize) -> rusqlite::Result<Uuid> {
    parsed(row, idx, Uuid::parse_str)
}

/// Reads a nullable UUID column.
pub(super) fn opt_uuid_at(row: &Row<'_>, idx: usize) -> rusqlite::Result<Option<Uuid>> {
    opt_parsed(row, idx, Uuid::parse_str)
}

/// Reads an instant column.
pub(super) fn time_at(row: &Row<'_>, idx: usize) -> rusqlite::Result<DateTime<Utc>> {
    parsed(row, idx, utc)
}

/// Reads a nullable instant column.
pub(super) fn opt_time_at(row: &Row<'_>, idx: usize) -> rusqlite::Result<Option<DateTime<Utc>>> {
    opt_parsed(row, idx, utc)
}

/// Reads a device clock column (the device's own offset kept).
pub(super) fn clock_at(row: &Row<'_>, idx: usize) -> rusqlite::Result<DateTime<FixedOffset>> {
    parsed(row, idx, DateTime::parse_from_rfc3339)
}

/// Reads a nullable device clock column; an unreadable one reads as none (heartbeats are advisory).
pub(super) fn lenient_clock_at(
    row: &Row<'_>,
    idx: usize,
) -> rusqlite::Result<Option<DateTime<FixedOffset>>> {
    let s: Option<String> = row.get(idx)?;
    Ok(s.and_then(|s| DateTime::parse_from_rfc3339(&s).ok()))
}

/// Reads a nullable JSON column.
pub(super) fn opt_json_at<T: DeserializeOwned>(
    row: &Row<'_>,
    idx: usize,
) -> rusqlite::Result<Option<T>> {
    opt_parsed(row, idx, |s| serde_json::from_str(s))
}

/// Runs a query and collects its rows.
pub(super) fn all<T>(
    c: &Connection,
    sql: &str,
    params: impl Params,
    map: impl FnMut(&Row<'_>) -> rusqlite::Result<T>,
) -> Result<Vec<T>, StoreError> {
    let mut stmt = c.prepare(sql)?;
    let rows = stmt
        .query_map(params, map)?
        .collect::<Result<Vec<_>, _>>()?;
    Ok(rows)
}

/// Named parameters as rusqlite takes them.
pub(super) fn named<'a>(
    values: &'a [(&'a str, rusqlite::types::Value)],
) -> Vec<(&'a str, &'a dyn ToSql)> {
    values.iter().map(|(k, v)| (*k, v as &dyn ToSql)).collect()
}

/// An API enum's wire text (its serde name), which is also what the schema stores.
pub(super) fn code_of<T: Serialize>(value: T) -> String {
    match serde_json::to_value(value) {
        Ok(serde_json::Value::String(s)) => s,
        other => unreachable!("a unit enum serializes as a string, not {other:?}"),
    }
}

/// Reads stored wire text back as its API enum; `None` when it is not one.
pub(super) fn from_code<T: DeserializeOwned>(text: &str) -> Option<T> {
    serde_json::from_value(serde_json::Value::String(text.to_owned())).ok()
}

/// Reads a text column holding an API enum's wire text.
pub(super) fn code_at<T: DeserializeOwned>(row: &Row<'_>, idx: usize) -> rusqlite::Result<T> {
    let s: String = row.get(idx)?;
    from_code(&s).ok_or_else(|| conversion(idx, s))
}
