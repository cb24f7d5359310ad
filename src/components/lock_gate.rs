//! `LockGate`: the app under a cover when the tablet is locked or revoked, kept mounted and untouchable.

use drawline_domain::safety::AutoLock;
use leptos::prelude::*;
use leptos_router::hooks::use_location;

use crate::components::lock_screen::LockScreen;
use crate::components::revoked_screen::RevokedScreen;
use crate::context::{Auth, DeviceDb, Lock, Revoked};
use crate::hooks::use_idle::{use_idle, UseIdleReturn};
use crate::storage::keys::{TypedRecords, SITE};

/// The one screen reachable under the cover: the emergency hand-over needs no key.
pub const UNCOVERED_PATH: &str = "/handover";

/// Whether the app starts locked: someone is signed in (a session is stored) but the data key
/// is not in memory, as after a reload. The one place this is decided.
pub fn starts_locked(signed_in: bool, vault_open: bool) -> bool {
    signed_in && !vault_open
}

/// The element with the keyboard focus, if it is one that can take it back.
fn active_element() -> Option<web_sys::HtmlElement> {
    use wasm_bindgen::JsCast;
    web_sys::window()?
        .document()?
        .active_element()?
        .dyn_into()
        .ok()
}

/// What covers the app.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Cover {
    /// Nothing: the app is in use.
    None,
    /// The PIN screen.
    Lock,
    /// The lab revoked the tablet.
    Revoked,
}

/// What covers the app on `path`: revocation before the lock; nothing on the hand-over screen.
pub fn cover_for(path: &str, locked: bool, revoked: bool) -> Cover {
    if path == UNCOVERED_PATH {
        Cover::None
    } else if revoked {
        Cover::Revoked
    } else if locked {
        Cover::Lock
    } else {
        Cover::None
    }
}

/// Wraps the whole app (`children`). While locked or revoked a full-screen cover lies over it
/// and the app underneath stays mounted (a half-typed field stays as it was) but is `inert`,
/// hidden from assistive technology and not painted. Locks at start when the data key is not
/// in memory, and when nobody touched the tablet for the site's `auto_lock` time.
#[component]
pub fn LockGate(
    /// The app.
    children: ChildrenFn,
) -> impl IntoView {
    let lock = Lock::expect();
    let Revoked(revoked) = Revoked::expect();
    let auth = Auth::expect();
    let db = DeviceDb::expect();
    let location = use_location();

    // Once, when the stored session is known.
    let decided = StoredValue::new(false);
    Effect::new(move |_| {
        if auth.loaded.get() && !decided.get_value() {
            decided.set_value(true);
            let signed_in =
                auth.session.get_untracked().is_some() || auth.session_locked.get_untracked();
            if starts_locked(signed_in, lock.vault.with_value(|v| v.is_open())) {
                lock.locked.set(true);
            }
        }
    });

    // The site's idle limit, read again whenever someone signs in or unlocks (a new site
    // configuration comes with the round downloaded at sign-in).
    let after_ms = LocalResource::new(move || {
        auth.session.track();
        lock.locked.track();
        async move {
            let store = db.0.await.ok()?;
            let site = store.read(SITE).await.ok()??;
            Some(site.safety().auto_lock.after_ms())
        }
    });
    let after = Signal::derive(move || {
        after_ms
            .get()
            .flatten()
            .unwrap_or_else(|| AutoLock::default().after_ms())
    });
    let UseIdleReturn { idle, reset, .. } = use_idle(after);
    // The field a collector was typing in (or a scanner typing into) gets the focus back on
    // unlock; the cover takes it away, as the app under it turns inert.
    let focused = StoredValue::new_local(None::<web_sys::HtmlElement>);
    Effect::new(move |_| {
        if idle.get() && auth.session.get_untracked().is_some() && !lock.locked.get_untracked() {
            focused.set_value(active_element());
            lock.locked.set(true);
        }
    });
    // Unlocking is activity: the idle clock starts again.
    Effect::new(move |was_locked: Option<bool>| {
        let locked = lock.locked.get();
        if was_locked == Some(true) && !locked {
            reset();
            if let Some(el) = focused.get_value().filter(|el| el.is_connected()) {
                let _ = el.focus();
            }
            focused.set_value(None);
        }
        locked
    });

    let cover =
        Memo::new(move |_| cover_for(&location.pathname.get(), lock.locked.get(), revoked.get()));
    let covered = move || cover.get() != Cover::None;
    view! {
        <div
            class=move || if covered() { "app-shell covered" } else { "app-shell" }
            inert=covered
            aria-hidden=move || covered().then_some("true")
            data-testid="app-shell"
        >
            // Started locked (a page load): nothing is on screen yet to keep, and every screen
            // reads its data afresh once the session is unlocked. The hand-over needs no key.
            <Show when=move || {
                !auth.session_locked.get() || location.pathname.get() == UNCOVERED_PATH
            }>{children()}</Show>
        </div>
        {move || match cover.get() {
            Cover::None => ().into_any(),
            Cover::Lock => view! { <LockScreen /> }.into_any(),
            Cover::Revoked => view! { <RevokedScreen /> }.into_any(),
        }}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_stored_session_without_the_key_in_memory_starts_locked() {
        assert!(starts_locked(true, false));
        assert!(!starts_locked(true, true));
        assert!(!starts_locked(false, false));
    }

    #[test]
    fn revocation_covers_before_the_lock_and_the_hand_over_stays_open() {
        assert_eq!(cover_for("/collect/x/tubes", true, false), Cover::Lock);
        assert_eq!(cover_for("/draws", true, true), Cover::Revoked);
        assert_eq!(cover_for("/draws", false, true), Cover::Revoked);
        assert_eq!(cover_for("/draws", false, false), Cover::None);
        assert_eq!(cover_for(UNCOVERED_PATH, true, true), Cover::None);
    }
}
