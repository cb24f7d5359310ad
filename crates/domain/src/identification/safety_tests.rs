//! Identification that neither leaks nor cries wolf: folded names, MRNs by the site's rule,
//! look-alikes, scan + verbal, and bad input in the wristband field.

use chrono::NaiveDate;
use proptest::prelude::*;

use super::fold::{fold, Fold};
use super::*;
use crate::safety::{AccessionFormat, LeadingZeros, MrnRule, SafetyRules};

fn name(text: &str) -> PersonName {
    PersonName::parse(text).unwrap()
}

fn person(mrn: &str, full_name: &str, born: &str) -> PatientIdentity {
    PatientIdentity {
        mrn: Mrn::parse(mrn).unwrap(),
        name: name(full_name),
        birth_date: parse_birth_date(born).unwrap(),
    }
}

fn insignificant() -> MrnRule {
    MrnRule {
        leading_zeros: LeadingZeros::Insignificant,
    }
}

#[test]
fn real_world_names_match_or_not_as_a_ward_clerk_would_say() {
    for (a, b, same) in [
        ("SMITH, Judy Girl A", "SMITH^JUDY^GIRL^A", true),
        ("SMITH, Judy Girl A", "SMITH, Judy Girl B", false),
        ("MÜLLER, Hans", "MULLER, Hans", true),
        ("MÜLLER, Hans", "MUELLER, Hans", true),
        ("Müller, Jürgen", "MUELLER^JUERGEN", true),
        ("MULLER, Hans", "MILLER, Hans", false),
        ("Smith, Mary Ann", "SMITH^MARY-ANN", true),
        ("Smith, Mary Ann", "SMITH^MARYANN", true),
        ("Smith, Mary Ann", "SMITH^MARY", false),
        ("O'Brien, Sean", "OBRIEN^SEAN", true),
        ("O’Brien, Seán", "O BRIEN^SEAN", true),
        ("Nguyễn, Văn Anh", "NGUYEN^VAN^ANH", true),
        ("Nguyễn, Văn Anh", "NGUYEN^VAN^AN", false),
        ("Ødegård, Åse", "ODEGARD^ASE", true),
        ("Ødegård, Åse", "OEDEGAARD^AASE", true),
        ("Łukasz, Wałęsa", "LUKASZ^WALESA", true),
        ("van der Berg, Anna", "VAN DER BERG^ANNA", true),
        ("van der Berg, Anna", "VANDERBERG^ANNA", true),
        ("van der Berg, Anna", "VAN DEN BERG^ANNA", false),
        ("García, José", "GARCIA^JOSE", true),
        ("Strauß, Jörg", "STRAUSS^JORG", true),
        ("Æbeltoft, Søren", "AEBELTOFT^SOREN", true),
        ("Dvořák, Antonín", "DVORAK^ANTONIN", true),
        ("Ionescu, Ștefan", "IONESCU^STEFAN", true),
        // Decomposed input: an E followed by a combining acute accent.
        ("Garcia, Jose\u{301}", "GARCIA^JOSE", true),
    ] {
        assert_eq!(name(a).matches(&name(b)), same, "{a} vs {b}");
        assert_eq!(name(b).matches(&name(a)), same, "{b} vs {a}");
    }
}

#[test]
fn the_fold_table_spells_out_letters_both_folds_agree_on() {
    for how in [Fold::Plain, Fold::Transliterated] {
        assert_eq!(fold("ß", how), "SS");
        assert_eq!(fold("Æ", how), "AE");
        assert_eq!(fold("Ł", how), "L");
        assert_eq!(fold("Œuvre", how), "OEUVRE");
    }
    assert_eq!(fold("Ø", Fold::Plain), "O");
    assert_eq!(fold("Ø", Fold::Transliterated), "OE");
    assert_eq!(fold("Ü-ber 'x", Fold::Plain), "UBERX");
}

#[test]
fn mrns_compare_by_the_site_leading_zeros_rule() {
    let padded = Mrn::parse("00123456").unwrap();
    let bare = Mrn::parse("123456").unwrap();
    assert!(!padded.same_as(&bare, &MrnRule::default()));
    assert!(padded.same_as(&bare, &insignificant()));
    // Zeros after letters are part of the number.
    let prefixed = Mrn::parse("MRN00123").unwrap();
    assert!(!prefixed.same_as(&Mrn::parse("MRN123").unwrap(), &insignificant()));
    assert!(Mrn::parse("000")
        .unwrap()
        .same_as(&Mrn::parse("0000").unwrap(), &insignificant()));
    assert!(!Mrn::parse("1230")
        .unwrap()
        .same_as(&Mrn::parse("123").unwrap(), &insignificant()));
}

