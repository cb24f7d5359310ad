//! `ErrorNote`: the one way a screen shows an error; a storage failure comes with its advice.

use leptos::prelude::*;

use crate::error::AppError;

/// Shows `error` where it happened, announced to screen readers; nothing while it is `None`.
/// A storage failure is a card saying what to do (nothing already saved is lost); any other
/// error is one line of text.
#[component]
pub fn ErrorNote(
    /// What went wrong: a fixed error, or a signal of the latest one.
    #[prop(into)]
    error: Signal<Option<AppError>>,
    /// `data-testid` of the line (a storage problem is always `storage-error`).
    #[prop(optional)]
    test_id: Option<&'static str>,
) -> impl IntoView {
    move || {
        error.get().map(|e| match e {
            AppError::Storage(e) => view! {
                <section class="card problem" role="alert" data-testid="storage-error">
                    <h2>"Drawline cannot save on this tablet"</h2>
                    <p class="error">{e.to_string()}</p>
                    <p>{e.advice()}</p>
                </section>
            }
            .into_any(),
            other => view! {
                <p class="error" role="alert" data-testid=test_id>
                    {other.to_string()}
                </p>
            }
            .into_any(),
        })
    }
}

/// The error of an action's latest run, for an `ErrorNote`.
pub fn failure_of<I, O>(action: Action<I, Result<O, AppError>>) -> Signal<Option<AppError>>
where
    I: Send + Sync + 'static,
    O: Clone + Send + Sync + 'static,
{
    Signal::derive(move || action.value().get().and_then(Result::err))
}
