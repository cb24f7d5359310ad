//! Glue between stored records and the domain rules: start, draft format, accessions, outbox.

// No browser here, so all of it is tested natively.

use chrono::{DateTime, FixedOffset, Utc};
use drawline_domain::api::{Worklist, WorklistOrder};
use drawline_domain::collection::KnownLabels;
use drawline_domain::{
    Collection, CollectionError, CollectionId, CollectorId, Device, DeviceTime,
    FinalizedCollection, Patient, SiteConfig,
};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::storage::{Draft, OutboxItem};

/// The screens of one collection, in workflow order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Step {
    /// Positive patient identification.
    Identify,
    /// Tubes in order of draw, marked drawn.
    Tubes,
    /// Bedside labels.
    Label,
    /// Not collected, per test or visit.
    Exceptions,
    /// Summary and finalize.
    Review,
}

impl Step {
    /// The steps shown in the step bar.
    pub const MAIN: [Step; 4] = [Step::Identify, Step::Tubes, Step::Label, Step::Review];

    /// URL segment and stored form.
    pub fn as_str(self) -> &'static str {
        match self {
            Step::Identify => "identify",
            Step::Tubes => "tubes",
            Step::Label => "label",
            Step::Exceptions => "exceptions",
            Step::Review => "review",
        }
    }

    /// Parses the stored form; an unknown one resumes at identification, the safe start.
    pub fn parse(text: &str) -> Step {
        match text {
            "tubes" => Step::Tubes,
            "label" => Step::Label,
            "exceptions" => Step::Exceptions,
            "review" => Step::Review,
            _ => Step::Identify,
        }
    }

    /// Heading shown to the collector.
    pub fn title(self) -> &'static str {
        match self {
            Step::Identify => "Identify patient",
            Step::Tubes => "Draw tubes",
            Step::Label => "Label tubes",
            Step::Exceptions => "Not collected",
            Step::Review => "Review and finalize",
        }
    }

    /// The address of this step of collection `id`.
    pub fn path(self, id: &str) -> String {
        format!("/collect/{id}/{}", self.as_str())
    }
}

/// Who is collecting, as stored with the draft (the record itself only keeps the id).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Collector {
    /// Stable user id from the server, recorded as the collector id.
    pub id: String,
    /// Sign-in name, printed on labels (shorter than the id).
    pub username: String,
    /// Full name shown on screen.
    pub display_name: String,
}

impl Collector {
    /// The domain's collector id.
    pub fn collector_id(&self) -> CollectorId {
        CollectorId::parse(&self.id).unwrap_or_else(|_| {
            CollectorId::parse(&self.username).expect("a signed-in user has a username")
        })
    }
}

/// What a draft record holds: the domain collection plus what the screens need around it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DraftData {
    /// The collection record (its history includes refused identifications and bindings).
    pub collection: Collection,
    /// Who started it.
    pub collector: Collector,
    /// Where the patient is: shown to find them, never used as an identifier.
    pub location: Option<String>,
    /// Some ordered test wants a fasting patient.
    pub fasting_required: bool,
}

impl DraftData {
    /// The collection id as text.
    pub fn id(&self) -> String {
        self.collection.id().to_string()
    }

    /// The stored draft record at `step`.
    pub fn to_draft(&self, step: Step, saved_at: DateTime<FixedOffset>) -> Draft {
        Draft {
            id: self.id(),
            step: step.as_str().to_owned(),
            saved_at: saved_at.to_rfc3339(),
            data: serde_json::to_value(self).expect("a draft always serialises"),
        }
    }

    /// Reads a stored draft back.
    pub fn from_draft(draft: &Draft) -> Result<(Self, Step), String> {
        let data: DraftData = crate::json_value::from_value(&draft.data)
            .map_err(|e| format!("draft {} cannot be read: {e}", draft.id))?;
        Ok((data, Step::parse(&draft.step)))
    }
}

