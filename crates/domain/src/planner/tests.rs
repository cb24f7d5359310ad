use super::*;
use crate::collection::Order;
use crate::instructions::InstructionKind;
use proptest::prelude::*;

fn site() -> SiteConfig {
    SiteConfig::default_site()
}

fn containers(plan: &TubePlan) -> Vec<&str> {
    plan.tubes.iter().map(|t| t.container.as_str()).collect()
}

#[test]
fn the_issue_example_pt_cmp_cbc_with_a_winged_set_starts_with_a_discard_tube() {
    let plan = site().plan(&["PT", "CMP", "CBC"], Device::Winged).unwrap();
    assert_eq!(
        containers(&plan),
        [
            "light-blue-citrate",
            "light-blue-citrate",
            "gold-sst",
            "lavender-edta"
        ]
    );
    assert!(plan.tubes[0].discard);
    assert!(plan.tubes[0].tests.is_empty());
    assert!(!plan.tubes[1].discard);
    assert_eq!(plan.tubes[1].tests, [TestCode::parse("PT").unwrap()]);
    assert_eq!(plan.tubes[1].inversions, 4);
    assert_eq!(plan.tubes[1].cap, "light blue");
}

#[test]
fn an_evacuated_holder_needs_no_discard_tube() {
    let plan = site()
        .plan(&["PT", "CMP", "CBC"], Device::EvacuatedHolder)
        .unwrap();
    assert!(plan.tubes.iter().all(|t| !t.discard));
    assert_eq!(plan.tubes.len(), 3);
}

#[test]
fn blood_cultures_drawn_before_citrate_clear_the_tubing_so_no_discard_is_needed() {
    let plan = site().plan(&["BCX", "PT"], Device::Winged).unwrap();
    assert_eq!(
        containers(&plan),
        ["bc-aerobic", "bc-anaerobic", "light-blue-citrate"]
    );
    assert!(plan.tubes.iter().all(|t| !t.discard));
}

#[test]
fn a_site_that_wants_a_discard_before_any_coagulation_tube_gets_one() {
    let s = site().with_discard_before_any_coagulation(true);
    let plan = s.plan(&["BCX", "PT"], Device::EvacuatedHolder).unwrap();
    assert_eq!(
        containers(&plan),
        [
            "bc-aerobic",
            "bc-anaerobic",
            "light-blue-citrate",
            "light-blue-citrate"
        ]
    );
    assert!(plan.tubes[2].discard);
}

#[test]
fn a_winged_set_without_a_coagulation_tube_needs_no_discard() {
    let plan = site().plan(&["CMP", "CBC"], Device::Winged).unwrap();
    assert!(plan.tubes.iter().all(|t| !t.discard));
}

#[test]
fn compatible_tests_share_one_tube() {
    let plan = site()
        .plan(
            &["BMP", "TSH", "FERR", "MG", "LIPID"],
            Device::EvacuatedHolder,
        )
        .unwrap();
    assert_eq!(plan.tubes.len(), 1);
    assert_eq!(plan.tubes[0].tests.len(), 5);
    assert_eq!(plan.tubes[0].required_ml, 4.0);
    assert!(plan.tubes[0].fasting);
}

#[test]
fn tests_that_do_not_fit_one_tube_are_spread_over_as_few_tubes_as_possible() {
    // 1.5 + 1 + 1 + 1 + 1 + 0.5 + 0.5 + 0.5 + 0.5 + 1 = 8.5 mL of 5 mL tubes: two tubes.
    let codes = [
        "CMP", "BMP", "LIPID", "TSH", "B12", "FERR", "MG", "PHOS", "CRP", "HFP",
    ];
    let plan = site().plan(&codes, Device::EvacuatedHolder).unwrap();
    assert_eq!(plan.tubes.len(), 2);
    assert!(plan.tubes.iter().all(|t| t.required_ml <= 5.0));
}

