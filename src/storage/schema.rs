//! Names and version of the device database: every store name is spelled here once.

/// Name of the production database.
pub const DB_NAME: &str = "drawline";
/// Current schema version; bump it with a migration that keeps unsynced data.
pub const SCHEMA_VERSION: u32 = 1;

/// Orders and patients downloaded for the round.
pub const WORKLIST: &str = "worklist";
/// In-progress collections, one record each, saved on every change.
pub const DRAFTS: &str = "drafts";
/// Finalized, immutable collection versions waiting to sync.
pub const OUTBOX: &str = "outbox";
/// What the server acknowledged.
pub const RECEIPTS: &str = "receipts";
/// Server URL, enrollment, catalog version.
pub const SETTINGS: &str = "settings";

/// Every store of the current schema, with its key path.
pub const STORES: &[(&str, &str)] = &[
    (WORKLIST, "id"),
    (DRAFTS, "id"),
    (OUTBOX, "id"),
    (RECEIPTS, "id"),
    (SETTINGS, "key"),
];
