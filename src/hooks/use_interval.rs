//! `use_interval`: runs a function at a fixed period while the calling screen is open.

use std::time::Duration;

use leptos::prelude::*;

/// Calls `tick` every `period` until the calling component is dropped, so a screen stays live
/// without a reload (which would lose its filters or scroll place).
pub fn use_interval(period: Duration, tick: impl Fn() + 'static) {
    let handle = set_interval_with_handle(tick, period).ok();
    on_cleanup(move || {
        if let Some(h) = handle {
            h.clear();
        }
    });
}
