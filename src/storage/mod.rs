//! Device-side storage: the only code that touches IndexedDB, behind a trait with an in-memory twin.

pub mod at_rest;
pub mod boot_hints;
pub mod conformance;
pub mod encrypted;
pub mod error;
pub mod idb;
pub mod keys;
pub mod marker;
pub mod memory;
pub mod quota;
pub mod raw;
pub mod records;
pub mod schema;
pub mod store;
pub mod vault;
pub mod wipe;

pub use encrypted::EncryptedStore;
pub use error::StorageError;
pub use idb::IdbStore;
pub use memory::MemoryStore;
pub use records::{Attention, Draft, OutboxItem, ReceiptRecord};
pub use store::DraftStore;
pub use vault::Vault;
