//! Shared fixtures: lab orders and finalized collections made with the domain crate, as pushed.

use chrono::{DateTime, Utc};
use drawline_domain::collection::{FastingStatus, KnownLabels, Scope};
use drawline_domain::{
    Collection, CollectionId, CollectorId, Device, Evidence, FinalizedCollection, IdentifyContext,
    NotCollectedReason, Order, SiteConfig,
};
use drawline_server::api::{Heartbeat, PushRecord};
use drawline_server::store::{
    NewCollectionVersion, NewHeartbeat, SyncItem, SyncPush, SyncRecord, SyncStore,
};
use serde_json::Value;
use uuid::Uuid;

pub use drawline_domain::test_support::{order, peter as patient, t as at};

/// A collection of [`patient`] started with a vacutainer holder at `started` (device time).
fn start(id: Uuid, orders: Vec<Order>, nurse: &CollectorId, started: &str) -> Collection {
    Collection::start(
        CollectionId(id),
        patient(),
        orders,
        &SiteConfig::default_site(),
        Device::EvacuatedHolder,
        nurse,
        at(started),
    )
    .unwrap()
}

/// A real finalized collection (PT + CBC drawn and labelled), made with the domain crate.
pub fn finalized_collection(id: Uuid) -> FinalizedCollection {
    finalized_collection_with(id, ["A0001", "A0002"])
}

/// The same collection with other tube accession numbers (so another content hash).
pub fn finalized_collection_with(id: Uuid, accessions: [&str; 2]) -> FinalizedCollection {
    let nurse = CollectorId::parse(NURSE_1).unwrap();
    let orders = vec![order("sr-pt", "PT"), order("sr-cbc", "CBC")];
    let mut c = start(id, orders, &nurse, "2024-05-01T08:00:00+02:00");
    let wristband = Evidence::from_wristband("DL1|12345|CHALMERS^PETER^JAMES|19741225").unwrap();
    c.identify(
        &wristband,
        &IdentifyContext::default(),
        &nurse,
        at("2024-05-01T08:05:00+02:00"),
    )
    .unwrap();
    c.begin_venipuncture(
        drawline_domain::collection::BodySite::LeftAntecubital,
        c.device(),
        &SiteConfig::default_site(),
        &nurse,
        at("2024-05-01T08:06:00+02:00"),
    )
    .unwrap();
    let now = at("2024-05-01T08:10:00+02:00");
    for (i, acc) in [(1, accessions[0]), (2, accessions[1])] {
        c.record_draw(i, now, None, &nurse, now).unwrap();
        let stock = drawline_domain::test_support::stock_labels();
        c.label_tube(i, acc, &stock, &KnownLabels::new(), &nurse, now)
            .unwrap();
    }
    c.finalize(&nurse, at("2024-05-01T08:12:00+02:00")).unwrap()
}

/// The version a device would push for a finalized collection.
pub fn version_of(f: &FinalizedCollection, device_clock: DateTime<Utc>) -> NewCollectionVersion {
    NewCollectionVersion {
        collection_id: f.record().id().0,
        version: f.record().version(),
        supersedes: None,
        content_hash: f.hash().to_string(),
        body: serde_json::to_value(f).unwrap(),
        collector_id: None,
        device_clock: device_clock.fixed_offset(),
    }
}

/// A device's push of `versions` as `sync_push` takes it, received at `received_at` under the
/// server's default skew threshold (5 minutes). The records name no lab orders, so none need
/// importing first.
pub fn push_of(
    device_id: Uuid,
    versions: Vec<NewCollectionVersion>,
    received_at: DateTime<Utc>,
) -> SyncPush {
    SyncPush {
        device_id,
        actor: format!("device:{device_id}"),
        received_at,
        skew_threshold_seconds: 5 * 60,
        heartbeat: Some(NewHeartbeat {
            source: "push",
            app_version: None,
            heartbeat: Heartbeat {
                device_clock: None,
                queue_length: 0,
                oldest_unsynced_seconds: None,
                last_error: None,
            },
        }),
        items: versions
            .into_iter()
            .map(|version| {
                SyncItem::Record(SyncRecord {
                    version,
                    supersedes_hash: None,
                    orders: Vec::new(),
                    patient_id: String::new(),
                    labels: Vec::new(),
                    verdict: Default::default(),
                })
            })
            .collect(),
        quota: drawline_server::store::PushQuota::default(),
    }
}

