//! Shared test fixtures (public with the `test-support` feature): a patient, orders, collections at each step.

use chrono::{DateTime, NaiveDate, Utc};
use uuid::Uuid;

use crate::catalog::TestCode;
use crate::collection::{
    BodySite, Collection, CollectionError, CollectionId, CollectorId, DeviceTime,
    FinalizedCollection, KnownLabels, Order, OrderId, Patient, PatientId, Priority,
};
use crate::identification::{Evidence, IdentifyContext, Mrn, PatientIdentity, PersonName};
use crate::planner::Device;
use crate::site::SiteConfig;

/// A device time written as RFC 3339 with the device's offset.
pub fn t(s: &str) -> DeviceTime {
    DeviceTime::from_local(DateTime::parse_from_rfc3339(s).unwrap())
}

/// The collector of every fixture, `phleb-042`.
pub fn nurse() -> CollectorId {
    CollectorId::parse("phleb-042").unwrap()
}

/// Peter James Chalmers, MRN 12345, born 1974-12-25, patient id `example`: the patient of every fixture.
pub fn peter() -> Patient {
    Patient {
        id: PatientId::parse("example").unwrap(),
        identity: PatientIdentity {
            mrn: Mrn::parse("12345").unwrap(),
            name: PersonName::new("Chalmers", &["Peter", "James"]).unwrap(),
            birth_date: NaiveDate::from_ymd_opt(1974, 12, 25).unwrap(),
        },
        alerts: Vec::new(),
    }
}

/// An open routine order of patient `example` (requisition `REQ-1001`), placed 2024-05-01 06:00 UTC.
pub fn order(id: &str, test: &str) -> Order {
    Order {
        id: OrderId::parse(id).unwrap(),
        patient: PatientId::parse("example").unwrap(),
        test: TestCode::parse(test).unwrap(),
        priority: Priority::Routine,
        placed_at: DateTime::parse_from_rfc3339("2024-05-01T06:00:00Z")
            .unwrap()
            .with_timezone(&Utc),
        due_at: None,
        requisition: Some("REQ-1001".into()),
        accessions: Vec::new(),
        note: None,
        recollection_reason: None,
    }
}

/// A scan of [`peter`]'s wristband.
pub fn wristband() -> Evidence {
    Evidence::from_wristband("DL1|12345|CHALMERS^PETER^JAMES|19741225").unwrap()
}

/// A collection of [`peter`] for `orders`, started by the nurse with a vacutainer holder at 08:00 local (+02:00).
pub fn started(orders: Vec<Order>) -> Collection {
    Collection::start(
        CollectionId(Uuid::parse_str("5f0c6a3e-8d2b-4c1a-9e47-2b7d7c1f0a11").unwrap()),
        peter(),
        orders,
        &SiteConfig::default_site(),
        Device::EvacuatedHolder,
        &nurse(),
        t("2024-05-01T08:00:00+02:00"),
    )
    .unwrap()
}

/// PT + CMP + CBC drawn and labelled at 08:10 local (+02:00), ready to finalize.
pub fn complete() -> Collection {
    let mut c = started(vec![
        order("sr-pt", "PT"),
        order("sr-cmp", "CMP"),
        order("sr-cbc", "CBC"),
    ]);
    c.identify(
        &wristband(),
        &IdentifyContext::default(),
        &nurse(),
        t("2024-05-01T08:05:00+02:00"),
    )
    .unwrap();
    venipuncture(&mut c, BodySite::LeftAntecubital);
    for (i, acc) in [(1, "A0001"), (2, "A0002"), (3, "A0003")] {
        let now = t("2024-05-01T08:10:00+02:00");
        c.record_draw(i, now, None, &nurse(), now).unwrap();
        label(&mut c, i, acc, now);
    }
    c
}

/// [`complete`] finalized by the nurse at 08:12 local (+02:00).
pub fn finalized() -> FinalizedCollection {
    complete()
        .finalize(&nurse(), t("2024-05-01T08:12:00+02:00"))
        .unwrap()
}

/// A collection of `orders` started at 08:00, identified by wristband at 08:05, and a
/// venipuncture begun at the left antecubital fossa with the holder it was planned for.
pub fn identified(orders: Vec<Order>) -> Collection {
    let mut c = started(orders);
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

/// Begins a venipuncture at `site` with the collection's device at 08:06 local (+02:00).
pub fn venipuncture(c: &mut Collection, site: BodySite) {
    let device = c.device();
    c.begin_venipuncture(
        site,
        device,
        &SiteConfig::default_site(),
        &nurse(),
        t("2024-05-01T08:06:00+02:00"),
    )
    .unwrap();
}

/// Labels drawn tube `tube` with accession `accession` at `now`.
pub fn label(c: &mut Collection, tube: u32, accession: &str, now: DeviceTime) {
    c.label_tube(
        tube,
        accession,
        &stock_labels(),
        &KnownLabels::new(),
        &nurse(),
        now,
    )
    .unwrap();
}

/// Accession rules of a site with stock label rolls and no pattern: any free label binds.
pub fn stock_labels() -> crate::safety::AccessionFormat {
    crate::safety::AccessionFormat {
        stock_labels: true,
        ..Default::default()
    }
}

/// A vancomycin trough order `sr-vanc` whose next dose (its due time) is `due`, RFC 3339.
pub fn trough(due: &str) -> Order {
    Order {
        due_at: Some(t(due).utc),
        ..order("sr-vanc", "VANCT")
    }
}

/// 08:10 local (+02:00): the device clock when these fixtures draw and label.
pub fn draw_time() -> DeviceTime {
    t("2024-05-01T08:10:00+02:00")
}

/// Records tube `tube` as drawn at `at`, confirmed by the nurse at [`draw_time`].
pub fn draw_at(c: &mut Collection, tube: u32, at: &str) -> Result<(), CollectionError> {
    c.record_draw(tube, t(at), None, &nurse(), draw_time())
}

/// `identified(orders)` with tube 1 drawn and labelled `accession` at [`draw_time`].
pub fn first_tube_labelled(orders: Vec<Order>, accession: &str) -> Collection {
    let mut c = identified(orders);
    let now = draw_time();
    c.record_draw(1, now, None, &nurse(), now).unwrap();
    label(&mut c, 1, accession, now);
    c
}

/// The first ```json block after `heading` in the site data README (`crates/domain/site/README.md`),
/// so every documented example is read by a test.
pub fn site_readme_json(heading: &str) -> &'static str {
    let readme = include_str!("../site/README.md");
    let section = readme
        .split(heading)
        .nth(1)
        .unwrap_or_else(|| panic!("no '{heading}' in the site README"));
    section
        .split("```json")
        .nth(1)
        .and_then(|block| block.split("```").next())
        .unwrap_or_else(|| panic!("no json block after '{heading}' in the site README"))
}

/// Each of `all` as its (wire code, words) pair, to check a `wire_enum!` table at a glance.
pub fn codes_and_words<T: Copy>(
    all: &[T],
    code: fn(T) -> &'static str,
    words: fn(T) -> &'static str,
) -> Vec<(&'static str, &'static str)> {
    all.iter().map(|&v| (code(v), words(v))).collect()
}
