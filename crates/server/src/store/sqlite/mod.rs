//! SQLite storage: one file, WAL, foreign keys on, versioned migrations applied at open.

mod collections;
mod orders;
mod people;
mod review;
mod sync;

use std::path::Path;
use std::sync::{Arc, Mutex};

use chrono::{DateTime, SecondsFormat, Utc};
use rusqlite::types::Type;
use rusqlite::{Connection, OptionalExtension, Row};
use uuid::Uuid;

use super::{
    Assignment, AuditEntry, AuditRecord, CancelOutcome, CollectionRecords, ConflictResolution,
    Device, DeviceActivity, NewCollectionVersion, NewHeartbeat, NewOrder, NewReviewEvent,
    NewSession, NewUser, PullCursor, PullPage, PushOutcome, QueueFilter, QueueRows,
    RecollectOutcome, Recollection, ResolveOutcome, SessionRecord, Store, StoreError, SyncPush,
    UserCredentials,
};
use crate::api::{
    CollectionSummary, CollectionVersionView, DeviceHeartbeat, DeviceView, Heartbeat, ImportReport,
    OrderStatusView, PushResult, Receipt, ReviewEvent, RoundView, UserView, Worklist,
};

/// Migrations in order; the schema version is the index + 1, kept in `PRAGMA user_version`.
const MIGRATIONS: &[&str] = &[
    include_str!("../../../migrations/0001_site.sql"),
    include_str!("../../../migrations/0002_lab.sql"),
    include_str!("../../../migrations/0003_sync.sql"),
    include_str!("../../../migrations/0004_review.sql"),
];

/// The embedded default store.
#[derive(Clone)]
pub struct SqliteStore {
    conn: Arc<Mutex<Connection>>,
}

impl SqliteStore {
    /// Opens (creating if needed) the database file and brings its schema up to date.
    pub fn open(path: &Path) -> Result<Self, StoreError> {
        let conn = Connection::open(path)?;
        Self::init(conn)
    }

    /// A private in-memory database, for tests.
    pub fn open_in_memory() -> Result<Self, StoreError> {
        Self::init(Connection::open_in_memory()?)
    }

    fn init(mut conn: Connection) -> Result<Self, StoreError> {
        conn.pragma_update(None, "journal_mode", "WAL")?;
        conn.pragma_update(None, "foreign_keys", "ON")?;
        conn.pragma_update(None, "synchronous", "NORMAL")?;
        conn.busy_timeout(std::time::Duration::from_secs(5))?;
        migrate(&mut conn)?;
        review::backfill_facts(&mut conn)?;
        Ok(Self {
            conn: Arc::new(Mutex::new(conn)),
        })
    }

    /// The schema version the database is at.
    pub fn schema_version(&self) -> Result<u32, StoreError> {
        let conn = self
            .conn
            .lock()
            .map_err(|e| StoreError::Task(e.to_string()))?;
        Ok(conn.pragma_query_value(None, "user_version", |r| r.get(0))?)
    }

    /// Runs `f` with the connection on the blocking pool so the async runtime never waits on disk.
    async fn with_conn<T, F>(&self, f: F) -> Result<T, StoreError>
    where
        T: Send + 'static,
        F: FnOnce(&mut Connection) -> Result<T, StoreError> + Send + 'static,
    {
        let conn = self.conn.clone();
        tokio::task::spawn_blocking(move || {
            let mut guard = conn.lock().map_err(|e| StoreError::Task(e.to_string()))?;
            f(&mut guard)
        })
        .await
        .map_err(|e| StoreError::Task(e.to_string()))?
    }
}

fn migrate(conn: &mut Connection) -> Result<(), StoreError> {
    let current: u32 = conn.pragma_query_value(None, "user_version", |r| r.get(0))?;
    for (i, sql) in MIGRATIONS.iter().enumerate().skip(current as usize) {
        let version = i as u32 + 1;
        let tx = conn.transaction()?;
        tx.execute_batch(sql)
            .and_then(|_| tx.pragma_update(None, "user_version", version))
            .map_err(|source| StoreError::Migration { version, source })?;
        tx.commit()?;
    }
    Ok(())
}

/// Instants are stored as fixed-width RFC 3339 UTC text, so text order is time order.
pub(crate) fn ts(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Micros, true)
}

fn conversion(idx: usize, e: impl std::error::Error + Send + Sync + 'static) -> rusqlite::Error {
    rusqlite::Error::FromSqlConversionFailure(idx, Type::Text, Box::new(e))
}

