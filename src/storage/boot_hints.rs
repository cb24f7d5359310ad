//! Small hints kept in localStorage so the first screen is chosen before IndexedDB opens.
//!
//! localStorage is synchronous and the app needs these before the device database answers:
//! whether the tablet is enrolled and whether someone is signed in (enroll screen or sign-in), the lab's name, the lock timeout.
//! They are hints only: the truth stays in IndexedDB, and the hints are rewritten from it
//! whenever it changes and at every start. No patient data, and no token or other credential,
//! ever goes to localStorage.

use gloo_storage::{LocalStorage, Storage};
use serde::{Deserialize, Serialize};

/// The localStorage key of the hints.
pub const KEY: &str = "drawline.boot";

/// What the app needs to know synchronously at start.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct BootHints {
    /// The tablet holds an enrollment (the sign-in screen comes first, not the enroll screen).
    pub enrolled: bool,
    /// Someone is signed in (who is not a hint: the session stays in IndexedDB).
    pub signed_in: bool,
    /// The lab's display name, as its server last said.
    pub site_name: Option<String>,
    /// Minutes of inactivity before the screen locks, once the app has such a setting.
    pub lock_timeout_minutes: Option<u32>,
}

/// The stored hints; none (or unreadable ones) read as the defaults: not enrolled.
pub fn read() -> BootHints {
    LocalStorage::get(KEY).unwrap_or_default()
}

/// Changes the stored hints. Best effort: a browser that refuses localStorage only loses the
/// head start, never data.
pub fn update(change: impl FnOnce(&mut BootHints)) {
    let mut hints = read();
    let before = hints.clone();
    change(&mut hints);
    if hints != before {
        let _ = LocalStorage::set(KEY, &hints);
    }
}
