//! The database marker: a random id kept in the database and in a cookie, so a database the browser evicted is noticed.
//!
//! Browsers delete IndexedDB under storage pressure (or when a person clears "site data" for
//! storage only) without telling the page; the app would then start empty, as if it had never
//! held anything. Cookies live in another store and are not evicted with it, so at enrollment
//! the same random marker goes into both (and to the lab, in `EnrollRequest.db_marker`). At
//! start a cookie that names a marker the database does not hold means the database the tablet
//! had is gone.

use wasm_bindgen::JsCast;

use super::error::StorageError;
use super::keys::{TypedRecords, DB_MARKER};
use super::store::DraftStore;

/// The cookie that keeps the marker outside the database.
pub const COOKIE: &str = "drawline_db";

/// Ten years. Browsers may cap a cookie's life (Chromium at 400 days), so the cookie is written
/// again at every start that finds it intact, which keeps it alive while the tablet is in use.
const COOKIE_MAX_AGE_SECS: u64 = 10 * 365 * 24 * 60 * 60;

/// What the cookie and the database say about each other at start.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MarkerCheck {
    /// Both hold the same marker, or this browser never enrolled a tablet.
    Intact,
    /// The cookie names a database that is no longer here (none, or another one): the browser
    /// deleted Drawline's data. `previous` is the lost database's marker.
    Lost {
        /// The marker of the database that was lost.
        previous: String,
    },
    /// The database holds its marker but the cookie is gone (cookies cleared): the cookie is
    /// written again from the database.
    CookieMissing {
        /// The database's marker.
        marker: String,
    },
    /// An enrolled database with no marker at all (enrolled before markers existed): one is
    /// made now, so a later eviction is noticed.
    Unmarked,
}

/// Compares the cookie's marker with the database's at start. `enrolled` says whether the
/// database holds an enrollment.
pub fn check(cookie: Option<&str>, stored: Option<&str>, enrolled: bool) -> MarkerCheck {
    match (cookie, stored) {
        (Some(c), Some(s)) if c == s => MarkerCheck::Intact,
        (Some(c), _) => MarkerCheck::Lost {
            previous: c.to_owned(),
        },
        (None, Some(s)) => MarkerCheck::CookieMissing {
            marker: s.to_owned(),
        },
        (None, None) if enrolled => MarkerCheck::Unmarked,
        (None, None) => MarkerCheck::Intact,
    }
}

/// The marker to tell the lab as `previous_marker` at enrollment: the cookie's, when it names a
/// database other than the one here.
pub fn previous_at_enrollment(cookie: Option<&str>, stored: Option<&str>) -> Option<String> {
    match check(cookie, stored, false) {
        MarkerCheck::Lost { previous } => Some(previous),
        _ => None,
    }
}

/// A fresh random marker.
pub fn new_marker() -> String {
    uuid::Uuid::new_v4().to_string()
}

/// The marker one `Cookie` header line (`a=1; drawline_db=...`) names, if any.
pub fn marker_in_cookies(cookies: &str) -> Option<String> {
    cookies
        .split(';')
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(name, _)| *name == COOKIE)
        .map(|(_, value)| value.trim().to_owned())
        .filter(|v| !v.is_empty())
}

fn html_document() -> Option<web_sys::HtmlDocument> {
    web_sys::window()?.document()?.dyn_into().ok()
}

/// The marker the cookie names, if any.
pub fn read_cookie() -> Option<String> {
    marker_in_cookies(&html_document()?.cookie().ok()?)
}

/// Writes the cookie: long-lived, sent to no other site, for the whole app.
pub fn write_cookie(marker: &str) {
    let Some(doc) = html_document() else { return };
    let secure = web_sys::window()
        .and_then(|w| w.location().protocol().ok())
        .is_some_and(|p| p == "https:");
    let cookie = format!(
        "{COOKIE}={marker}; Max-Age={COOKIE_MAX_AGE_SECS}; Path=/; SameSite=Strict{}",
        if secure { "; Secure" } else { "" }
    );
    let _ = doc.set_cookie(&cookie);
}

