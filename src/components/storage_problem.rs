//! A storage failure shown with what to do about it; nothing already saved is lost.

use leptos::prelude::*;

use crate::storage::StorageError;

/// The error and the advice for it, announced to screen readers.
#[component]
pub fn StorageProblem(
    /// What failed.
    error: StorageError,
) -> impl IntoView {
    view! {
        <section class="card problem" role="alert" data-testid="storage-error">
            <h2>"Drawline cannot save on this tablet"</h2>
            <p class="error">{error.to_string()}</p>
            <p>{error.advice()}</p>
        </section>
    }
}
