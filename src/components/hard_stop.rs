//! A full-screen stop for wrong-patient and wrong-tube situations: nothing else can be tapped.

use leptos::prelude::*;

/// Covers the screen with the reason and what was read; `children` are the ways out.
#[component]
pub fn HardStop(
    /// Headline, e.g. `WRONG PATIENT`.
    title: String,
    /// The explanation naming what did not match.
    message: String,
    /// Facts to compare, one line each (what was read against what was expected).
    details: Vec<String>,
    /// The buttons that leave the stop.
    children: Children,
) -> impl IntoView {
    view! {
        <div class="hard-stop" role="alertdialog" aria-modal="true" aria-labelledby="hard-stop-title" data-testid="hard-stop">
            <div class="hard-stop-body">
                <p class="hard-stop-icon" aria-hidden="true">"STOP"</p>
                <h1 id="hard-stop-title">{title}</h1>
                <p class="hard-stop-message" data-testid="hard-stop-message">{message}</p>
                <ul class="hard-stop-details">
                    {details.into_iter().map(|d| view! { <li>{d}</li> }).collect_view()}
                </ul>
                <div class="actions">{children()}</div>
            </div>
        </div>
    }
}