#[test]
fn a_zero_padded_wristband_mrn_identifies_where_the_site_says_zeros_are_padding() {
    let patient = person("123456", "CHALMERS, Peter", "1974-12-25");
    let scan = Evidence::from_wristband("DL1|00123456|CHALMERS^PETER|19741225").unwrap();
    let strict = identify(&scan, &patient, &IdentifyContext::default()).unwrap_err();
    assert_eq!(
        strict,
        IdentificationError::Mismatch {
            mismatched: vec![IdentifierKind::Mrn]
        }
    );
    let rules = SafetyRules {
        mrn: insignificant(),
        ..SafetyRules::default()
    };
    let id = identify(&scan, &patient, &IdentifyContext::new(&rules)).unwrap();
    assert_eq!(id.method, CaptureMethod::Scan);
}

fn twins() -> [PatientIdentity; 3] {
    [
        person("MRN900001", "SMITH, Judy Girl A", "2026-11-28"),
        person("MRN900002", "SMITH, Judy Girl B", "2026-11-28"),
        person("MRN900003", "SMITH, John", "1950-01-01"),
    ]
}

#[test]
fn twins_on_one_round_are_look_alikes_and_strangers_are_not() {
    let [a, b, john] = twins();
    let round = [a.clone(), b.clone(), john.clone()];
    let alikes = look_alikes(&a, &round, &MrnRule::default());
    assert_eq!(alikes, vec![&b]);
    assert!(look_alikes(&john, &round, &MrnRule::default()).is_empty());
    // The same family name folded counts: MÜLLER and MULLER born the same day.
    let m1 = person("MRN1", "MÜLLER, Anna", "1980-02-02");
    let m2 = person("MRN2", "MULLER, Berta", "1980-02-02");
    assert_eq!(look_alikes(&m1, [&m2], &MrnRule::default()), vec![&m2]);
    // The patient's own entry (padded MRN at a site where zeros are padding) is not a look-alike.
    let own = person("0MRN1", "MÜLLER, Anna", "1980-02-02");
    let padded = person("00123", "MÜLLER, Anna", "1980-02-02");
    let bare = person("123", "MÜLLER, Anna", "1980-02-02");
    assert!(look_alikes(&padded, [&bare], &insignificant()).is_empty());
    assert_eq!(look_alikes(&m1, [&own], &MrnRule::default()).len(), 1);
}

#[test]
fn with_a_twin_on_the_round_name_and_birth_date_ask_for_the_mrn_and_the_mrn_identifies() {
    let [a, b, john] = twins();
    let round = [a.clone(), b.clone(), john];
    let context = IdentifyContext::for_round(&SafetyRules::default(), &a, &round);
    assert!(context.mrn_required);
    let typed = Evidence::manual(Some("SMITH, Judy Girl A"), Some("2026-11-28"), None).unwrap();
    let err = identify(&typed, &a, &context).unwrap_err();
    assert_eq!(err, IdentificationError::MrnRequired);
    assert!(!err.is_hard_stop());
    assert!(
        err.to_string()
            .contains("another patient on this round has the same family name and date of birth"),
        "{err}"
    );
    let with_mrn = Evidence::manual(
        Some("SMITH, Judy Girl A"),
        Some("2026-11-28"),
        Some("MRN900001"),
    )
    .unwrap();
    assert!(identify(&with_mrn, &a, &context).is_ok());
    // The other twin's wristband is a wrong patient, not a request for more.
    let other = Evidence::from_wristband("DL1|MRN900002|SMITH^JUDY^GIRL^B|20261128").unwrap();
    let err = identify(&other, &a, &context).unwrap_err();
    assert_eq!(
        err,
        IdentificationError::Mismatch {
            mismatched: vec![IdentifierKind::Name, IdentifierKind::Mrn]
        }
    );
    // Without the twin on the round, name and date of birth are enough.
    let alone = IdentifyContext::for_round(&SafetyRules::default(), &a, [&a]);
    assert!(identify(&typed, &a, &alone).is_ok());
}

