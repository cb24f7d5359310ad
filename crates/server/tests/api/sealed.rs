//! Sealed push: records a tablet sealed to the lab's public key are opened and taken exactly as
//! plain ones; a seal the lab cannot trust is refused alone, `unreadable_seal`, naming no content.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use drawline_server::api::{seal_aad, PushRecord, RecordOutcome, MAX_PUSH_RECORDS};
use drawline_server::lab_key::{seal, LabKey};
use serde_json::{json, Value};
use uuid::Uuid;

use crate::fixtures;
use crate::helpers::{assert_problem, sealed, sealed_push_body, spawn_app};

/// Nothing of the fixture patient (name, birth date) is in `text`. (Not the MRN, `12345`: it can
/// turn up by chance inside a hash or an id.)
fn names_no_patient(text: &str) {
    for word in [
        "CHALMERS",
        "Chalmers",
        "PETER",
        "Peter",
        "19741225",
        "1974-12-25",
    ] {
        assert!(!text.contains(word), "{word} in {text}");
    }
}

#[tokio::test]
async fn a_tampered_seal_a_seal_to_another_lab_a_seal_for_another_record_and_a_disagreeing_hash_are_each_unreadable_while_the_good_records_are_accepted(
) {
    let app = spawn_app().await;
    let tablet = app.tablet_enrollment("Tablet").await;
    let lab = tablet.lab_key.clone().unwrap();
    let collection = || fixtures::finalized_collection(Uuid::new_v4());

    let good_plain = collection();
    let good_sealed = collection();

    let tampered = collection();
    let mut tampered_seal = sealed(&lab, &tampered);
    let mut ct = URL_SAFE_NO_PAD
        .decode(tampered_seal["sealed"]["ct"].as_str().unwrap())
        .unwrap();
    ct[10] ^= 1;
    tampered_seal["sealed"]["ct"] = json!(URL_SAFE_NO_PAD.encode(ct));

    let elsewhere = collection();
    let another_lab = LabKey::generate();
    let elsewhere_seal = sealed(another_lab.public_jwk(), &elsewhere);

    // Sealed for one record (its additional data names `other`), passed off as `moved`.
    let moved = collection();
    let other = collection();
    let moved_record = PushRecord::from_finalized(&moved);
    let moved_seal = json!({
        "id": moved_record.id,
        "version": moved_record.version,
        "hash": moved_record.content_hash,
        "sealed": seal(
            &lab,
            seal_aad(other.record().id().0, 1).as_bytes(),
            &serde_json::to_vec(&moved_record).unwrap(),
        )
        .unwrap(),
    });

    let disagreeing = collection();
    let mut disagreeing_seal = sealed(&lab, &disagreeing);
    disagreeing_seal["hash"] = json!(other.hash().as_str());

    let out = app
        .push_sealed(
            &tablet.token,
            vec![fixtures::record(&good_plain)],
            vec![
                tampered_seal,
                elsewhere_seal,
                sealed(&lab, &good_sealed),
                moved_seal,
                disagreeing_seal,
            ],
        )
        .await;
    let outcomes: Vec<_> = out
        .results
        .iter()
        .map(|r| (r.id, r.outcome, r.code.as_deref()))
        .collect();
    let unreadable = Some("unreadable_seal");
    assert_eq!(
        outcomes,
        vec![
            (good_plain.record().id().0, RecordOutcome::Accepted, None),
            (
                tampered.record().id().0,
                RecordOutcome::Rejected,
                unreadable
            ),
            (
                elsewhere.record().id().0,
                RecordOutcome::Rejected,
                unreadable
            ),
            (good_sealed.record().id().0, RecordOutcome::Accepted, None),
            (moved.record().id().0, RecordOutcome::Rejected, unreadable),
            (
                disagreeing.record().id().0,
                RecordOutcome::Rejected,
                unreadable
            ),
        ]
    );
    let reason = |i: usize| out.results[i].reason.clone().unwrap();
    assert!(reason(1).contains("does not open"), "{}", reason(1));
    assert!(reason(4).contains("does not open"), "{}", reason(4));
    assert!(reason(5).contains("content hash"), "{}", reason(5));
    for r in &out.results {
        names_no_patient(&serde_json::to_string(r).unwrap());
    }
    assert_eq!(app.audited("collection.received").await, 2);
    names_no_patient(&app.audit_text());
}

#[tokio::test]
async fn a_sealed_record_that_is_no_sealed_record_or_holds_no_push_record_is_unreadable_alone() {
    let app = spawn_app().await;
    let tablet = app.tablet_enrollment("Tablet").await;
    let lab = tablet.lab_key.clone().unwrap();
    let good = fixtures::finalized_collection(Uuid::new_v4());
    let id = Uuid::new_v4();
    let not_a_record = json!({
        "id": id,
        "version": 1,
        "hash": "ab".repeat(32),
        "sealed": seal(&lab, seal_aad(id, 1).as_bytes(), b"{\"patient\":\"CHALMERS\"}").unwrap(),
    });
    let out = app
        .push_sealed(
            &tablet.token,
            vec![],
            vec![
                json!({ "id": id, "iv": "x" }),
                not_a_record,
                sealed(&lab, &good),
            ],
        )
        .await;
    assert_eq!(out.results.len(), 3);
    for r in &out.results[..2] {
        assert_eq!(r.outcome, RecordOutcome::Rejected);
        assert_eq!(r.code.as_deref(), Some("unreadable_seal"));
        assert_eq!(r.id, id);
        names_no_patient(r.reason.as_deref().unwrap());
    }
    assert_eq!(out.results[2].outcome, RecordOutcome::Accepted);
}

