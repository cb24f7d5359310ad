use proptest::prelude::*;

use super::*;
use crate::collection::{BodySite, FastingStatus};
use crate::identification::IdentifyContext;
use crate::planner::Device;
use crate::test_support::*;

fn default_site() -> SiteConfig {
    SiteConfig::default_site()
}

/// A collection of `orders` with a butterfly, identified, venipuncture 1 begun (left antecubital).
fn winged_collection(orders: Vec<crate::collection::Order>) -> Collection {
    let mut c = Collection::start(
        crate::collection::CollectionId(uuid::Uuid::from_u128(13)),
        peter(),
        orders,
        &default_site(),
        Device::Winged,
        &nurse(),
        t("2024-05-01T08:00:00+02:00"),
    )
    .unwrap();
    c.identify(
        &wristband(),
        &IdentifyContext::default(),
        &nurse(),
        t("2024-05-01T08:05:00+02:00"),
    )
    .unwrap();
    venipuncture(&mut c, BodySite::LeftAntecubital);
    c
}

fn shape(c: &Collection) -> Vec<(String, bool)> {
    c.tubes()
        .iter()
        .map(|t| (t.tube.container.to_string(), t.tube.discard))
        .collect()
}

fn except_order(c: &mut Collection, id: &str) {
    c.except(
        Scope::Order(crate::collection::OrderId::parse(id).unwrap()),
        NotCollectedReason::UnableToCollect,
        None,
        &default_site(),
        &nurse(),
        draw_time(),
    )
    .unwrap();
}

#[test]
fn blood_cultures_marked_not_collected_with_a_butterfly_put_a_discard_before_the_citrate_tube() {
    // domain.md: with a winged set, a citrate tube drawn first needs a discard tube first.
    let mut c = winged_collection(vec![order("sr-bcx", "BCX"), order("sr-pt", "PT")]);
    assert!(c.tubes().iter().all(|t| !t.tube.discard));
    except_order(&mut c, "sr-bcx");
    assert_eq!(
        shape(&c),
        [
            ("light-blue-citrate".to_string(), true),
            ("light-blue-citrate".to_string(), false)
        ]
    );
    let replanned = c.history().iter().any(|h| {
        matches!(&h.event, Event::Replanned { added, removed, .. } if added.len() == 1 && removed.len() == 2)
    });
    assert!(replanned, "{:?}", c.history());
}

#[test]
fn bottles_already_drawn_through_the_same_tubing_leave_no_air_so_no_discard_is_added() {
    let mut c = winged_collection(vec![
        order("sr-bcx", "BCX"),
        order("sr-pt", "PT"),
        order("sr-cbc", "CBC"),
    ]);
    let now = draw_time();
    c.record_draw(1, now, None, &nurse(), now).unwrap();
    except_order(&mut c, "sr-cbc");
    assert!(c.tubes().iter().all(|t| !t.tube.discard), "{:?}", shape(&c));
}

#[test]
fn a_switch_to_a_butterfly_after_a_failed_needle_attempt_plans_the_discard_tube() {
    let mut c = identified(vec![order("sr-pt", "PT"), order("sr-cbc", "CBC")]);
    assert_eq!(c.device(), Device::EvacuatedHolder);
    let before: Vec<u32> = c.tubes().iter().map(|t| t.index).collect();
    assert_eq!(before, [1, 2]);
    let now = draw_time();
    c.record_failed_attempt(Some("no flash"), &nurse(), now)
        .unwrap();
    c.begin_venipuncture(
        BodySite::RightHand,
        Device::Winged,
        &default_site(),
        &nurse(),
        now,
    )
    .unwrap();
    assert_eq!(c.device(), Device::Winged);
    assert_eq!(
        shape(&c),
        [
            ("light-blue-citrate".to_string(), true),
            ("light-blue-citrate".to_string(), false),
            ("lavender-edta".to_string(), false)
        ]
    );
    // Tubes the new plan keeps unchanged keep their numbers; the new discard tube gets a new one.
    let numbers: Vec<u32> = c.tubes().iter().map(|t| t.index).collect();
    assert_eq!(numbers, [3, 1, 2]);
    for n in numbers {
        c.record_draw(n, now, None, &nurse(), now).unwrap();
    }
    assert_eq!((c.attempts(), c.failed_attempts()), (2, 1));
}

#[test]
fn a_tube_number_taken_out_of_the_plan_is_never_given_to_another_tube() {
    let mut c = winged_collection(vec![order("sr-bcx", "BCX"), order("sr-pt", "PT")]);
    except_order(&mut c, "sr-bcx");
    let after_first: Vec<u32> = c.tubes().iter().map(|t| t.index).collect();
    assert_eq!(after_first, [4, 3]);
    // Back to the needle: the discard tube goes, and no later tube takes number 4 again.
    c.begin_venipuncture(
        BodySite::RightAntecubital,
        Device::Winged,
        &default_site(),
        &nurse(),
        draw_time(),
    )
    .unwrap();
    let same: Vec<u32> = c.tubes().iter().map(|t| t.index).collect();
    assert_eq!(same, [4, 3], "an unchanged plan keeps its tubes");
    c.begin_venipuncture(
        BodySite::RightAntecubital,
        Device::EvacuatedHolder,
        &default_site(),
        &nurse(),
        draw_time(),
    )
    .unwrap();
    let holder: Vec<u32> = c.tubes().iter().map(|t| t.index).collect();
    assert_eq!(holder, [3]);
    c.begin_venipuncture(
        BodySite::RightForearm,
        Device::Winged,
        &default_site(),
        &nurse(),
        draw_time(),
    )
    .unwrap();
    let again: Vec<u32> = c.tubes().iter().map(|t| t.index).collect();
    assert_eq!(again, [5, 3]);
}

