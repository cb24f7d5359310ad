//! Supervisor review rules: what a received record says, and how much a device is at risk.
//!
//! Flags and the readable view of a record come from here; its facts from `store::facts`.

use std::collections::HashMap;

use chrono::{DateTime, Duration, Utc};
use drawline_domain::collection::{Event, HardStopKind, Scope};
use drawline_domain::{label_for, FinalizedCollection, SecondIdentifier, WristbandError};
use serde_json::Value;

use crate::api::{
    risk_codes, DeviceOverview, DeviceStatus, ExceptionView, IdentificationAttemptView, OrderRef,
    PatientSummary, PersonRef, QueueFlags, RecordView, ReviewThresholds, RiskLevel, RiskReason,
    TubeView, WindowOverrideView,
};
use crate::config;
use crate::store::facts::{collected_at, RecordFacts};
use crate::store::DeviceActivity;

/// Thresholds of the supervisor's views (server configuration).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ReviewSettings {
    /// A device not heard from for longer than this is stale.
    pub stale_device: Duration,
    /// Unsynced work older than this is a warning.
    pub unsynced_warning: Duration,
    /// Unsynced work older than this is critical.
    pub unsynced_critical: Duration,
    /// A collection received longer than this after it was drawn is flagged `synced_late`.
    pub late_sync: Duration,
}

impl Default for ReviewSettings {
    fn default() -> Self {
        let minutes = |m: u32| Duration::minutes(i64::from(m));
        Self {
            stale_device: minutes(config::DEFAULT_STALE_DEVICE_MINUTES),
            unsynced_warning: minutes(config::DEFAULT_UNSYNCED_WARNING_MINUTES),
            unsynced_critical: minutes(config::DEFAULT_UNSYNCED_CRITICAL_MINUTES),
            late_sync: minutes(config::DEFAULT_LATE_SYNC_MINUTES),
        }
    }
}

impl ReviewSettings {
    /// The thresholds as the API reports them.
    pub fn thresholds(&self, skew_threshold: Duration) -> ReviewThresholds {
        let minutes = |d: Duration| u32::try_from(d.num_minutes().max(0)).unwrap_or(u32::MAX);
        ReviewThresholds {
            stale_device_minutes: minutes(self.stale_device),
            unsynced_warning_minutes: minutes(self.unsynced_warning),
            unsynced_critical_minutes: minutes(self.unsynced_critical),
            late_sync_minutes: minutes(self.late_sync),
            skew_threshold_minutes: minutes(skew_threshold),
        }
    }
}

/// The queue flags of a record version.
pub fn flags(
    facts: Option<&RecordFacts>,
    version: u32,
    clock_skew_seconds: i64,
    received_at: DateTime<Utc>,
    skew_threshold: Duration,
    late_sync: Duration,
) -> QueueFlags {
    QueueFlags {
        clock_skew: clock_skew_seconds.abs() > skew_threshold.num_seconds(),
        synced_late: facts
            .and_then(|f| f.collected_at)
            .is_some_and(|at| received_at - at > late_sync),
        outside_window: facts.is_some_and(|f| f.outside_window),
        exception: facts.is_some_and(|f| !f.exceptions.is_empty()),
        manual_identification: facts.is_some_and(|f| f.manual_identification),
        corrected: version > 1,
        identification_mismatch: facts.is_some_and(|f| f.wrong_patient_stops > 0),
        voided: facts.is_some_and(|f| f.voided),
        // A stored version never is: the lab refuses wrong blood in tube, so only a refused
        // push attempt carries this flag (the queue reads it from the refusal's code).
        wrong_blood_in_tube: false,
        // A hold is the lab's state, not the record's: the queue reads it from `held_versions`.
        off_round: false,
    }
}

/// A recorded collector id, with the user's name when it is a user of this lab.
pub fn person(id: &str, names: &HashMap<String, String>) -> PersonRef {
    PersonRef {
        id: id.to_owned(),
        name: names.get(id).cloned(),
    }
}

/// The identification steps of a record, oldest first: attempts (refused or not), hard stops
/// and their acknowledgements, refused wristband scans and the second wristband scan.
pub fn identification_attempts(
    c: &drawline_domain::Collection,
    names: &HashMap<String, String>,
) -> Vec<IdentificationAttemptView> {
    c.history()
        .iter()
        .filter_map(|e| {
            let what = match &e.event {
                Event::Identified { identification } => {
                    format!("identified by {}", identification.method.display())
                }
                Event::IdentificationFailed { error } => error.to_string(),
                Event::WristbandScanRefused {
                    error: WristbandError::Empty,
                    ..
                } => "wristband field: a blank scan, nothing read".into(),
                Event::WristbandScanRefused { read, error } => {
                    format!("wristband field: read \u{201c}{read}\u{201d}, refused: {error}")
                }
                Event::WristbandRescanned => "second wristband scan: same patient".into(),
                Event::WristbandRescanFailed { error } => {
                    format!("second wristband scan: {error}")
                }
                Event::HardStopAcknowledged {
                    stop: HardStopKind::WrongPatient,
                } => "wrong-patient stop acknowledged".into(),
                _ => return None,
            };
            Some(IdentificationAttemptView {
                at: e.at.local(),
                by: person(e.by.as_str(), names),
                what,
                hard_stop: e.event.hard_stop() == Some(HardStopKind::WrongPatient),
            })
        })
        .collect()
}

