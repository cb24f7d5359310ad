//! The pull half of sync as pure decisions, tested natively.
//!
//! How a server answer changes the stored worklist, and what the collector must be told about
//! orders that changed while the tablet was away.

use std::collections::HashSet;

use chrono::{DateTime, FixedOffset};
use drawline_domain::api::{OrderStatus, PullResponse, SessionResponse, Worklist, WorklistOrder};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::error::SyncError;
use crate::storage::keys::WorklistKey;

/// The token a pull goes with: the live session's. Patient data goes only to a person signed in
/// on the tablet, so with nobody signed in, or a session past its end on the tablet's clock, there
/// is no pull at all (and nothing to warn about: pushing goes on with the device token).
pub fn pull_token(session: Option<&SessionResponse>, now: DateTime<FixedOffset>) -> Option<&str> {
    session
        .filter(|s| s.expires_at > now)
        .map(|s| s.token.as_str())
}

/// Whether a failed pull means the session is over (ended, expired, the person deactivated or
/// their PIN reset): the tablet then signs out, keeping every draft and outbox record.
pub fn session_ended(error: &SyncError) -> bool {
    matches!(error, SyncError::Server { status: 401, .. })
}

/// Worklist store record of the order notices (cancelled, left the round) not yet acknowledged.
pub const NOTICES: WorklistKey<Vec<OrderNotice>> =
    WorklistKey::new(crate::storage::keys::NOTICES_ID);

/// Why an order the collector knew about changed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum NoticeKind {
    /// The lab cancelled it: do not draw it.
    Cancelled,
    /// It left this tablet's rounds (reassigned, or no longer on the worklist the lab sent).
    LeftRound,
    /// Another collection reached the lab for it while this tablet holds a draft for it.
    CollectedElsewhere,
}

/// An order change shown to the collector until they acknowledge it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OrderNotice {
    /// The order.
    pub order_id: String,
    /// Its patient.
    pub patient_id: String,
    /// Its test code.
    pub test: String,
    /// What happened.
    pub kind: NoticeKind,
    /// The lab's reason, when it gave one.
    pub reason: Option<String>,
    /// The tablet holds a draft or a finalized collection for it: it is kept and still sent.
    pub held: bool,
    /// The collector has seen it.
    #[serde(default)]
    pub acknowledged: bool,
}

impl OrderNotice {
    /// One line for the collector.
    pub fn message(&self, patient_name: &str) -> String {
        let what = match self.kind {
            NoticeKind::Cancelled => "was cancelled by the lab",
            NoticeKind::LeftRound => "is no longer on this tablet's round",
            NoticeKind::CollectedElsewhere => "was already collected by another device",
        };
        let mut text = format!("{} for {patient_name} {what}", self.test);
        if let Some(reason) = &self.reason {
            text.push_str(&format!(" ({reason})"));
        }
        text.push_str(if self.held {
            ". Your collection is kept and will still be sent; do not draw it again."
        } else {
            ". Do not draw it."
        });
        text
    }
}

