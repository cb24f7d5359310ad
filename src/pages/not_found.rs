//! Shown for an address the app does not know.

use leptos::prelude::*;

use crate::components::dead_end::DeadEnd;

/// A route that does not exist.
#[component]
pub fn NotFound() -> impl IntoView {
    view! {
        <DeadEnd
            test_id="not-found"
            title="Page not found"
            message="This screen does not exist. Nothing was lost."
            href="/"
            link="Back to start"
        />
    }
}