/// Cooling changes e.g. potassium: an on-ice test never shares a tube with room-temperature tests.
#[test]
fn an_on_ice_test_never_shares_a_tube_with_room_temperature_tests() {
    let plan = site()
        .plan(&["GLU", "LACT", "CMP", "TBIL"], Device::EvacuatedHolder)
        .unwrap();
    let grey: Vec<_> = plan
        .tubes
        .iter()
        .filter(|t| t.container.as_str() == "grey-fluoride")
        .collect();
    assert_eq!(grey.len(), 2);
    assert_eq!(grey[0].handling, Handling::RoomTemperature);
    assert_eq!(grey[1].handling, Handling::OnIce);
    assert!(grey[1].instructions.on_ice && !grey[0].instructions.on_ice);
}

/// Light protection wraps the whole tube and harms no room-temperature test (lab-directory
/// practice): total bilirubin shares the gold tube with a CMP, and that tube is protected.
#[test]
fn total_bilirubin_shares_the_gold_tube_with_a_cmp_which_is_then_protected_from_light() {
    let plan = site()
        .plan(&["CMP", "TBIL"], Device::EvacuatedHolder)
        .unwrap();
    assert_eq!(containers(&plan), ["gold-sst"]);
    let gold = &plan.tubes[0];
    assert_eq!(gold.tests.len(), 2);
    assert_eq!(gold.handling, Handling::ProtectFromLight);
    assert!(gold.instructions.protect_from_light);
    let titles: Vec<_> = gold
        .instruction_items()
        .iter()
        .map(|i| i.title.clone())
        .collect();
    assert_eq!(titles, ["Protect from light"]);
}

/// CLSI GP41 places trace-element tubes by their additive: the serum (clot activator) royal
/// blue in the serum position with 5 inversions, the K2EDTA one in the EDTA position with 8.
#[test]
fn royal_blue_trace_element_tubes_are_drawn_in_the_place_of_their_additive_per_clsi_gp41() {
    let plan = site()
        .plan(
            &["HLA", "PB", "GLU", "CBC", "ZN", "CMP"],
            Device::EvacuatedHolder,
        )
        .unwrap();
    assert_eq!(
        containers(&plan),
        [
            "gold-sst",
            "royal-blue-trace",
            "lavender-edta",
            "royal-blue-edta",
            "grey-fluoride",
            "yellow-acd"
        ]
    );
    let zinc = &plan.tubes[1];
    assert_eq!(zinc.tests, [TestCode::parse("ZN").unwrap()]);
    assert_eq!(zinc.inversions, 5);
    assert_eq!(zinc.additive, "clot activator (trace-element free)");
    let lead = &plan.tubes[3];
    assert_eq!(lead.tests, [TestCode::parse("PB").unwrap()]);
    assert_eq!(lead.inversions, 8);
    assert_eq!(lead.additive, "K2EDTA (trace-element free)");
}

/// Tests run by different lab sections or analysers never share a tube: the CBC is
/// haematology whole blood, BNP chemistry EDTA plasma, so BNP gets its own lavender tube.
#[test]
fn bnp_never_shares_the_cbc_tube_because_different_lab_sections_never_share_a_tube() {
    let plan = site()
        .plan(&["CBC", "BNP", "ESR"], Device::EvacuatedHolder)
        .unwrap();
    assert_eq!(containers(&plan), ["lavender-edta", "lavender-edta"]);
    let tests: Vec<Vec<&str>> = plan
        .tubes
        .iter()
        .map(|t| t.tests.iter().map(TestCode::as_str).collect())
        .collect();
    assert_eq!(tests, [vec!["BNP"], vec!["CBC", "ESR"]]);
}

#[test]
fn a_test_without_a_section_shares_a_tube_with_any_section() {
    let plan = site()
        .plan(&["CBC", "HBA1C"], Device::EvacuatedHolder)
        .unwrap();
    assert_eq!(plan.tubes.len(), 1);
    assert_eq!(plan.tubes[0].tests.len(), 2);
}

