//! `use_idle`: whether nobody has touched the tablet for a while, counting the time the page was hidden.

use std::time::Duration;

use leptos::prelude::*;

/// How often idleness is checked: the lock comes at most this late.
const CHECK_EVERY: Duration = Duration::from_secs(1);

/// What [`use_idle`] gives the caller.
pub struct UseIdleReturn<R: Fn() + Clone> {
    /// True once nobody touched the tablet for the limit; false again on activity or `reset`.
    pub idle: Signal<bool>,
    /// When the person last touched the tablet, in milliseconds since the epoch.
    pub last_active: Signal<f64>,
    /// Counts now as activity (after an unlock, say).
    pub reset: R,
}

/// Whether `now` is `after` milliseconds or more past the last activity.
pub fn is_idle(now_ms: f64, last_active_ms: f64, after_ms: u64) -> bool {
    now_ms - last_active_ms >= after_ms as f64
}

/// Tracks pointer, key, touch and scroll activity on the page; `idle` turns true when there was
/// none for `after` milliseconds. Time with the page hidden (screen off, another app) counts as
/// idle: it is checked the moment the page is shown again, before anyone can look at it.
pub fn use_idle(after: Signal<u64>) -> UseIdleReturn<impl Fn() + Clone> {
    let last_active = RwSignal::new(js_sys::Date::now());
    let idle = RwSignal::new(false);
    let touched = move || {
        last_active.set(js_sys::Date::now());
        if idle.get_untracked() {
            idle.set(false);
        }
    };
    let check = move || {
        let now = js_sys::Date::now();
        if !idle.get_untracked() && is_idle(now, last_active.get_untracked(), after.get_untracked())
        {
            idle.set(true);
        }
    };
    let mut handles = Vec::new();
    for name in [
        "pointerdown",
        "pointermove",
        "keydown",
        "touchstart",
        "wheel",
        "scroll",
    ] {
        // Listened to on the window: pointer, key and touch events bubble up from any field or
        // list (a touch scroll starts with a touch); `scroll` is the page's own.
        handles.push(window_event_listener_untyped(name, move |_| touched()));
    }
    handles.push(window_event_listener_untyped(
        "visibilitychange",
        move |_| check(),
    ));
    let timer = set_interval_with_handle(check, CHECK_EVERY).ok();
    on_cleanup(move || {
        for h in handles {
            h.remove();
        }
        if let Some(t) = timer {
            t.clear();
        }
    });
    UseIdleReturn {
        idle: idle.into(),
        last_active: last_active.into(),
        reset: move || {
            last_active.set(js_sys::Date::now());
            idle.set(false);
        },
    }
}

#[cfg(test)]
mod tests {
    use super::is_idle;

    #[test]
    fn idle_from_the_limit_on_and_not_a_moment_before() {
        assert!(!is_idle(10_000.0, 0.0, 60_000));
        assert!(!is_idle(59_999.0, 0.0, 60_000));
        assert!(is_idle(60_000.0, 0.0, 60_000));
        // Hours with the page hidden count in full.
        assert!(is_idle(3_600_000.0, 0.0, 300_000));
    }
}
