//! The frame of every supervisor screen: status bar, supervisor tabs and the role gate.

use leptos::prelude::*;
use leptos_router::components::Redirect;
use leptos_router::hooks::use_location;

use crate::components::dead_end::DeadEnd;
use crate::components::status_bar::StatusBar;
use crate::context::Auth;

/// Wraps a supervisor screen: collectors see why they cannot enter, never the data (the server
/// refuses them too).
#[component]
pub fn SupervisorFrame(
    /// The screen's content, shown only to supervisors.
    children: ChildrenFn,
) -> impl IntoView {
    let auth = Auth::expect();
    let location = use_location();
    let tab = move |href: &'static str, label: &'static str, test_id: &'static str| {
        let current = move || location.pathname.get().starts_with(href);
        view! {
            <a
                href=href
                class=move || if current() { "tab current" } else { "tab" }
                aria-current=move || current().then_some("page")
                data-testid=test_id
            >
                {label}
            </a>
        }
    };
    view! {
        {move || {
            auth.signed_out().then(|| view! { <Redirect path="/sign-in" /> })
        }}
        <StatusBar />
        <Show
            when=move || auth.is_supervisor()
            fallback=|| {
                view! {
                    <DeadEnd
                        test_id="supervisors-only"
                        title="Supervisors only"
                        message="Sign in as a supervisor to review devices and collections."
                        href="/draws"
                        link="Back to the draw list"
                        problem=true
                    />
                }
            }
        >
            <nav class="tabs" aria-label="Supervisor">
                {tab("/supervisor/devices", "Devices", "tab-devices")}
                {tab("/supervisor/queue", "Received collections", "tab-queue")}
                <a href="/draws" class="tab">"Draw list"</a>
            </nav>
            {children()}
        </Show>
    }
}
