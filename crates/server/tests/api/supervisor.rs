//! Supervisor review over a real socket: every `/supervisor` route is for supervisors only; the
//! devices view ranks risk; the queue lists, flags, filters and pages what devices sent; review
//! actions are recorded, audited and shown in a collection's detail.

use chrono::{DateTime, Duration, FixedOffset, Utc};
use drawline_server::api::{
    risk_codes, CollectionDetail, ConflictChoice, DevicesOverview, Heartbeat, PushResponse,
    QueuePage, RecollectResponse, RecordOutcome, ReviewAction, ReviewEvent, RiskLevel, Role,
    Worklist,
};
use drawline_server::store::{AuditStore, SyncStore};
use drawline_server::ReviewSettings;
use reqwest::{Method, Response};
use serde::de::DeserializeOwned;
use serde_json::{json, Value};
use uuid::Uuid;

use crate::fixtures;
use crate::helpers::{
    assert_problem, assert_status, problem_code, spawn_app, spawn_app_with, TestApp,
};

/// A lab with a supervisor, and a collector signed in on a tablet that has the orders of
/// `fixtures::finalized_collection`.
struct Lab {
    app: TestApp,
    supervisor: String,
    tablet: Uuid,
    tablet_token: String,
    collector: String,
}

async fn lab_with(app: TestApp) -> Lab {
    let (_, supervisor) = app.supervisor().await;
    let tablet = app.enroll("Ward 1 tablet").await;
    app.seed_collection_orders(tablet.device_id).await;
    app.add_user("amara", Role::Collector, "1234").await;
    let collector = app.sign_in(&tablet.token, "amara", "1234").await;
    Lab {
        app,
        supervisor,
        tablet: tablet.device_id,
        tablet_token: tablet.token,
        collector,
    }
}

async fn lab() -> Lab {
    lab_with(spawn_app().await).await
}

/// A lab where the tablet pushed one finalized collection; answers its id too.
async fn lab_with_collection() -> (Lab, Uuid) {
    let lab = lab().await;
    let id = lab.pushed().await;
    (lab, id)
}

impl Lab {
    /// Pushes records from the collector's tablet; the push must succeed.
    async fn push(&self, records: Vec<Value>) -> PushResponse {
        self.app.push(&self.collector, records).await
    }

    /// Pushes records from the collector's tablet with its clock at `clock`.
    async fn push_at(&self, records: Vec<Value>, clock: DateTime<FixedOffset>) -> PushResponse {
        self.app.push_at(&self.collector, records, clock).await
    }

    /// Pushes a new finalized collection from the tablet; answers its id.
    async fn pushed(&self) -> Uuid {
        let id = Uuid::new_v4();
        self.push(vec![fixtures::record(&fixtures::finalized_collection(id))])
            .await;
        id
    }

    /// A supervisor action on a collection (`POST /supervisor/collections/{id}/{action}`) that
    /// must answer `status`.
    async fn act(&self, id: Uuid, action: &str, body: &Value, status: u16) -> Response {
        let res = self
            .app
            .post(
                &format!("/supervisor/collections/{id}/{action}"),
                &self.supervisor,
            )
            .json(body)
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), status, "{action} {body}");
        res
    }

    /// A supervisor action that must answer `status` with a body read as `T`.
    async fn act_json<T: DeserializeOwned>(
        &self,
        id: Uuid,
        action: &str,
        body: &Value,
        status: u16,
    ) -> T {
        self.act(id, action, body, status)
            .await
            .json()
            .await
            .unwrap()
    }

    /// The review queue page for a query string (`""` or `"?status=..."`).
    async fn queue(&self, query: &str) -> QueuePage {
        let path = format!("/supervisor/queue{query}");
        self.app.get_ok(&path, &self.supervisor).await
    }

    /// A collection's detail.
    async fn detail(&self, id: Uuid) -> CollectionDetail {
        let path = format!("/supervisor/collections/{id}");
        self.app.get_ok(&path, &self.supervisor).await
    }

    /// The devices view.
    async fn devices(&self) -> DevicesOverview {
        self.app
            .get_ok("/supervisor/devices", &self.supervisor)
            .await
    }
}

