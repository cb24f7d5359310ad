//! Orders, patients and rounds in SQLite: import, worklists, cancellation.

mod import;
pub(super) mod rows;

use chrono::{DateTime, Utc};
use rusqlite::{params, Connection, OptionalExtension, TransactionBehavior};
use serde_json::json;
use uuid::Uuid;

use self::rows::{
    device_rounds, patient_from, patient_row, round_from, OrderRow, ORDER_COLUMNS, PATIENT_COLUMNS,
    ROUND_COLUMNS,
};
use super::audit::audit_json;
use super::connection::SqliteStore;
use super::row::{all, corrupt, opt_time_at, ts};
use super::unreadable::{note, readable, text_at};
use crate::api::{ImportReport, OrderStatus, OrderStatusView, RoundView, Worklist, WorklistOrder};
use crate::store::error::StoreError;
use crate::store::orders::{Assignment, CancelOutcome, NewOrder, OrderStore};

/// An order's status, cancellation time and reason.
fn status_view(c: &Connection, order_id: &str) -> Result<Option<OrderStatusView>, StoreError> {
    let row: Option<(String, Option<DateTime<Utc>>, Option<String>)> = c
        .query_row(
            "SELECT status, cancelled_at, cancel_reason FROM orders WHERE id = ?1",
            [order_id],
            |r| Ok((r.get(0)?, opt_time_at(r, 1)?, r.get(2)?)),
        )
        .optional()?;
    row.map(|(status, cancelled_at, cancel_reason)| {
        Ok(OrderStatusView {
            id: order_id.to_owned(),
            status: order_status(&status)?,
            cancelled_at,
            cancel_reason,
        })
    })
    .transpose()
}

/// Parses a stored order status.
pub(super) fn order_status(text: &str) -> Result<OrderStatus, StoreError> {
    OrderStatus::parse(text).ok_or_else(|| corrupt(format!("order status '{text}'")))
}

fn worklist(c: &Connection, device_id: Uuid, now: DateTime<Utc>) -> Result<Worklist, StoreError> {
    let device = device_id.to_string();
    let rounds = device_rounds(c, &device)?;
    // An order that does not read back is left out (and noted); the rest of the worklist goes.
    let rows = readable(
        c,
        "worklist",
        &format!(
            "SELECT {ORDER_COLUMNS} FROM orders o JOIN rounds r ON r.id = o.round_id
             WHERE r.device_id = ?1 AND o.status = 'open'"
        ),
        [&device],
        |r| ("order", text_at(r, 0)),
        OrderRow::from_row,
    )?
    .rows;
    let mut orders = Vec::with_capacity(rows.len());
    for row in rows {
        let id = row.id.clone();
        match row.into_worklist_order() {
            Ok(o) => orders.push(o),
            Err(StoreError::Corrupt(_)) => note(c, "worklist", &("order", id))?,
            Err(e) => return Err(e),
        }
    }
    // STAT first, then timed draws by due time, then routine (the draw-list order of the domain doc).
    orders.sort_by(|a, b| {
        let key = |o: &WorklistOrder| {
            (
                o.order.priority,
                o.order.due_at.is_none(),
                o.order.due_at,
                o.order.placed_at,
                o.order.id.clone(),
            )
        };
        key(a).cmp(&key(b))
    });
    let rows = all(
        c,
        &format!(
            "SELECT DISTINCT {PATIENT_COLUMNS}
             FROM patients p JOIN orders o ON o.patient_id = p.id JOIN rounds r ON r.id = o.round_id
             WHERE r.device_id = ?1 AND o.status = 'open'
             ORDER BY p.family, p.id"
        ),
        [&device],
        patient_row,
    )?;
    let mut patients = Vec::with_capacity(rows.len());
    for row in rows {
        let id = row.0.clone();
        match patient_from(row) {
            Ok(p) => patients.push(p),
            Err(StoreError::Corrupt(_)) => {
                note(c, "worklist", &("patient", id.clone()))?;
                // Its orders cannot be collected without the patient: left out too.
                orders.retain(|o| o.order.patient.as_str() != id);
            }
            Err(e) => return Err(e),
        }
    }
    Ok(Worklist {
        device_id,
        generated_at: now,
        rounds,
        patients,
        orders,
    })
}

fn cancel_order(
    c: &mut Connection,
    order_id: &str,
    reason: Option<String>,
    actor: String,
    now: DateTime<Utc>,
) -> Result<CancelOutcome, StoreError> {
    let tx = c.transaction_with_behavior(TransactionBehavior::Immediate)?;
    let Some(view) = status_view(&tx, order_id)? else {
        return Ok(CancelOutcome::NotFound);
    };
    match view.status {
        OrderStatus::Cancelled => return Ok(CancelOutcome::AlreadyCancelled(view)),
        OrderStatus::Collected => return Ok(CancelOutcome::AlreadyCollected(view)),
        OrderStatus::Open | OrderStatus::NotCollected => {}
    }
    tx.execute(
        "UPDATE orders SET status = 'cancelled', cancelled_at = ?2, cancel_reason = ?3 WHERE id = ?1",
        params![order_id, ts(now), reason],
    )?;
    // The reason is free text (it may name the patient): it stays on the order, never in the log.
    let detail =
        json!({ "reason_given": reason.is_some(), "previous_status": view.status.as_str() });
    let subject = Some(format!("order:{order_id}"));
    audit_json(&tx, &actor, "order.cancelled", subject, detail, now)?;
    let view = status_view(&tx, order_id)?.ok_or(StoreError::Missing("order"))?;
    tx.commit()?;
    Ok(CancelOutcome::Cancelled(view))
}

#[async_trait::async_trait]
impl OrderStore for SqliteStore {
    async fn upsert_round(
        &self,
        name: &str,
        assignment: Assignment,
    ) -> Result<RoundView, StoreError> {
        let name = name.to_owned();
        self.with_conn(move |c| {
            let tx = c.transaction()?;
            let round = import::upsert_round(&tx, &name, Some(&assignment), Utc::now())?;
            tx.commit()?;
            Ok(round)
        })
        .await
    }

    async fn list_rounds(&self) -> Result<Vec<RoundView>, StoreError> {
        self.with_conn(|c| {
            let sql = format!("SELECT {ROUND_COLUMNS} FROM rounds ORDER BY name");
            all(c, &sql, [], round_from)
        })
        .await
    }

    async fn import_orders(
        &self,
        batch: Vec<NewOrder>,
        now: DateTime<Utc>,
    ) -> Result<ImportReport, StoreError> {
        self.with_conn(move |c| import::import_orders(c, batch, now))
            .await
    }

    async fn worklist(&self, device_id: Uuid, now: DateTime<Utc>) -> Result<Worklist, StoreError> {
        self.with_conn(move |c| worklist(c, device_id, now)).await
    }

    async fn cancel_order(
        &self,
        order_id: &str,
        reason: Option<String>,
        actor: String,
        now: DateTime<Utc>,
    ) -> Result<CancelOutcome, StoreError> {
        let order_id = order_id.to_owned();
        self.with_conn(move |c| cancel_order(c, &order_id, reason, actor, now))
            .await
    }

    async fn order_status(&self, order_id: &str) -> Result<Option<OrderStatusView>, StoreError> {
        let order_id = order_id.to_owned();
        self.with_conn(move |c| status_view(c, &order_id)).await
    }
}
