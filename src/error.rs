//! `AppError`: what every page action fails with, and what `ErrorNote` shows.

use drawline_domain::CollectionError;

use crate::storage::StorageError;
use crate::sync::SyncError;
use crate::workflow::StartError;

/// Why a step on a screen did not happen, in words a collector or supervisor understands.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AppError {
    /// The device database failed: shown as a storage problem with advice.
    #[error("{0}")]
    Storage(#[from] StorageError),
    /// The lab server could not be reached or refused: its own message when it gave one.
    #[error("{}", .0.human())]
    Sync(#[from] SyncError),
    /// A rule or the input refused it; the text says why and what to do.
    #[error("{0}")]
    Refused(String),
}

impl AppError {
    /// A refusal with this text.
    pub fn refused(text: impl Into<String>) -> Self {
        AppError::Refused(text.into())
    }
}

impl From<String> for AppError {
    fn from(text: String) -> Self {
        AppError::Refused(text)
    }
}

impl From<&str> for AppError {
    fn from(text: &str) -> Self {
        AppError::Refused(text.to_owned())
    }
}

impl From<CollectionError> for AppError {
    fn from(e: CollectionError) -> Self {
        AppError::Refused(e.to_string())
    }
}

impl From<StartError> for AppError {
    fn from(e: StartError) -> Self {
        AppError::Refused(e.to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_kind_reads_as_its_cause_says_it() {
        let server = SyncError::Server {
            status: 409,
            message: "code already used".into(),
        };
        assert_eq!(AppError::from(server).to_string(), "code already used");
        assert_eq!(
            AppError::from(SyncError::Offline).to_string(),
            "the lab server cannot be reached"
        );
        assert_eq!(
            AppError::from(StorageError::QuotaExceeded).to_string(),
            StorageError::QuotaExceeded.to_string()
        );
        assert_eq!(AppError::from("sign in again").to_string(), "sign in again");
    }
}
