//! The start address: sends the collector to the first screen that applies.

use leptos::prelude::*;
use leptos_router::components::Redirect;

use crate::components::error_note::ErrorNote;
use crate::components::status_bar::StatusBar;
use crate::context::Auth;
use crate::error::AppError;

/// Chooses the first screen once the device's settings are read (enroll the device, sign in, or
/// where the signed-in user starts), or shows why the device database cannot open.
#[component]
pub fn Home() -> impl IntoView {
    let auth = Auth::expect();
    move || {
        if !auth.loaded.get() {
            // The localStorage hints choose the sign-in screen at once on an enrolled tablet
            // nobody is signed in on; that screen sends to enrollment if IndexedDB says otherwise.
            let hints = auth.hints.get_value();
            if hints.enrolled && !hints.signed_in {
                return view! { <Redirect path="/sign-in" /> }.into_any();
            }
            return view! { <p class="muted">"Starting…"</p> }.into_any();
        }
        if let Some(e) = auth.error.get() {
            return view! {
                <StatusBar />
                <ErrorNote error=AppError::from(e) />
            }
            .into_any();
        }
        if auth.session_locked.get() {
            // Under the lock screen: the start screen is chosen once the session is unlocked.
            return view! { <p class="muted">"Locked"</p> }.into_any();
        }
        let to = if auth.device.get().is_none() {
            "/enroll"
        } else if auth.session.get().is_none() {
            "/sign-in"
        } else {
            auth.start_path()
        };
        view! { <Redirect path=to /> }.into_any()
    }
}