/// The route answers `ok` to the supervisor, 403 to a collector's session, 401 to a bare device
/// token and 401 to no token.
async fn assert_supervisor_only(
    lab: &Lab,
    method: Method,
    path: &str,
    body: Option<Value>,
    ok: u16,
) {
    let app = &lab.app;
    let send = |token: Option<&str>| {
        let mut req = app.client.request(method.clone(), app.url(path));
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        if let Some(b) = &body {
            req = req.json(b);
        }
        req.send()
    };
    let res = send(Some(&lab.collector)).await.unwrap();
    assert_eq!(res.status(), 403, "collector on {path}");
    assert_eq!(problem_code(res).await, "role_required");
    let res = send(Some(&lab.tablet_token)).await.unwrap();
    assert_eq!(res.status(), 401, "device token on {path}");
    assert_eq!(problem_code(res).await, "sign_in_required");
    let res = send(None).await.unwrap();
    assert_eq!(res.status(), 401, "no token on {path}");
    assert_eq!(problem_code(res).await, "missing_token");
    let res = send(Some(&lab.supervisor)).await.unwrap();
    let status = res.status().as_u16();
    assert_eq!(
        status,
        ok,
        "supervisor on {path}: {}",
        res.text().await.unwrap()
    );
}

/// A lab where the tablet pushed one collection and then a conflicting copy of it.
async fn lab_with_conflict() -> (Lab, Uuid, i64) {
    let lab = lab().await;
    let id = Uuid::new_v4();
    let v1 = fixtures::finalized_collection(id);
    let other = fixtures::finalized_collection_with(id, ["B0001", "B0002"]);
    let out = lab
        .push(vec![fixtures::record(&v1), fixtures::record(&other)])
        .await;
    assert_eq!(out.results[1].outcome, RecordOutcome::Conflict);
    let page = lab.queue("?status=conflict").await;
    let attempt = page.items[0].attempt_id.unwrap();
    (lab, id, attempt)
}

#[tokio::test]
async fn the_devices_view_is_for_supervisors_only() {
    let lab = lab().await;
    assert_supervisor_only(&lab, Method::GET, "/supervisor/devices", None, 200).await;
}

#[tokio::test]
async fn the_queue_is_for_supervisors_only() {
    let lab = lab().await;
    assert_supervisor_only(&lab, Method::GET, "/supervisor/queue", None, 200).await;
}

#[tokio::test]
async fn resolving_a_conflict_is_for_supervisors_only() {
    let (lab, id, attempt) = lab_with_conflict().await;
    let path = format!("/supervisor/collections/{id}/resolve");
    let body = json!({"attempt_id": attempt, "keep": "lab"});
    assert_supervisor_only(&lab, Method::POST, &path, Some(body), 200).await;
}

/// Each on a fresh lab with one collection pushed.
#[tokio::test]
async fn a_collection_detail_marking_reviewed_a_note_and_a_recollection_are_for_supervisors_only() {
    for (method, action, body, ok) in [
        (Method::GET, "", None, 200),
        (Method::POST, "/review", Some(json!({})), 201),
        (
            Method::POST,
            "/notes",
            Some(json!({"text": "called the ward"})),
            201,
        ),
        (
            Method::POST,
            "/recollect",
            Some(json!({"reason": "haemolysed"})),
            201,
        ),
    ] {
        let (lab, id) = lab_with_collection().await;
        let path = format!("/supervisor/collections/{id}{action}");
        assert_supervisor_only(&lab, method, &path, body, ok).await;
    }
}

