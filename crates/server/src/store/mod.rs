//! The server's storage, split by concern into small traits; [`Store`] is all of them.
//!
//! A second backend (PostgreSQL, for replicas) implements them one at a time.

mod audit;
mod error;
pub mod facts;
mod orders;
mod people;
mod review;
mod site;
mod sqlite;
mod sync;

pub use audit::{AuditEntry, AuditRecord, AuditStore};
pub use error::StoreError;
pub use facts::RecordFacts;
pub use orders::{Assignment, CancelOutcome, NewOrder, OrderStore};
pub use people::{AttemptOutcome, SignInAttempt, SignInGate};
pub use people::{DataKey, DbMarkers, Enrolled, DATA_KEY_BYTES};
pub use people::{Device, NewSession, NewUser, PeopleStore, SessionRecord, UserCredentials};
pub use review::{
    AccessionClashRecord, CollectionRecords, ConflictResolution, DeviceActivity, HoldOutcome,
    HoldResolution, NewReviewEvent, PushAttempt, QueueFilter, QueueRows, RecollectOutcome,
    Recollection, ResolveOutcome, ReviewStore, StoredVersion,
};
pub use site::SiteStore;
pub use sqlite::SqliteStore;
pub use sync::{
    NewCollectionVersion, NewHeartbeat, PullCursor, PullPage, PushQuota, RecordOrder, SyncItem,
    SyncPush, SyncRecord, SyncStore,
};

/// Everything the HTTP layer and the command line need from storage: every small trait at once,
/// so the app state holds one `Arc<dyn Store>`. Implemented for any type that has them all.
pub trait Store:
    SiteStore + PeopleStore + OrderStore + SyncStore + ReviewStore + AuditStore
{
}

impl<T> Store for T where
    T: SiteStore + PeopleStore + OrderStore + SyncStore + ReviewStore + AuditStore + ?Sized
{
}