/// The citrate tube is filled to the line whatever is ordered, and its plasma serves every
/// coagulation test: PT, APTT, fibrinogen and D-dimer list the plasma they use, so together
/// they fit one 2.7 mL tube.
#[test]
fn pt_aptt_fibrinogen_and_d_dimer_come_from_one_citrate_tube_filled_to_the_line() {
    let plan = site()
        .plan(&["PT", "APTT", "FIB", "DDIM"], Device::EvacuatedHolder)
        .unwrap();
    assert_eq!(containers(&plan), ["light-blue-citrate"]);
    let tube = &plan.tubes[0];
    assert_eq!(tube.tests.len(), 4);
    assert!(tube.fill_to_line && tube.instructions.fill_to_line);
    assert_eq!(tube.volume_ml, 2.7);
    assert_eq!(
        tube.required_ml, 2.0,
        "4 x 0.25 mL plasma at a yield of 0.5"
    );
}

#[test]
fn ammonia_goes_on_ice_to_the_lab_within_30_minutes_and_lactate_within_15() {
    let plan = site()
        .plan(&["NH3", "LACT"], Device::EvacuatedHolder)
        .unwrap();
    assert_eq!(containers(&plan), ["green-heparin", "grey-fluoride"]);
    for (tube, minutes) in plan.tubes.iter().zip([30, 15]) {
        assert!(tube.instructions.on_ice);
        assert_eq!(tube.instructions.deliver_within_minutes, Some(minutes));
        let items = tube.instruction_items();
        assert_eq!(items[0].kind, InstructionKind::OnIce);
        assert_eq!(
            items[1].text,
            format!("Take the tube to the lab within {minutes} minutes of the draw.")
        );
    }
}

#[test]
fn the_aerobic_blood_culture_bottle_is_filled_first() {
    let plan = site().plan(&["BCX"], Device::Winged).unwrap();
    let places: Vec<_> = plan
        .tubes
        .iter()
        .map(|t| (t.container.as_str(), t.instructions.bottle.unwrap().place))
        .collect();
    assert_eq!(places, [("bc-aerobic", 1), ("bc-anaerobic", 2)]);
    assert_eq!(
        plan.tubes[0].instruction_items()[0].text,
        "Fill this bottle first (bottle 1 of 2)."
    );
}

#[test]
fn the_type_and_screen_tube_is_hand_labelled() {
    let plan = site().plan(&["TS"], Device::EvacuatedHolder).unwrap();
    assert!(plan.tubes[0].instructions.hand_label);
    assert_eq!(
        plan.tubes[0].instruction_items()[0].kind,
        InstructionKind::HandLabel
    );
}

#[test]
fn a_discard_tube_carries_no_fill_to_the_line_instruction() {
    let plan = site().plan(&["PT"], Device::Winged).unwrap();
    assert!(plan.tubes[0].discard);
    assert!(plan.tubes[0].instruction_items().is_empty());
}

#[test]
fn a_tube_planned_before_tubes_carried_instructions_still_shows_its_handling() {
    let plan = site().plan(&["LACT"], Device::EvacuatedHolder).unwrap();
    let mut v = serde_json::to_value(&plan).unwrap();
    v[0].as_object_mut().unwrap().remove("instructions");
    let old: TubePlan = serde_json::from_value(v).unwrap();
    assert!(old.tubes[0].instructions.is_empty());
    let kinds: Vec<_> = old.tubes[0]
        .instruction_items()
        .iter()
        .map(|i| i.kind)
        .collect();
    assert_eq!(kinds, [InstructionKind::OnIce]);
}