#[tokio::test]
async fn a_stale_device_holding_unsynced_work_comes_first_with_its_reasons() {
    let app = spawn_app_with(|s| {
        s.with_review(ReviewSettings {
            stale_device: Duration::minutes(30),
            ..ReviewSettings::default()
        })
    })
    .await;
    let lab = lab_with(app).await;
    let quiet = lab.app.enroll("Spare tablet").await;
    // The ward tablet synced once (so its collector and app version are known), then went silent
    // two hours ago with three records in its outbox and an error.
    lab.push(vec![]).await;
    let two_hours_ago = Utc::now() - Duration::hours(2);
    lab.app
        .store
        .record_heartbeat(
            lab.tablet,
            Heartbeat {
                device_clock: None,
                queue_length: 3,
                oldest_unsynced_seconds: Some(600),
                last_error: Some("the lab server cannot be reached".into()),
            },
            two_hours_ago,
        )
        .await
        .unwrap();
    let conn = lab.app.sqlite();
    conn.execute(
        "UPDATE devices SET last_seen_at = ?1 WHERE id = ?2",
        rusqlite::params![
            two_hours_ago.to_rfc3339_opts(chrono::SecondsFormat::Micros, true),
            lab.tablet.to_string()
        ],
    )
    .unwrap();

    let view = lab.devices().await;
    assert_eq!(view.thresholds.stale_device_minutes, 30);
    assert_eq!(view.thresholds.skew_threshold_minutes, 5);
    let first = &view.devices[0];
    assert_eq!(first.id, lab.tablet);
    assert_eq!(first.risk, RiskLevel::Critical);
    assert_eq!(first.reasons[0].code, risk_codes::STALE_WITH_UNSYNCED);
    assert!(first
        .reasons
        .iter()
        .any(|r| r.code == risk_codes::LAST_ERROR));
    assert_eq!(first.queue_length, 3);
    assert_eq!(first.collector.as_ref().unwrap().username, "amara");
    assert_eq!(first.app_version.as_deref(), Some("0.2.0-test"));
    assert!(first.last_push_at.is_some());
    assert!(first.oldest_unsynced_age_seconds.unwrap() >= 600 + 7200);
    let spare = view
        .devices
        .iter()
        .find(|d| d.id == quiet.device_id)
        .unwrap();
    assert_eq!(spare.risk, RiskLevel::Ok);
    let office = view.devices.last().unwrap();
    assert!(office.risk <= RiskLevel::Ok);
}

#[tokio::test]
async fn a_refused_push_is_quarantined_on_its_device_until_reviewed() {
    let lab = lab().await;
    let other = lab.app.enroll("Other tablet").await;
    let id = lab.pushed().await;
    // The same collection id from another device is rejected and recorded for the supervisor.
    let out = lab
        .app
        .push(
            &other.token,
            vec![fixtures::record(&fixtures::finalized_collection(id))],
        )
        .await;
    assert_eq!(out.results[0].outcome, RecordOutcome::Rejected);

    let view = lab.devices().await;
    let d = view
        .devices
        .iter()
        .find(|d| d.id == other.device_id)
        .unwrap();
    assert_eq!(d.quarantined, 1);
    assert_eq!(d.risk, RiskLevel::Warning);
    assert_eq!(d.reasons[0].code, risk_codes::QUARANTINED);

    let page = lab.queue("?status=rejected").await;
    assert_eq!(page.total, 1);
    let item = &page.items[0];
    assert_eq!(item.code.as_deref(), Some("another_device"));
    assert!(item.quarantined);
    assert_eq!(item.device.id, other.device_id);
    assert_eq!(item.patient.as_ref().unwrap().mrn, "12345");

    let body = json!({"note": "duplicate id from a cloned tablet"});
    lab.act(id, "review", &body, 201).await;
    let page = lab.queue("?status=quarantined").await;
    assert_eq!(page.total, 0);
}