/// Stores a device's push of one finalized collection straight through the store, as received
/// now; the push must succeed.
pub async fn push_stored(store: &impl SyncStore, device_id: Uuid, f: &FinalizedCollection) {
    store
        .sync_push(push_of(
            device_id,
            vec![version_of(f, Utc::now())],
            Utc::now(),
        ))
        .await
        .unwrap();
}

/// The lab orders `finalized_collection` covers (`sr-pt`, `sr-cbc` for MRN 12345, patient id
/// `example`), in round `Ward 1`, placed when the domain's fixture orders were (before every
/// fixture draw, as the lab checks).
pub const COLLECTION_ORDERS_CSV: &str =
    "order_id,patient_id,mrn,family,given,birth_date,test,round,placed_at\n\
     sr-pt,example,12345,Chalmers,Peter James,1974-12-25,PT,Ward 1,2024-05-01T06:00:00Z\n\
     sr-cbc,example,12345,Chalmers,Peter James,1974-12-25,CBC,Ward 1,2024-05-01T06:00:00Z\n";

/// The collector of most fixture collections: a user of the lab (user name `nurse-1`), as the
/// app records the signed-in user's id.
pub const NURSE_1: &str = "00000000-0000-4000-8000-00000000a001";
/// The collector of [`refused_visit`] (user name `nurse-2`).
pub const NURSE_2: &str = "00000000-0000-4000-8000-00000000a002";
/// The collector of [`identified_after_wrong_bands`] (user name `nurse-3`).
pub const NURSE_3: &str = "00000000-0000-4000-8000-00000000a003";

/// The people the fixture collections name, with their user names: the lab knows them as
/// active collectors (see `helpers::add_fixture_collectors`).
pub const FIXTURE_COLLECTORS: [(&str, &str); 3] = [
    (NURSE_1, "nurse-1"),
    (NURSE_2, "nurse-2"),
    (NURSE_3, "nurse-3"),
];

/// The same finalized record made by [`NURSE_1`], a user of the lab: the domain's fixtures
/// record `phleb-042`, whom no lab knows (re-hashed; only the collector's id changes).
pub fn made_by_lab_user(f: &FinalizedCollection) -> FinalizedCollection {
    let text = serde_json::to_string(f.record())
        .unwrap()
        .replace("\"phleb-042\"", &format!("\"{NURSE_1}\""));
    let record: Collection = serde_json::from_str(&text).unwrap();
    let hash = drawline_domain::ContentHash::of(&record).unwrap();
    serde_json::from_value(serde_json::json!({ "record": record, "hash": hash })).unwrap()
}

/// The same finalized record made by someone who is no user of the lab (re-hashed): the lab's
/// re-validation refuses it `unknown_collector`.
pub fn made_by_stranger(f: &FinalizedCollection) -> FinalizedCollection {
    let stranger = Uuid::new_v4().to_string();
    let text = serde_json::to_string(f.record())
        .unwrap()
        .replace(NURSE_1, &stranger);
    let record: Collection = serde_json::from_str(&text).unwrap();
    let hash = drawline_domain::ContentHash::of(&record).unwrap();
    serde_json::from_value(serde_json::json!({ "record": record, "hash": hash })).unwrap()
}

/// A small CSV of orders for round `Ward 2`.
pub fn orders_csv() -> String {
    "order_id,mrn,family,given,birth_date,test,priority,due_at,location,round\n\
     o-1,MRN501,Hughes,Nora,1950-02-03,CBC,stat,,Ward 2 bed 1,Ward 2\n\
     o-2,MRN501,Hughes,Nora,1950-02-03,VANCT,routine,2030-01-01T10:00:00Z,Ward 2 bed 1,Ward 2\n\
     o-3,MRN502,Patel,Arjun,1971-09-30,PT,routine,,Ward 2 bed 4,Ward 2\n"
        .to_owned()
}