/// The worklist after applying `response` to `stored`, and the notices it raises. `held` are the
/// order ids the tablet holds a draft, an outbox record or a receipt for: those are never
/// dropped silently.
pub fn apply(
    stored: Option<&Worklist>,
    response: &PullResponse,
    held: &HashSet<String>,
    device_id: Uuid,
) -> (Worklist, Vec<OrderNotice>) {
    let mut notices = Vec::new();
    let mut orders: Vec<WorklistOrder> = if response.full {
        Vec::new()
    } else {
        stored.map(|w| w.orders.clone()).unwrap_or_default()
    };
    let mut patients = stored.map(|w| w.patients.clone()).unwrap_or_default();
    for p in &response.patients {
        match patients.iter_mut().find(|x| x.id == p.id) {
            Some(x) => *x = p.clone(),
            None => patients.push(p.clone()),
        }
    }
    let notice = |o: &WorklistOrder, kind, reason: Option<String>| OrderNotice {
        order_id: o.order.id.to_string(),
        patient_id: o.order.patient.to_string(),
        test: o.order.test.to_string(),
        kind,
        reason,
        held: held.contains(o.order.id.as_str()),
        acknowledged: false,
    };

    if response.full {
        orders = response
            .orders
            .iter()
            .filter(|o| o.on_worklist && o.status == OrderStatus::Open)
            .map(|o| o.order.clone())
            .collect();
        // An order that vanished from a full list: keep it if the tablet holds work for it, and
        // say so either way; never let it disappear without a word.
        for old in stored.map(|w| w.orders.as_slice()).unwrap_or_default() {
            if orders.iter().any(|o| o.order.id == old.order.id) {
                continue;
            }
            let id = old.order.id.as_str();
            if held.contains(id) {
                orders.push(old.clone());
            }
            let kind = response
                .orders
                .iter()
                .find(|o| o.order.order.id == old.order.id)
                .map(|o| (o.status, o.cancel_reason.clone()));
            match kind {
                Some((OrderStatus::Cancelled, reason)) => {
                    notices.push(notice(old, NoticeKind::Cancelled, reason))
                }
                Some((OrderStatus::Collected | OrderStatus::NotCollected, _)) => {
                    // Done: by this tablet (held) or by another one.
                    if !held.contains(id) {
                        notices.push(notice(old, NoticeKind::CollectedElsewhere, None));
                    }
                }
                _ => notices.push(notice(old, NoticeKind::LeftRound, None)),
            }
        }
    } else {
        for change in &response.orders {
            let id = change.order.order.id.clone();
            let known = orders.iter().position(|o| o.order.id == id);
            let is_held = held.contains(id.as_str());
            match (change.status, change.on_worklist) {
                (OrderStatus::Open, true) => match known {
                    Some(i) => orders[i] = change.order.clone(),
                    None => orders.push(change.order.clone()),
                },
                (OrderStatus::Cancelled, _) => {
                    if known.is_some() || is_held {
                        notices.push(notice(
                            &change.order,
                            NoticeKind::Cancelled,
                            change.cancel_reason.clone(),
                        ));
                    }
                    if let (Some(i), false) = (known, is_held) {
                        orders.remove(i);
                    }
                }
                (OrderStatus::Collected | OrderStatus::NotCollected, _) => {
                    if let Some(i) = known {
                        if is_held {
                            // This tablet's own collection reached the lab, or another did while
                            // a draft here holds it; the draft is the collector's to decide.
                            continue;
                        }
                        orders.remove(i);
                    }
                }
                (OrderStatus::Open, false) => {
                    if let Some(i) = known {
                        notices.push(notice(&change.order, NoticeKind::LeftRound, None));
                        if !is_held {
                            orders.remove(i);
                        }
                    }
                }
            }
        }
    }
    // Patients with nothing left on the round are dropped; those of held orders stay.
    patients.retain(|p| orders.iter().any(|o| o.order.patient == p.id));
    let worklist = Worklist {
        device_id,
        generated_at: response.server_time,
        rounds: response.rounds.clone(),
        patients,
        orders,
    };
    (worklist, notices)
}

/// Adds new notices to the stored ones; an order already noticed for the same reason is not
/// repeated (a pull applied twice after a crash says it once).
pub fn merge_notices(mut stored: Vec<OrderNotice>, new: Vec<OrderNotice>) -> Vec<OrderNotice> {
    for n in new {
        if !stored
            .iter()
            .any(|s| s.order_id == n.order_id && s.kind == n.kind)
        {
            stored.push(n);
        }
    }
    stored
}