#[tokio::test]
async fn the_queue_lists_accepted_resent_conflicting_and_rejected_pushes_with_flags() {
    let lab = lab().await;
    let id = Uuid::new_v4();
    let v1 = fixtures::finalized_collection(id);
    let other = fixtures::finalized_collection_with(id, ["B0001", "B0002"]);
    lab.push(vec![fixtures::record(&v1)]).await;
    lab.push(vec![fixtures::record(&v1), fixtures::record(&other)])
        .await;
    let mut garbage = fixtures::record(&fixtures::finalized_collection(Uuid::new_v4()));
    garbage["collection"]["record"]["status"] = json!("labelled");
    lab.push(vec![garbage]).await;

    let page = lab.queue("").await;
    assert_eq!(page.total, 3);
    let with_status = |status| page.items.iter().find(|i| i.status == status).unwrap();
    let accepted = with_status(RecordOutcome::Accepted);
    assert_eq!(accepted.collection_id, id);
    assert_eq!(accepted.duplicate_resends, 1);
    assert_eq!(accepted.device.name, "Ward 1 tablet");
    assert_eq!(accepted.collector.as_ref().unwrap().id, fixtures::NURSE_1);
    assert_eq!(accepted.tests, ["PT", "CBC"]);
    // Drawn in 2024, received now.
    assert!(accepted.flags.synced_late);
    assert!(!accepted.flags.corrected && !accepted.flags.clock_skew);
    assert!(accepted.sync_delay_seconds.unwrap() > 3600);
    let conflict = with_status(RecordOutcome::Conflict);
    assert_eq!(conflict.code.as_deref(), Some("version_conflict"));
    assert!(conflict.quarantined && conflict.attempt_id.is_some());
    let rejected = with_status(RecordOutcome::Rejected);
    assert_eq!(rejected.code.as_deref(), Some("not_finalized"));
    assert!(rejected.patient.is_none());

    for (query, n) in [
        ("?status=accepted", 1),
        ("?status=duplicate", 1),
        ("?status=conflict", 1),
        ("?status=rejected", 1),
        ("?status=quarantined", 2),
        ("?flag=synced_late", 2),
        ("?flag=corrected", 0),
        ("?patient=12345", 2),
        ("?patient=chalmers", 2),
        ("?patient=nobody", 0),
        ("?collector=nurse-1", 2),
        (&format!("?device={}", lab.tablet), 3),
        (&format!("?device={}", Uuid::new_v4()), 0),
        ("?from=2024-05-01T00:00:00Z&to=2024-05-02T00:00:00Z", 2),
        ("?from=2025-01-01T00:00:00Z&status=accepted", 0),
        ("?reviewed=false", 3),
    ] {
        let page = lab.queue(query).await;
        assert_eq!(page.total, n, "{query}");
        assert_eq!(page.items.len() as u64, n, "{query}");
    }
}

#[tokio::test]
async fn corrections_skewed_clocks_exceptions_and_typed_identities_are_flagged() {
    let (lab, id) = lab_with_collection().await;
    let v1 = fixtures::finalized_collection(id);
    let ahead = (Utc::now() + Duration::hours(1)).fixed_offset();
    lab.push_at(vec![fixtures::record(&fixtures::correction_of(&v1))], ahead)
        .await;
    let refused = Uuid::new_v4();
    lab.push(vec![fixtures::record(&fixtures::refused_visit(refused))])
        .await;

    let corrected = lab.queue("?flag=corrected").await;
    assert_eq!(corrected.total, 1);
    assert_eq!(corrected.items[0].version, 2);
    assert!(corrected.items[0].flags.clock_skew);
    let skewed = lab.queue("?flag=clock_skew").await;
    assert_eq!(skewed.total, 1);
    for flag in ["exception", "manual_identification"] {
        let page = lab.queue(&format!("?flag={flag}")).await;
        assert_eq!(page.total, 1, "{flag}");
        assert_eq!(page.items[0].collection_id, refused);
        assert_eq!(page.items[0].exceptions, ["refused"]);
        assert!(page.items[0].flags.exception && page.items[0].flags.manual_identification);
    }
    let page = lab.queue("?collector=nurse-2").await;
    assert_eq!(page.total, 1);
}

