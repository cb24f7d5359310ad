//! What the server allows: PIN length, sign-in attempts, concurrency and per-device quotas.

/// Limits the server enforces, from configuration; every handler reads them from `AppState`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Limits {
    /// Shortest PIN a person may be given or choose (a site setting).
    pub min_pin_length: usize,
    /// Failed sign-ins allowed for one user name on one device within `sign_in_window`.
    pub sign_in_failures_per_device: u32,
    /// Failed sign-ins allowed for one user name across every device within `sign_in_window`.
    pub sign_in_failures_per_user: u32,
    /// How long a failed sign-in counts against its user.
    pub sign_in_window: chrono::Duration,
    /// Argon2 computations (PIN checks and hashes) run at once; each takes about 19 MiB.
    pub pin_hash_workers: usize,
    /// How long a sign-in waits for an Argon2 worker before it is answered 503 `busy`.
    pub pin_hash_wait: std::time::Duration,
    /// Pushes one device may make per `push_rate_window`; more are answered 429
    /// `quota_exceeded` with `Retry-After`.
    pub max_pushes_per_minute: u32,
    /// The window `max_pushes_per_minute` counts in: a minute (tests shorten it).
    pub push_rate_window: std::time::Duration,
    /// Refused versions (conflicts, rejections) whose whole body the lab keeps per device per
    /// UTC day; beyond it only their hash, size and refusal are kept (`body_not_kept`).
    pub max_kept_refusals_per_day: u32,
    /// Records the lab did not store (resends, conflicts, rejections) it records one by one per
    /// device per UTC day; beyond, they are only counted in the push's audit summary.
    pub max_recorded_attempts_per_day: u32,
    /// Bytes of record bodies the lab stores for one device; a push that would store more is
    /// answered 507 `storage_quota_exceeded` and the device keeps its records to send later.
    pub max_stored_bytes_per_device: u64,
    /// Connections served at once; one more is answered 503 with `Retry-After` and closed.
    pub max_connections: usize,
    /// API requests worked on at once (`/health` aside); one more is answered 503 `busy`.
    pub max_in_flight: usize,
    /// Time a client has to send a request's headers; also how long an idle connection is kept.
    pub header_read_timeout: std::time::Duration,
    /// Time a client has, once its headers arrived, to send the whole body (else 408).
    pub body_read_timeout: std::time::Duration,
    /// A device token older than this many days is due for rotation: pulls tell the tablet to
    /// get a new one. The old token is never refused for its age (a tablet must never be locked
    /// out with unsynced work); revoking a device is how a token is stopped.
    pub device_token_max_age_days: u32,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            min_pin_length: crate::config::DEFAULT_MIN_PIN_LENGTH as usize,
            sign_in_failures_per_device: crate::config::DEFAULT_SIGN_IN_DEVICE_LIMIT,
            sign_in_failures_per_user: crate::config::DEFAULT_SIGN_IN_USER_LIMIT,
            sign_in_window: chrono::Duration::minutes(i64::from(
                crate::config::DEFAULT_SIGN_IN_WINDOW_MINUTES,
            )),
            pin_hash_workers: crate::config::DEFAULT_PIN_HASH_WORKERS as usize,
            pin_hash_wait: std::time::Duration::from_secs(u64::from(
                crate::config::DEFAULT_PIN_HASH_WAIT_SECONDS,
            )),
            max_pushes_per_minute: crate::config::DEFAULT_MAX_PUSHES_PER_MINUTE,
            push_rate_window: std::time::Duration::from_secs(60),
            max_kept_refusals_per_day: crate::config::DEFAULT_MAX_KEPT_REFUSALS_PER_DAY,
            max_recorded_attempts_per_day: crate::config::DEFAULT_MAX_RECORDED_ATTEMPTS_PER_DAY,
            max_stored_bytes_per_device: u64::from(
                crate::config::DEFAULT_MAX_STORED_MIB_PER_DEVICE,
            ) * 1024
                * 1024,
            max_connections: crate::config::DEFAULT_MAX_CONNECTIONS as usize,
            max_in_flight: crate::config::DEFAULT_MAX_IN_FLIGHT as usize,
            header_read_timeout: std::time::Duration::from_secs(u64::from(
                crate::config::DEFAULT_HEADER_READ_TIMEOUT_SECONDS,
            )),
            body_read_timeout: std::time::Duration::from_secs(u64::from(
                crate::config::DEFAULT_BODY_READ_TIMEOUT_SECONDS,
            )),
            device_token_max_age_days: crate::config::DEFAULT_DEVICE_TOKEN_MAX_AGE_DAYS,
        }
    }
}

impl Limits {
    /// The sign-in attempt limit these settings make.
    pub fn sign_in_policy(&self) -> crate::sign_in_limit::SignInPolicy {
        crate::sign_in_limit::SignInPolicy {
            per_device: self.sign_in_failures_per_device,
            per_user: self.sign_in_failures_per_user,
            window: self.sign_in_window,
        }
    }
}