/// Reads a UUID column.
pub(crate) fn uuid_at(row: &Row<'_>, idx: usize) -> rusqlite::Result<Uuid> {
    let s: String = row.get(idx)?;
    Uuid::parse_str(&s).map_err(|e| conversion(idx, e))
}

/// Reads a nullable UUID column.
pub(crate) fn opt_uuid_at(row: &Row<'_>, idx: usize) -> rusqlite::Result<Option<Uuid>> {
    let s: Option<String> = row.get(idx)?;
    s.map(|s| Uuid::parse_str(&s).map_err(|e| conversion(idx, e)))
        .transpose()
}

/// Reads an instant column.
pub(crate) fn time_at(row: &Row<'_>, idx: usize) -> rusqlite::Result<DateTime<Utc>> {
    let s: String = row.get(idx)?;
    DateTime::parse_from_rfc3339(&s)
        .map(|t| t.with_timezone(&Utc))
        .map_err(|e| conversion(idx, e))
}

/// Reads a nullable instant column.
pub(crate) fn opt_time_at(row: &Row<'_>, idx: usize) -> rusqlite::Result<Option<DateTime<Utc>>> {
    let s: Option<String> = row.get(idx)?;
    s.map(|s| {
        DateTime::parse_from_rfc3339(&s)
            .map(|t| t.with_timezone(&Utc))
            .map_err(|e| conversion(idx, e))
    })
    .transpose()
}

/// Appends an audit entry inside the caller's transaction, so the entry and the change it records commit together.
pub(crate) fn audit_in(
    conn: &Connection,
    entry: &AuditEntry,
    at: DateTime<Utc>,
) -> rusqlite::Result<()> {
    conn.execute(
        "INSERT INTO audit_log (at, actor, action, subject, detail) VALUES (?1, ?2, ?3, ?4, ?5)",
        rusqlite::params![
            ts(at),
            entry.actor,
            entry.action,
            entry.subject,
            entry.detail
        ],
    )?;
    Ok(())
}

#[async_trait::async_trait]
impl Store for SqliteStore {
    async fn site_name(&self) -> Result<String, StoreError> {
        self.with_conn(|c| {
            c.query_row("SELECT name FROM site WHERE id = 1", [], |r| r.get(0))
                .optional()?
                .ok_or(StoreError::Missing("site"))
        })
        .await
    }

    async fn is_empty(&self) -> Result<bool, StoreError> {
        self.with_conn(|c| {
            let n: i64 = c.query_row("SELECT COUNT(*) FROM site", [], |r| r.get(0))?;
            Ok(n == 0)
        })
        .await
    }

    async fn set_site_name(&self, name: &str) -> Result<(), StoreError> {
        let name = name.to_owned();
        self.with_conn(move |c| {
            c.execute(
                "INSERT INTO site (id, name) VALUES (1, ?1)
                 ON CONFLICT(id) DO UPDATE SET name = excluded.name",
                [name],
            )?;
            Ok(())
        })
        .await
    }

    async fn site_config(&self, key: &str) -> Result<Option<String>, StoreError> {
        let key = key.to_owned();
        self.with_conn(move |c| {
            Ok(
                c.query_row("SELECT json FROM site_config WHERE key = ?1", [key], |r| {
                    r.get(0)
                })
                .optional()?,
            )
        })
        .await
    }

    async fn put_site_config(&self, key: &str, json: &str) -> Result<(), StoreError> {
        let (key, json) = (key.to_owned(), json.to_owned());
        self.with_conn(move |c| {
            c.execute(
                "INSERT INTO site_config (key, json, updated_at) VALUES (?1, ?2, ?3)
                 ON CONFLICT(key) DO UPDATE SET json = excluded.json, updated_at = excluded.updated_at",
                rusqlite::params![key, json, ts(Utc::now())],
            )?;
            Ok(())
        })
        .await
    }

    async fn create_user(&self, user: NewUser) -> Result<UserView, StoreError> {
        self.with_conn(move |c| people::create_user(c, user)).await
    }

    async fn user_credentials(
        &self,
        username: &str,
    ) -> Result<Option<UserCredentials>, StoreError> {
        let username = username.to_owned();
        self.with_conn(move |c| people::user_credentials(c, &username))
            .await
    }

    async fn user_by_username(&self, username: &str) -> Result<Option<UserView>, StoreError> {
        Ok(self.user_credentials(username).await?.map(|c| c.user))
    }

    async fn list_users(&self) -> Result<Vec<UserView>, StoreError> {
        self.with_conn(people::list_users).await
    }

