//! Shown for an address the app does not know.

use leptos::prelude::*;

/// A route that does not exist.
#[component]
pub fn NotFound() -> impl IntoView {
    view! {
        <section class="card" data-testid="not-found">
            <h1>"Page not found"</h1>
            <p>"This screen does not exist. Nothing was lost."</p>
            <a class="button primary" href="/">"Back to start"</a>
        </section>
    }
}
