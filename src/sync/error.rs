//! Why a call to the lab server did not succeed.

/// Why a call to the lab server did not succeed: the transport's error, sorted into what sync
/// needs to decide between retrying, isolating a record and asking to enroll again.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SyncError {
    /// No connection, DNS failure, server down, or no answer in time: try again later.
    #[error("the lab server cannot be reached")]
    Offline,
    /// The server answered with an error status.
    #[error("the lab server answered {status}: {message}")]
    Server {
        /// HTTP status code.
        status: u16,
        /// The problem's human message, or the status text.
        message: String,
    },
    /// The server refused for now and said when to try again (`Retry-After`): too many failed
    /// sign-ins (429) or too busy (503).
    #[error("{message}")]
    RetryLater {
        /// HTTP status code (429 or 503).
        status: u16,
        /// The problem's stable code, e.g. `too_many_attempts` or `busy`.
        code: String,
        /// The problem's human message.
        message: String,
        /// Seconds to wait, from the `Retry-After` header.
        retry_after_secs: u64,
    },
    /// The lab revoked this device (403 `device_revoked`): it wipes what it delivered.
    #[error("{0}")]
    Revoked(String),
    /// The server's answer was not what this app version understands.
    #[error("unexpected answer from the lab server: {0}")]
    Protocol(String),
}

impl SyncError {
    /// The server's own message when it gave one (it is written for people), else ours.
    pub fn human(&self) -> String {
        match self {
            SyncError::Server { message, .. } => message.clone(),
            other => other.to_string(),
        }
    }
}
