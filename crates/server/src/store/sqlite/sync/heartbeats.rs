//! Device heartbeats in SQLite: written by pushes, pulls and lone heartbeats; read by the views.

use chrono::{DateTime, Utc};
use rusqlite::{params, Connection};
use uuid::Uuid;

use crate::api::{DeviceHeartbeat, Heartbeat};
use crate::store::error::StoreError;
use crate::store::sqlite::people::heartbeat_from;
use crate::store::sqlite::row::{time_at, ts};
use crate::store::sqlite::unreadable::{readable, text_at};
use crate::store::sync::NewHeartbeat;

/// How a heartbeat reached the server, as stored beside it.
struct Origin<'a> {
    source: &'a str,
    app_version: Option<&'a str>,
    clock_skew_seconds: Option<i64>,
}

fn insert(
    c: &Connection,
    device_id: Uuid,
    h: &Heartbeat,
    received_at: DateTime<Utc>,
    origin: Origin<'_>,
) -> Result<(), StoreError> {
    c.execute(
        "INSERT INTO heartbeats (device_id, received_at, device_clock, queue_length,
                                 oldest_unsynced_seconds, last_error, source, app_version,
                                 clock_skew_seconds)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
        params![
            device_id.to_string(),
            ts(received_at),
            h.device_clock.map(|t| t.to_rfc3339()),
            h.queue_length,
            h.oldest_unsynced_seconds
                .map(|s| s.min(i64::MAX as u64) as i64),
            h.last_error,
            origin.source,
            origin.app_version,
            origin.clock_skew_seconds
        ],
    )?;
    Ok(())
}

/// Writes the heartbeat of a push or pull (inside the caller's transaction when given one).
pub(super) fn insert_heartbeat(
    c: &Connection,
    device_id: Uuid,
    beat: &NewHeartbeat,
    received_at: DateTime<Utc>,
) -> Result<(), StoreError> {
    let h = &beat.heartbeat;
    let origin = Origin {
        source: beat.source,
        app_version: beat.app_version.as_deref(),
        clock_skew_seconds: h
            .device_clock
            .map(|clock| (clock.with_timezone(&Utc) - received_at).num_seconds()),
    };
    insert(c, device_id, h, received_at, origin)
}

/// Writes a heartbeat sent on its own (the schema's default source, `heartbeat`); no skew is
/// kept for it.
pub(super) fn insert_lone_heartbeat(
    c: &Connection,
    device_id: Uuid,
    h: &Heartbeat,
    received_at: DateTime<Utc>,
) -> Result<(), StoreError> {
    let origin = Origin {
        source: "heartbeat",
        app_version: None,
        clock_skew_seconds: None,
    };
    insert(c, device_id, h, received_at, origin)
}

/// A device's newest heartbeats, newest first.
pub(super) fn device_heartbeats(
    c: &Connection,
    device_id: Uuid,
    limit: u32,
) -> Result<Vec<DeviceHeartbeat>, StoreError> {
    // A heartbeat that does not read back is left out (and noted), not the whole list.
    let read = readable(
        c,
        "heartbeats",
        "SELECT received_at, source, app_version, clock_skew_seconds, device_clock, queue_length,
                oldest_unsynced_seconds, last_error, id
         FROM heartbeats WHERE device_id = ?1 ORDER BY id DESC LIMIT ?2",
        params![device_id.to_string(), limit],
        |r| ("heartbeat", text_at(r, 8)),
        |r| {
            let h = heartbeat_from(r, 4)?;
            Ok(DeviceHeartbeat {
                received_at: time_at(r, 0)?,
                source: r.get(1)?,
                app_version: r.get(2)?,
                device_clock: h.device_clock,
                clock_skew_seconds: r.get(3)?,
                queue_length: h.queue_length,
                oldest_unsynced_seconds: h.oldest_unsynced_seconds,
                last_error: h.last_error,
            })
        },
    )?;
    Ok(read.rows)
}
