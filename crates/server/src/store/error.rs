//! What can go wrong in storage, whatever the backend.

/// Failures of the storage layer.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The database refused or failed a statement.
    #[error("database: {0}")]
    Database(#[from] rusqlite::Error),
    /// A migration could not be applied.
    #[error("migration {version} failed: {source}")]
    Migration {
        /// The schema version being applied.
        version: u32,
        /// Why it failed.
        source: rusqlite::Error,
    },
    /// A blocking task died.
    #[error("storage task failed: {0}")]
    Task(String),
    /// A row that must exist does not.
    #[error("missing: {0}")]
    Missing(&'static str),
    /// The write would break a uniqueness rule the caller can fix (e.g. a taken name).
    #[error("{0}")]
    Conflict(String),
    /// Storing this would take a device over its stored-bytes quota; nothing was stored.
    #[error("device over its storage quota: {stored} of {limit} bytes stored")]
    OverQuota {
        /// Bytes the device has stored.
        stored: u64,
        /// Bytes it may store.
        limit: u64,
    },
    /// A stored value could not be read back (corrupt or hand-edited row).
    #[error("corrupt row: {0}")]
    Corrupt(String),
}

impl StoreError {
    /// A stored value that does not read back as what it should be.
    pub fn corrupt(e: impl std::fmt::Display) -> Self {
        Self::Corrupt(e.to_string())
    }
}
