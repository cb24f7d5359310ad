//! What the server allows: PIN length, sign-in attempts, concurrency and per-device quotas.

/// Limits the server enforces, from configuration; every handler reads them from `AppState`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Limits {
    /// Shortest PIN a person may be given or choose (a site setting).
    pub min_pin_length: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            min_pin_length: crate::config::DEFAULT_MIN_PIN_LENGTH as usize,
        }
    }
}
