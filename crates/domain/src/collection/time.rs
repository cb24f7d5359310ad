//! Device time: an instant in UTC with the device clock's offset, and how far ahead of `now` it may be.

use chrono::{DateTime, FixedOffset, NaiveTime, Offset, TimeZone, Utc};
use serde::{Deserialize, Serialize};

/// How far a collection time may stray past the device's `now` or before an order was placed,
/// for clocks read a moment apart and the drift between a tablet's clock and the lab's.
pub const FUTURE_TOLERANCE_SECONDS: i64 = 120;

/// An instant in UTC with the offset the device clock showed, so local time can be reprinted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct DeviceTime {
    /// The instant.
    pub utc: DateTime<Utc>,
    /// The device's UTC offset at that instant, in minutes east of UTC.
    pub offset_minutes: i32,
}

impl DeviceTime {
    /// From a device-local timestamp.
    pub fn from_local(local: DateTime<FixedOffset>) -> Self {
        Self {
            utc: local.with_timezone(&Utc),
            offset_minutes: local.offset().fix().local_minus_utc() / 60,
        }
    }

    /// From a UTC instant and an offset in minutes; an impossible offset counts as UTC.
    pub fn new(utc: DateTime<Utc>, offset_minutes: i32) -> Self {
        let offset_minutes = if FixedOffset::east_opt(offset_minutes * 60).is_some() {
            offset_minutes
        } else {
            0
        };
        Self {
            utc,
            offset_minutes,
        }
    }

    /// The instant in the device's local time.
    pub fn local(&self) -> DateTime<FixedOffset> {
        let offset = FixedOffset::east_opt(self.offset_minutes * 60).unwrap_or(Utc.fix());
        self.utc.with_timezone(&offset)
    }
}

impl DeviceTime {
    /// This instant's local day at the time of day a person typed (`HH:MM` or `HH:MM:SS`,
    /// 24-hour, `H:MM` too), in the same UTC offset: how a collector corrects a draw time.
    /// `None` when the text is not a time of day.
    pub fn at_local_time(&self, typed: &str) -> Option<DeviceTime> {
        let typed = typed.trim();
        let time = NaiveTime::parse_from_str(typed, "%H:%M:%S")
            .or_else(|_| NaiveTime::parse_from_str(typed, "%H:%M"))
            .ok()?;
        let local = self.local();
        let naive = local.date_naive().and_time(time);
        let at = local.offset().from_local_datetime(&naive).single()?;
        Some(Self::from_local(at))
    }
}

/// A typed time as an error message shows it: what was read, but never a whole mistaken scan
/// echoed back (control characters dropped, cut at 20 characters).
pub(super) fn shown_typed(typed: &str) -> String {
    let mut shown: String = typed
        .trim()
        .chars()
        .filter(|c| !c.is_control())
        .take(20)
        .collect();
    if typed.trim().chars().count() > 20 {
        shown.push('…');
    }
    shown
}