#[test]
fn an_mrn_only_wristband_with_name_and_birth_date_stated_is_scan_plus_verbal() {
    let patient = person("MRN0012345", "CHALMERS, Peter James", "1974-12-25");
    let ctx = IdentifyContext::default();
    let stated = Evidence::from_wristband("MRN0012345")
        .unwrap()
        .with_stated_name_and_birth_date(&patient);
    let id = identify(&stated, &patient, &ctx).unwrap();
    assert_eq!(id.method, CaptureMethod::ScanVerbal);
    assert_eq!(id.method.display(), "wristband scan + verbal confirmation");
    // Typed instead: manual, as before.
    let typed = Evidence::from_wristband("MRN0012345")
        .unwrap()
        .and(Evidence::manual(Some("CHALMERS, Peter James"), Some("1974-12-25"), None).unwrap());
    assert_eq!(
        identify(&typed, &patient, &ctx).unwrap().method,
        CaptureMethod::Manual
    );
    // Stated identifiers with nothing scanned are no better than typed ones.
    let only_stated = Evidence::new().with_stated_name_and_birth_date(&patient);
    assert_eq!(
        identify(&only_stated, &patient, &ctx).unwrap().method,
        CaptureMethod::Manual
    );
}

#[test]
fn identifications_recorded_before_scan_plus_verbal_still_read() {
    let old = r#"{"matched":[{"kind":"name","method":"manual"},{"kind":"mrn","method":"scan"}],"method":"manual"}"#;
    let id: Identification = serde_json::from_str(old).unwrap();
    assert_eq!(id.method, CaptureMethod::Manual);
    assert_eq!(serde_json::to_string(&id).unwrap(), old);
    assert_eq!(
        serde_json::to_value(CaptureMethod::ScanVerbal).unwrap(),
        "scan-verbal"
    );
}

#[test]
fn bad_input_in_the_wristband_field_is_refused_saying_what_was_read() {
    let rules = SafetyRules {
        accession: AccessionFormat {
            pattern: Some("LAB########".into()),
            ..AccessionFormat::default()
        },
        ..SafetyRules::default()
    };
    let long = "A1".repeat(200);
    for (scan, expected) in [
        ("  \t\r\n", WristbandError::Empty),
        (long.as_str(), WristbandError::TooLong { chars: 400 }),
        ("MRN00\u{1b}12345", WristbandError::ControlCharacters),
        (
            "DL1|MRN1\u{1d}|X^Y|19700101",
            WristbandError::ControlCharacters,
        ),
        ("D1A2B3C4D5E-1", WristbandError::TubeLabel),
        ("d0f3a9b2c1e-12", WristbandError::TubeLabel),
        ("LAB12345678", WristbandError::TubeLabel),
        ("lab12345678\r\n", WristbandError::TubeLabel),
    ] {
        assert_eq!(
            Evidence::read_wristband(scan, &rules).map(|_| ()),
            Err(expected),
            "{scan:?}"
        );
    }
    // Near misses of the pattern are read as the plain MRNs they may be.
    assert!(Evidence::read_wristband("LAB1234567", &rules).is_ok());
    assert!(Evidence::read_wristband("MRN12345678", &rules).is_ok());
    // Without a site pattern, a lab accession-like text is a plain MRN.
    assert!(Evidence::from_wristband("LAB12345678").is_ok());
    assert_eq!(
        crate::scanned::shown("MRN00\u{1b}12345"),
        "MRN00\\u{1b}12345"
    );
    let shown = crate::scanned::shown(&long);
    assert_eq!(shown.chars().count(), 61);
    assert!(shown.ends_with('…'));
}

/// Real-world names in capitals and plain ASCII, as a lab system prints them.
fn ascii_name() -> impl Strategy<Value = (String, Vec<String>)> {
    let family = prop::sample::select(vec![
        "SMITH",
        "OBRIEN",
        "VAN DER BERG",
        "NGUYEN",
        "MULLER",
        "ODEGARD",
        "GARCIA",
        "LUKASZ",
        "DE LA CRUZ",
        "MACDONALD",
        "ABU-BAKR",
        "KIM",
        "DVORAK",
        "STRAUSS",
    ]);
    let given = prop::collection::vec(
        prop::sample::select(vec![
            "JUDY", "GIRL", "A", "B", "MARY", "ANN", "JOSE", "SEAN", "ANH", "VAN", "ASE", "LEE",
            "JEAN", "PAUL", "ZOE",
        ]),
        1..4,
    );
    (family, given).prop_map(|(f, g)| {
        (
            f.to_owned(),
            g.into_iter().map(str::to_owned).collect::<Vec<_>>(),
        )
    })
}

/// One way a name is written differently without being another name.
fn restyle(text: &str, case: u8, accents: bool, hyphens: bool, spaces: bool) -> String {
    let mut out = String::new();
    for (i, c) in text.chars().enumerate() {
        let c = match (accents, c) {
            (true, 'A') => 'Á',
            (true, 'E') => 'É',
            (true, 'O') => 'Ö',
            (true, 'U') => 'Ü',
            (true, 'N') => 'Ñ',
            (true, 'C') => 'Ç',
            (true, 'L') => 'Ł',
            _ => c,
        };
        let c = if hyphens && c == ' ' { '-' } else { c };
        match case {
            0 => out.extend(c.to_lowercase()),
            1 if i == 0 => out.push(c),
            1 => out.extend(c.to_lowercase()),
            _ => out.push(c),
        }
        if spaces && i % 3 == 2 && c != ' ' {
            out.push(' ');
        }
    }
    out
}

