//! `NextStep`: the button that saves a collection at the next step and opens that step.

use leptos::prelude::*;

use crate::hooks::use_collection::CollectionHandle;
use crate::workflow::{DraftData, Step};

/// Saves `data` at `step`, then opens it; waits while a save is in flight or until `ready`.
#[component]
pub fn NextStep(
    /// The collection being edited.
    handle: CollectionHandle,
    /// The draft as shown.
    data: DraftData,
    /// The step it goes to.
    step: Step,
    /// Whether this step's work allows moving on.
    ready: bool,
    /// `data-testid` of the button.
    test_id: &'static str,
    /// The button's words.
    children: Children,
) -> impl IntoView {
    view! {
        <button
            class="button primary wide"
            data-testid=test_id
            disabled=move || !ready || handle.busy()
            on:click=move |_| handle.commit_and_go(data.clone(), step)
        >
            {children()}
        </button>
    }
}
