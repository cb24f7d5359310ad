//! Warnings about load at most once a second, so a flood of refusals does not flood the logs too.

use std::sync::atomic::{AtomicU64, Ordering};

/// The second (since the Unix epoch) of the last warning allowed.
static LAST: AtomicU64 = AtomicU64::new(0);

/// True for the first call in each second, false for the others.
pub fn now_and_then() -> bool {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0);
    first_in(&LAST, now)
}

/// True when `now` is a later second than the last one allowed (which it then becomes).
fn first_in(last: &AtomicU64, now: u64) -> bool {
    last.fetch_max(now, Ordering::Relaxed) < now
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_first_warning_of_each_second_is_allowed() {
        let last = AtomicU64::new(0);
        assert!(first_in(&last, 100));
        assert!(!first_in(&last, 100));
        assert!(!first_in(&last, 99));
        assert!(first_in(&last, 101));
    }
}
