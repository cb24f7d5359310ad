//! The frame of every supervisor screen: the status bar, the supervisor tabs, and the role gate
//! (collectors see why they cannot enter, never the data; the server refuses them too).

use leptos::prelude::*;
use leptos_router::components::Redirect;
use leptos_router::hooks::use_location;

use crate::components::status_bar::StatusBar;
use crate::context::Auth;

/// Wraps a supervisor screen.
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
            (auth.loaded.get() && auth.session.get().is_none())
                .then(|| view! { <Redirect path="/sign-in" /> })
        }}
        <StatusBar />
        <Show
            when=move || auth.is_supervisor()
            fallback=|| {
                view! {
                    <section class="card problem" data-testid="supervisors-only">
                        <h1>"Supervisors only"</h1>
                        <p>"Sign in as a supervisor to review devices and collections."</p>
                        <a class="button" href="/draws">"Back to the draw list"</a>
                    </section>
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

/// "12 min ago", "3 h 5 min ago", "2 d ago" from a number of seconds.
pub fn age_text(seconds: i64) -> String {
    let s = seconds.max(0);
    let (d, h, m) = (s / 86_400, (s % 86_400) / 3600, (s % 3600) / 60);
    if d > 0 {
        format!("{d} d {h} h")
    } else if h > 0 {
        format!("{h} h {m} min")
    } else if m > 0 {
        format!("{m} min")
    } else {
        format!("{s} s")
    }
}

/// Local wall-clock time of an instant, for people: "23 Nov 14:05".
pub fn when(t: &chrono::DateTime<chrono::Utc>) -> String {
    t.with_timezone(&chrono::Local)
        .format("%d %b %H:%M")
        .to_string()
}

/// Re-runs `refresh` every `seconds` while the screen is open: the views stay live without the
/// supervisor reloading (and losing filters or scroll place).
pub fn poll_every(seconds: u64, refresh: impl Fn() + 'static) {
    let handle = set_interval_with_handle(refresh, std::time::Duration::from_secs(seconds)).ok();
    on_cleanup(move || {
        if let Some(h) = handle {
            h.clear();
        }
    });
}

#[cfg(test)]
mod tests {
    use super::age_text;

    #[test]
    fn ages_read_in_the_largest_useful_units() {
        assert_eq!(age_text(42), "42 s");
        assert_eq!(age_text(125), "2 min");
        assert_eq!(age_text(3 * 3600 + 5 * 60), "3 h 5 min");
        assert_eq!(age_text(2 * 86_400 + 3600), "2 d 1 h");
        assert_eq!(age_text(-5), "0 s");
    }
}