#[tokio::test]
async fn the_queue_pages_by_cursor_without_gaps_or_repeats() {
    let lab = lab().await;
    let records: Vec<Value> = (0..5)
        .map(|_| fixtures::record(&fixtures::finalized_collection(Uuid::new_v4())))
        .collect();
    lab.push(records).await;
    let mut seen = Vec::new();
    let mut query = "?limit=2".to_owned();
    loop {
        let page = lab.queue(&query).await;
        assert_eq!(page.total, 5);
        assert!(page.items.len() <= 2);
        seen.extend(page.items.iter().map(|i| i.key.clone()));
        match page.next_cursor {
            Some(c) => query = format!("?limit=2&cursor={c}"),
            None => break,
        }
    }
    let mut unique = seen.clone();
    unique.sort();
    unique.dedup();
    assert_eq!(seen.len(), 5);
    assert_eq!(unique.len(), 5);
}

#[tokio::test]
async fn polling_the_queue_is_cheap_with_an_etag_or_changed_since() {
    let lab = lab().await;
    lab.push(vec![fixtures::record(&fixtures::finalized_collection(
        Uuid::new_v4(),
    ))])
    .await;
    let res = lab
        .app
        .get("/supervisor/queue", &lab.supervisor)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let etag = res.headers()["etag"].to_str().unwrap().to_owned();
    let first: QueuePage = res.json().await.unwrap();
    let if_none_match = || {
        lab.app
            .get("/supervisor/queue", &lab.supervisor)
            .header("If-None-Match", &etag)
    };

    assert_status(if_none_match(), 304).await;

    let since = first
        .server_time
        .to_rfc3339_opts(chrono::SecondsFormat::Micros, true);
    let query = format!("?changed_since={}", since.replace('+', "%2B"));
    assert_eq!(lab.queue(&query).await.total, 0);

    let id = lab.pushed().await;
    assert_status(if_none_match(), 200).await;
    let page = lab.queue(&query).await;
    assert_eq!(page.total, 1);
    assert_eq!(page.items[0].collection_id, id);
}

#[tokio::test]
async fn bad_queue_filters_get_a_clear_problem() {
    let lab = lab().await;
    for (query, code) in [
        ("?status=lost", "invalid_query"),
        ("?flag=odd", "invalid_query"),
        ("?device=not-a-uuid", "invalid_query"),
        ("?from=yesterday", "invalid_query"),
        (
            "?from=2024-05-02T00:00:00Z&to=2024-05-01T00:00:00Z",
            "invalid_query",
        ),
        ("?limit=-1", "invalid_query"),
        ("?cursor=garbage", "invalid_cursor"),
    ] {
        let res = lab
            .app
            .get(&format!("/supervisor/queue{query}"), &lab.supervisor)
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 400, "{query}");
        let body: Value = res.json().await.unwrap();
        assert_eq!(body["code"], code, "{query}");
        assert!(!body["message"].as_str().unwrap().is_empty());
    }
}

#[tokio::test]
async fn a_collection_detail_shows_every_version_tube_by_tube_with_its_history_and_fhir() {
    let (lab, id) = lab_with_collection().await;
    let v1 = fixtures::finalized_collection(id);
    lab.push(vec![fixtures::record(&fixtures::correction_of(&v1))])
        .await;

    let d = lab.detail(id).await;
    assert_eq!(d.status, RecordOutcome::Accepted);
    assert_eq!(d.device.id, lab.tablet);
    assert_eq!(d.latest_version, Some(2));
    assert_eq!(d.versions.len(), 2);
    assert!(!d.versions[0].standing && d.versions[1].standing);
    assert!(d.versions[1].flags.corrected);
    let r = d.versions[0].record.as_ref().unwrap();
    assert_eq!(r.patient.mrn, "12345");
    assert_eq!(r.collector.id, fixtures::NURSE_1);
    assert_eq!(r.identification_method.as_deref(), Some("scan"));
    assert_eq!(r.tubes.len(), 2);
    for t in &r.tubes {
        assert!(t.drawn_at.is_some());
        assert!(t.accession.is_some());
        let label = t.label.as_ref().unwrap();
        assert_eq!(label.patient_name, "CHALMERS, Peter James");
    }
    assert!(!r.history.is_empty());
    assert_eq!(
        d.versions[1].record.as_ref().unwrap().fasting.as_deref(),
        Some("fasting")
    );
    let received = d
        .history
        .iter()
        .filter(|h| h.action == "collection.received")
        .count();
    assert_eq!(received, 2);
    assert_eq!(d.fhir["resourceType"], "Bundle");
    let entries = d.fhir["entry"].as_array().unwrap();
    assert_eq!(entries.len(), 2);
    assert!(entries
        .iter()
        .all(|e| e["resource"]["resourceType"] == "Specimen"));
}