/// Checks the marker at start and repairs what can be repaired (a missing cookie, an unmarked
/// database); answers what it found. A database that cannot be read is not a lost one.
pub async fn check_at_start(store: &dyn DraftStore) -> Result<MarkerCheck, StorageError> {
    let stored = store.read(DB_MARKER).await?;
    let enrolled = store.get_setting(super::keys::DEVICE.name).await?.is_some();
    let cookie = read_cookie();
    let found = check(cookie.as_deref(), stored.as_deref(), enrolled);
    match &found {
        // Written again so the browser's cap on a cookie's life never runs out while in use.
        MarkerCheck::Intact => {
            if let Some(m) = &stored {
                write_cookie(m);
            }
        }
        MarkerCheck::CookieMissing { marker } => write_cookie(marker),
        MarkerCheck::Unmarked => {
            let marker = new_marker();
            store.write(DB_MARKER, &marker).await?;
            write_cookie(&marker);
        }
        MarkerCheck::Lost { .. } => {}
    }
    Ok(found)
}

/// The markers of an enrollment about to be sent: a new one for this database, and the lost
/// database's when the cookie names one that is not here.
pub async fn for_enrollment(
    store: &dyn DraftStore,
) -> Result<(String, Option<String>), StorageError> {
    let stored = store.read(DB_MARKER).await?;
    let previous = previous_at_enrollment(read_cookie().as_deref(), stored.as_deref());
    Ok((new_marker(), previous))
}

/// Keeps the enrolled database's marker: first in the database, then in the cookie (a cookie
/// naming a marker the database does not hold would read as an eviction).
pub async fn keep(store: &dyn DraftStore, marker: &str) -> Result<(), StorageError> {
    store.write(DB_MARKER, &marker.to_owned()).await?;
    write_cookie(marker);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_same_marker_in_cookie_and_database_is_intact() {
        assert_eq!(check(Some("m1"), Some("m1"), true), MarkerCheck::Intact);
    }

    #[test]
    fn a_cookie_naming_a_database_that_is_not_here_is_a_lost_database() {
        let lost = MarkerCheck::Lost {
            previous: "m1".into(),
        };
        // Evicted: the browser made a fresh, empty database.
        assert_eq!(check(Some("m1"), None, false), lost);
        // Another database than the one the cookie names.
        assert_eq!(check(Some("m1"), Some("m2"), true), lost);
    }

    #[test]
    fn a_browser_that_never_enrolled_has_nothing_to_lose() {
        assert_eq!(check(None, None, false), MarkerCheck::Intact);
    }

    #[test]
    fn cleared_cookies_are_written_again_and_an_old_enrollment_gets_a_marker() {
        assert_eq!(
            check(None, Some("m1"), true),
            MarkerCheck::CookieMissing {
                marker: "m1".into()
            }
        );
        assert_eq!(check(None, None, true), MarkerCheck::Unmarked);
    }

    #[test]
    fn enrollment_tells_the_lab_the_lost_marker_only() {
        assert_eq!(previous_at_enrollment(Some("m1"), None), Some("m1".into()));
        assert_eq!(
            previous_at_enrollment(Some("m1"), Some("m2")),
            Some("m1".into())
        );
        assert_eq!(previous_at_enrollment(Some("m1"), Some("m1")), None);
        assert_eq!(previous_at_enrollment(None, Some("m1")), None);
        assert_eq!(previous_at_enrollment(None, None), None);
    }

    #[test]
    fn the_marker_is_read_from_among_other_cookies() {
        assert_eq!(
            marker_in_cookies("a=1; drawline_db=abc-123; b=2"),
            Some("abc-123".into())
        );
        assert_eq!(marker_in_cookies("drawline_db_other=x"), None);
        assert_eq!(marker_in_cookies("drawline_db="), None);
        assert_eq!(marker_in_cookies(""), None);
    }

    #[test]
    fn new_markers_are_random_uuids() {
        let (a, b) = (new_marker(), new_marker());
        assert_ne!(a, b);
        assert!(uuid::Uuid::parse_str(&a).is_ok());
    }
}