    async fn sign_in_failures(
        &self,
        username: &str,
        device_id: Uuid,
        since: DateTime<Utc>,
    ) -> Result<u32, StoreError> {
        let username = username.to_owned();
        self.with_conn(move |c| {
            let n: u32 = c.query_row(
                "SELECT COUNT(*) FROM sign_in_failures WHERE username = ?1 AND device_id = ?2 AND at >= ?3",
                rusqlite::params![username, device_id.to_string(), ts(since)],
                |r| r.get(0),
            )?;
            Ok(n)
        })
        .await
    }

    async fn record_sign_in_failure(
        &self,
        username: &str,
        device_id: Uuid,
        at: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        let username = username.to_owned();
        self.with_conn(move |c| {
            c.execute(
                "INSERT INTO sign_in_failures (username, device_id, at) VALUES (?1, ?2, ?3)",
                rusqlite::params![username, device_id.to_string(), ts(at)],
            )?;
            Ok(())
        })
        .await
    }

    async fn clear_sign_in_failures(
        &self,
        username: &str,
        device_id: Uuid,
    ) -> Result<(), StoreError> {
        let username = username.to_owned();
        self.with_conn(move |c| {
            c.execute(
                "DELETE FROM sign_in_failures WHERE username = ?1 AND device_id = ?2",
                rusqlite::params![username, device_id.to_string()],
            )?;
            Ok(())
        })
        .await
    }

    async fn create_device(
        &self,
        name: &str,
        code_hash: &str,
        expires_at: DateTime<Utc>,
    ) -> Result<Device, StoreError> {
        let (name, code_hash) = (name.to_owned(), code_hash.to_owned());
        self.with_conn(move |c| people::create_device(c, &name, &code_hash, expires_at))
            .await
    }

    async fn reissue_enrollment(
        &self,
        device_id: Uuid,
        code_hash: &str,
        expires_at: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        let code_hash = code_hash.to_owned();
        self.with_conn(move |c| people::reissue_enrollment(c, device_id, &code_hash, expires_at))
            .await
    }

    async fn complete_enrollment(
        &self,
        code_hash: &str,
        token_hash: &str,
        now: DateTime<Utc>,
    ) -> Result<Option<Device>, StoreError> {
        let (code_hash, token_hash) = (code_hash.to_owned(), token_hash.to_owned());
        self.with_conn(move |c| people::complete_enrollment(c, &code_hash, &token_hash, now))
            .await
    }

    async fn device_by_token(
        &self,
        token_hash: &str,
        now: DateTime<Utc>,
    ) -> Result<Option<Device>, StoreError> {
        let token_hash = token_hash.to_owned();
        self.with_conn(move |c| people::device_by_token(c, &token_hash, now))
            .await
    }

    async fn device(&self, id: Uuid) -> Result<Option<Device>, StoreError> {
        self.with_conn(move |c| people::device_where(c, "id", &id.to_string()))
            .await
    }

    async fn device_by_name(&self, name: &str) -> Result<Option<Device>, StoreError> {
        let name = name.to_owned();
        self.with_conn(move |c| people::device_where(c, "name", &name))
            .await
    }

    async fn list_devices(&self) -> Result<Vec<DeviceView>, StoreError> {
        self.with_conn(people::list_devices).await
    }

    async fn revoke_device(&self, id: Uuid, now: DateTime<Utc>) -> Result<bool, StoreError> {
        self.with_conn(move |c| people::revoke_device(c, id, now))
            .await
    }

    async fn create_session(&self, session: NewSession) -> Result<(), StoreError> {
        self.with_conn(move |c| people::create_session(c, session))
            .await
    }

    async fn session_by_token(
        &self,
        token_hash: &str,
        now: DateTime<Utc>,
    ) -> Result<Option<SessionRecord>, StoreError> {
        let token_hash = token_hash.to_owned();
        self.with_conn(move |c| people::session_by_token(c, &token_hash, now))
            .await
    }

    async fn end_session(&self, token_hash: &str, now: DateTime<Utc>) -> Result<(), StoreError> {
        let token_hash = token_hash.to_owned();
        self.with_conn(move |c| {
            c.execute(
                "UPDATE sessions SET ended_at = ?2 WHERE token_hash = ?1 AND ended_at IS NULL",
                rusqlite::params![token_hash, ts(now)],
            )?;
            Ok(())
        })
        .await
    }

    async fn upsert_round(
        &self,
        name: &str,
        assignment: Assignment,
    ) -> Result<RoundView, StoreError> {
        let name = name.to_owned();
        self.with_conn(move |c| {
            let tx = c.transaction()?;
            let round = orders::upsert_round(&tx, &name, Some(&assignment), Utc::now())?;
            tx.commit()?;
            Ok(round)
        })
        .await
    }

