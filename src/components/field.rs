//! Form pieces: `Field` labels any control, `TextField` and `SelectField` follow a signal, `RequestForm`.

use leptos::html::Input;
use leptos::prelude::*;

use crate::components::error_note::{failure_of, ErrorNote};
use crate::error::AppError;

/// A control with its visible label above it.
#[component]
pub fn Field(
    /// Visible label.
    label: &'static str,
    /// `id` of the control the label names.
    id: &'static str,
    /// The control.
    children: Children,
) -> impl IntoView {
    view! {
        <div class="field">
            <label for=id>{label}</label>
            {children()}
        </div>
    }
}

/// A labelled text input whose text is `value`.
#[component]
pub fn TextField(
    /// Visible label.
    label: &'static str,
    /// `id` of the input, also its `data-testid`.
    id: &'static str,
    /// The text, written as the collector types.
    value: RwSignal<String>,
    /// Input type: `text` unless given (`password`, `search`, `date`).
    #[prop(default = "text")]
    kind: &'static str,
    /// The browser's `autocomplete` hint: `off` unless given.
    #[prop(default = "off")]
    autocomplete: &'static str,
    /// The `autocapitalize` hint, if any.
    #[prop(optional)]
    autocapitalize: Option<&'static str>,
    /// The on-screen keyboard (`inputmode`, e.g. `numeric`), if any.
    #[prop(optional)]
    inputmode: Option<&'static str>,
    /// Placeholder text, if any.
    #[prop(optional)]
    placeholder: Option<&'static str>,
    /// CSS class of the input, if any.
    #[prop(optional)]
    class: Option<&'static str>,
    /// No spell checking: for names, codes and identifiers.
    #[prop(optional)]
    no_spellcheck: bool,
    /// Write `value` only when the field is committed (Enter, or leaving it), for fields whose
    /// every change starts a request.
    #[prop(optional)]
    on_commit: bool,
    /// The input element, e.g. to focus it.
    #[prop(optional)]
    node_ref: NodeRef<Input>,
) -> impl IntoView {
    view! {
        <Field label=label id=id>
            <input
                id=id
                class=class
                type=kind
                autocomplete=autocomplete
                autocapitalize=autocapitalize
                inputmode=inputmode
                placeholder=placeholder
                spellcheck=no_spellcheck.then_some("false")
                data-testid=id
                node_ref=node_ref
                prop:value=move || value.get()
                on:input=move |ev| {
                    if !on_commit {
                        value.set(event_target_value(&ev));
                    }
                }
                on:change=move |ev| {
                    if on_commit {
                        value.set(event_target_value(&ev));
                    }
                }
            />
        </Field>
    }
}

/// A labelled choice of fixed options whose chosen value is `value`.
#[component]
pub fn SelectField(
    /// Visible label.
    label: &'static str,
    /// `id` of the select, also its `data-testid`.
    id: &'static str,
    /// The chosen option's value.
    value: RwSignal<String>,
    /// `(value, text)` of each option.
    options: &'static [(&'static str, &'static str)],
) -> impl IntoView {
    let options = options
        .iter()
        .map(|(v, text)| view! { <option value=*v selected=move || value.get() == *v>{*text}</option> })
        .collect_view();
    view! {
        <Field label=label id=id>
            <select
                id=id
                data-testid=id
                on:change=move |ev| value.set(event_target_value(&ev))
                prop:value=move || value.get()
            >
                {options}
            </select>
        </Field>
    }
}

/// A form that sends one request: its fields, a submit button that says so and waits while the
/// request is in flight, and the request's error under it.
#[component]
pub fn RequestForm<I, O, F>(
    /// Starts the request from the form's fields (the default submit is already prevented).
    on_submit: F,
    /// The request, whose progress and error the form shows.
    action: Action<I, Result<O, AppError>>,
    /// `data-testid` of the submit button.
    submit_test_id: &'static str,
    /// The button's words.
    label: &'static str,
    /// Its words while the request is in flight, e.g. "Signing in…".
    pending_label: &'static str,
    /// `data-testid` of the error line.
    error_test_id: &'static str,
    /// The fields.
    children: Children,
    /// The error shown under the form, when not the action's own (e.g. a page that shows some
    /// errors its own way).
    #[prop(optional, into)]
    error: Option<Signal<Option<AppError>>>,
) -> impl IntoView
where
    I: Send + Sync + 'static,
    O: Clone + Send + Sync + 'static,
    F: Fn() + 'static,
{
    let pending = action.pending();
    view! {
        <form on:submit=move |ev| {
            ev.prevent_default();
            on_submit();
        }>
            {children()}
            <button class="button primary wide" type="submit" data-testid=submit_test_id disabled=move || pending.get()>
                {move || if pending.get() { pending_label } else { label }}
            </button>
        </form>
        <ErrorNote error=error.unwrap_or_else(|| failure_of(action)) test_id=error_test_id />
    }
}