/// A site with a 37 °C test and a stricter serum yield, to test what the seed catalog lacks.
fn warm_site() -> SiteConfig {
    let catalog = r#"{
      "name": "warm",
      "serum_plasma_yield": 0.4,
      "tests": [
        {"code": "CMP", "name": "CMP", "containers": ["gold-sst"], "min_volume_ml": 0.8, "volume_of": "serum"},
        {"code": "CRYO", "name": "Cryoglobulins", "containers": ["gold-sst"], "min_volume_ml": 1,
         "instructions": {"keep_at_37c": true, "deliver_within_minutes": 60}},
        {"code": "LDH", "name": "LDH", "containers": ["gold-sst"], "min_volume_ml": 1, "volume_of": "serum"}
      ]
    }"#;
    SiteConfig::from_json(
        (
            crate::order_of_draw::ORDER_OF_DRAW_FILE,
            crate::site::DEFAULT_ORDER_OF_DRAW_JSON,
        ),
        ("warm/catalog.json", catalog),
    )
    .unwrap()
}

#[test]
fn a_37_degree_test_never_shares_a_tube_with_room_temperature_tests() {
    let plan = warm_site()
        .plan(&["CMP", "CRYO"], Device::EvacuatedHolder)
        .unwrap();
    assert_eq!(plan.tubes.len(), 2);
    let warm = plan
        .tubes
        .iter()
        .find(|t| t.tests == [TestCode::parse("CRYO").unwrap()])
        .unwrap();
    assert!(warm.instructions.keep_at_37c);
    assert_eq!(warm.instruction_items()[0].title, "Keep at 37 °C");
}

#[test]
fn a_serum_volume_is_planned_as_the_blood_that_yields_it() {
    // 0.8 mL + 1 mL serum at a yield of 0.4 is 2 + 2.5 = 4.5 mL of blood: one 5 mL tube.
    let plan = warm_site()
        .plan(&["CMP", "LDH"], Device::EvacuatedHolder)
        .unwrap();
    assert_eq!(plan.tubes.len(), 1);
    assert_eq!(plan.tubes[0].required_ml, 4.5);
}

#[test]
fn type_and_screen_gets_its_own_pink_tube_with_blood_bank_labelling() {
    let plan = site()
        .plan(&["TS", "CBC"], Device::EvacuatedHolder)
        .unwrap();
    assert_eq!(containers(&plan), ["lavender-edta", "pink-edta"]);
    assert_eq!(plan.tubes[1].labelling, Labelling::BloodBank);
    assert!(plan.tubes[1].exclusive);
    assert_eq!(plan.tubes[1].tests.len(), 1);
}

#[test]
fn the_vancomycin_trough_tube_carries_its_timing() {
    let plan = site().plan(&["VANCT"], Device::EvacuatedHolder).unwrap();
    assert_eq!(plan.tubes[0].container.as_str(), "red-plain");
    assert_eq!(plan.tubes[0].timing.as_ref().unwrap().label, "TROUGH");
}

#[test]
fn unknown_test_codes_are_an_error_not_a_silent_drop() {
    let e = site()
        .plan(&["CBC", "XYZ", "not a code"], Device::Winged)
        .unwrap_err();
    assert_eq!(
        e,
        PlanError::UnknownTests(vec!["XYZ".into(), "not a code".into()])
    );
    assert_eq!(e.to_string(), "unknown test code(s): XYZ, not a code");
}

#[test]
fn an_empty_order_is_an_error() {
    let none: [&str; 0] = [];
    assert_eq!(
        site().plan(&none, Device::Winged).unwrap_err(),
        PlanError::NoTests
    );
}

#[test]
fn lower_case_and_repeated_codes_plan_like_their_canonical_form() {
    let a = site()
        .plan(&["cbc", "CBC", " pt "], Device::Winged)
        .unwrap();
    let b = site().plan(&["PT", "CBC"], Device::Winged).unwrap();
    assert_eq!(a, b);
}