    async fn list_rounds(&self) -> Result<Vec<RoundView>, StoreError> {
        self.with_conn(orders::list_rounds).await
    }

    async fn import_orders(
        &self,
        batch: Vec<NewOrder>,
        now: DateTime<Utc>,
    ) -> Result<ImportReport, StoreError> {
        self.with_conn(move |c| orders::import_orders(c, batch, now))
            .await
    }

    async fn worklist(&self, device_id: Uuid, now: DateTime<Utc>) -> Result<Worklist, StoreError> {
        self.with_conn(move |c| orders::worklist(c, device_id, now))
            .await
    }

    async fn push_collections(
        &self,
        device_id: Uuid,
        batch: Vec<NewCollectionVersion>,
        received_at: DateTime<Utc>,
    ) -> Result<Vec<PushOutcome>, StoreError> {
        self.with_conn(move |c| collections::push(c, device_id, batch, received_at))
            .await
    }

    async fn list_collections(
        &self,
        device_id: Option<Uuid>,
    ) -> Result<Vec<CollectionSummary>, StoreError> {
        self.with_conn(move |c| collections::list(c, device_id))
            .await
    }

    async fn collection_versions(
        &self,
        collection_id: Uuid,
    ) -> Result<Vec<CollectionVersionView>, StoreError> {
        self.with_conn(move |c| collections::versions(c, collection_id))
            .await
    }

    async fn collection_owner(&self, collection_id: Uuid) -> Result<Option<Uuid>, StoreError> {
        self.with_conn(move |c| collections::owner(c, collection_id))
            .await
    }

    async fn latest_versions_since(
        &self,
        since: Option<DateTime<Utc>>,
    ) -> Result<Vec<CollectionVersionView>, StoreError> {
        self.with_conn(move |c| collections::latest_since(c, since))
            .await
    }

    async fn receipts(
        &self,
        device_id: Uuid,
        since: Option<DateTime<Utc>>,
    ) -> Result<Vec<Receipt>, StoreError> {
        self.with_conn(move |c| collections::receipts(c, device_id, since))
            .await
    }

    async fn record_heartbeat(
        &self,
        device_id: Uuid,
        heartbeat: Heartbeat,
        received_at: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        self.with_conn(move |c| people::record_heartbeat(c, device_id, &heartbeat, received_at))
            .await
    }

    async fn sync_push(&self, push: SyncPush) -> Result<Vec<PushResult>, StoreError> {
        self.with_conn(move |c| sync::push(c, push)).await
    }

    async fn sync_pull(
        &self,
        device_id: Uuid,
        cursor: Option<PullCursor>,
        limit: usize,
        heartbeat: NewHeartbeat,
        now: DateTime<Utc>,
    ) -> Result<PullPage, StoreError> {
        self.with_conn(move |c| sync::pull(c, device_id, cursor, limit, heartbeat, now))
            .await
    }

    async fn cancel_order(
        &self,
        order_id: &str,
        reason: Option<String>,
        actor: String,
        now: DateTime<Utc>,
    ) -> Result<CancelOutcome, StoreError> {
        let order_id = order_id.to_owned();
        self.with_conn(move |c| sync::cancel_order(c, &order_id, reason, actor, now))
            .await
    }

    async fn order_status(&self, order_id: &str) -> Result<Option<OrderStatusView>, StoreError> {
        let order_id = order_id.to_owned();
        self.with_conn(move |c| sync::order_status(c, &order_id))
            .await
    }

    async fn device_heartbeats(
        &self,
        device_id: Uuid,
        limit: u32,
    ) -> Result<Vec<DeviceHeartbeat>, StoreError> {
        self.with_conn(move |c| sync::device_heartbeats(c, device_id, limit))
            .await
    }

    async fn device_activity(&self) -> Result<Vec<DeviceActivity>, StoreError> {
        self.with_conn(review::device_activity).await
    }

    async fn review_queue(&self, filter: QueueFilter) -> Result<QueueRows, StoreError> {
        self.with_conn(move |c| review::queue(c, filter)).await
    }

    async fn review_stamp(&self) -> Result<String, StoreError> {
        self.with_conn(review::stamp).await
    }

    async fn collection_records(
        &self,
        collection_id: Uuid,
    ) -> Result<Option<CollectionRecords>, StoreError> {
        self.with_conn(move |c| review::collection_records(c, collection_id))
            .await
    }

    async fn add_review(
        &self,
        event: NewReviewEvent,
        at: DateTime<Utc>,
    ) -> Result<Option<ReviewEvent>, StoreError> {
        self.with_conn(move |c| review::add_review(c, event, at))
            .await
    }

