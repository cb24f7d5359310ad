//! Corrections and voids at the lab: stored as versions with their reasons, flagged and filtered
//! in the queue, orders reopened by a void, and the FHIR export of the standing version with
//! stable ids (entered-in-error after a void), checked by an independent R4 validator.

use drawline_server::api::{CollectionDetail, OrderStatus, QueuePage, RecordOutcome, Role};
use drawline_server::store::OrderStore;
use serde_json::Value;
use uuid::Uuid;

use crate::fixtures;
use crate::helpers::{spawn_app, TestApp};

struct Lab {
    app: TestApp,
    supervisor: String,
    collector: String,
    device_token: String,
}

async fn lab() -> Lab {
    let app = spawn_app().await;
    let (_, supervisor) = app.supervisor().await;
    let tablet = app.enroll("Ward 1 tablet").await;
    app.seed_collection_orders(tablet.device_id).await;
    app.add_user("amara", Role::Collector, "1234").await;
    let collector = app.sign_in(&tablet.token, "amara", "1234").await;
    Lab {
        app,
        supervisor,
        collector,
        device_token: tablet.token,
    }
}

impl Lab {
    async fn push_accepted(&self, f: &drawline_domain::FinalizedCollection) {
        let r = self
            .app
            .push(&self.collector, vec![fixtures::record(f)])
            .await;
        assert_eq!(
            r.results[0].outcome,
            RecordOutcome::Accepted,
            "{:?}",
            r.results[0]
        );
    }

    async fn detail(&self, id: Uuid) -> CollectionDetail {
        let path = format!("/supervisor/collections/{id}");
        self.app.get_ok(&path, &self.supervisor).await
    }

    async fn queue(&self, query: &str) -> QueuePage {
        let path = format!("/supervisor/queue{query}");
        self.app.get_ok(&path, &self.supervisor).await
    }
}

/// `(id, status, versionId)` of every resource of a FHIR Bundle.
fn resources(bundle: &Value) -> Vec<(String, String, String)> {
    bundle["entry"]
        .as_array()
        .map(Vec::as_slice)
        .unwrap_or_default()
        .iter()
        .map(|e| {
            let r = &e["resource"];
            let s = |v: &Value| v.as_str().unwrap_or_default().to_owned();
            (
                format!("{}/{}", s(&r["resourceType"]), s(&r["id"])),
                s(&r["status"]),
                s(&r["meta"]["versionId"]),
            )
        })
        .collect()
}

#[tokio::test]
async fn a_correction_and_a_void_are_stored_as_versions_with_their_reasons() {
    let lab = lab().await;
    let id = Uuid::new_v4();
    let v1 = fixtures::finalized_collection(id);
    let v2 = fixtures::correction_of(&v1);
    let v3 = fixtures::void_of(&v2, "labels printed for the wrong visit");
    for v in [&v1, &v2, &v3] {
        lab.push_accepted(v).await;
    }
    let d = lab.detail(id).await;
    assert_eq!(d.latest_version, Some(3));
    let versions: Vec<(u32, Option<u32>, Option<&str>, bool)> = d
        .versions
        .iter()
        .map(|v| {
            (
                v.version,
                v.supersedes,
                v.reason.as_deref(),
                v.voided.is_some(),
            )
        })
        .collect();
    assert_eq!(
        versions,
        vec![
            (1, None, None, false),
            (2, Some(1), Some("fasting status was not recorded"), false),
            (3, Some(2), Some("labels printed for the wrong visit"), true),
        ]
    );
    let void = d.versions[2].voided.as_ref().unwrap();
    assert_eq!(void.by.id, fixtures::NURSE_1);
    assert_eq!(void.at.to_rfc3339(), "2024-05-01T09:30:00+02:00");
    assert!(d.versions[2].standing);
    assert!(d.versions[2].flags.voided && d.versions[2].flags.corrected);
    assert!(!d.versions[1].flags.voided && d.versions[1].flags.corrected);
    assert!(!d.versions[0].flags.voided && !d.versions[0].flags.corrected);
}

#[tokio::test]
async fn the_queue_flags_and_filters_corrected_and_voided_collections() {
    let lab = lab().await;
    let (plain, corrected, voided) = (Uuid::new_v4(), Uuid::new_v4(), Uuid::new_v4());
    lab.push_accepted(&fixtures::finalized_collection(plain))
        .await;
    let c1 = fixtures::finalized_collection_with(corrected, ["B0001", "B0002"]);
    lab.push_accepted(&c1).await;
    lab.push_accepted(&fixtures::correction_of(&c1)).await;
    let x1 = fixtures::finalized_collection_with(voided, ["C0001", "C0002"]);
    lab.push_accepted(&x1).await;
    lab.push_accepted(&fixtures::void_of(&x1, "wrong patient's orders"))
        .await;
    let all = lab.queue("").await;
    let flags = |id: Uuid| {
        all.items
            .iter()
            .find(|i| i.collection_id == id)
            .unwrap()
            .flags
    };
    assert!(!flags(plain).corrected && !flags(plain).voided);
    assert!(flags(corrected).corrected && !flags(corrected).voided);
    assert!(flags(voided).voided);
    let ids =
        |page: QueuePage| -> Vec<Uuid> { page.items.iter().map(|i| i.collection_id).collect() };
    assert_eq!(ids(lab.queue("?flag=voided").await), vec![voided]);
    let mut both = ids(lab.queue("?flag=corrected").await);
    both.sort();
    let mut expected = vec![corrected, voided];
    expected.sort();
    assert_eq!(both, expected);
}