/// Order ids the collector must not start a collection for: cancelled by the lab.
pub fn blocked_orders(notices: &[OrderNotice]) -> Vec<String> {
    notices
        .iter()
        .filter(|n| n.kind == NoticeKind::Cancelled)
        .map(|n| n.order_id.clone())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{NaiveDate, Utc};
    use drawline_domain::api::{SiteVersion, SyncOrder};
    use drawline_domain::{
        Mrn, Order, OrderId, Patient, PatientId, PatientIdentity, PersonName, Priority, TestCode,
    };

    fn patient(id: &str) -> Patient {
        Patient {
            id: PatientId::parse(id).unwrap(),
            identity: PatientIdentity {
                mrn: Mrn::parse(&format!("MRN{}", id.len() * 1000)).unwrap(),
                name: PersonName::new("Lindqvist", &["Erik"]).unwrap(),
                birth_date: NaiveDate::from_ymd_opt(1937, 6, 30).unwrap(),
            },
            alerts: Vec::new(),
        }
    }

    fn order(id: &str, patient: &str) -> WorklistOrder {
        WorklistOrder {
            order: Order {
                id: OrderId::parse(id).unwrap(),
                patient: PatientId::parse(patient).unwrap(),
                test: TestCode::parse("CBC").unwrap(),
                priority: Priority::Routine,
                placed_at: Utc::now(),
                due_at: None,
                requisition: None,
                accessions: Vec::new(),
                note: None,
                recollection_reason: None,
            },
            round_id: None,
            fasting: false,
            location: None,
        }
    }

    fn change(o: WorklistOrder, status: OrderStatus, on_worklist: bool) -> SyncOrder {
        SyncOrder {
            order: o,
            status,
            on_worklist,
            cancelled_at: (status == OrderStatus::Cancelled).then(Utc::now),
            cancel_reason: (status == OrderStatus::Cancelled).then(|| "duplicate order".into()),
        }
    }

    fn response(full: bool, orders: Vec<SyncOrder>, patients: Vec<Patient>) -> PullResponse {
        PullResponse {
            server_time: Utc::now(),
            full,
            next_cursor: "c1".into(),
            has_more: false,
            rounds: vec![],
            patients,
            orders,
            site: SiteVersion {
                hash: "h".into(),
                catalog_hash: "c".into(),
                order_of_draw_hash: "o".into(),
            },
            rotate_token: false,
        }
    }

    fn stored() -> Worklist {
        Worklist {
            device_id: Uuid::nil(),
            generated_at: Utc::now(),
            rounds: vec![],
            patients: vec![patient("p1"), patient("p22")],
            orders: vec![order("o1", "p1"), order("o2", "p1"), order("o3", "p22")],
        }
    }

    /// A full pull whose only open order is o1 of p1.
    fn full_pull_of_o1() -> PullResponse {
        response(
            true,
            vec![change(order("o1", "p1"), OrderStatus::Open, true)],
            vec![patient("p1")],
        )
    }

    fn ids(w: &Worklist) -> Vec<&str> {
        w.orders.iter().map(|o| o.order.id.as_str()).collect()
    }

    #[test]
    fn a_first_full_pull_is_the_worklist() {
        let r = full_pull_of_o1();
        let (w, notices) = apply(None, &r, &HashSet::new(), Uuid::nil());
        assert_eq!(ids(&w), ["o1"]);
        assert_eq!(w.patients.len(), 1);
        assert!(notices.is_empty());
    }

    #[test]
    fn a_cancelled_order_is_dropped_and_flagged_but_kept_when_a_draft_holds_it() {
        let r = response(
            false,
            vec![
                change(order("o2", "p1"), OrderStatus::Cancelled, true),
                change(order("o3", "p22"), OrderStatus::Cancelled, true),
            ],
            vec![],
        );
        let held: HashSet<String> = ["o3".to_string()].into();
        let (w, notices) = apply(Some(&stored()), &r, &held, Uuid::nil());
        assert_eq!(ids(&w), ["o1", "o3"]);
        assert_eq!(notices.len(), 2);
        assert!(notices.iter().all(|n| n.kind == NoticeKind::Cancelled));
        assert!(!notices[0].held && notices[1].held);
        assert!(notices[1]
            .message("Erik Lindqvist")
            .contains("still be sent"));
        assert_eq!(blocked_orders(&notices), ["o2", "o3"]);
    }

    #[test]
    fn changes_add_update_and_remove_orders_and_their_patients() {
        let mut moved = order("o1", "p1");
        moved.location = Some("Ward 7".into());
        let r = response(
            false,
            vec![
                change(moved, OrderStatus::Open, true),
                change(order("o4", "p333"), OrderStatus::Open, true),
                change(order("o3", "p22"), OrderStatus::Open, false),
                change(order("o2", "p1"), OrderStatus::Collected, true),
            ],
            vec![patient("p333")],
        );
        let (w, notices) = apply(Some(&stored()), &r, &HashSet::new(), Uuid::nil());
        assert_eq!(ids(&w), ["o1", "o4"]);
        assert_eq!(w.orders[0].location.as_deref(), Some("Ward 7"));
        let patients: Vec<&str> = w.patients.iter().map(|p| p.id.as_str()).collect();
        assert_eq!(patients, ["p1", "p333"]);
        assert_eq!(notices.len(), 1);
        assert_eq!(notices[0].kind, NoticeKind::LeftRound);
    }

    #[test]
    fn a_full_pull_keeps_held_orders_and_says_what_vanished() {
        let r = full_pull_of_o1();
        let held: HashSet<String> = ["o3".to_string()].into();
        let (w, notices) = apply(Some(&stored()), &r, &held, Uuid::nil());
        assert_eq!(ids(&w), ["o1", "o3"]);
        assert_eq!(w.patients.len(), 2, "the held order's patient stays");
        let kinds: Vec<(&str, NoticeKind)> = notices
            .iter()
            .map(|n| (n.order_id.as_str(), n.kind))
            .collect();
        assert_eq!(
            kinds,
            [("o2", NoticeKind::LeftRound), ("o3", NoticeKind::LeftRound)]
        );
    }

    #[test]
    fn applying_the_same_answer_twice_gives_the_same_worklist_and_no_repeated_notice() {
        let r = response(
            false,
            vec![change(order("o2", "p1"), OrderStatus::Cancelled, true)],
            vec![],
        );
        let (once, n1) = apply(Some(&stored()), &r, &HashSet::new(), Uuid::nil());
        let (twice, n2) = apply(Some(&once), &r, &HashSet::new(), Uuid::nil());
        assert_eq!(ids(&once), ids(&twice));
        let all = merge_notices(n1.clone(), n1);
        assert_eq!(all.len(), 1);
        assert!(n2.is_empty(), "an order already gone raises nothing new");
    }

    fn session(expires_at: &str) -> SessionResponse {
        SessionResponse {
            data_key: None,
            lab_key: None,
            token: "dls_live".into(),
            expires_at: DateTime::parse_from_rfc3339(expires_at).unwrap().to_utc(),
            user: drawline_domain::api::UserView {
                id: Uuid::nil(),
                username: "amara".into(),
                display_name: "Amara Okafor".into(),
                role: drawline_domain::api::Role::Collector,
            },
        }
    }

    #[test]
    fn a_pull_goes_only_with_a_session_that_has_not_ended_on_the_tablets_clock() {
        let now = DateTime::parse_from_rfc3339("2026-11-23T08:00:00+01:00").unwrap();
        let live = session("2026-11-23T19:00:00+01:00");
        assert_eq!(pull_token(Some(&live), now), Some("dls_live"));
        assert_eq!(
            pull_token(Some(&session("2026-11-23T07:00:00Z")), now),
            None
        );
        assert_eq!(pull_token(None, now), None);
    }

    #[test]
    fn only_a_401_on_the_pull_ends_the_session() {
        let server = |status| SyncError::Server {
            status,
            message: String::new(),
        };
        assert!(session_ended(&server(401)));
        for other in [server(403), server(500), SyncError::Offline] {
            assert!(!session_ended(&other), "{other:?}");
        }
    }
}
