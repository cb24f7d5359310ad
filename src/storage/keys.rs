//! Names of the small records in the device's settings store.

/// Settings key of this device's enrollment (`EnrollResponse`).
pub const DEVICE_KEY: &str = "device";
/// Settings key of the signed-in session (`SessionResponse`).
pub const SESSION_KEY: &str = "session";
/// Settings key of the collectors who signed in here lately, for one-tap sign-in.
pub const RECENT_USERS_KEY: &str = "recent_users";
/// Settings key of the last pull's server cursor.
pub const PULL_CURSOR_KEY: &str = "pull_cursor";
/// Settings key of the hash of the stored site configuration, as the lab reported it.
pub const SITE_HASH_KEY: &str = "site_hash";
/// Settings key of the needle the collector uses (it decides the discard tube).
pub const NEEDLE_KEY: &str = "needle";
