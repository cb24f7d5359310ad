//! The sign-in attempt limit: failed sign-ins allowed per user on one device and across devices, and how long until the next try.

use chrono::{DateTime, Duration, Utc};

/// How many failed sign-ins a user may have within a sliding window.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SignInPolicy {
    /// Failures (and attempts being checked) allowed for one user name on one device.
    pub per_device: u32,
    /// Failures allowed for one user name across every device, so an attacker moving from
    /// tablet to tablet is stopped too.
    pub per_user: u32,
    /// How long a failure counts.
    pub window: Duration,
}

/// Whether a sign-in may check its PIN now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Gate {
    /// Under both limits: the PIN may be checked.
    Open,
    /// At a limit: no PIN is checked until the oldest failure that keeps it closed leaves the
    /// window.
    Closed {
        /// Whole seconds until then (at least 1).
        retry_after_secs: u64,
    },
}

impl SignInPolicy {
    /// The gate for a user name, from the instants of its counted attempts on this device
    /// (`on_device`) and on every device including this one (`on_any_device`). Instants outside
    /// the window are ignored, so the caller may pass more than the window holds.
    pub fn gate(
        &self,
        now: DateTime<Utc>,
        on_device: &[DateTime<Utc>],
        on_any_device: &[DateTime<Utc>],
    ) -> Gate {
        let waits = [
            self.wait(now, on_device, self.per_device),
            self.wait(now, on_any_device, self.per_user),
        ];
        match waits.into_iter().flatten().max() {
            None => Gate::Open,
            Some(retry_after_secs) => Gate::Closed { retry_after_secs },
        }
    }

    /// Seconds until fewer than `limit` of `times` are within the window, or `None` when they
    /// already are.
    fn wait(&self, now: DateTime<Utc>, times: &[DateTime<Utc>], limit: u32) -> Option<u64> {
        // A limit of 0 would lock everybody out for good; one attempt is the least allowed.
        let limit = limit.max(1) as usize;
        let since = now - self.window;
        let mut counted: Vec<DateTime<Utc>> =
            times.iter().copied().filter(|t| *t > since).collect();
        if counted.len() < limit {
            return None;
        }
        counted.sort_unstable();
        // The gate opens once `len - limit + 1` of them have left the window: the last of those
        // to leave is this one.
        let opener = counted[counted.len() - limit];
        let millis = (opener + self.window - now).num_milliseconds().max(0);
        Some(((millis as u64).div_ceil(1000)).max(1))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn policy() -> SignInPolicy {
        SignInPolicy {
            per_device: 3,
            per_user: 5,
            window: Duration::minutes(15),
        }
    }

    fn ago(now: DateTime<Utc>, secs: &[i64]) -> Vec<DateTime<Utc>> {
        secs.iter().map(|s| now - Duration::seconds(*s)).collect()
    }

    #[test]
    fn under_both_limits_the_gate_is_open() {
        let now = Utc::now();
        let device = ago(now, &[10, 20]);
        assert_eq!(policy().gate(now, &device, &device), Gate::Open);
    }

    #[test]
    fn at_the_device_limit_the_wait_ends_when_the_oldest_failure_leaves_the_window() {
        let now = Utc::now();
        let device = ago(now, &[10, 600, 300]);
        assert_eq!(
            policy().gate(now, &device, &device),
            Gate::Closed {
                retry_after_secs: 900 - 600
            }
        );
    }

    #[test]
    fn over_the_limit_the_wait_is_until_enough_failures_have_left() {
        let now = Utc::now();
        // Five on the device with a limit of three: the three oldest must leave.
        let device = ago(now, &[800, 700, 600, 100, 50]);
        assert_eq!(
            policy().gate(now, &device, &device),
            Gate::Closed {
                retry_after_secs: 900 - 600
            }
        );
    }

    #[test]
    fn failures_on_other_devices_close_the_gate_at_the_user_limit() {
        let now = Utc::now();
        let device = ago(now, &[30]);
        let everywhere = ago(now, &[30, 100, 200, 400, 500]);
        assert_eq!(
            policy().gate(now, &device, &everywhere),
            Gate::Closed {
                retry_after_secs: 900 - 500
            }
        );
    }

    #[test]
    fn failures_older_than_the_window_do_not_count() {
        let now = Utc::now();
        let device = ago(now, &[901, 1000, 5000, 10]);
        assert_eq!(policy().gate(now, &device, &device), Gate::Open);
    }

    #[test]
    fn the_wait_is_whole_seconds_rounded_up_and_never_zero() {
        let now = Utc::now();
        let device = vec![
            now - Duration::milliseconds(899_500),
            now - Duration::seconds(1),
            now,
        ];
        assert_eq!(
            policy().gate(now, &device, &device),
            Gate::Closed {
                retry_after_secs: 1
            }
        );
    }

    #[test]
    fn a_limit_of_zero_still_allows_one_attempt() {
        let now = Utc::now();
        let strict = SignInPolicy {
            per_device: 0,
            per_user: 0,
            window: Duration::minutes(1),
        };
        assert_eq!(strict.gate(now, &[], &[]), Gate::Open);
        let one = ago(now, &[20]);
        assert_eq!(
            strict.gate(now, &one, &one),
            Gate::Closed {
                retry_after_secs: 40
            }
        );
    }
}