#[tokio::test]
async fn an_unknown_collection_is_404_and_a_malformed_id_is_400() {
    let lab = lab().await;
    assert_problem(
        lab.app.get(
            &format!("/supervisor/collections/{}", Uuid::new_v4()),
            &lab.supervisor,
        ),
        404,
        "not_found",
    )
    .await;
    lab.act(Uuid::new_v4(), "notes", &json!({"text": "hello"}), 404)
        .await;
    assert_problem(
        lab.app
            .get("/supervisor/collections/not-a-uuid", &lab.supervisor),
        400,
        "invalid_path",
    )
    .await;
}

#[tokio::test]
async fn review_and_notes_are_audited_with_who_and_when_and_shown_in_the_history() {
    let (lab, id) = lab_with_collection().await;
    let body = json!({"text": "  label reprinted at the ward  "});
    let note: ReviewEvent = lab.act_json(id, "notes", &body, 201).await;
    assert_eq!(note.action, ReviewAction::Note);
    assert_eq!(note.note.as_deref(), Some("label reprinted at the ward"));
    assert_eq!(note.by.username, "sup");
    lab.act(id, "review", &json!({}), 201).await;

    let page = lab.queue("?reviewed=true").await;
    assert_eq!(page.total, 1);
    assert_eq!(page.items[0].notes, 1);
    assert!(page.items[0].reviewed_at.is_some());
    assert_eq!(lab.queue("?reviewed=false").await.total, 0);

    let d = lab.detail(id).await;
    assert!(d.reviewed_at.is_some());
    let actions: Vec<_> = d.reviews.iter().map(|e| e.action).collect();
    assert_eq!(actions, [ReviewAction::Note, ReviewAction::Reviewed]);
    let audited: Vec<_> = d.history.iter().map(|h| h.action.as_str()).collect();
    assert!(audited.contains(&"collection.noted") && audited.contains(&"collection.reviewed"));
    let entry = d
        .history
        .iter()
        .find(|h| h.action == "collection.reviewed")
        .unwrap();
    assert!(entry.actor.starts_with("user:"));
    let log = lab.app.store.audit_log(100).await.unwrap();
    assert!(log
        .iter()
        .any(|a| a.action == "collection.noted" && a.subject.as_deref() == Some(&id.to_string())));
}

#[tokio::test]
async fn an_empty_or_overlong_note_gets_a_clear_problem() {
    let (lab, id) = lab_with_collection().await;
    for (body, code) in [
        (json!({"text": "   "}), "invalid_note"),
        (json!({"text": "x".repeat(2001)}), "invalid_note"),
        (json!({"note": "wrong field"}), "invalid_body"),
    ] {
        let res = lab.act(id, "notes", &body, 422).await;
        assert_eq!(problem_code(res).await, code, "{body}");
    }
    let path = format!("/supervisor/collections/{id}/notes");
    assert_problem(
        lab.app
            .post(&path, &lab.supervisor)
            .header("content-type", "application/json")
            .body("{not json"),
        400,
        "malformed_json",
    )
    .await;
}

