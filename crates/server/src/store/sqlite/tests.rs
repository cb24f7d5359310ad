//! The SQLite backend's own invariants: migrations once each, change numbers, an append-only log.

use chrono::Utc;
use rusqlite::Connection;

use super::connection::SqliteStore;
use super::migrate::{migrate, MIGRATIONS};
use crate::store::audit::{AuditEntry, AuditStore};

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
