//! A sync pull in SQLite: the device's worklist changes after its cursor.
//!
//! Changes come by the orders' change sequence, plus the orders it must hear about because it once
//! held them.

use std::collections::BTreeSet;

use chrono::{DateTime, Utc};
use rusqlite::{params, Row, Transaction};
use uuid::Uuid;

use crate::api::SyncOrder;
use crate::store::error::StoreError;
use crate::store::sqlite::orders::order_status;
use crate::store::sqlite::orders::rows::{
    device_rounds, patient_from, patient_row, OrderRow, ORDER_COLUMNS, ORDER_COLUMN_COUNT,
    PATIENT_COLUMNS,
};
use crate::store::sqlite::row::opt_time_at;
use crate::store::sqlite::unreadable::{note, readable, text_at};
use crate::store::sync::{PullCursor, PullPage};

/// The order columns, then what a pull adds; `?1` is the pulling device.
fn sync_order_columns() -> String {
    format!(
        "{ORDER_COLUMNS}, o.status, o.cancelled_at, o.cancel_reason, o.change_seq,
         COALESCE(r.device_id = ?1, 0)"
    )
}

struct SyncRow {
    order: OrderRow,
    status: String,
    cancelled_at: Option<DateTime<Utc>>,
    cancel_reason: Option<String>,
    seq: i64,
    on_worklist: bool,
}

fn sync_row(r: &Row<'_>) -> rusqlite::Result<SyncRow> {
    let n = ORDER_COLUMN_COUNT;
    Ok(SyncRow {
        order: OrderRow::from_row(r)?,
        status: r.get(n)?,
        cancelled_at: opt_time_at(r, n + 1)?,
        cancel_reason: r.get(n + 2)?,
        seq: r.get(n + 3)?,
        on_worklist: r.get(n + 4)?,
    })
}

fn sync_order(row: SyncRow) -> Result<SyncOrder, StoreError> {
    Ok(SyncOrder {
        order: row.order.into_worklist_order()?,
        status: order_status(&row.status)?,
        on_worklist: row.on_worklist,
        cancelled_at: row.cancelled_at,
        cancel_reason: row.cancel_reason,
    })
}

/// The device's changes after `cursor` (everything open when the cursor cannot be continued),
/// inside the caller's write transaction.
pub(super) fn changes(
    tx: &Transaction<'_>,
    device_id: Uuid,
    cursor: Option<PullCursor>,
    limit: usize,
) -> Result<PullPage, StoreError> {
    let device = device_id.to_string();
    let (epoch, max_seq): (String, i64) =
        tx.query_row("SELECT epoch, seq FROM sync_state WHERE id = 1", [], |r| {
            Ok((r.get(0)?, r.get(1)?))
        })?;
    // A cursor from another database, or from this one's future (a restored backup), cannot be
    // continued: the device gets its whole worklist again.
    let since = cursor.filter(|c| c.epoch == epoch && c.seq >= 0 && c.seq <= max_seq);
    let full = since.is_none();
    let rounds = device_rounds(tx, &device)?;
    let columns = sync_order_columns();
    // An order that does not read back is left out (and noted); the rest of the worklist goes.
    let order_id = |r: &Row<'_>| ("order", text_at(r, 0));
    let read = match &since {
        None => readable(
            tx,
            "pull",
            &format!(
                "SELECT {columns} FROM orders o JOIN rounds r ON r.id = o.round_id
                 WHERE r.device_id = ?1 AND o.status = 'open' ORDER BY o.change_seq"
            ),
            [&device],
            order_id,
            sync_row,
        )?,
        Some(c) => readable(
            tx,
            "pull",
            &format!(
                "SELECT {columns} FROM orders o LEFT JOIN rounds r ON r.id = o.round_id
                 WHERE o.change_seq > ?2
                   AND (r.device_id = ?1
                        OR o.id IN (SELECT order_id FROM device_orders WHERE device_id = ?1))
                 ORDER BY o.change_seq LIMIT ?3"
            ),
            params![device, c.seq, (limit + 1).min(i64::MAX as usize) as i64],
            order_id,
            sync_row,
        )?,
    };
    let has_more = !full && read.seen > limit;
    let mut rows = read.rows;
    rows.truncate(if full { rows.len() } else { limit });
    let next_seq = match rows.last() {
        Some(last) if has_more => last.seq,
        _ => max_seq,
    };
    for row in rows.iter().filter(|r| r.on_worklist) {
        tx.execute(
            "INSERT OR IGNORE INTO device_orders (device_id, order_id) VALUES (?1, ?2)",
            params![device, row.order.id],
        )?;
    }
    let patient_ids: BTreeSet<String> = rows.iter().map(|r| r.order.patient.clone()).collect();
    let mut patients = Vec::with_capacity(patient_ids.len());
    let mut unreadable_patients = BTreeSet::new();
    for id in patient_ids {
        let sql = format!("SELECT {PATIENT_COLUMNS} FROM patients p WHERE p.id = ?1");
        match patient_from(tx.query_row(&sql, [&id], patient_row)?) {
            Ok(p) => patients.push(p),
            Err(StoreError::Corrupt(_)) => {
                note(tx, "pull", &("patient", id.clone()))?;
                unreadable_patients.insert(id);
            }
            Err(e) => return Err(e),
        }
    }
    let mut orders = Vec::with_capacity(rows.len());
    for row in rows {
        // An order whose patient does not read back cannot be collected from this pull.
        if unreadable_patients.contains(&row.order.patient) {
            continue;
        }
        let id = row.order.id.clone();
        match sync_order(row) {
            Ok(o) => orders.push(o),
            Err(StoreError::Corrupt(_)) => note(tx, "pull", &("order", id))?,
            Err(e) => return Err(e),
        }
    }
    Ok(PullPage {
        next: PullCursor {
            epoch,
            seq: next_seq,
        },
        full,
        has_more,
        rounds,
        patients,
        orders,
    })
}