#[test]
fn the_plan_serialises_as_an_array_of_tubes_with_the_cli_fields() {
    let plan = site().plan(&["PT", "CBC"], Device::Winged).unwrap();
    let v = serde_json::to_value(&plan).unwrap();
    let arr = v.as_array().unwrap();
    assert_eq!(arr.len(), 3);
    for key in [
        "container",
        "cap",
        "tests",
        "volume_ml",
        "inversions",
        "discard",
    ] {
        assert!(arr[1].get(key).is_some(), "{key}");
    }
    assert_eq!(arr[1]["tests"], serde_json::json!(["PT"]));
    assert_eq!(arr[0]["discard"], serde_json::json!(true));
    let back: TubePlan = serde_json::from_value(v).unwrap();
    assert_eq!(back, plan);
}

#[test]
fn the_table_lists_tubes_in_order_with_their_tests() {
    let plan = site().plan(&["PT", "CMP", "CBC"], Device::Winged).unwrap();
    let table = render_table(&plan);
    let lines: Vec<&str> = table.lines().collect();
    assert_eq!(lines.len(), 6, "{table}");
    assert!(lines[0].starts_with("#  Container"), "{table}");
    assert!(lines[2].contains("DISCARD"), "{table}");
    assert!(!lines[2].contains("fill to the line"), "{table}");
    assert!(
        lines[3].contains("PT") && lines[3].contains("fill to the line"),
        "{table}"
    );
    assert!(
        lines[4].contains("CMP") && lines[4].contains("gold"),
        "{table}"
    );
    assert!(
        lines[5].contains("CBC") && lines[5].contains("lavender"),
        "{table}"
    );
}

#[test]
fn the_table_notes_each_tubes_handling_instructions() {
    let plan = site()
        .plan(&["BCX", "NH3", "TS"], Device::EvacuatedHolder)
        .unwrap();
    let table = render_table(&plan);
    let lines: Vec<&str> = table.lines().collect();
    assert!(lines[2].contains("fill bottle 1 of 2"), "{table}");
    assert!(lines[3].contains("fill bottle 2 of 2"), "{table}");
    assert!(
        lines[4].contains("ON ICE; deliver within 30 min"),
        "{table}"
    );
    assert!(lines[5].contains("hand-label"), "{table}");
}

#[test]
fn devices_parse_from_their_cli_names() {
    assert_eq!("winged".parse::<Device>().unwrap(), Device::Winged);
    assert_eq!("butterfly".parse::<Device>().unwrap(), Device::Winged);
    assert_eq!("holder".parse::<Device>().unwrap(), Device::EvacuatedHolder);
    assert!("syringe".parse::<Device>().is_err());
}

fn any_order() -> impl Strategy<Value = (Vec<String>, Vec<String>, Device, bool)> {
    let all: Vec<String> = site()
        .catalog()
        .tests()
        .iter()
        .map(|t| t.code.to_string())
        .collect();
    (
        proptest::sample::subsequence(all.clone(), 1..=all.len()),
        any::<bool>(),
        any::<bool>(),
    )
        .prop_flat_map(|(codes, winged, strict)| {
            let shuffled = Just(codes.clone()).prop_shuffle();
            let device = if winged {
                Device::Winged
            } else {
                Device::EvacuatedHolder
            };
            (Just(codes), shuffled, Just(device), Just(strict))
        })
}

