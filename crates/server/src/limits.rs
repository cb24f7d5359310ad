//! What the server allows: PIN length, sign-in attempts, concurrency and per-device quotas.

/// Limits the server enforces, from configuration; every handler reads them from `AppState`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Limits {
    /// Shortest PIN a person may be given or choose (a site setting).
    pub min_pin_length: usize,
    /// Connections served at once; one more is answered 503 with `Retry-After` and closed.
    pub max_connections: usize,
    /// API requests worked on at once (`/health` aside); one more is answered 503 `busy`.
    pub max_in_flight: usize,
    /// Time a client has to send a request's headers; also how long an idle connection is kept.
    pub header_read_timeout: std::time::Duration,
    /// Time a client has, once its headers arrived, to send the whole body (else 408).
    pub body_read_timeout: std::time::Duration,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            min_pin_length: crate::config::DEFAULT_MIN_PIN_LENGTH as usize,
            max_connections: crate::config::DEFAULT_MAX_CONNECTIONS as usize,
            max_in_flight: crate::config::DEFAULT_MAX_IN_FLIGHT as usize,
            header_read_timeout: std::time::Duration::from_secs(u64::from(
                crate::config::DEFAULT_HEADER_READ_TIMEOUT_SECONDS,
            )),
            body_read_timeout: std::time::Duration::from_secs(u64::from(
                crate::config::DEFAULT_BODY_READ_TIMEOUT_SECONDS,
            )),
        }
    }
}
