//! Sync in SQLite: pushes and pulls, the collection versions and receipts they leave, heartbeats.

mod heartbeats;
mod lab_facts;
mod pull;
mod push;
pub(super) mod versions;

use chrono::{DateTime, Utc};
use rusqlite::{params, OptionalExtension, TransactionBehavior};
use uuid::Uuid;

use self::versions::{receipt_from, version_from, version_id, RECEIPT_COLUMNS, VERSION_COLUMNS};
use super::connection::SqliteStore;
use super::row::{corrupt, time_at, ts, uuid_at};
use super::unreadable::{readable, text_at};
use crate::api::{
    CollectionSummary, CollectionVersionView, DeviceHeartbeat, Heartbeat, PushResult, Receipt,
};
use crate::store::error::StoreError;
use crate::store::sync::{NewHeartbeat, PullCursor, PullPage, SyncPush, SyncStore};

#[async_trait::async_trait]
impl SyncStore for SqliteStore {
    async fn sync_push(&self, push: SyncPush) -> Result<Vec<PushResult>, StoreError> {
        self.with_conn(move |c| push::push(c, push)).await
    }

    async fn push_facts(
        &self,
        wanted: crate::revalidate::FactsWanted,
    ) -> Result<crate::revalidate::LabFacts, StoreError> {
        self.with_conn(move |c| lab_facts::lab_facts(c, &wanted))
            .await
    }

    async fn sync_pull(
        &self,
        device_id: Uuid,
        cursor: Option<PullCursor>,
        limit: usize,
        heartbeat: NewHeartbeat,
        now: DateTime<Utc>,
    ) -> Result<PullPage, StoreError> {
        self.with_conn(move |c| {
            let tx = c.transaction_with_behavior(TransactionBehavior::Immediate)?;
            heartbeats::insert_heartbeat(&tx, device_id, &heartbeat, now)?;
            let page = pull::changes(&tx, device_id, cursor, limit)?;
            tx.commit()?;
            Ok(page)
        })
        .await
    }

    async fn list_collections(
        &self,
        device_id: Option<Uuid>,
    ) -> Result<Vec<CollectionSummary>, StoreError> {
        self.with_conn(move |c| {
            let read = readable(
                c,
                "collections",
                "SELECT id, device_id, latest_version, first_received_at, last_received_at
                 FROM collections WHERE ?1 IS NULL OR device_id = ?1
                 ORDER BY last_received_at DESC, id",
                [device_id.map(|d| d.to_string())],
                |r| ("collection", text_at(r, 0)),
                |r| {
                    Ok(CollectionSummary {
                        id: uuid_at(r, 0)?,
                        device_id: uuid_at(r, 1)?,
                        latest_version: r.get(2)?,
                        first_received_at: time_at(r, 3)?,
                        last_received_at: time_at(r, 4)?,
                    })
                },
            )?;
            Ok(read.rows)
        })
        .await
    }

    async fn collection_versions(
        &self,
        collection_id: Uuid,
    ) -> Result<Vec<CollectionVersionView>, StoreError> {
        self.with_conn(move |c| {
            let sql = format!(
                "SELECT {VERSION_COLUMNS} FROM collection_versions v WHERE v.collection_id = ?1
                 ORDER BY v.version"
            );
            let id = [collection_id.to_string()];
            Ok(readable(c, "collections", &sql, id, version_id, version_from)?.rows)
        })
        .await
    }

    async fn collection_owner(&self, collection_id: Uuid) -> Result<Option<Uuid>, StoreError> {
        self.with_conn(move |c| {
            let owner: Option<String> = c
                .query_row(
                    "SELECT device_id FROM collections WHERE id = ?1",
                    [collection_id.to_string()],
                    |r| r.get(0),
                )
                .optional()?;
            owner
                .map(|s| Uuid::parse_str(&s).map_err(corrupt))
                .transpose()
        })
        .await
    }

    async fn latest_versions_since(
        &self,
        since: Option<DateTime<Utc>>,
    ) -> Result<Vec<CollectionVersionView>, StoreError> {
        self.with_conn(move |c| {
            let sql = format!(
                "SELECT {VERSION_COLUMNS} FROM collection_versions v
                 JOIN collections c ON c.id = v.collection_id AND c.latest_version = v.version
                 WHERE ?1 IS NULL OR v.received_at >= ?1
                 ORDER BY v.received_at, v.collection_id"
            );
            let since = [since.map(ts)];
            Ok(readable(c, "fhir_export", &sql, since, version_id, version_from)?.rows)
        })
        .await
    }

    async fn receipts(
        &self,
        device_id: Uuid,
        since: Option<DateTime<Utc>>,
    ) -> Result<Vec<Receipt>, StoreError> {
        self.with_conn(move |c| {
            let sql = format!(
                "SELECT {RECEIPT_COLUMNS} FROM receipts
                 WHERE device_id = ?1 AND (?2 IS NULL OR received_at >= ?2)
                 ORDER BY received_at, collection_id, version"
            );
            let read = readable(
                c,
                "receipts",
                &sql,
                params![device_id.to_string(), since.map(ts)],
                |r| ("receipt", text_at(r, 0)),
                receipt_from,
            )?;
            Ok(read.rows)
        })
        .await
    }

    async fn record_heartbeat(
        &self,
        device_id: Uuid,
        heartbeat: Heartbeat,
        received_at: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        self.with_conn(move |c| {
            heartbeats::insert_lone_heartbeat(c, device_id, &heartbeat, received_at)
        })
        .await
    }

    async fn device_heartbeats(
        &self,
        device_id: Uuid,
        limit: u32,
    ) -> Result<Vec<DeviceHeartbeat>, StoreError> {
        self.with_conn(move |c| heartbeats::device_heartbeats(c, device_id, limit))
            .await
    }
}
