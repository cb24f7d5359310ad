//! A field for barcode scanners, which type like a keyboard and end with Enter.

use leptos::html::Input;
use leptos::prelude::*;

/// A labelled text input that hands over its text on Enter and clears itself for the next scan.
#[component]
pub fn ScanField(
    /// Visible label.
    label: &'static str,
    /// Help under the field.
    hint: &'static str,
    /// `data-testid` of the input.
    test_id: &'static str,
    /// Called with what was scanned or typed.
    on_scan: Callback<String>,
    /// Take the keyboard focus when shown, so a scanner can be used at once.
    #[prop(optional)]
    autofocus: bool,
    /// Hand over a blank scan too (Enter on an empty field), so the screen can say so.
    #[prop(optional)]
    report_blank: bool,
) -> impl IntoView {
    let input = NodeRef::<Input>::new();
    let field_id = format!("scan-{test_id}");
    let hint_id = format!("{field_id}-hint");
    if autofocus {
        Effect::new(move |_| {
            if let Some(el) = input.get() {
                let _ = el.focus();
            }
        });
    }
    let on_keydown = move |ev: leptos::ev::KeyboardEvent| {
        if ev.key() == "Enter" {
            ev.prevent_default();
            if let Some(el) = input.get() {
                let text = el.value();
                el.set_value("");
                if report_blank || !text.trim().is_empty() {
                    on_scan.run(text);
                }
            }
        }
    };
    view! {
        <div class="field">
            <label for=field_id.clone()>{label}</label>
            <input
                id=field_id
                class="scan-input"
                type="text"
                autocomplete="off"
                autocapitalize="off"
                spellcheck="false"
                enterkeyhint="go"
                aria-describedby=hint_id.clone()
                data-testid=test_id
                node_ref=input
                on:keydown=on_keydown
            />
            <p class="hint" id=hint_id>{hint}</p>
        </div>
    }
}