proptest! {
    #[test]
    fn every_ordered_test_is_served_exactly_once_per_container_it_needs((codes, _, device, strict) in any_order()) {
        let s = site().with_discard_before_any_coagulation(strict);
        let plan = s.plan(&codes, device).unwrap();
        for code in &codes {
            let def = s.test(&TestCode::parse(code).unwrap()).unwrap();
            let serving: Vec<_> = plan.tubes.iter().filter(|t| t.tests.contains(&def.code)).collect();
            prop_assert_eq!(serving.len(), def.containers.len(), "{}", code);
            for c in &def.containers {
                prop_assert!(serving.iter().any(|t| &t.container == c));
            }
        }
        let served: usize = plan.tubes.iter().map(|t| t.tests.len()).sum();
        let needed: usize = codes.iter().map(|c| s.test(&TestCode::parse(c).unwrap()).unwrap().containers.len()).sum();
        prop_assert_eq!(served, needed);
    }

    #[test]
    fn the_plan_is_always_in_order_of_draw((codes, _, device, strict) in any_order()) {
        let s = site().with_discard_before_any_coagulation(strict);
        let plan = s.plan(&codes, device).unwrap();
        let drawn: Vec<u32> = plan.tubes.iter().filter(|t| !t.discard).map(|t| t.position).collect();
        prop_assert!(drawn.windows(2).all(|w| w[0] <= w[1]), "{:?}", drawn);
        for (i, t) in plan.tubes.iter().enumerate() {
            if t.discard {
                let next = &plan.tubes[i + 1];
                prop_assert!(next.fill_to_line && !next.discard);
            }
        }
    }

    #[test]
    fn no_tube_is_over_its_usable_volume((codes, _, device, _s) in any_order()) {
        let s = site();
        let plan = s.plan(&codes, device).unwrap();
        for t in &plan.tubes {
            let usable = s.container(&t.container).unwrap().usable_volume_ml;
            prop_assert!(t.required_ml <= usable + 1e-9, "{:?}", t);
            if t.exclusive {
                prop_assert_eq!(t.tests.len(), 1);
            }
        }
    }

    #[test]
    fn reordering_the_input_never_changes_the_plan((codes, shuffled, device, strict) in any_order()) {
        let s = site().with_discard_before_any_coagulation(strict);
        prop_assert_eq!(s.plan(&codes, device).unwrap(), s.plan(&shuffled, device).unwrap());
    }

    #[test]
    fn the_plan_never_puts_tests_of_two_lab_sections_or_on_ice_and_light_protected_tests_together((codes, _, device, _s) in any_order()) {
        let s = site();
        let plan = s.plan(&codes, device).unwrap();
        for t in &plan.tubes {
            let defs: Vec<_> = t.tests.iter().map(|c| s.test(c).unwrap()).collect();
            let mut sections: Vec<&str> = defs.iter().filter_map(|d| d.section.as_deref()).collect();
            sections.dedup();
            prop_assert!(sections.len() <= 1, "{:?}", t.tests);
            if t.handling == Handling::ProtectFromLight || t.instructions.protect_from_light {
                prop_assert!(defs.iter().all(|d| d.handling != Handling::OnIce), "{:?}", t.tests);
                prop_assert!(!t.instructions.on_ice);
            }
            let ice = defs.iter().filter(|d| d.handling == Handling::OnIce).count();
            prop_assert!(ice == 0 || ice == defs.len(), "{:?}", t.tests);
        }
    }

    #[test]
    fn a_winged_set_with_citrate_first_always_gets_a_discard_tube_first((codes, _, _d, _s) in any_order()) {
        let plan = site().plan(&codes, Device::Winged).unwrap();
        let first_real = plan.tubes.iter().find(|t| !t.discard).unwrap();
        if first_real.fill_to_line {
            prop_assert!(plan.tubes[0].discard);
        } else {
            prop_assert!(plan.tubes.iter().all(|t| !t.discard));
        }
    }
}

fn orders_of(codes: &[&str]) -> Vec<Order> {
    codes
        .iter()
        .enumerate()
        .map(|(i, c)| crate::test_support::order(&format!("sr-{i}"), c))
        .collect()
}

fn plan_orders(codes: &[&str], device: Device) -> TubePlan {
    let orders = orders_of(codes);
    let refs: Vec<&Order> = orders.iter().collect();
    Planner::new(&site()).plan_orders(&refs, device).unwrap()
}