#[test]
fn two_orders_of_one_test_are_two_tubes_and_one_can_be_marked_not_collected_alone() {
    let mut c = identified(vec![
        order("sr-trop-0h", "TROP"),
        order("sr-trop-3h", "TROP"),
    ]);
    assert_eq!(c.tubes().len(), 2);
    except_order(&mut c, "sr-trop-3h");
    assert_eq!(c.tubes().len(), 1);
    let left = &c.tubes()[0];
    assert_eq!(left.tube.orders[0].as_str(), "sr-trop-0h");
    assert_eq!(
        c.unfinished_tests(),
        [crate::catalog::TestCode::parse("TROP").unwrap()]
    );
    let now = draw_time();
    let i = left.index;
    c.record_draw(i, now, None, &nurse(), now).unwrap();
    label(&mut c, i, "A1", now);
    let f = c.finalize(&nurse(), now).unwrap();
    let excepted: Vec<&Scope> = f
        .record()
        .not_collected()
        .iter()
        .map(|n| &n.scope)
        .collect();
    assert_eq!(
        excepted,
        [&Scope::Order(
            crate::collection::OrderId::parse("sr-trop-3h").unwrap()
        )]
    );
}

#[test]
fn an_exception_for_an_order_not_in_the_collection_is_refused() {
    let mut c = identified(vec![order("sr-cbc", "CBC")]);
    let e = c
        .except(
            Scope::Order(crate::collection::OrderId::parse("sr-other").unwrap()),
            NotCollectedReason::Refused,
            None,
            &default_site(),
            &nurse(),
            draw_time(),
        )
        .unwrap_err();
    assert!(e.to_string().contains("sr-other"), "{e}");
    assert!(c.not_collected().is_empty());
}

const CODES: [&str; 8] = ["BCX", "PT", "CBC", "CMP", "TROP", "LIPID", "TS", "NH3"];

proptest! {
    #[test]
    fn after_any_exceptions_and_draws_every_order_left_is_served_and_finalize_is_reachable(
        picks in proptest::collection::vec(0..CODES.len(), 1..7),
        excepted in proptest::collection::vec(any::<bool>(), 7),
        draw_first in 0usize..4,
        winged: bool,
    ) {
        let orders: Vec<_> = picks
            .iter()
            .enumerate()
            .map(|(i, p)| order(&format!("sr-{i}"), CODES[*p]))
            .collect();
        let mut c = if winged { winged_collection(orders.clone()) } else { identified(orders.clone()) };
        let now = draw_time();
        c.record_fasting(FastingStatus::Fasting, &nurse(), now).unwrap();
        // Draw some tubes first, in their own venipuncture rules.
        for _ in 0..draw_first {
            let next = c.tubes().iter().find(|t| t.drawn.is_none() && t.tube.set.unwrap_or(1) == 1).map(|t| t.index);
            if let Some(i) = next { c.record_draw(i, now, None, &nurse(), now).unwrap(); }
        }
        for (o, ex) in orders.iter().zip(&excepted) {
            if *ex { except_order(&mut c, o.id.as_str()); }
        }
        for o in &orders {
            if c.exception_for_order(o).is_some() { continue; }
            prop_assert!(c.tubes_for_order(o).next().is_some(), "order {} lost its tubes", o.id);
        }
        for t in c.tubes() {
            let tests: Vec<_> = c.orders_for_tube(t).iter().map(|o| o.test.clone()).collect();
            let mut unique = tests.clone();
            unique.sort();
            unique.dedup();
            prop_assert_eq!(unique.len(), tests.len());
        }
        // Draw and label everything left, one venipuncture per blood-culture set.
        let mut site = BodySite::ALL.iter().cycle().skip(1);
        let next_to_draw = |c: &Collection| {
            c.tubes()
                .iter()
                .find(|t| t.drawn.is_none() && (t.tube.discard || c.tube_needed(t)))
                .map(|t| t.index)
        };
        while let Some(i) = next_to_draw(&c) {
            match c.record_draw(i, now, None, &nurse(), now) {
                Ok(()) => {}
                Err(CollectionError::SeparateVenipuncture { .. }) | Err(CollectionError::SameSiteAsOtherSet { .. }) => {
                    let device = c.device();
                    c.begin_venipuncture(*site.next().unwrap(), device, &default_site(), &nurse(), now).unwrap();
                }
                Err(e) => prop_assert!(false, "{e}"),
            }
        }
        let mut n = 0;
        while let Some(i) = c.next_tube_to_label().map(|t| t.index) {
            n += 1;
            label(&mut c, i, &format!("ACC{n}"), now);
        }
        prop_assert!(c.finalize(&nurse(), now).is_ok(), "{:?}", c.unfinished_tests());
    }
}