fn built(family: &str, given: &[String]) -> PersonName {
    let given: Vec<&str> = given.iter().map(String::as_str).collect();
    PersonName::new(family, &given).unwrap()
}

proptest! {
    #[test]
    fn folding_is_idempotent(text in any::<String>()) {
        for how in [Fold::Plain, Fold::Transliterated] {
            let once = fold(&text, how);
            prop_assert_eq!(fold(&once, how), once);
        }
    }

    #[test]
    fn folding_a_real_name_is_idempotent(
        (family, given) in ascii_name(),
        case in 0u8..3, accents: bool, hyphens: bool, spaces: bool,
    ) {
        let styled = restyle(&format!("{family} {}", given.join(" ")), case, accents, hyphens, spaces);
        for how in [Fold::Plain, Fold::Transliterated] {
            let once = fold(&styled, how);
            prop_assert_eq!(fold(&once, how), once);
        }
    }

    #[test]
    fn a_name_matches_itself_however_it_is_written(
        (family, given) in ascii_name(),
        case in 0u8..3, accents: bool, hyphens: bool, spaces: bool,
    ) {
        let plain = built(&family, &given);
        let styled_family = restyle(&family, case, accents, hyphens, spaces);
        let styled_given: Vec<String> = given
            .iter()
            .map(|g| restyle(g, case, accents, hyphens, spaces))
            .collect();
        let styled = built(&styled_family, &styled_given);
        prop_assert!(plain.matches(&styled), "{} vs {}", plain, styled);
        prop_assert!(styled.matches(&plain), "{} vs {}", styled, plain);
        // And written as one given-name string split differently ("Mary Ann" / "MARY-ANN").
        let joined = built(&family, &[given.join("-")]);
        prop_assert!(plain.matches(&joined));
    }

    #[test]
    fn names_that_differ_in_a_given_name_do_not_match(
        (family, given) in ascii_name(),
        which in any::<prop::sample::Index>(),
        replacement in prop::sample::select(vec!["ROSE", "C", "KAI", "NOOR"]),
        accents: bool,
    ) {
        let mut other = given.clone();
        let i = which.index(other.len());
        prop_assume!(other[i] != replacement);
        other[i] = replacement.to_owned();
        let a = built(&family, &given);
        let b = built(&restyle(&family, 0, accents, false, false), &other);
        prop_assert!(!a.matches(&b), "{} vs {}", a, b);
    }

    #[test]
    fn leading_zeros_are_padding_only_where_the_site_says_so(
        number in "[1-9][0-9]{2,10}",
        zeros in 1usize..6,
    ) {
        let bare = Mrn::parse(&number).unwrap();
        let padded = Mrn::parse(&format!("{}{number}", "0".repeat(zeros))).unwrap();
        prop_assert!(padded.same_as(&bare, &insignificant()));
        prop_assert!(bare.same_as(&padded, &insignificant()));
        prop_assert!(!padded.same_as(&bare, &MrnRule::default()));
        // A different number never becomes the same by padding.
        let other = Mrn::parse(&format!("{number}1")).unwrap();
        prop_assert!(!padded.same_as(&other, &insignificant()));
    }

    #[test]
    fn patients_sharing_family_name_and_birth_date_always_need_the_mrn(
        (family, given) in ascii_name(),
        (_, other_given) in ascii_name(),
        day in 1u32..28,
    ) {
        let born = NaiveDate::from_ymd_opt(2020, 1, day).unwrap();
        let a = PatientIdentity { mrn: Mrn::parse("MRN1001").unwrap(), name: built(&family, &given), birth_date: born };
        let b = PatientIdentity { mrn: Mrn::parse("MRN1002").unwrap(), name: built(&family.to_lowercase(), &other_given), birth_date: born };
        let ctx = IdentifyContext::for_round(&SafetyRules::default(), &a, [&a, &b]);
        prop_assert!(ctx.mrn_required);
        let typed = Evidence::new()
            .with_manual(Identifier::Name(a.name.clone()))
            .with_manual(Identifier::DateOfBirth(born));
        prop_assert_eq!(identify(&typed, &a, &ctx).unwrap_err(), IdentificationError::MrnRequired);
    }
}
