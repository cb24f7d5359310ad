//! Glue between stored records and the domain rules: start, draft format, accessions, outbox.

// No browser here, so all of it is tested natively.

use chrono::{DateTime, FixedOffset, Utc};
use drawline_domain::api::{Worklist, WorklistOrder};
use drawline_domain::collection::{ensure_due, Due, KnownLabels};
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
    /// Open orders, but none due yet: the first window opens at this local time.
    #[error("nothing is due yet for this patient: the first window opens at {0}")]
    NothingDueYet(String),
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

/// Starts a collection of `patient`'s open orders that are due at `now` (STAT, ASAP, urgent and
/// routine, timed orders inside or past their window), planned for `device`. Orders due later
/// are left open on the draw list: this collection does not hold them.
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
    let open = open_orders(worklist, patient, finalized_orders);
    if open.is_empty() {
        return Err(StartError::NothingOpen);
    }
    let (orders, later): (Vec<&WorklistOrder>, Vec<&WorklistOrder>) = open
        .into_iter()
        .partition(|o| Due::of(&o.order, site, now.utc).is_due());
    if orders.is_empty() {
        let opens = later
            .iter()
            .filter_map(|o| Due::of(&o.order, site, now.utc).window().map(|w| w.opens()))
            .min()
            .map(|t| {
                drawline_domain::clock_text::hm(&DeviceTime::new(t, now.offset_minutes).local())
            })
            .unwrap_or_default();
        return Err(StartError::NothingDueYet(opens));
    }
    let due: Vec<drawline_domain::Order> = orders.iter().map(|o| o.order.clone()).collect();
    ensure_due(&due, site, now)?;
    let location = orders.iter().find_map(|o| o.location.clone());
    let fasting_required = orders.iter().any(|o| o.fasting);
    let collection = Collection::start(
        CollectionId(Uuid::new_v4()),
        p.clone(),
        due,
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
        sealed: None,
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
mod tests;