    async fn resolve_conflict(
        &self,
        resolution: ConflictResolution,
        at: DateTime<Utc>,
    ) -> Result<ResolveOutcome, StoreError> {
        self.with_conn(move |c| review::resolve_conflict(c, resolution, at))
            .await
    }

    async fn recollect(
        &self,
        recollection: Recollection,
        at: DateTime<Utc>,
    ) -> Result<RecollectOutcome, StoreError> {
        self.with_conn(move |c| review::recollect(c, recollection, at))
            .await
    }

    async fn audit(&self, entry: AuditEntry, at: DateTime<Utc>) -> Result<(), StoreError> {
        self.with_conn(move |c| Ok(audit_in(c, &entry, at)?)).await
    }

    async fn audit_log(&self, limit: u32) -> Result<Vec<AuditRecord>, StoreError> {
        self.with_conn(move |c| {
            let mut stmt = c.prepare(
                "SELECT seq, at, actor, action, subject, detail FROM audit_log ORDER BY seq DESC LIMIT ?1",
            )?;
            let rows = stmt
                .query_map([limit], |r| {
                    Ok(AuditRecord {
                        seq: r.get(0)?,
                        at: time_at(r, 1)?,
                        actor: r.get(2)?,
                        action: r.get(3)?,
                        subject: r.get(4)?,
                        detail: r.get(5)?,
                    })
                })?
                .collect::<Result<Vec<_>, _>>()?;
            Ok(rows)
        })
        .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn opening_twice_applies_each_migration_once() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("t.sqlite");
        let first = SqliteStore::open(&path).unwrap();
        assert_eq!(first.schema_version().unwrap(), MIGRATIONS.len() as u32);
        drop(first);
        let again = SqliteStore::open(&path).unwrap();
        assert_eq!(again.schema_version().unwrap(), MIGRATIONS.len() as u32);
    }

    #[test]
    fn the_sync_migration_numbers_existing_orders_and_later_changes_take_new_numbers() {
        let mut conn = Connection::open_in_memory().unwrap();
        for sql in &MIGRATIONS[..2] {
            conn.execute_batch(sql).unwrap();
        }
        conn.pragma_update(None, "user_version", 2).unwrap();
        conn.execute_batch(
            "INSERT INTO patients VALUES ('p1', 'M1', 'Doe', '[\"Jo\"]', '1970-01-01', 'x', 'x');
             INSERT INTO orders (id, patient_id, test_code, priority, placed_at, imported_at)
                 VALUES ('a', 'p1', 'CBC', 'routine', 'x', 'x'), ('b', 'p1', 'PT', 'routine', 'x', 'x');",
        )
        .unwrap();
        migrate(&mut conn).unwrap();
        let seqs = |c: &Connection| -> Vec<i64> {
            let mut stmt = c
                .prepare("SELECT change_seq FROM orders ORDER BY id")
                .unwrap();
            let rows = stmt.query_map([], |r| r.get(0)).unwrap();
            rows.collect::<Result<_, _>>().unwrap()
        };
        let before = seqs(&conn);
        assert_eq!(before.len(), 2);
        assert_ne!(before[0], before[1]);
        let max: i64 = conn
            .query_row("SELECT seq FROM sync_state", [], |r| r.get(0))
            .unwrap();
        assert_eq!(max, *before.iter().max().unwrap());
        conn.execute("UPDATE orders SET status = 'cancelled' WHERE id = 'a'", [])
            .unwrap();
        conn.execute("UPDATE patients SET family = 'Roe' WHERE id = 'p1'", [])
            .unwrap();
        let after = seqs(&conn);
        assert!(after.iter().all(|s| *s > max), "{after:?}");
        assert_ne!(after[0], after[1]);
    }

    #[tokio::test]
    async fn the_audit_log_refuses_to_be_edited_or_deleted() {
        let store = SqliteStore::open_in_memory().unwrap();
        let entry = AuditEntry {
            actor: "cli".into(),
            action: "test".into(),
            subject: None,
            detail: None,
        };
        store.audit(entry, Utc::now()).await.unwrap();
        let conn = store.conn.lock().unwrap();
        assert!(conn
            .execute("UPDATE audit_log SET actor = 'x'", [])
            .is_err());
        assert!(conn.execute("DELETE FROM audit_log", []).is_err());
        let n: i64 = conn
            .query_row("SELECT COUNT(*) FROM audit_log", [], |r| r.get(0))
            .unwrap();
        assert_eq!(n, 1);
    }
}