#[tokio::test]
async fn letting_the_devices_version_stand_stores_it_and_keeps_the_labs_as_superseded() {
    let (lab, id, attempt) = lab_with_conflict().await;
    let body =
        json!({"attempt_id": attempt, "keep": "device", "note": "the ward confirmed B tubes"});
    let e: ReviewEvent = lab.act_json(id, "resolve", &body, 200).await;
    assert_eq!(e.action, ReviewAction::ConflictResolved);
    assert_eq!(e.detail.as_ref().unwrap()["version"], 2);

    let d = lab.detail(id).await;
    assert_eq!(d.latest_version, Some(2));
    assert_eq!(d.versions[1].resolved_from_attempt, Some(attempt));
    assert!(d.versions[1].standing && !d.versions[0].standing);
    let tube = &d.versions[1].record.as_ref().unwrap().tubes[0];
    assert_eq!(tube.accession.as_deref(), Some("B0001"));
    let a = d.attempts.iter().find(|a| a.id == attempt).unwrap();
    assert_eq!(a.resolution, Some(ConflictChoice::Device));
    assert!(!a.superseded && a.resolved_by.is_some());
    assert!(d
        .history
        .iter()
        .any(|h| h.action == "collection.conflict_resolved"));
    assert_eq!(lab.queue("?status=quarantined").await.total, 0);

    // The device resending what it holds quarantined now hears it is stored.
    let other = fixtures::finalized_collection_with(id, ["B0001", "B0002"]);
    let out = lab.push(vec![fixtures::record(&other)]).await;
    assert_eq!(out.results[0].outcome, RecordOutcome::Duplicate);

    let body = json!({"attempt_id": attempt, "keep": "lab"});
    let res = lab.act(id, "resolve", &body, 409).await;
    assert_eq!(problem_code(res).await, "already_resolved");
}

#[tokio::test]
async fn keeping_the_labs_version_marks_the_conflicting_push_superseded() {
    let (lab, id, attempt) = lab_with_conflict().await;
    let body = json!({"attempt_id": attempt, "keep": "lab"});
    lab.act(id, "resolve", &body, 200).await;
    let d = lab.detail(id).await;
    assert_eq!(d.latest_version, Some(1));
    let a = d.attempts.iter().find(|a| a.id == attempt).unwrap();
    assert!(a.superseded);
    assert_eq!(a.resolution, Some(ConflictChoice::Lab));
    let page = lab.queue("?status=conflict").await;
    assert_eq!(page.items[0].resolution, Some(ConflictChoice::Lab));
    assert!(!page.items[0].quarantined);
}

#[tokio::test]
async fn only_a_conflict_of_this_collection_can_be_resolved() {
    let (lab, id, attempt) = lab_with_conflict().await;
    // A resend is recorded too, and it is not a conflict.
    lab.push(vec![fixtures::record(&fixtures::finalized_collection(id))])
        .await;
    let d = lab.detail(id).await;
    let resend = d
        .attempts
        .iter()
        .find(|a| a.outcome == RecordOutcome::Duplicate)
        .unwrap()
        .id;
    for (path_id, body, status, code) in [
        (
            id,
            json!({"attempt_id": resend, "keep": "lab"}),
            409,
            "not_a_conflict",
        ),
        (
            Uuid::new_v4(),
            json!({"attempt_id": attempt, "keep": "lab"}),
            404,
            "not_found",
        ),
        (
            id,
            json!({"attempt_id": 999_999, "keep": "lab"}),
            404,
            "not_found",
        ),
        (
            id,
            json!({"attempt_id": attempt, "keep": "both"}),
            422,
            "invalid_body",
        ),
    ] {
        let res = lab.act(path_id, "resolve", &body, status).await;
        assert_eq!(problem_code(res).await, code, "{body}");
    }
}

