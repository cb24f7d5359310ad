//! The schema: versioned migrations, each applied once, in order, in its own transaction.

use rusqlite::Connection;

use crate::store::error::StoreError;

/// Migrations in order; the schema version is the index + 1, kept in `PRAGMA user_version`.
pub(super) const MIGRATIONS: &[&str] = &[
    include_str!("../../../migrations/0001_site.sql"),
    include_str!("../../../migrations/0002_lab.sql"),
    include_str!("../../../migrations/0003_sync.sql"),
    include_str!("../../../migrations/0004_review.sql"),
    include_str!("../../../migrations/0005_accessions.sql"),
    include_str!("../../../migrations/0006_identification.sql"),
    include_str!("../../../migrations/0007_voids.sql"),
    include_str!("../../../migrations/0008_alerts.sql"),
    include_str!("../../../migrations/0009_sign_in_attempts.sql"),
    include_str!("../../../migrations/0010_quotas.sql"),
    include_str!("../../../migrations/0011_life_cycle.sql"),
    include_str!("../../../migrations/0012_revalidation.sql"),
    include_str!("../../../migrations/0013_device_keys.sql"),
];

/// Brings the schema up to the newest version.
pub(super) fn migrate(conn: &mut Connection) -> Result<(), StoreError> {
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
