//! Identification at the lab: a record with acknowledged wrong-patient stops is flagged
//! "identification mismatch before draw" (filterable, with the count and the attempts in the
//! detail); a scan + verbal identification is not flagged manual.

use drawline_server::api::{CollectionDetail, QueuePage, Role};
use drawline_server::SqliteStore;
use uuid::Uuid;

use crate::fixtures;
use crate::helpers::{spawn_app, TestApp};

/// A lab with a supervisor and a signed-in collector whose tablet has the fixtures' orders;
/// answers (app, supervisor token, collector token).
async fn lab() -> (TestApp, String, String) {
    let app = spawn_app().await;
    let (_, supervisor) = app.supervisor().await;
    let tablet = app.enroll("Ward 1 tablet").await;
    app.seed_collection_orders(tablet.device_id).await;
    app.add_user("amara", Role::Collector, "1234").await;
    let collector = app.sign_in(&tablet.token, "amara", "1234").await;
    (app, supervisor, collector)
}

#[tokio::test]
async fn a_record_with_acknowledged_wrong_patient_stops_is_flagged_and_filterable() {
    let (app, supervisor, collector) = lab().await;
    let mismatched = Uuid::new_v4();
    let clean = Uuid::new_v4();
    app.push(
        &collector,
        vec![
            fixtures::record(&fixtures::identified_after_wrong_bands(mismatched, 2)),
            fixtures::record(&fixtures::finalized_collection(clean)),
        ],
    )
    .await;

    let page: QueuePage = app
        .get_ok(
            "/supervisor/queue?flag=identification_mismatch",
            &supervisor,
        )
        .await;
    assert_eq!(page.total, 1);
    let item = &page.items[0];
    assert_eq!(item.collection_id, mismatched);
    assert!(item.flags.identification_mismatch);
    assert_eq!(item.wrong_patient_stops, 2);
    assert_eq!(item.wrong_patient_before_draw, 2);
    // Scan + verbal is not manual identification.
    assert!(!item.flags.manual_identification);

    let all: QueuePage = app.get_ok("/supervisor/queue", &supervisor).await;
    let other = all.items.iter().find(|i| i.collection_id == clean).unwrap();
    assert!(!other.flags.identification_mismatch);
    assert_eq!(other.wrong_patient_stops, 0);

    let d: CollectionDetail = app
        .get_ok(
            &format!("/supervisor/collections/{mismatched}"),
            &supervisor,
        )
        .await;
    assert!(d.versions[0].flags.identification_mismatch);
    let r = d.versions[0].record.as_ref().unwrap();
    assert_eq!(r.wrong_patient_stops, 2);
    assert_eq!(r.identification_method.as_deref(), Some("scan-verbal"));
    let stops: Vec<_> = r
        .identification_attempts
        .iter()
        .filter(|a| a.hard_stop)
        .collect();
    assert_eq!(stops.len(), 2);
    assert!(stops[0].what.contains("WRONG PATIENT"), "{:?}", stops[0]);
    let acknowledged = r
        .identification_attempts
        .iter()
        .filter(|a| a.what.contains("acknowledged"))
        .count();
    assert_eq!(acknowledged, 2);
    let last = r.identification_attempts.last().unwrap();
    assert!(
        last.what.contains("wristband scan + verbal confirmation"),
        "{last:?}"
    );
}

#[tokio::test]
async fn a_scan_plus_verbal_identification_is_not_flagged_manual_and_a_typed_one_is() {
    let (app, supervisor, collector) = lab().await;
    let verbal = Uuid::new_v4();
    let typed = Uuid::new_v4();
    app.push(
        &collector,
        vec![
            fixtures::record(&fixtures::identified_after_wrong_bands(verbal, 0)),
            fixtures::record(&fixtures::refused_visit(typed)),
        ],
    )
    .await;
    let manual: QueuePage = app
        .get_ok("/supervisor/queue?flag=manual_identification", &supervisor)
        .await;
    let ids: Vec<Uuid> = manual.items.iter().map(|i| i.collection_id).collect();
    assert_eq!(ids, [typed]);
    let mismatch: QueuePage = app
        .get_ok(
            "/supervisor/queue?flag=identification_mismatch",
            &supervisor,
        )
        .await;
    assert_eq!(mismatch.total, 0);
}

#[tokio::test]
async fn facts_stored_before_the_counts_existed_are_counted_when_the_store_opens() {
    let (app, supervisor, collector) = lab().await;
    let id = Uuid::new_v4();
    app.push(
        &collector,
        vec![fixtures::record(&fixtures::identified_after_wrong_bands(
            id, 1,
        ))],
    )
    .await;
    // As a lab upgraded from before migration 6 holds it: the counts unknown.
    let conn = app.sqlite();
    conn.execute(
        "UPDATE record_facts SET wrong_patient_stops = NULL, wrong_patient_before_draw = NULL",
        [],
    )
    .unwrap();
    let unflagged: QueuePage = app
        .get_ok(
            "/supervisor/queue?flag=identification_mismatch",
            &supervisor,
        )
        .await;
    assert_eq!(unflagged.total, 0);
    drop(SqliteStore::open(&app.dir.path().join("test.sqlite")).unwrap());
    let counts: (u32, u32) = conn
        .query_row(
            "SELECT wrong_patient_stops, wrong_patient_before_draw FROM record_facts
             WHERE collection_id = ?1",
            [id.to_string()],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .unwrap();
    assert_eq!(counts, (1, 1));
    let flagged: QueuePage = app
        .get_ok(
            "/supervisor/queue?flag=identification_mismatch",
            &supervisor,
        )
        .await;
    assert_eq!(flagged.total, 1);
}
