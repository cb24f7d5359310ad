//! What the server allows: PIN length, sign-in attempts, concurrency and per-device quotas.

/// Limits the server enforces, from configuration; every handler reads them from `AppState`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Limits {
    /// Shortest PIN a person may be given or choose (a site setting).
    pub min_pin_length: usize,
    /// A device token older than this many days is due for rotation: pulls tell the tablet to
    /// get a new one. The old token is never refused for its age (a tablet must never be locked
    /// out with unsynced work); revoking a device is how a token is stopped.
    pub device_token_max_age_days: u32,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            min_pin_length: crate::config::DEFAULT_MIN_PIN_LENGTH as usize,
            device_token_max_age_days: crate::config::DEFAULT_DEVICE_TOKEN_MAX_AGE_DAYS,
        }
    }
}
