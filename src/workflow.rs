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

use crate::storage::{Draft, OutboxItem, ReceiptRecord};

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

/// The newest version of one collection the tablet holds finalized (in the outbox or synced).
#[derive(Debug, Clone, PartialEq)]
pub struct NewestVersion<'a> {
    /// The collection id.
    pub collection_id: &'a str,
    /// Its newest version number on the tablet.
    pub version: u32,
    /// The outbox or receipt key of that version.
    pub key: &'a str,
    /// That version voided the collection.
    pub voided: bool,
    /// The orders that version covers.
    pub order_ids: Vec<String>,
    /// The stored record, when the tablet still has it (receipts written before corrections
    /// existed have none).
    pub data: Option<&'a serde_json::Value>,
    /// It waits in the outbox (not synced yet).
    pub in_outbox: bool,
    /// It waits in the outbox quarantined with the lab's refusal.
    pub attention: bool,
}

impl NewestVersion<'_> {
    /// The finalized record, read and its hash checked.
    pub fn record(&self) -> Option<FinalizedCollection> {
        crate::json_value::from_value::<FinalizedCollection>(self.data?).ok()
    }
}

/// The newest finalized version of each collection, from the outbox and the receipts: what a
/// correction or a void supersedes, and what holds orders. Receipts are not parsed (the tablet
/// may hold thousands); outbox records are.
pub fn newest_versions<'a>(
    outbox: &'a [OutboxItem],
    receipts: &'a [ReceiptRecord],
) -> Vec<NewestVersion<'a>> {
    let candidates = receipts
        .iter()
        .map(|r| NewestVersion {
            collection_id: &r.collection_id,
            version: r.version,
            key: &r.id,
            voided: r.voided,
            order_ids: r.order_ids.clone(),
            data: r.data.as_ref(),
            in_outbox: false,
            attention: false,
        })
        .chain(outbox.iter().map(|i| {
            let record = crate::json_value::from_value::<FinalizedCollection>(&i.data).ok();
            NewestVersion {
                collection_id: &i.collection_id,
                version: i.version,
                key: &i.id,
                voided: record
                    .as_ref()
                    .is_some_and(|f| f.record().voided().is_some()),
                order_ids: record.as_ref().map_or_else(Vec::new, |f| {
                    f.record()
                        .orders()
                        .iter()
                        .map(|o| o.id.to_string())
                        .collect()
                }),
                data: Some(&i.data),
                in_outbox: true,
                attention: i.attention.is_some(),
            }
        }));
    let mut at: std::collections::HashMap<&str, usize> = std::collections::HashMap::new();
    let mut newest: Vec<NewestVersion<'a>> = Vec::new();
    for c in candidates {
        match at.get(c.collection_id) {
            Some(&i) if newest[i].version >= c.version => {}
            Some(&i) => newest[i] = c,
            None => {
                at.insert(c.collection_id, newest.len());
                newest.push(c);
            }
        }
    }
    newest
}

/// Order ids a finalized collection on the tablet holds: the newest version of each collection,
/// none for a voided one (its orders are to be collected anew).
pub fn held_order_ids(outbox: &[OutboxItem], receipts: &[ReceiptRecord]) -> Vec<String> {
    newest_versions(outbox, receipts)
        .into_iter()
        .filter(|n| !n.voided)
        .flat_map(|n| n.order_ids)
        .collect()
}

/// A correction of a finalized collection as a new draft version (reason required), for
/// `collector`, opened at the review step.
pub fn correction_draft(
    finalized: &FinalizedCollection,
    reason: &str,
    collector: Collector,
    now: DeviceTime,
) -> Result<DraftData, CollectionError> {
    let collection = finalized.start_correction(reason, &collector.collector_id(), now)?;
    let fasting_required = collection.tubes().iter().any(|t| t.tube.fasting);
    Ok(DraftData {
        collection,
        collector,
        location: None,
        fasting_required,
    })
}

/// The outbox record of a void of `finalized` (reason required): a new finalized version.
pub fn void_item(
    finalized: &FinalizedCollection,
    reason: &str,
    by: &CollectorId,
    now: DeviceTime,
) -> Result<OutboxItem, CollectionError> {
    Ok(outbox_item(&finalized.void(reason, by, now)?))
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
        mine.collection
            .identify(&ev, &drawline_domain::IdentifyContext::default(), &by, now)
            .unwrap();
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

    /// A refused visit of `p2` (order o4), finalized at 08:00.
    fn refused_visit() -> FinalizedCollection {
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
        d.collection.finalize(&by, now).unwrap()
    }

    fn receipt(item: &OutboxItem) -> ReceiptRecord {
        ReceiptRecord {
            id: item.id.clone(),
            collection_id: item.collection_id.clone(),
            version: item.version,
            hash: item.hash.clone(),
            patient_id: "p2".into(),
            patient_label: "WALKER, Edith · MRN200101".into(),
            order_ids: vec!["o4".into()],
            finalized_at: item.finalized_at.clone(),
            receipt: serde_json::json!({}),
            voided: false,
            data: Some(item.data.clone()),
        }
    }

    #[test]
    fn a_synced_collection_holds_its_orders_until_a_void_of_it_waits_in_the_outbox() {
        let f = refused_visit();
        let v1 = outbox_item(&f);
        let synced = [receipt(&v1)];
        assert_eq!(held_order_ids(&[], &synced), ["o4"]);
        let now = t("2026-11-23T09:00:00+00:00");
        let void = void_item(&f, "wrong patient", &collector().collector_id(), now).unwrap();
        assert_eq!(void.id, format!("{}/v2", f.record().id()));
        let outbox = [void];
        let newest = newest_versions(&outbox, &synced);
        assert_eq!(newest.len(), 1);
        assert_eq!(
            (newest[0].version, newest[0].voided, newest[0].in_outbox),
            (2, true, true)
        );
        assert!(held_order_ids(&outbox, &synced).is_empty());
        // Once synced, the void's receipt says so without the record being read.
        let mut settled = receipt(&outbox[0]);
        settled.voided = true;
        assert!(held_order_ids(&[], &[receipt(&v1), settled]).is_empty());
    }

    #[test]
    fn a_correction_opens_a_new_draft_version_with_its_reason_and_a_void_needs_one() {
        let f = refused_visit();
        let now = t("2026-11-23T09:00:00+00:00");
        let by = collector().collector_id();
        assert_eq!(
            void_item(&f, "  ", &by, now).unwrap_err(),
            CollectionError::ReasonRequired
        );
        let d = correction_draft(&f, "patient came back", collector(), now).unwrap();
        assert_eq!(d.id(), f.record().id().to_string());
        assert_eq!(d.collection.version(), 2);
        assert_eq!(d.collection.change_reason(), Some("patient came back"));
        assert_eq!(d.collector, collector());
        let voided = f.void("entered in error", &by, now).unwrap();
        assert_eq!(
            correction_draft(&voided, "again", collector(), now).unwrap_err(),
            CollectionError::Voided
        );
    }

    #[test]
    fn a_receipt_from_before_corrections_still_reads_and_holds_its_orders() {
        let f = refused_visit();
        let mut old = serde_json::to_value(receipt(&outbox_item(&f))).unwrap();
        let o = old.as_object_mut().unwrap();
        o.remove("data");
        assert!(!o.contains_key("voided"), "false is not written");
        let back: ReceiptRecord = serde_json::from_value(old).unwrap();
        assert_eq!(back.data, None);
        let newest = newest_versions(&[], std::slice::from_ref(&back));
        assert_eq!(newest[0].record(), None);
        assert_eq!(held_order_ids(&[], &[back]), ["o4"]);
    }
}