/// The device clock now, with its offset.
pub fn now() -> DeviceTime {
    DeviceTime::from_local(chrono::Local::now().fixed_offset())
}

/// Why a collection cannot start.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum StartError {
    /// The patient is not on the stored worklist.
    #[error("this patient is not on the downloaded worklist")]
    UnknownPatient,
    /// Every order is already finalized.
    #[error("every order for this patient is already collected")]
    NothingOpen,
    /// A rule refused it (e.g. a test missing from the catalog).
    #[error("{0}")]
    Rule(#[from] CollectionError),
}

/// The worklist orders of `patient` that are not in a finalized collection yet.
pub fn open_orders<'a>(
    worklist: &'a Worklist,
    patient: &str,
    finalized_orders: &[String],
) -> Vec<&'a WorklistOrder> {
    worklist
        .orders
        .iter()
        .filter(|o| o.order.patient.as_str() == patient)
        .filter(|o| !finalized_orders.iter().any(|f| f == o.order.id.as_str()))
        .collect()
}

/// Starts a collection of `patient`'s open orders, planned for `device`.
pub fn start(
    worklist: &Worklist,
    site: &SiteConfig,
    patient: &str,
    finalized_orders: &[String],
    device: Device,
    collector: Collector,
    now: DeviceTime,
) -> Result<DraftData, StartError> {
    let p: &Patient = worklist
        .patients
        .iter()
        .find(|p| p.id.as_str() == patient)
        .ok_or(StartError::UnknownPatient)?;
    let orders = open_orders(worklist, patient, finalized_orders);
    if orders.is_empty() {
        return Err(StartError::NothingOpen);
    }
    let location = orders.iter().find_map(|o| o.location.clone());
    let fasting_required = orders.iter().any(|o| o.fasting);
    let collection = Collection::start(
        CollectionId(Uuid::new_v4()),
        p.clone(),
        orders.iter().map(|o| o.order.clone()).collect(),
        site,
        device,
        &collector.collector_id(),
        now,
    )?;
    Ok(DraftData {
        collection,
        collector,
        location,
        fasting_required,
    })
}

/// What this device knows of other patients' tube labels, for the domain's tube-label judgement:
/// the worklist's patients and their orders' lab accessions, and the labels (and orders) of every
/// other collection on the tablet (drafts and outbox), except collection `this` itself.
pub fn known_labels(
    this: CollectionId,
    worklist: Option<&Worklist>,
    others: &[Collection],
) -> KnownLabels {
    let mut known = KnownLabels::new();
    if let Some(w) = worklist {
        for p in &w.patients {
            let orders = w
                .orders
                .iter()
                .filter(|o| o.order.patient == p.id)
                .map(|o| &o.order);
            known.add_orders(&p.identity.mrn, orders);
        }
    }
    for c in others.iter().filter(|c| c.id() != this) {
        known.add_collection(c);
    }
    known
}

/// The outbox record of a finalized version.
pub fn outbox_item(finalized: &FinalizedCollection) -> OutboxItem {
    let record = finalized.record();
    let id = record.id().to_string();
    OutboxItem {
        id: OutboxItem::key(&id, record.version()),
        collection_id: id,
        version: record.version(),
        hash: finalized.hash().as_str().to_owned(),
        finalized_at: record
            .finalized_at()
            .map(|t| t.local().to_rfc3339())
            .unwrap_or_default(),
        data: serde_json::to_value(finalized).expect("a finalized record always serialises"),
        attention: None,
    }
}

/// The collections held in outbox records (a record that no longer verifies is skipped).
pub fn outbox_collections(items: &[OutboxItem]) -> Vec<Collection> {
    items
        .iter()
        .filter_map(|i| crate::json_value::from_value::<FinalizedCollection>(&i.data).ok())
        .map(|f| f.record().clone())
        .collect()
}

