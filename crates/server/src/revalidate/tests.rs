use chrono::{DateTime, Duration, Utc};
use drawline_domain::api::{push_codes, OrderStatus};
use drawline_domain::test_support::{finalized, nurse, peter};
use drawline_domain::{Collection, IdentifyContext};
use serde_json::Value;

use super::*;

fn ctx() -> Context {
    let now = DateTime::parse_from_rfc3339("2024-05-01T07:00:00Z")
        .unwrap()
        .with_timezone(&Utc);
    Context {
        now,
        device_now: now,
        skew_allowance: Duration::minutes(5),
        identify: IdentifyContext::default(),
    }
}

/// The lab's facts for the fixture record: its three orders for Peter on the device's rounds,
/// placed 06:00 UTC, and the nurse an active user.
fn facts(c: &Collection) -> LabFacts {
    let mut facts = LabFacts::default();
    for o in c.orders() {
        facts.orders.insert(
            o.id.as_str().to_owned(),
            OrderFacts {
                patient_id: "example".into(),
                patient: Some(peter().identity),
                status: OrderStatus::Open,
                placed_at: o.placed_at,
                on_device_rounds: true,
            },
        );
    }
    facts
        .users
        .insert(nurse().as_str().to_owned(), UserFacts { active: true });
    facts
}

/// The fixture record changed as JSON, as a fabricated push would be.
fn edited(edit: impl FnOnce(&mut Value)) -> Collection {
    let mut v = serde_json::to_value(finalized().record()).unwrap();
    edit(&mut v);
    serde_json::from_value(v).unwrap()
}

fn refused(c: &Collection, facts: &LabFacts) -> Refusal {
    match revalidate(c, facts, &ctx()) {
        Verdict::Rejected(r) => r,
        other => panic!("not rejected: {other:?}"),
    }
}

#[test]
fn a_finalized_record_of_the_devices_orders_is_accepted() {
    let c = finalized().record().clone();
    assert_eq!(revalidate(&c, &facts(&c), &ctx()), Verdict::default());
}

#[test]
fn an_unknown_order_and_another_devices_order_for_another_patient_answer_the_same_hold() {
    let c = finalized().record().clone();
    let mut unknown = facts(&c);
    unknown.orders.remove("sr-pt");
    let mut other = facts(&c);
    let o = other.orders.get_mut("sr-pt").unwrap();
    o.on_device_rounds = false;
    o.patient_id = "someone-else".into();
    let held = |f: &LabFacts| match revalidate(&c, f, &ctx()) {
        Verdict::Held { findings } => findings,
        v => panic!("not held: {v:?}"),
    };
    assert_eq!(held(&unknown), vec![push_codes::UNKNOWN_ORDER]);
    assert_eq!(held(&other), vec![push_codes::PATIENT_MISMATCH]);
}

#[test]
fn a_wrong_family_name_is_refused_naming_the_identifier_and_not_the_name() {
    let c = edited(|v| v["patient"]["identity"]["name"]["family"] = "Chalmerz".into());
    let r = refused(&c, &facts(&c));
    assert_eq!(r.code, push_codes::IDENTIFICATION_MISMATCH);
    assert!(r.reason.ends_with("on the name"), "{}", r.reason);
    assert!(!r.reason.contains("Chalmer"), "{}", r.reason);
}

#[test]
fn a_correction_by_an_active_colleague_passes_after_the_first_collector_left() {
    let f = finalized();
    let colleague = drawline_domain::CollectorId::parse("phleb-007").unwrap();
    let now = drawline_domain::test_support::t("2024-05-01T08:30:00+02:00");
    let mut next = f.start_correction("fasting", &colleague, now).unwrap();
    next.record_fasting(
        drawline_domain::collection::FastingStatus::Fasting,
        &colleague,
        now,
    )
    .unwrap();
    let c = next.finalize(&colleague, now).unwrap().record().clone();
    let mut lab = facts(&c);
    lab.users
        .insert(nurse().as_str().to_owned(), UserFacts { active: false });
    lab.users
        .insert(colleague.as_str().to_owned(), UserFacts { active: true });
    assert_eq!(revalidate(&c, &lab, &ctx()), Verdict::default());
    lab.users
        .insert(colleague.as_str().to_owned(), UserFacts { active: false });
    assert_eq!(refused(&c, &lab).code, push_codes::INACTIVE_COLLECTOR);
}

#[test]
fn a_tablet_clock_hours_fast_still_passes_but_a_time_past_its_own_clock_does_not() {
    let c = finalized().record().clone();
    let lab = facts(&c);
    // The lab's clock reads 04:00 while the tablet drew at 06:10 by a clock three hours fast.
    let skewed = Context {
        now: ctx().now - Duration::hours(3),
        device_now: ctx().now,
        ..ctx()
    };
    assert_eq!(revalidate(&c, &lab, &skewed), Verdict::default());
    let honest = Context {
        now: ctx().now - Duration::hours(3),
        device_now: ctx().now - Duration::hours(3),
        ..ctx()
    };
    match revalidate(&c, &lab, &honest) {
        Verdict::Rejected(r) => assert_eq!(r.code, push_codes::TIME_IN_FUTURE),
        v => panic!("not refused: {v:?}"),
    }
}