/// A finalized record, read for a supervisor: tube by tube, with labels and exceptions.
pub fn record_view(f: &FinalizedCollection, names: &HashMap<String, String>) -> RecordView {
    let c = f.record();
    let identity = &c.patient().identity;
    let tubes = c
        .tubes()
        .iter()
        .map(|t| TubeView {
            index: t.index,
            container: t.tube.container_name.clone(),
            cap: t.tube.cap.clone(),
            additive: t.tube.additive.clone(),
            tests: t.tube.tests.iter().map(ToString::to_string).collect(),
            discard: t.tube.discard,
            drawn_at: t.drawn.as_ref().map(|d| d.at.local()),
            drawn_by: t.drawn.as_ref().map(|d| person(d.by.as_str(), names)),
            accession: t.accession.as_ref().map(ToString::to_string),
            labelled_at: t.labelled_at.map(|at| at.local()),
            window_override: t.window_override.as_ref().map(|w| WindowOverrideView {
                reason: w.reason.clone(),
                target: w.target,
                window_minutes: w.window_minutes,
                minutes_from_target: w.minutes_from_target,
                summary: w.summary(),
            }),
            label: label_for(c, t.index, SecondIdentifier::default()).ok(),
            orders: t.tube.orders.iter().map(ToString::to_string).collect(),
            body_site: t
                .drawn
                .as_ref()
                .and_then(|d| d.body_site)
                .map(|s| s.display().to_owned()),
            venipuncture: t.drawn.as_ref().and_then(|d| d.venipuncture),
            culture_set: t.tube.set,
        })
        .collect();
    let exceptions = c
        .not_collected()
        .iter()
        .map(|n| ExceptionView {
            scope: match &n.scope {
                Scope::Test(code) => code.to_string(),
                Scope::Order(order) => format!("order {order}"),
                Scope::Visit => "visit".into(),
            },
            reason: n.reason.code().to_owned(),
            reason_text: n.reason.display().to_owned(),
            note: n.note.clone(),
            at: n.at.local(),
            by: person(n.by.as_str(), names),
        })
        .collect();
    let text = |v: Value| v.as_str().map(str::to_owned);
    RecordView {
        patient: PatientSummary {
            id: c.patient().id.to_string(),
            mrn: identity.mrn.to_string(),
            name: identity.name.display_full(),
        },
        collector: person(c.started_by().as_str(), names),
        orders: c
            .orders()
            .iter()
            .map(|o| OrderRef {
                id: o.id.to_string(),
                test: o.test.to_string(),
                priority: o.priority.code().to_owned(),
                due_at: o.due_at,
            })
            .collect(),
        started_at: c.started_at().local(),
        finalized_at: c.finalized_at().map(|t| t.local()),
        identification_method: c
            .identification()
            .and_then(|i| serde_json::to_value(i.method).ok().and_then(text)),
        identifiers: c
            .identification()
            .map(|i| {
                i.matched
                    .iter()
                    .filter_map(|m| serde_json::to_value(m.kind).ok().and_then(text))
                    .collect()
            })
            .unwrap_or_default(),
        fasting: c
            .fasting()
            .and_then(|s| serde_json::to_value(s).ok().and_then(text)),
        collected_at: collected_at(c),
        tubes,
        attempts: c.attempts(),
        failed_attempts: c.failed_attempts(),
        exceptions,
        wrong_patient_stops: c.hard_stops(HardStopKind::WrongPatient),
        wrong_patient_before_draw: c.wrong_patient_before_draw(),
        identification_attempts: identification_attempts(c, names),
        history: c.history().to_vec(),
    }
}

/// `2 h 5 min`, `12 min`, `40 s`: how long, for a reason message.
pub fn human_duration(seconds: i64) -> String {
    let s = seconds.max(0);
    match s {
        0..=59 => format!("{s} s"),
        60..=3599 => format!("{} min", s / 60),
        3600..=172_799 => match (s % 3600) / 60 {
            0 => format!("{} h", s / 3600),
            m => format!("{} h {m} min", s / 3600),
        },
        _ => format!("{} days", s / 86_400),
    }
}

