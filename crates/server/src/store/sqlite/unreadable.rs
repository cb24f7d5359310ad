//! Lists that leave out a stored row they cannot read back, note it (kind and id only) and go on.
//!
//! One bad row (a year past 9999 written by an older server, JSON that no longer parses) must not
//! take down a whole list: the supervisor queue, the FHIR export, a device's pull. The row is
//! skipped, logged by id, and kept in `unreadable_rows` for the supervisor to see and have fixed;
//! a row that reads again later is forgotten there.

use std::collections::HashSet;

use chrono::{DateTime, Utc};
use rusqlite::{params, Connection, Params, Row};

use super::row::{all, time_at, ts};
use crate::api::UnreadableRow;
use crate::store::error::StoreError;

/// Whether a row failed to map because of what it holds (as opposed to the database failing).
pub(super) fn is_unreadable(e: &rusqlite::Error) -> bool {
    matches!(
        e,
        rusqlite::Error::FromSqlConversionFailure(..)
            | rusqlite::Error::InvalidColumnType(..)
            | rusqlite::Error::IntegralValueOutOfRange(..)
    )
}

/// A stored row by what it is and its id.
pub(super) type RowId = (&'static str, String);

/// Notes a row `list` left out, and logs it by id (never its content).
pub(super) fn note(c: &Connection, list: &str, (kind, id): &RowId) -> Result<(), StoreError> {
    tracing::warn!(
        list,
        kind,
        id,
        "a stored row cannot be read back; left out of the list"
    );
    c.execute(
        "INSERT INTO unreadable_rows (list, kind, id, first_seen_at, last_seen_at)
         VALUES (?1, ?2, ?3, ?4, ?4)
         ON CONFLICT (list, kind, id) DO UPDATE SET last_seen_at = excluded.last_seen_at",
        params![list, kind, id, ts(Utc::now())],
    )?;
    Ok(())
}

/// Forgets rows `list` noted before and has now read: someone fixed them. Only the few noted
/// rows are looked for among those read, so a long list costs one small query.
pub(super) fn forget(c: &Connection, list: &str, read: &[RowId]) -> Result<(), StoreError> {
    let noted: HashSet<(String, String)> = all(
        c,
        "SELECT kind, id FROM unreadable_rows WHERE list = ?1",
        [list],
        |r| Ok((r.get(0)?, r.get(1)?)),
    )?
    .into_iter()
    .collect();
    if noted.is_empty() {
        return Ok(());
    }
    for (kind, id) in read {
        if noted.contains(&((*kind).to_owned(), id.clone())) {
            c.execute(
                "DELETE FROM unreadable_rows WHERE list = ?1 AND kind = ?2 AND id = ?3",
                params![list, kind, id],
            )?;
        }
    }
    Ok(())
}

/// What a lenient list read: the rows it could read, and how many rows the query gave in all
/// (for paging: a skipped row still counts towards "there is more").
pub(super) struct Readable<T> {
    /// The rows read.
    pub rows: Vec<T>,
    /// Rows the query returned, read or not.
    pub seen: usize,
}

/// Runs `list`'s query, mapping each row; a row that does not read back is left out and noted
/// by what `id_of` says it is (read from its raw columns, so it works on a bad row).
pub(super) fn readable<T>(
    c: &Connection,
    list: &str,
    sql: &str,
    params: impl Params,
    id_of: impl Fn(&Row<'_>) -> RowId,
    mut map: impl FnMut(&Row<'_>) -> rusqlite::Result<T>,
) -> Result<Readable<T>, StoreError> {
    let (mut out, mut skipped, mut fine, mut seen) = (Vec::new(), Vec::new(), Vec::new(), 0);
    {
        let mut stmt = c.prepare(sql)?;
        let mut rows = stmt.query(params)?;
        while let Some(r) = rows.next()? {
            seen += 1;
            match map(r) {
                Ok(v) => {
                    out.push(v);
                    fine.push(id_of(r));
                }
                Err(e) if is_unreadable(&e) => skipped.push(id_of(r)),
                Err(e) => return Err(e.into()),
            }
        }
    }
    for id in &skipped {
        note(c, list, id)?;
    }
    forget(c, list, &fine)?;
    Ok(Readable { rows: out, seen })
}

/// A column as text for an id, whatever its type (`?` when it is not there).
pub(super) fn text_at(r: &Row<'_>, idx: usize) -> String {
    use rusqlite::types::ValueRef;
    match r.get_ref(idx) {
        Ok(ValueRef::Text(t)) => String::from_utf8_lossy(t).into_owned(),
        Ok(ValueRef::Integer(i)) => i.to_string(),
        _ => "?".into(),
    }
}

/// Every row noted as unreadable, most recently seen first.
pub(super) fn unreadable_rows(c: &Connection) -> Result<Vec<UnreadableRow>, StoreError> {
    all(
        c,
        "SELECT list, kind, id, last_seen_at FROM unreadable_rows
         ORDER BY last_seen_at DESC, list, kind, id LIMIT 1000",
        [],
        |r| {
            let seen_at: DateTime<Utc> = time_at(r, 3)?;
            Ok(UnreadableRow {
                list: r.get(0)?,
                kind: r.get(1)?,
                id: r.get(2)?,
                seen_at,
            })
        },
    )
}