/// A finalized collection as a device pushes it.
pub fn record(f: &FinalizedCollection) -> Value {
    serde_json::to_value(PushRecord::from_finalized(f)).unwrap()
}

/// The next version of a collection: the same draw with the fasting status recorded.
pub fn correction_of(f: &FinalizedCollection) -> FinalizedCollection {
    let nurse = CollectorId::parse(NURSE_1).unwrap();
    let now = at("2024-05-01T09:00:00+02:00");
    let mut next = f
        .start_correction("fasting status was not recorded", &nurse, now)
        .unwrap();
    next.record_fasting(FastingStatus::Fasting, &nurse, now)
        .unwrap();
    next.finalize(&nurse, now).unwrap()
}

/// A visit the patient refused, identified by typing name and date of birth.
pub fn refused_visit(id: Uuid) -> FinalizedCollection {
    let nurse = CollectorId::parse(NURSE_2).unwrap();
    let order = |id: &str, test: &str| Order {
        requisition: None,
        accessions: Vec::new(),
        note: None,
        recollection_reason: None,
        ..order(id, test)
    };
    let orders = vec![order("sr-pt", "PT"), order("sr-cbc", "CBC")];
    let mut c = start(id, orders, &nurse, "2024-05-02T08:00:00+02:00");
    let typed = Evidence::manual(Some("Chalmers, Peter James"), Some("1974-12-25"), None).unwrap();
    c.identify(
        &typed,
        &IdentifyContext::default(),
        &nurse,
        at("2024-05-02T08:01:00+02:00"),
    )
    .unwrap();
    c.record_not_collected(
        Scope::Visit,
        NotCollectedReason::Refused,
        Some("asked to come back tomorrow"),
        &nurse,
        at("2024-05-02T08:02:00+02:00"),
    )
    .unwrap();
    c.finalize(&nurse, at("2024-05-02T08:03:00+02:00")).unwrap()
}

/// PT + CBC of [`patient`] after `wrong_bands` wrong-patient hard stops (another patient's
/// wristband, each acknowledged), then identified by an MRN-only wristband with name and date
/// of birth stated by the patient (scan + verbal).
pub fn identified_after_wrong_bands(id: Uuid, wrong_bands: u32) -> FinalizedCollection {
    let nurse = CollectorId::parse(NURSE_3).unwrap();
    let orders = vec![order("sr-pt", "PT"), order("sr-cbc", "CBC")];
    let mut c = start(id, orders, &nurse, "2024-05-03T08:00:00+02:00");
    let context = IdentifyContext::default();
    let now = at("2024-05-03T08:02:00+02:00");
    let other = Evidence::from_wristband("DL1|99999|DUCK^DONALD|19340609").unwrap();
    for _ in 0..wrong_bands {
        c.identify(&other, &context, &nurse, now).unwrap_err();
        c.acknowledge_hard_stop(&nurse, now).unwrap();
    }
    let stated = Evidence::from_wristband("12345")
        .unwrap()
        .with_stated_name_and_birth_date(&patient().identity);
    c.identify(&stated, &context, &nurse, now).unwrap();
    c.begin_venipuncture(
        drawline_domain::collection::BodySite::LeftAntecubital,
        c.device(),
        &SiteConfig::default_site(),
        &nurse,
        now,
    )
    .unwrap();
    let now = at("2024-05-03T08:10:00+02:00");
    for (i, acc) in [(1, "W0001"), (2, "W0002")] {
        c.record_draw(i, now, None, &nurse, now).unwrap();
        let stock = drawline_domain::test_support::stock_labels();
        c.label_tube(i, acc, &stock, &KnownLabels::new(), &nurse, now)
            .unwrap();
    }
    c.finalize(&nurse, at("2024-05-03T08:12:00+02:00")).unwrap()
}

/// The next version of a collection voiding it as entered in error.
pub fn void_of(f: &FinalizedCollection, reason: &str) -> FinalizedCollection {
    let nurse = CollectorId::parse(NURSE_1).unwrap();
    f.void(reason, &nurse, at("2024-05-01T09:30:00+02:00"))
        .unwrap()
}