/// Order ids already in a finalized collection.
pub fn finalized_order_ids(collections: &[Collection]) -> Vec<String> {
    collections
        .iter()
        .flat_map(|c| c.orders().iter().map(|o| o.id.as_str().to_owned()))
        .collect()
}

/// Minutes from `target` to `at`, signed (negative: early).
pub fn minutes_from(target: DateTime<Utc>, at: DateTime<Utc>) -> i64 {
    (at - target).num_minutes()
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::NaiveDate;
    use drawline_domain::api::Worklist;
    use drawline_domain::{
        Evidence, Mrn, Order, OrderId, PatientId, PatientIdentity, PersonName, Priority, TestCode,
    };

    fn t(s: &str) -> DeviceTime {
        DeviceTime::from_local(DateTime::parse_from_rfc3339(s).unwrap())
    }

    fn collector() -> Collector {
        Collector {
            id: "4f1c2f0e-0000-4000-8000-000000000001".into(),
            username: "amara".into(),
            display_name: "Amara Okafor".into(),
        }
    }

    fn patient(id: &str, mrn: &str, family: &str, given: &str) -> Patient {
        Patient {
            id: PatientId::parse(id).unwrap(),
            identity: PatientIdentity {
                mrn: Mrn::parse(mrn).unwrap(),
                name: PersonName::new(family, &[given]).unwrap(),
                birth_date: NaiveDate::from_ymd_opt(1937, 6, 30).unwrap(),
            },
        }
    }

    fn order(id: &str, patient: &str, test: &str) -> WorklistOrder {
        WorklistOrder {
            order: Order {
                id: OrderId::parse(id).unwrap(),
                patient: PatientId::parse(patient).unwrap(),
                test: TestCode::parse(test).unwrap(),
                priority: Priority::Routine,
                placed_at: t("2026-11-23T06:00:00+00:00").utc,
                due_at: None,
                requisition: None,
                accessions: Vec::new(),
            },
            round_id: None,
            fasting: false,
            location: Some("Ward 5, room 4".into()),
            note: None,
        }
    }

    /// Starts a collection of `patient` from the test worklist with the default site at 08:00,
    /// `closed` being the orders already finalized.
    fn begin(patient: &str, closed: &[String], device: Device) -> Result<DraftData, StartError> {
        start(
            &worklist(),
            &SiteConfig::default_site(),
            patient,
            closed,
            device,
            collector(),
            t("2026-11-23T08:00:00+00:00"),
        )
    }

    fn worklist() -> Worklist {
        Worklist {
            device_id: Uuid::nil(),
            generated_at: t("2026-11-23T07:00:00+00:00").utc,
            rounds: vec![],
            patients: vec![
                patient("p1", "MRN100233", "Lindqvist", "Erik"),
                patient("p2", "MRN200101", "Walker", "Edith"),
            ],
            orders: vec![
                order("o1", "p1", "PT"),
                order("o2", "p1", "APTT"),
                order("o3", "p1", "CBC"),
                order("o4", "p2", "PT"),
            ],
        }
    }

    #[test]
    fn a_collection_starts_with_the_patients_open_orders_planned_in_order_of_draw() {
        let d = begin("p1", &["o3".to_string()], Device::EvacuatedHolder).unwrap();
        let ids: Vec<&str> = d
            .collection
            .orders()
            .iter()
            .map(|o| o.id.as_str())
            .collect();
        assert_eq!(ids, ["o1", "o2"]);
        assert_eq!(d.location.as_deref(), Some("Ward 5, room 4"));
        assert_eq!(d.collection.started_by().as_str(), collector().id);
        assert_eq!(
            d.collection.tubes().len(),
            1,
            "PT and APTT share one citrate tube"
        );
    }

    #[test]
    fn nothing_to_start_when_every_order_is_finalized_or_the_patient_is_unknown() {
        let e = begin("p2", &["o4".into()], Device::Winged);
        assert_eq!(e.unwrap_err(), StartError::NothingOpen);
        let e = begin("p9", &[], Device::Winged);
        assert_eq!(e.unwrap_err(), StartError::UnknownPatient);
    }

    #[test]
    fn a_draft_record_reads_back_at_its_step() {
        let d = begin("p1", &[], Device::Winged).unwrap();
        let record = d.to_draft(Step::Label, chrono::Local::now().fixed_offset());
        assert_eq!(record.id, d.id());
        assert_eq!(DraftData::from_draft(&record).unwrap(), (d, Step::Label));
        for s in [
            Step::Identify,
            Step::Tubes,
            Step::Label,
            Step::Exceptions,
            Step::Review,
        ] {
            assert_eq!(Step::parse(s.as_str()), s);
        }
        assert_eq!(Step::parse("garbage"), Step::Identify);
    }

    #[test]
    fn the_labels_another_collection_bound_are_known_with_that_patients_mrn() {
        use drawline_domain::collection::{device_accession, judge_tube_label};
        let now = t("2026-11-23T08:00:00+00:00");
        let mut other = begin("p2", &[], Device::EvacuatedHolder).unwrap();
        let ev = Evidence::from_wristband("DL1|MRN200101|WALKER^EDITH|19370630").unwrap();
        let by = collector().collector_id();
        other
            .collection
            .identify(&ev, &drawline_domain::IdentifyContext::default(), &by, now)
            .unwrap();
        other
            .collection
            .record_draw(1, now, None, &by, now)
            .unwrap();
        let printed = device_accession(other.collection.id(), 1);
        let rules = drawline_domain::safety::AccessionFormat::default();
        other
            .collection
            .label_tube(1, printed.as_str(), &rules, &KnownLabels::new(), &by, now)
            .unwrap();
        let mut mine = begin("p1", &[], Device::EvacuatedHolder).unwrap();
        let ev = Evidence::from_wristband("DL1|MRN100233|LINDQVIST^ERIK|19370630").unwrap();
        mine.collection.identify(&ev, &by, now).unwrap();
        mine.collection.record_draw(1, now, None, &by, now).unwrap();
        let known = known_labels(mine.collection.id(), None, &[other.collection.clone()]);
        let refused =
            judge_tube_label(&mine.collection, 1, printed.as_str(), &rules, &known).unwrap_err();
        assert_eq!(
            refused.other_patient().map(|m| m.as_str()),
            Some("MRN200101")
        );
        // The worklist's accessions of another patient's order are known too.
        let mut w = worklist();
        w.orders[3].order.accessions =
            vec![drawline_domain::AccessionNumber::parse("LAB9").unwrap()];
        let known = known_labels(mine.collection.id(), Some(&w), &[]);
        let refused = judge_tube_label(&mine.collection, 1, "LAB9", &rules, &known).unwrap_err();
        assert!(refused.is_wrong_blood_in_tube());
        // A collection is never its own "other patient".
        let own = known_labels(other.collection.id(), None, &[other.collection.clone()]);
        assert_eq!(own, KnownLabels::new());
    }

    #[test]
    fn a_finalized_collection_becomes_an_outbox_item_keyed_by_id_and_version() {
        let now = t("2026-11-23T08:00:00+00:00");
        let mut d = begin("p2", &[], Device::EvacuatedHolder).unwrap();
        let by = collector().collector_id();
        d.collection
            .record_not_collected(
                drawline_domain::Scope::Visit,
                drawline_domain::NotCollectedReason::Refused,
                None,
                &by,
                now,
            )
            .unwrap();
        let f = d.collection.finalize(&by, now).unwrap();
        let item = outbox_item(&f);
        assert_eq!(item.id, format!("{}/v1", d.id()));
        assert_eq!(item.hash, f.hash().as_str());
        let back = outbox_collections(&[item]);
        assert_eq!(finalized_order_ids(&back), ["o4"]);
    }
}