fn reason(code: &str, level: RiskLevel, message: String) -> RiskReason {
    RiskReason {
        code: code.to_owned(),
        level,
        message,
    }
}

/// A device's risk level and reasons at `now`.
pub fn assess(
    a: &DeviceActivity,
    settings: &ReviewSettings,
    skew_threshold: Duration,
    now: DateTime<Utc>,
) -> DeviceOverview {
    let d = &a.device;
    let hb = d.last_heartbeat.as_ref();
    let queue = hb.map_or(0, |h| h.heartbeat.queue_length);
    let reported_oldest = hb.and_then(|h| h.heartbeat.oldest_unsynced_seconds);
    // The work kept waiting after the device last reported it.
    let oldest_now = match (hb, reported_oldest) {
        (Some(h), Some(s)) if queue > 0 => {
            let since = (now - h.received_at).num_seconds().max(0);
            Some(s.saturating_add(since.unsigned_abs()))
        }
        _ => None,
    };
    let last_contact = match (d.last_seen_at, hb.map(|h| h.received_at)) {
        (Some(a), Some(b)) => Some(a.max(b)),
        (a, b) => a.or(b),
    };
    let mut reasons = Vec::new();
    match d.status {
        DeviceStatus::Revoked => reasons.push(reason(
            risk_codes::REVOKED,
            RiskLevel::Inactive,
            "revoked: its token no longer works".into(),
        )),
        DeviceStatus::Pending => reasons.push(reason(
            risk_codes::PENDING,
            RiskLevel::Inactive,
            "registered; its enrollment code has not been used".into(),
        )),
        DeviceStatus::Enrolled => {
            let silent = last_contact.map(|t| (now - t).num_seconds().max(0));
            let stale = silent.is_some_and(|s| s > settings.stale_device.num_seconds());
            let age = |s: u64| human_duration(i64::try_from(s).unwrap_or(i64::MAX));
            if queue > 0 && stale {
                reasons.push(reason(
                    risk_codes::STALE_WITH_UNSYNCED,
                    RiskLevel::Critical,
                    format!(
                        "{queue} unsynced record(s) on a device not heard from for {}",
                        human_duration(silent.unwrap_or(0))
                    ),
                ));
            }
            if let Some(oldest) = oldest_now {
                let secs = i64::try_from(oldest).unwrap_or(i64::MAX);
                if secs > settings.unsynced_critical.num_seconds() {
                    reasons.push(reason(
                        risk_codes::UNSYNCED_CRITICAL,
                        RiskLevel::Critical,
                        format!("oldest unsynced record waiting {}", age(oldest)),
                    ));
                } else if secs > settings.unsynced_warning.num_seconds() {
                    reasons.push(reason(
                        risk_codes::UNSYNCED_WARNING,
                        RiskLevel::Warning,
                        format!("oldest unsynced record waiting {}", age(oldest)),
                    ));
                }
            }
            if a.quarantined > 0 {
                reasons.push(reason(
                    risk_codes::QUARANTINED,
                    RiskLevel::Warning,
                    format!(
                        "{} record(s) rejected or in conflict, quarantined on the device",
                        a.quarantined
                    ),
                ));
            }
            if let Some(e) = hb.and_then(|h| h.heartbeat.last_error.as_deref()) {
                let short: String = e.chars().take(200).collect();
                reasons.push(reason(
                    risk_codes::LAST_ERROR,
                    RiskLevel::Warning,
                    format!("last sync error: {short}"),
                ));
            }
            if let Some(skew) = a
                .clock_skew_seconds
                .filter(|s| s.abs() > skew_threshold.num_seconds())
            {
                reasons.push(reason(
                    risk_codes::CLOCK_SKEW,
                    RiskLevel::Warning,
                    format!(
                        "device clock {} {} the server's",
                        human_duration(skew.abs()),
                        if skew > 0 { "ahead of" } else { "behind" }
                    ),
                ));
            }
            match silent {
                None => reasons.push(reason(
                    risk_codes::NEVER_SEEN,
                    RiskLevel::Ok,
                    "enrolled; has not reported yet".into(),
                )),
                Some(s) if stale && queue == 0 => reasons.push(reason(
                    risk_codes::STALE,
                    RiskLevel::Ok,
                    format!("not heard from for {}; nothing unsynced", human_duration(s)),
                )),
                Some(_) => {}
            }
        }
    }
    reasons.sort_by_key(|r| std::cmp::Reverse(r.level));
    let risk = reasons.first().map_or(RiskLevel::Ok, |r| r.level);
    DeviceOverview {
        id: d.id,
        name: d.name.clone(),
        status: d.status,
        collector: a.collector.clone(),
        collector_signed_in_at: a.collector_signed_in_at,
        last_seen_at: d.last_seen_at,
        last_heartbeat_at: hb.map(|h| h.received_at),
        last_push_at: a.last_push_at,
        app_version: a.app_version.clone(),
        queue_length: queue,
        oldest_unsynced_seconds: reported_oldest,
        oldest_unsynced_age_seconds: oldest_now,
        last_error: hb.and_then(|h| h.heartbeat.last_error.clone()),
        clock_skew_seconds: a.clock_skew_seconds,
        quarantined: a.quarantined,
        risk,
        reasons,
    }
}