#[tokio::test]
async fn a_void_reopens_the_orders_it_covered_and_a_correction_marks_them_by_what_it_collected() {
    let lab = lab().await;
    let id = Uuid::new_v4();
    let v1 = fixtures::finalized_collection(id);
    lab.push_accepted(&v1).await;
    let reader = lab.app.collector_on(&lab.device_token).await;
    let first = lab.app.pull(&reader, None).await;
    assert!(
        first
            .orders
            .iter()
            .all(|o| o.order.order.id.as_str() != "sr-pt"),
        "a collected order is off the full worklist"
    );
    let status_after = |pull: &drawline_server::api::PullResponse, order: &str| {
        pull.orders
            .iter()
            .find(|o| o.order.order.id.as_str() == order)
            .map(|o| o.status)
    };
    // A correction that records PT as not collected marks it so; CBC stays collected.
    let nurse = drawline_domain::CollectorId::parse(fixtures::NURSE_1).unwrap();
    let now = fixtures::at("2024-05-01T09:00:00+02:00");
    let mut draft = v1.start_correction("PT tube clotted", &nurse, now).unwrap();
    draft
        .record_not_collected(
            drawline_domain::collection::Scope::Test(
                drawline_domain::TestCode::parse("PT").unwrap(),
            ),
            drawline_domain::NotCollectedReason::Compromised,
            None,
            &nurse,
            now,
        )
        .unwrap();
    let v2 = draft.finalize(&nurse, now).unwrap();
    lab.push_accepted(&v2).await;
    let after_correction = lab.app.pull(&reader, Some(&first.next_cursor)).await;
    assert_eq!(
        status_after(&after_correction, "sr-pt"),
        Some(OrderStatus::NotCollected)
    );
    // The void opens both again, for a new collection.
    lab.push_accepted(&fixtures::void_of(&v2, "wrong patient"))
        .await;
    let after_void = lab
        .app
        .pull(&reader, Some(&after_correction.next_cursor))
        .await;
    assert_eq!(status_after(&after_void, "sr-pt"), Some(OrderStatus::Open));
    assert_eq!(status_after(&after_void, "sr-cbc"), Some(OrderStatus::Open));
    let full = lab.app.pull(&reader, None).await;
    assert!(full
        .orders
        .iter()
        .any(|o| o.order.order.id.as_str() == "sr-pt"));
}

#[tokio::test]
async fn the_fhir_export_keeps_its_ids_across_versions_and_marks_a_void_entered_in_error() {
    let lab = lab().await;
    let id = Uuid::new_v4();
    let v1 = fixtures::finalized_collection(id);
    lab.push_accepted(&v1).await;
    let before = resources(&lab.detail(id).await.fhir);
    assert_eq!(before.len(), 2, "{before:?}");
    assert!(before
        .iter()
        .all(|(_, status, v)| status == "available" && v == "1"));
    let v2 = fixtures::correction_of(&v1);
    lab.push_accepted(&v2).await;
    let corrected_detail = lab.detail(id).await;
    let corrected = resources(&corrected_detail.fhir);
    let ids = |r: &[(String, String, String)]| r.iter().map(|x| x.0.clone()).collect::<Vec<_>>();
    assert_eq!(ids(&corrected), ids(&before));
    assert!(corrected
        .iter()
        .all(|(_, s, v)| s == "available" && v == "2"));
    lab.push_accepted(&fixtures::void_of(&v2, "entered on the wrong patient"))
        .await;
    let voided_detail = lab.detail(id).await;
    let voided = resources(&voided_detail.fhir);
    assert_eq!(ids(&voided), ids(&before));
    assert!(voided
        .iter()
        .all(|(_, s, v)| s == "entered-in-error" && v == "3"));
    // The lab-wide export gives the same resources.
    let res = lab
        .app
        .get("/fhir/Specimen", &lab.supervisor)
        .send()
        .await
        .unwrap();
    let all: Value = res.json().await.unwrap();
    assert_eq!(resources(&all), voided);

    let Some((code, out)) = drawline_domain::fhir_validator::run(
        "lab-export",
        &[
            ("after-correction", &corrected_detail.fhir),
            ("after-void", &voided_detail.fhir),
            ("searchset", &all),
        ],
    ) else {
        return;
    };
    assert_eq!(
        code, 0,
        "the independent validator refused the lab's export:\n{out}"
    );
}

#[tokio::test]
async fn a_void_leaves_an_order_cancelled_since_cancelled() {
    let lab = lab().await;
    let id = Uuid::new_v4();
    let v1 = fixtures::finalized_collection(id);
    lab.push_accepted(&v1).await;
    // The API refuses to cancel a collected order, so the store is set as it would be by an
    // order cancelled (say, by an import) while the void was on its way.
    lab.app
        .sqlite()
        .execute(
            "UPDATE orders SET status = 'cancelled' WHERE id = 'sr-pt'",
            [],
        )
        .unwrap();
    lab.push_accepted(&fixtures::void_of(&v1, "wrong patient"))
        .await;
    let pt = lab.app.store.order_status("sr-pt").await.unwrap().unwrap();
    assert_eq!(pt.status, OrderStatus::Cancelled);
    let cbc = lab.app.store.order_status("sr-cbc").await.unwrap().unwrap();
    assert_eq!(cbc.status, OrderStatus::Open);
}