#[test]
fn two_orders_of_one_test_never_share_a_tube_though_other_tests_still_do() {
    // domain.md: "Two orders for the same test are two orders ... One tube may serve several
    // tests, never two draw times."
    let plan = plan_orders(&["CBC", "CBC", "HBA1C"], Device::EvacuatedHolder);
    let lavender: Vec<&PlannedTube> = plan
        .tubes
        .iter()
        .filter(|t| t.container.as_str() == "lavender-edta")
        .collect();
    assert_eq!(lavender.len(), 2);
    let mut ids: Vec<Vec<String>> = lavender
        .iter()
        .map(|t| t.orders.iter().map(|o| o.to_string()).collect())
        .collect();
    ids.sort();
    assert_eq!(ids, [vec!["sr-0", "sr-2"], vec!["sr-1"]]);
}

#[test]
fn two_blood_culture_sets_are_planned_set_by_set_each_with_both_bottles() {
    // Each set comes from its own venipuncture: set 1 with everything else, set 2 after.
    let plan = plan_orders(&["BCX", "PT", "BCX"], Device::EvacuatedHolder);
    let shape: Vec<(&str, Option<u32>, Vec<String>)> = plan
        .tubes
        .iter()
        .map(|t| {
            (
                t.container.as_str(),
                t.set,
                t.orders.iter().map(|o| o.to_string()).collect(),
            )
        })
        .collect();
    assert_eq!(
        shape,
        [
            ("bc-aerobic", Some(1), vec!["sr-0".to_string()]),
            ("bc-anaerobic", Some(1), vec!["sr-0".to_string()]),
            ("light-blue-citrate", None, vec!["sr-1".to_string()]),
            ("bc-aerobic", Some(2), vec!["sr-2".to_string()]),
            ("bc-anaerobic", Some(2), vec!["sr-2".to_string()]),
        ]
    );
}

#[test]
fn a_tubing_that_already_ran_needs_no_discard_tube_for_its_air() {
    let orders = orders_of(&["PT", "CBC"]);
    let refs: Vec<&Order> = orders.iter().collect();
    let s = site();
    let p = Planner::new(&s);
    assert!(p.plan_orders(&refs, Device::Winged).unwrap().tubes[0].discard);
    let after = p
        .plan_remaining(&refs, &|_, _| false, Device::Winged, true)
        .unwrap();
    assert!(after.tubes.iter().all(|t| !t.discard));
    // A site that wants a discard before any coagulation tube still gets it.
    let strict = site().with_discard_before_any_coagulation(true);
    let after = Planner::new(&strict)
        .plan_remaining(&refs, &|_, _| false, Device::Winged, true)
        .unwrap();
    assert!(after.tubes[0].discard);
}

fn any_orders() -> impl Strategy<Value = Vec<String>> {
    let all: Vec<String> = site()
        .catalog()
        .tests()
        .iter()
        .map(|t| t.code.to_string())
        .collect();
    proptest::collection::vec(proptest::sample::select(all), 1..12)
}

proptest! {
    #[test]
    fn every_order_is_served_and_no_tube_serves_two_orders_of_one_test(codes in any_orders(), winged: bool) {
        let refs: Vec<&str> = codes.iter().map(String::as_str).collect();
        let orders = orders_of(&refs);
        let device = if winged { Device::Winged } else { Device::EvacuatedHolder };
        let plan = Planner::new(&site())
            .plan_orders(&orders.iter().collect::<Vec<_>>(), device)
            .unwrap();
        for o in &orders {
            let def = site().test(&o.test).unwrap().clone();
            let serving: Vec<&PlannedTube> = plan.tubes.iter().filter(|t| t.orders.contains(&o.id)).collect();
            prop_assert_eq!(serving.len(), def.containers.len(), "{}", o.id);
        }
        for t in &plan.tubes {
            let tests: Vec<&TestCode> = orders.iter().filter(|o| t.orders.contains(&o.id)).map(|o| &o.test).collect();
            let mut unique = tests.clone();
            unique.sort();
            unique.dedup();
            prop_assert_eq!(unique.len(), tests.len(), "{:?}", t);
            prop_assert_eq!(t.discard, t.orders.is_empty());
        }
    }
}
