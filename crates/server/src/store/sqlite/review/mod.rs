//! Supervisor review in SQLite: device activity, the queue, one collection, review actions.

mod actions;
mod hold;
mod queue;
mod recollect;
mod records;

use chrono::{DateTime, SubsecRound, Utc};
use rusqlite::{Connection, OptionalExtension, Transaction, TransactionBehavior};
use uuid::Uuid;

use self::queue::OPEN_ATTEMPT;
use super::connection::SqliteStore;
use super::people::{list_devices, user_from, USER_COLUMNS};
use super::row::{opt_time_at, time_at};
use super::unreadable::{is_unreadable, note};
use crate::api::{DeviceView, ReviewEvent, UnreadableRow};
use crate::store::error::StoreError;
use crate::store::review::{
    CollectionRecords, ConflictResolution, DeviceActivity, HoldOutcome, HoldResolution,
    NewReviewEvent, QueueFilter, QueueRows, RecollectOutcome, Recollection, ResolveOutcome,
    ReviewStore,
};

/// Every device with what the supervisor's devices view adds to it.
fn device_activity(c: &Connection) -> Result<Vec<DeviceActivity>, StoreError> {
    let devices = list_devices(c)?;
    let mut out = Vec::with_capacity(devices.len());
    for device in devices {
        match activity_of(c, device.clone()) {
            Ok(a) => out.push(a),
            // One unreadable heartbeat or session leaves the device listed without its activity.
            Err(StoreError::Database(e)) if is_unreadable(&e) => {
                note(c, "devices", &("device", device.id.to_string()))?;
                out.push(DeviceActivity {
                    device,
                    collector: None,
                    collector_signed_in_at: None,
                    app_version: None,
                    clock_skew_seconds: None,
                    last_push_at: None,
                    quarantined: 0,
                });
            }
            Err(e) => return Err(e),
        }
    }
    Ok(out)
}

/// What the devices view adds to one device.
fn activity_of(c: &Connection, device: DeviceView) -> Result<DeviceActivity, StoreError> {
    let id = device.id.to_string();
    let collector = c
        .query_row(
            &format!(
                "SELECT {USER_COLUMNS}, s.created_at
                 FROM sessions s JOIN users u ON u.id = s.user_id
                 WHERE s.device_id = ?1 ORDER BY s.created_at DESC LIMIT 1"
            ),
            [&id],
            |r| Ok((user_from(r, 0)?, time_at(r, 4)?)),
        )
        .optional()?;
    let app_version: Option<String> = c
        .query_row(
            "SELECT app_version FROM heartbeats WHERE device_id = ?1 AND app_version IS NOT NULL
             ORDER BY id DESC LIMIT 1",
            [&id],
            |r| r.get(0),
        )
        .optional()?;
    let clock_skew_seconds: Option<i64> = c
        .query_row(
            "SELECT clock_skew_seconds FROM heartbeats
             WHERE device_id = ?1 AND clock_skew_seconds IS NOT NULL ORDER BY id DESC LIMIT 1",
            [&id],
            |r| r.get(0),
        )
        .optional()?;
    let last_push_at = c.query_row(
        "SELECT MAX(received_at) FROM heartbeats WHERE device_id = ?1 AND source = 'push'",
        [&id],
        |r| opt_time_at(r, 0),
    )?;
    let quarantined: u32 = c.query_row(
        &format!("SELECT COUNT(*) FROM push_attempts a WHERE a.device_id = ?1 AND {OPEN_ATTEMPT}"),
        [&id],
        |r| r.get(0),
    )?;
    let (collector, collector_signed_in_at) = match collector {
        Some((u, at)) => (Some(u), Some(at)),
        None => (None, None),
    };
    Ok(DeviceActivity {
        device,
        collector,
        collector_signed_in_at,
        app_version,
        clock_skew_seconds,
        last_push_at,
        quarantined,
    })
}

impl SqliteStore {
    /// Runs a review action in one write transaction, its time cut to the microsecond as stored.
    /// The action commits what it keeps; what it leaves uncommitted rolls back.
    async fn review_action<T: Send + 'static>(
        &self,
        at: DateTime<Utc>,
        action: impl FnOnce(Transaction<'_>, DateTime<Utc>) -> Result<T, StoreError> + Send + 'static,
    ) -> Result<T, StoreError> {
        self.with_conn(move |c| {
            let tx = c.transaction_with_behavior(TransactionBehavior::Immediate)?;
            action(tx, at.trunc_subsecs(6))
        })
        .await
    }
}

#[async_trait::async_trait]
impl ReviewStore for SqliteStore {
    async fn device_activity(&self) -> Result<Vec<DeviceActivity>, StoreError> {
        self.with_conn(|c| device_activity(c)).await
    }

    async fn review_queue(&self, filter: QueueFilter) -> Result<QueueRows, StoreError> {
        self.with_conn(move |c| queue::queue(c, filter)).await
    }

    async fn unreadable_rows(&self) -> Result<Vec<UnreadableRow>, StoreError> {
        self.with_conn(|c| super::unreadable::unreadable_rows(c))
            .await
    }

    async fn review_stamp(&self) -> Result<String, StoreError> {
        self.with_conn(|c| queue::stamp(c)).await
    }

    async fn collection_records(
        &self,
        collection_id: Uuid,
    ) -> Result<Option<CollectionRecords>, StoreError> {
        self.with_conn(move |c| records::collection_records(c, collection_id))
            .await
    }

    async fn add_review(
        &self,
        event: NewReviewEvent,
        at: DateTime<Utc>,
    ) -> Result<Option<ReviewEvent>, StoreError> {
        self.review_action(at, move |tx, at| actions::add_review(tx, event, at))
            .await
    }

    async fn resolve_conflict(
        &self,
        resolution: ConflictResolution,
        at: DateTime<Utc>,
    ) -> Result<ResolveOutcome, StoreError> {
        self.review_action(at, move |tx, at| {
            actions::resolve_conflict(tx, resolution, at)
        })
        .await
    }

    async fn resolve_hold(
        &self,
        resolution: HoldResolution,
        at: DateTime<Utc>,
    ) -> Result<HoldOutcome, StoreError> {
        self.review_action(at, move |tx, at| hold::resolve_hold(tx, resolution, at))
            .await
    }

    async fn recollect(
        &self,
        recollection: Recollection,
        at: DateTime<Utc>,
    ) -> Result<RecollectOutcome, StoreError> {
        self.review_action(at, move |tx, at| recollect::recollect(tx, recollection, at))
            .await
    }
}
