//! The append-only audit log: who did what, on what, when.

use chrono::{DateTime, Utc};

use super::error::StoreError;

/// An entry for the append-only audit log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditEntry {
    /// Who: `device:<id>`, `user:<id>`, `cli`, or `anonymous`.
    pub actor: String,
    /// What, as a stable verb, e.g. `device.enrolled`.
    pub action: String,
    /// On what.
    pub subject: Option<String>,
    /// Non-secret detail (JSON text).
    pub detail: Option<String>,
}

/// A written audit entry.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, utoipa::ToSchema)]
pub struct AuditRecord {
    /// Sequence number.
    pub seq: i64,
    /// When.
    pub at: DateTime<Utc>,
    /// Who.
    pub actor: String,
    /// What.
    pub action: String,
    /// On what.
    pub subject: Option<String>,
    /// Detail.
    pub detail: Option<String>,
}

/// The audit log. Writes that change something else audit inside their own transaction; this
/// trait is for entries that stand alone.
#[async_trait::async_trait]
pub trait AuditStore: Send + Sync + 'static {
    /// Appends to the audit log.
    async fn audit(&self, entry: AuditEntry, at: DateTime<Utc>) -> Result<(), StoreError>;
    /// The newest audit entries, newest first.
    async fn audit_log(&self, limit: u32) -> Result<Vec<AuditRecord>, StoreError>;
}