/// Most at risk first, then the oldest unsynced work, the longest queue, and the name.
pub fn sort_by_risk(devices: &mut [DeviceOverview]) {
    devices.sort_by(|a, b| {
        b.risk
            .cmp(&a.risk)
            .then_with(|| {
                b.oldest_unsynced_age_seconds
                    .cmp(&a.oldest_unsynced_age_seconds)
            })
            .then_with(|| b.queue_length.cmp(&a.queue_length))
            .then_with(|| a.name.cmp(&b.name))
    });
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::{DeviceView, Heartbeat, HeartbeatView};

    /// The overview of a device last heard from `heard` ago, holding `queue` unsynced records,
    /// under the default thresholds and a 5-minute skew threshold.
    fn assessed(
        queue: u32,
        oldest: Option<u64>,
        heard: Duration,
        now: DateTime<Utc>,
    ) -> DeviceOverview {
        let activity = DeviceActivity {
            device: DeviceView {
                storage_lost_at: None,
                id: uuid::Uuid::nil(),
                name: "Tablet".into(),
                status: DeviceStatus::Enrolled,
                created_at: now - Duration::days(3),
                enrolled_at: Some(now - Duration::days(3)),
                revoked_at: None,
                last_seen_at: Some(now - heard),
                last_heartbeat: Some(HeartbeatView {
                    received_at: now - heard,
                    heartbeat: Heartbeat {
                        device_clock: None,
                        queue_length: queue,
                        oldest_unsynced_seconds: oldest,
                        last_error: None,
                    },
                }),
            },
            collector: None,
            collector_signed_in_at: None,
            app_version: None,
            clock_skew_seconds: None,
            last_push_at: None,
            quarantined: 0,
        };
        let settings = ReviewSettings::default();
        assess(&activity, &settings, Duration::minutes(5), now)
    }

    #[test]
    fn a_stale_device_holding_unsynced_work_is_critical_and_an_idle_one_is_not() {
        let now = Utc::now();
        let stale = assessed(3, Some(60), Duration::hours(2), now);
        assert_eq!(stale.risk, RiskLevel::Critical);
        assert_eq!(stale.reasons[0].code, risk_codes::STALE_WITH_UNSYNCED);
        // The oldest record kept waiting while the device was silent.
        assert_eq!(stale.oldest_unsynced_age_seconds, Some(60 + 7200));
        let idle = assessed(0, None, Duration::hours(2), now);
        assert_eq!(idle.risk, RiskLevel::Ok);
        assert_eq!(idle.reasons[0].code, risk_codes::STALE);
    }

    #[test]
    fn unsynced_work_ages_from_warning_to_critical_by_the_thresholds() {
        let now = Utc::now();
        let fresh = Duration::minutes(1);
        let warn = assessed(1, Some(31 * 60), fresh, now);
        assert_eq!(warn.risk, RiskLevel::Warning);
        assert_eq!(warn.reasons[0].code, risk_codes::UNSYNCED_WARNING);
        let crit = assessed(1, Some(5 * 3600), fresh, now);
        assert_eq!(crit.risk, RiskLevel::Critical);
        assert_eq!(crit.reasons[0].code, risk_codes::UNSYNCED_CRITICAL);
    }

    #[test]
    fn devices_sort_most_at_risk_first() {
        let now = Utc::now();
        let mut list = vec![
            assessed(0, None, Duration::minutes(1), now),
            assessed(2, Some(60), Duration::hours(3), now),
            assessed(1, Some(40 * 60), Duration::minutes(1), now),
        ];
        sort_by_risk(&mut list);
        let levels: Vec<RiskLevel> = list.iter().map(|d| d.risk).collect();
        assert_eq!(
            levels,
            [RiskLevel::Critical, RiskLevel::Warning, RiskLevel::Ok]
        );
    }

    #[test]
    fn durations_read_as_a_person_would_say_them() {
        assert_eq!(human_duration(40), "40 s");
        assert_eq!(human_duration(12 * 60 + 5), "12 min");
        assert_eq!(human_duration(2 * 3600 + 5 * 60), "2 h 5 min");
        assert_eq!(human_duration(3 * 86_400), "3 days");
    }
}
