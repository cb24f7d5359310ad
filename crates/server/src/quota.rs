//! Per-device push rate: at most so many pushes in a sliding window, the rest answered 429 with when to retry.
//!
//! Kept in memory: a restart forgets it, which only ever lets a device push sooner.

use std::collections::{HashMap, VecDeque};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use uuid::Uuid;

/// The pushes each device made in the current window.
#[derive(Debug, Default)]
pub struct PushRate {
    recent: Mutex<HashMap<Uuid, VecDeque<Instant>>>,
}

impl PushRate {
    /// Admits a push by `device` at `now` when it made fewer than `max` in the `window` before;
    /// otherwise the time until the oldest of them leaves the window (at least a second).
    pub fn admit(
        &self,
        device: Uuid,
        now: Instant,
        max: u32,
        window: Duration,
    ) -> Result<(), Duration> {
        let mut recent = self.recent.lock().unwrap_or_else(|p| p.into_inner());
        // Devices that went quiet are dropped, so the map holds only the active ones.
        if recent.len() > 64 {
            recent.retain(|_, times| {
                times
                    .back()
                    .is_some_and(|t| now.duration_since(*t) < window)
            });
        }
        let times = recent.entry(device).or_default();
        while times
            .front()
            .is_some_and(|t| now.duration_since(*t) >= window)
        {
            times.pop_front();
        }
        if times.len() >= max as usize {
            let oldest = times.front().copied().unwrap_or(now);
            let wait = window.saturating_sub(now.duration_since(oldest));
            return Err(wait.max(Duration::from_secs(1)));
        }
        times.push_back(now);
        Ok(())
    }
}

/// Whole seconds to wait, rounded up (a `Retry-After` header).
pub fn retry_after_secs(wait: Duration) -> u64 {
    wait.as_secs() + u64::from(wait.subsec_nanos() > 0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_device_gets_its_pushes_per_window_and_then_waits_for_the_oldest_to_leave_it() {
        let rate = PushRate::default();
        let (a, b) = (Uuid::new_v4(), Uuid::new_v4());
        let t0 = Instant::now();
        let window = Duration::from_secs(60);
        assert_eq!(rate.admit(a, t0, 2, window), Ok(()));
        assert_eq!(
            rate.admit(a, t0 + Duration::from_secs(10), 2, window),
            Ok(())
        );
        let wait = rate
            .admit(a, t0 + Duration::from_secs(20), 2, window)
            .unwrap_err();
        assert_eq!(wait, Duration::from_secs(40));
        // Another device is not held back by the first.
        assert_eq!(
            rate.admit(b, t0 + Duration::from_secs(20), 2, window),
            Ok(())
        );
        assert_eq!(
            rate.admit(a, t0 + Duration::from_secs(60), 2, window),
            Ok(())
        );
    }

    #[test]
    fn a_refused_push_does_not_count_and_the_wait_is_rounded_up_to_a_second() {
        let rate = PushRate::default();
        let a = Uuid::new_v4();
        let t0 = Instant::now();
        let window = Duration::from_millis(1500);
        assert_eq!(rate.admit(a, t0, 1, window), Ok(()));
        for _ in 0..5 {
            assert!(rate.admit(a, t0, 1, window).is_err());
        }
        assert_eq!(rate.admit(a, t0 + window, 1, window), Ok(()));
        assert_eq!(retry_after_secs(Duration::from_millis(1500)), 2);
        assert_eq!(retry_after_secs(Duration::from_secs(3)), 3);
    }
}