#[tokio::test]
async fn a_recollection_makes_new_open_orders_the_rounds_device_pulls() {
    let (lab, id) = lab_with_collection().await;
    let body = json!({"reason": "PT clotted", "orders": ["sr-pt"]});
    let made: RecollectResponse = lab.act_json(id, "recollect", &body, 201).await;
    assert_eq!(made.orders.len(), 1);
    assert_eq!(made.orders[0].id, "sr-pt-R1");
    assert_eq!(made.orders[0].replaces, "sr-pt");
    assert_eq!(made.orders[0].test, "PT");
    assert_eq!(made.orders[0].patient_id, "example");
    assert_eq!(made.event.action, ReviewAction::RecollectionRequested);

    let reader = lab.app.collector_on(&lab.tablet_token).await;
    let worklist: Worklist = lab.app.get_ok("/worklist", &reader).await;
    let order = worklist
        .orders
        .iter()
        .find(|o| o.order.id.as_str() == "sr-pt-R1")
        .expect("the recollection is on the round's worklist");
    assert_eq!(
        order.order.recollection_reason.as_deref(),
        Some("PT clotted")
    );

    // Every order again, a second time: new ids, never a reused one.
    let again: RecollectResponse = lab
        .act_json(id, "recollect", &json!({"reason": "lost in transit"}), 201)
        .await;
    let ids: Vec<_> = again.orders.iter().map(|o| o.id.as_str()).collect();
    assert_eq!(ids, ["sr-pt-R2", "sr-cbc-R1"]);
    let d = lab.detail(id).await;
    assert_eq!(
        d.history
            .iter()
            .filter(|h| h.action == "collection.recollection_requested")
            .count(),
        2
    );
}

#[tokio::test]
async fn a_recollection_without_a_reason_or_for_a_foreign_order_gets_a_clear_problem() {
    let (lab, id) = lab_with_collection().await;
    for (body, code) in [
        (json!({"reason": " "}), "invalid_reason"),
        (
            json!({"reason": "x", "orders": ["o-elsewhere"]}),
            "not_in_collection",
        ),
        (json!({"reason": "x", "orders": []}), "invalid_orders"),
        (
            json!({"reason": "x", "round": "No such round"}),
            "unknown_round",
        ),
        (json!({"orders": ["sr-pt"]}), "invalid_body"),
    ] {
        let res = lab.act(id, "recollect", &body, 422).await;
        assert_eq!(problem_code(res).await, code, "{body}");
    }
}

#[tokio::test]
async fn versions_stored_before_the_review_migration_gain_their_facts_when_the_store_opens() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("old.sqlite");
    let id = Uuid::new_v4();
    {
        let store = drawline_server::SqliteStore::open(&path).unwrap();
        let device =
            drawline_server::accounts::register_device(&store, "Tablet", "test", Utc::now())
                .await
                .unwrap();
        let f = fixtures::finalized_collection(id);
        fixtures::push_stored(&store, device.device_id, &f).await;
    }
    // As an older server left it: the version without its facts.
    let conn = rusqlite::Connection::open(&path).unwrap();
    conn.execute("DELETE FROM record_facts", []).unwrap();
    drop(conn);
    let store = drawline_server::SqliteStore::open(&path).unwrap();
    let conn = rusqlite::Connection::open(&path).unwrap();
    let (mrn, tests): (String, String) = conn
        .query_row(
            "SELECT patient_mrn, tests FROM record_facts WHERE collection_id = ?1",
            [id.to_string()],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .unwrap();
    assert_eq!(mrn, "12345");
    assert_eq!(tests, r#"["PT","CBC"]"#);
    drop(store);
}

#[tokio::test]
async fn every_supervisor_read_of_a_collection_and_every_fhir_export_is_in_the_audit_log() {
    let (lab, id) = lab_with_collection().await;
    assert_eq!(lab.app.audited("collection.viewed").await, 0);
    lab.detail(id).await;
    lab.detail(id).await;
    let log = lab.app.store.audit_log(50).await.unwrap();
    let views: Vec<_> = log
        .iter()
        .filter(|a| a.action == "collection.viewed")
        .collect();
    assert_eq!(views.len(), 2);
    assert_eq!(
        views[0].subject.as_deref(),
        Some(&*format!("collection:{id}"))
    );
    assert!(views[0].actor.starts_with("user:"), "{}", views[0].actor);

    let _: Value = lab.app.get_ok("/fhir/Specimen", &lab.supervisor).await;
    let exports: Vec<_> = lab
        .app
        .store
        .audit_log(50)
        .await
        .unwrap()
        .into_iter()
        .filter(|a| a.action == "fhir.exported")
        .collect();
    assert_eq!(exports.len(), 1);
    assert!(exports[0]
        .detail
        .as_deref()
        .unwrap()
        .contains("\"entries\""));
}
