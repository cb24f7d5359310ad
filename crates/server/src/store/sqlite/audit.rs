//! The audit log in SQLite; triggers refuse edits and deletes.

use chrono::{DateTime, Utc};
use rusqlite::{params, Connection, Row};

use super::connection::SqliteStore;
use super::row::{time_at, ts};
use super::unreadable::{readable, text_at};
use crate::store::audit::{AuditEntry, AuditRecord, AuditStore};
use crate::store::error::StoreError;

/// Appends an audit entry inside the caller's transaction, so the entry and the change it records
/// commit together.
pub(super) fn audit_in(
    conn: &Connection,
    entry: &AuditEntry,
    at: DateTime<Utc>,
) -> rusqlite::Result<()> {
    conn.execute(
        "INSERT INTO audit_log (at, actor, action, subject, detail) VALUES (?1, ?2, ?3, ?4, ?5)",
        params![
            ts(at),
            entry.actor,
            entry.action,
            entry.subject,
            entry.detail
        ],
    )?;
    Ok(())
}

/// Audits `action` on `subject` with a JSON detail, inside the caller's transaction.
pub(super) fn audit_json(
    conn: &Connection,
    actor: &str,
    action: &str,
    subject: Option<String>,
    detail: serde_json::Value,
    at: DateTime<Utc>,
) -> rusqlite::Result<()> {
    let entry = AuditEntry {
        actor: actor.to_owned(),
        action: action.to_owned(),
        subject,
        detail: Some(detail.to_string()),
    };
    audit_in(conn, &entry, at)
}

/// The audit entries matching `filter` (a `WHERE ... ORDER BY ... LIMIT` tail); an entry that
/// does not read back is left out and noted.
pub(super) fn audit_records(
    c: &Connection,
    filter: &str,
    params: impl rusqlite::Params,
) -> Result<Vec<AuditRecord>, StoreError> {
    let sql = format!("SELECT seq, at, actor, action, subject, detail FROM audit_log {filter}");
    let id = |r: &Row<'_>| ("audit_entry", text_at(r, 0));
    Ok(readable(c, "audit_log", &sql, params, id, audit_record)?.rows)
}

fn audit_record(r: &Row<'_>) -> rusqlite::Result<AuditRecord> {
    Ok(AuditRecord {
        seq: r.get(0)?,
        at: time_at(r, 1)?,
        actor: r.get(2)?,
        action: r.get(3)?,
        subject: r.get(4)?,
        detail: r.get(5)?,
    })
}

#[async_trait::async_trait]
impl AuditStore for SqliteStore {
    async fn audit(&self, entry: AuditEntry, at: DateTime<Utc>) -> Result<(), StoreError> {
        self.with_conn(move |c| Ok(audit_in(c, &entry, at)?)).await
    }

    async fn audit_log(&self, limit: u32) -> Result<Vec<AuditRecord>, StoreError> {
        self.with_conn(move |c| audit_records(c, "ORDER BY seq DESC LIMIT ?1", [limit]))
            .await
    }
}
