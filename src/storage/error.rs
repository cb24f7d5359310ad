//! Why a storage call failed, phrased so the collector knows what to do.

/// Why a storage call failed, phrased so the collector knows what to do.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum StorageError {
    /// IndexedDB is missing or refused to open (some private-browsing modes).
    #[error("this browser will not let Drawline store data ({0}); leave private browsing or use another browser")]
    Unavailable(String),
    /// The device's storage quota is used up.
    #[error("the tablet's storage is full; sync waiting collections, then free space")]
    QuotaExceeded,
    /// An older Drawline tab holds the database open during an upgrade.
    #[error("another Drawline tab is open with an older version; close it to continue")]
    Blocked,
    /// The database was made by a newer Drawline than this page.
    #[error("this tablet's data was saved by a newer Drawline; reload the page to get it")]
    NewerVersion,
    /// This version of the collection is already in the outbox.
    #[error("collection {0} is already finalized and waiting to sync")]
    AlreadyFinalized(String),
    /// A record could not be turned into or read back from a stored value.
    #[error("a stored record could not be read or written: {0}")]
    Serialization(String),
    /// The record is encrypted and nobody has unlocked the tablet.
    #[error("the tablet is locked; unlock it with your PIN to continue")]
    Locked,
    /// A stored record did not decrypt under this tablet's data key.
    #[error("a stored record could not be decrypted: {0}")]
    Undecryptable(String),
    /// Any other failure reported by the database.
    #[error("the device database failed: {0}")]
    Database(String),
}

impl StorageError {
    /// What the collector should do about it, in one sentence.
    pub fn advice(&self) -> &'static str {
        match self {
            StorageError::Unavailable(_) => "Drawline cannot keep collections on this browser. Open it outside private browsing before collecting.",
            StorageError::QuotaExceeded => "Nothing already saved is lost. Connect to sync the waiting collections, then try again.",
            StorageError::Blocked => "Close the other Drawline tabs or windows, then reload this page. Nothing is lost.",
            StorageError::NewerVersion => "Reload the page. Nothing is lost.",
            StorageError::AlreadyFinalized(_) => "It is safe in the outbox. Go back to the draw list.",
            StorageError::Locked => "Unlock the tablet with your PIN. Nothing is lost.",
            StorageError::Undecryptable(_) => "Call the lab: the record is kept as it is, and sealed copies of finalized collections still reach the lab.",
            StorageError::Serialization(_) | StorageError::Database(_) => "Try again. If it keeps failing, call the lab: nothing already saved is lost.",
        }
    }
}