#[tokio::test]
async fn a_sealed_record_accepted_then_pushed_plain_is_a_duplicate_with_the_same_receipt() {
    let app = spawn_app().await;
    let tablet = app.tablet_enrollment("Tablet").await;
    let lab = tablet.lab_key.clone().unwrap();
    let f = fixtures::finalized_collection(Uuid::new_v4());

    let first = app
        .push_sealed(&tablet.token, vec![], vec![sealed(&lab, &f)])
        .await;
    assert_eq!(first.results[0].outcome, RecordOutcome::Accepted);
    let receipt = first.results[0].receipt.clone().unwrap();
    assert_eq!(receipt.content_hash, f.hash().as_str());

    let plain = app.push(&tablet.token, vec![fixtures::record(&f)]).await;
    assert_eq!(plain.results[0].outcome, RecordOutcome::Duplicate);
    assert_eq!(plain.results[0].receipt.as_ref(), Some(&receipt));
    // Sealed anew (another ephemeral key and IV), still the same record.
    let again = app
        .push_sealed(&tablet.token, vec![], vec![sealed(&lab, &f)])
        .await;
    assert_eq!(again.results[0].outcome, RecordOutcome::Duplicate);
    assert_eq!(again.results[0].receipt.as_ref(), Some(&receipt));
    assert_eq!(app.audited("collection.received").await, 1);
}

#[tokio::test]
async fn a_plain_record_accepted_then_pushed_sealed_is_a_duplicate_with_the_original_receipt() {
    let app = spawn_app().await;
    let tablet = app.tablet_enrollment("Tablet").await;
    let lab = tablet.lab_key.clone().unwrap();
    let f = fixtures::finalized_collection(Uuid::new_v4());
    let g = fixtures::finalized_collection(Uuid::new_v4());

    let first = app.push(&tablet.token, vec![fixtures::record(&f)]).await;
    let receipt = first.results[0].receipt.clone().unwrap();
    // In one batch: the plain copy of g first, then both sealed.
    let out = app
        .push_sealed(
            &tablet.token,
            vec![fixtures::record(&g)],
            vec![sealed(&lab, &f), sealed(&lab, &g)],
        )
        .await;
    assert_eq!(out.results[0].outcome, RecordOutcome::Accepted);
    assert_eq!(out.results[1].outcome, RecordOutcome::Duplicate);
    assert_eq!(out.results[1].receipt.as_ref(), Some(&receipt));
    assert_eq!(out.results[2].outcome, RecordOutcome::Duplicate);
    assert_eq!(out.results[2].receipt, out.results[0].receipt);
}

#[tokio::test]
async fn a_sealed_record_takes_the_plain_records_checks_and_re_validation() {
    let app = spawn_app().await;
    let tablet = app.tablet_enrollment("Tablet").await;
    let lab = tablet.lab_key.clone().unwrap();
    let stranger = fixtures::made_by_stranger(&fixtures::finalized_collection(Uuid::new_v4()));
    let plain = app
        .push(&tablet.token, vec![fixtures::record(&stranger)])
        .await;
    let sealed_out = app
        .push_sealed(&tablet.token, vec![], vec![sealed(&lab, &stranger)])
        .await;
    assert_eq!(plain.results[0].outcome, RecordOutcome::Rejected);
    assert_eq!(plain.results[0].code.as_deref(), Some("unknown_collector"));
    assert_eq!(sealed_out.results[0].outcome, RecordOutcome::Rejected);
    assert_eq!(sealed_out.results[0].code, plain.results[0].code);
    assert_eq!(sealed_out.results[0].reason, plain.results[0].reason);

    // A record whose content hash is wrong inside the seal: the plain check's `hash_mismatch`.
    let f = fixtures::finalized_collection(Uuid::new_v4());
    let mut record = PushRecord::from_finalized(&f);
    record.content_hash = "cd".repeat(32);
    let lying = drawline_server::lab_key::seal_record(&lab, &record).unwrap();
    let out = app
        .push_sealed(
            &tablet.token,
            vec![],
            vec![serde_json::to_value(lying).unwrap()],
        )
        .await;
    assert_eq!(out.results[0].code.as_deref(), Some("hash_mismatch"));
}

#[tokio::test]
async fn more_records_and_sealed_records_together_than_a_push_takes_are_refused_whole() {
    let app = spawn_app().await;
    let tablet = app.tablet_enrollment("Tablet").await;
    let junk = |n: usize| (0..n).map(|i| json!({ "n": i })).collect::<Vec<Value>>();
    let half = MAX_PUSH_RECORDS / 2;
    let body = sealed_push_body(
        junk(half + 1),
        junk(MAX_PUSH_RECORDS - half),
        chrono::Utc::now().fixed_offset(),
    );
    assert_problem(
        app.post("/sync/push", &tablet.token).json(&body),
        413,
        "batch_too_large",
    )
    .await;
}

#[tokio::test]
async fn enrollment_token_rotation_and_sign_in_answer_the_same_public_lab_key() {
    let app = spawn_app().await;
    let tablet = app.enroll("Tablet").await;
    let lab = tablet.lab_key.clone().unwrap();
    assert_eq!((lab.kty.as_str(), lab.crv.as_str()), ("EC", "P-256"));
    let rotated: drawline_server::api::EnrollResponse = app
        .post("/devices/current/token", &tablet.token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(rotated.lab_key.as_ref(), Some(&lab));
    app.add_user("amara", drawline_server::api::Role::Collector, "1357")
        .await;
    let res = app
        .sign_in_with(&tablet.token, "amara", "1357")
        .send()
        .await
        .unwrap();
    let session: drawline_server::api::SessionResponse = res.json().await.unwrap();
    assert_eq!(session.lab_key.as_ref(), Some(&lab));
    // Only the public half travels.
    let text = serde_json::to_string(&session).unwrap();
    assert!(!text.contains("\"d\""), "{text}");
}
