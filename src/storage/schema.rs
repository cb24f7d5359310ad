//! Names, version and migrations of the device database: every store name is spelled here once.
//!
//! The schema is a list of additive steps. A step can create a store or an index and nothing
//! else: there is deliberately no "drop" change, so no upgrade can ever delete unsynced data.

/// Name of the production database.
pub const DB_NAME: &str = "drawline";
/// Current schema version: the last step of [`MIGRATIONS`].
pub const SCHEMA_VERSION: u32 = 2;

/// Orders, patients and the site configuration downloaded for the round.
pub const WORKLIST: &str = "worklist";
/// In-progress collections, one record each, saved on every change.
pub const DRAFTS: &str = "drafts";
/// Finalized, immutable collection versions waiting to sync.
pub const OUTBOX: &str = "outbox";
/// What the server acknowledged.
pub const RECEIPTS: &str = "receipts";
/// Server URL, enrollment, session, recent collectors.
pub const SETTINGS: &str = "settings";

/// Index of `outbox` by finalization time, so sync and the heartbeat find the oldest first.
pub const OUTBOX_BY_FINALIZED_AT: &str = "by_finalized_at";
/// Index of `drafts` by last save, so the drafts screen lists the most recent work first.
pub const DRAFTS_BY_SAVED_AT: &str = "by_saved_at";

/// Every store of the current schema, with its key path.
pub const STORES: &[(&str, &str)] = &[
    (WORKLIST, "id"),
    (DRAFTS, "id"),
    (OUTBOX, "id"),
    (RECEIPTS, "id"),
    (SETTINGS, "key"),
];

/// One additive schema change.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Change {
    /// Creates an object store with an in-line key path (skipped if it exists).
    CreateStore {
        /// Store name.
        name: &'static str,
        /// Key path of its records.
        key_path: &'static str,
    },
    /// Creates a non-unique index on a store (skipped if it exists).
    CreateIndex {
        /// Store name.
        store: &'static str,
        /// Index name.
        name: &'static str,
        /// Key path indexed.
        key_path: &'static str,
    },
}

/// The changes that take a database from version `n - 1` to `n`, for every `n` up to
/// [`SCHEMA_VERSION`]. Version 1 is the layout the first release created through rexie.
pub const MIGRATIONS: &[(u32, &[Change])] = &[
    (
        1,
        &[
            Change::CreateStore {
                name: WORKLIST,
                key_path: "id",
            },
            Change::CreateStore {
                name: DRAFTS,
                key_path: "id",
            },
            Change::CreateStore {
                name: OUTBOX,
                key_path: "id",
            },
            Change::CreateStore {
                name: RECEIPTS,
                key_path: "id",
            },
            Change::CreateStore {
                name: SETTINGS,
                key_path: "key",
            },
        ],
    ),
    (
        2,
        &[
            Change::CreateIndex {
                store: OUTBOX,
                name: OUTBOX_BY_FINALIZED_AT,
                key_path: "finalized_at",
            },
            Change::CreateIndex {
                store: DRAFTS,
                name: DRAFTS_BY_SAVED_AT,
                key_path: "saved_at",
            },
        ],
    ),
];

/// The changes to apply when a database at `old` opens at `new`, in order.
pub fn changes_between(old: u32, new: u32) -> Vec<Change> {
    MIGRATIONS
        .iter()
        .filter(|(v, _)| *v > old && *v <= new)
        .flat_map(|(_, changes)| changes.iter().copied())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_migrations_are_numbered_one_by_one_up_to_the_schema_version() {
        let versions: Vec<u32> = MIGRATIONS.iter().map(|(v, _)| *v).collect();
        assert_eq!(versions, (1..=SCHEMA_VERSION).collect::<Vec<_>>());
    }

    #[test]
    fn migrating_from_nothing_creates_every_store_of_the_schema() {
        let created: Vec<(&str, &str)> = changes_between(0, SCHEMA_VERSION)
            .into_iter()
            .filter_map(|c| match c {
                Change::CreateStore { name, key_path } => Some((name, key_path)),
                Change::CreateIndex { .. } => None,
            })
            .collect();
        assert_eq!(created, STORES);
    }

    #[test]
    fn an_upgrade_from_version_one_only_adds_indexes() {
        let changes = changes_between(1, SCHEMA_VERSION);
        assert!(!changes.is_empty());
        assert!(changes
            .iter()
            .all(|c| matches!(c, Change::CreateIndex { .. })));
        assert!(changes_between(SCHEMA_VERSION, SCHEMA_VERSION).is_empty());
    }
}
