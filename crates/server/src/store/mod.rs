//! The server's storage behind one trait, so SQLite (default) and PostgreSQL (for replicas) are interchangeable.

mod sqlite;

pub use sqlite::SqliteStore;

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
}

/// What the HTTP layer needs from storage.
#[async_trait::async_trait]
pub trait Store: Send + Sync + 'static {
    /// The site's display name; proves the database answers.
    async fn site_name(&self) -> Result<String, StoreError>;
    /// True when nothing has been set up yet (no site row).
    async fn is_empty(&self) -> Result<bool, StoreError>;
    /// Names the site (first run or demo seed).
    async fn set_site_name(&self, name: &str) -> Result<(), StoreError>;
}
