//! The sync loop natively: a memory store, a scripted lab, a host that logs what it is told.

use std::cell::{Cell, RefCell};
use std::collections::HashSet;
use std::rc::Rc;

use chrono::{DateTime, FixedOffset, NaiveDate, Utc};
use drawline_domain::api::{
    EnrollResponse, Heartbeat, PullQuery, PullResponse, PushRequest, PushResponse, PushResult,
    Receipt, RecordOutcome, Role, SessionResponse, SiteVersion, UserView, Worklist, WorklistOrder,
};
use drawline_domain::{
    Device, DeviceTime, NotCollectedReason, Order, OrderId, Patient, PatientId, PatientIdentity,
    PersonName, Priority, Scope, SiteConfig, TestCode,
};
use futures::executor::block_on;
use futures::FutureExt;
use uuid::Uuid;

use super::{Engine, Host, Phase};
use crate::storage::keys::{TypedRecords, DEVICE, SESSION};
use crate::storage::{DraftStore, MemoryStore, OutboxItem, StorageError};
use crate::sync::push::{retry_delay_ms, RECHECK_MS};
use crate::sync::transport::Transport;
use crate::sync::SyncError;
use crate::workflow::{self, Collector};

fn clock() -> DateTime<FixedOffset> {
    DateTime::parse_from_rfc3339("2026-11-23T08:00:00+01:00").unwrap()
}

/// What the loop told its host, in order.
#[derive(Default)]
struct Log {
    phases: RefCell<Vec<Phase>>,
    attention: Cell<usize>,
    error: RefCell<Option<String>>,
    synced: Cell<u32>,
    /// Session tokens the loop signed out.
    signed_out: RefCell<Vec<String>>,
    /// What a revoked tablet kept.
    revoked: Cell<Option<crate::storage::wipe::Kept>>,
}

struct FakeHost {
    store: Rc<MemoryStore>,
    log: Log,
    device: RefCell<EnrollResponse>,
}

/// The tablet's enrollment before any rotation.
fn enrollment() -> EnrollResponse {
    EnrollResponse {
        lab_key: None,
        device_id: Uuid::nil(),
        device_name: "Ward 5 tablet".into(),
        token: "dld_device-token".into(),
    }
}

/// A session of `amara` that ends at `expires_at`.
fn session(expires_at: &str) -> SessionResponse {
    SessionResponse {
        data_key: None,
        lab_key: None,
        token: "dls_session".into(),
        expires_at: DateTime::parse_from_rfc3339(expires_at).unwrap().to_utc(),
        user: UserView {
            id: Uuid::nil(),
            username: "amara".into(),
            display_name: "Amara Okafor".into(),
            role: Role::Collector,
        },
    }
}

/// A session that lasts the whole shift around [`clock`].
fn live_session() -> SessionResponse {
    session("2026-11-23T19:00:00+01:00")
}

#[async_trait::async_trait(?Send)]
impl Host for FakeHost {
    fn device(&self) -> Option<EnrollResponse> {
        Some(self.device.borrow().clone())
    }
    fn online(&self) -> bool {
        true
    }
    async fn store(&self) -> Result<Rc<dyn DraftStore>, StorageError> {
        Ok(self.store.clone())
    }
    fn now(&self) -> DateTime<FixedOffset> {
        clock()
    }
    fn random(&self) -> f64 {
        0.5
    }
    fn phase(&self, phase: Phase) {
        self.log.phases.borrow_mut().push(phase);
    }
    fn sending(&self, _: HashSet<String>) {}
    fn attention(&self, count: usize) {
        self.log.attention.set(count);
    }
    fn skew(&self, _: Option<i64>) {}
    fn error(&self, why: Option<String>) {
        *self.log.error.borrow_mut() = why;
    }
    fn synced(&self) {
        self.log.synced.set(self.log.synced.get() + 1);
    }
    fn stored(&self) {}
    fn set_device(&self, device: EnrollResponse) {
        *self.device.borrow_mut() = device;
    }
    fn signed_out(&self, token: &str) {
        self.log.signed_out.borrow_mut().push(token.to_owned());
    }
    fn revoked(&self, kept: crate::storage::wipe::Kept) {
        self.log.revoked.set(Some(kept));
    }
}

type PushScript = Box<dyn Fn(&PushRequest) -> Result<PushResponse, SyncError>>;

/// A lab that answers pushes by script and every pull with nothing new.
#[derive(Default)]
struct FakeLab {
    answer: Option<PushScript>,
    /// The collection ids of each push, in order.
    pushes: RefCell<Vec<Vec<Uuid>>>,
    pulls: Cell<u32>,
    /// Called during each push, e.g. to trigger sync meanwhile.
    during_push: RefCell<Option<Box<dyn Fn()>>>,
    /// The token of every call, in order: `push <token>`, `pull <token>`, and so on.
    calls: RefCell<Vec<String>>,
    /// Pulls answer this failure instead of a page.
    pull_fails: RefCell<Option<SyncError>>,
    /// Pulls ask for a new device token.
    rotate_asked: Cell<bool>,
    /// The answer to a rotation: a new token, or a failure.
    rotation: RefCell<Option<Result<EnrollResponse, SyncError>>>,
}

#[async_trait::async_trait(?Send)]
impl Transport for Rc<FakeLab> {
    async fn push(&self, token: &str, request: &PushRequest) -> Result<PushResponse, SyncError> {
        self.calls.borrow_mut().push(format!("push {token}"));
        self.pushes
            .borrow_mut()
            .push(request.records.iter().map(|r| r.id).collect());
        if let Some(hook) = self.during_push.borrow().as_ref() {
            hook();
        }
        (self.answer.as_ref().expect("a push answer"))(request)
    }

    async fn pull(&self, token: &str, query: &PullQuery) -> Result<PullResponse, SyncError> {
        self.calls.borrow_mut().push(format!("pull {token}"));
        if let Some(e) = self.pull_fails.borrow().clone() {
            return Err(e);
        }
        self.pulls.set(self.pulls.get() + 1);
        Ok(PullResponse {
            server_time: Utc::now(),
            full: query.cursor.is_none(),
            next_cursor: format!("cursor-{}", self.pulls.get()),
            has_more: false,
            rounds: vec![],
            patients: vec![],
            orders: vec![],
            site: SiteVersion::of(&SiteConfig::default_site()),
            rotate_token: self.rotate_asked.get(),
        })
    }

    async fn site(&self, _: &str) -> Result<SiteConfig, SyncError> {
        Ok(SiteConfig::default_site())
    }

    async fn heartbeat(&self, token: &str, _: &Heartbeat) -> Result<(), SyncError> {
        self.calls.borrow_mut().push(format!("heartbeat {token}"));
        Ok(())
    }

    async fn rotate(&self, token: &str) -> Result<EnrollResponse, SyncError> {
        self.calls.borrow_mut().push(format!("rotate {token}"));
        self.rotation.borrow().clone().expect("a rotation answer")
    }
}

/// The lab's answer for each record of the request, by `outcome(collection id)`.
fn answer_each(request: &PushRequest, outcome: impl Fn(Uuid) -> RecordOutcome) -> PushResponse {
    let results = request
        .records
        .iter()
        .map(|r| {
            let outcome = outcome(r.id);
            PushResult {
                id: r.id,
                version: r.version,
                outcome,
                receipt: outcome.is_synced().then(|| Receipt {
                    id: Uuid::new_v4(),
                    collection_id: r.id,
                    version: r.version,
                    content_hash: r.content_hash.clone(),
                    received_at: Utc::now(),
                    clock_skew_flagged: false,
                }),
                code: None,
                reason: (!outcome.is_synced()).then(|| "another version is already held".into()),
            }
        })
        .collect();
    PushResponse {
        server_time: Utc::now(),
        clock_skew_seconds: 0,
        clock_skew_flagged: false,
        results,
    }
}

fn status(code: u16) -> SyncError {
    SyncError::Server {
        status: code,
        message: format!("the lab answered {code}"),
    }
}

/// A worklist of one patient with one order, for finalized collections to refer to.
fn worklist() -> Worklist {
    let at = DeviceTime::from_local(clock());
    let patient = Patient {
        id: PatientId::parse("p1").unwrap(),
        identity: PatientIdentity {
            mrn: drawline_domain::Mrn::parse("MRN100233").unwrap(),
            name: PersonName::new("Lindqvist", &["Erik"]).unwrap(),
            birth_date: NaiveDate::from_ymd_opt(1937, 6, 30).unwrap(),
        },
        alerts: Vec::new(),
    };
    let order = Order {
        id: OrderId::parse("o1").unwrap(),
        patient: patient.id.clone(),
        test: TestCode::parse("CBC").unwrap(),
        priority: Priority::Routine,
        placed_at: at.utc,
        due_at: None,
        requisition: None,
        accessions: Vec::new(),
        note: None,
        recollection_reason: None,
    };
    Worklist {
        device_id: Uuid::nil(),
        generated_at: at.utc,
        rounds: vec![],
        patients: vec![patient],
        orders: vec![WorklistOrder {
            order,
            round_id: None,
            fasting: false,
            location: None,
        }],
    }
}

/// `n` finalized collections (the patient refused) waiting in the outbox, oldest first.
async fn finalized(store: &MemoryStore, n: usize) -> Vec<Uuid> {
    let collector = Collector {
        id: "4f1c2f0e-0000-4000-8000-000000000002".into(),
        username: "ben".into(),
        display_name: "Ben Adeyemi".into(),
    };
    let mut ids = Vec::new();
    for i in 0..n {
        let at = DeviceTime::from_local(clock() + chrono::Duration::minutes(i as i64));
        let by = collector.collector_id();
        let mut d = workflow::start(
            &worklist(),
            &SiteConfig::default_site(),
            "p1",
            &[],
            Device::EvacuatedHolder,
            collector.clone(),
            at,
        )
        .unwrap();
        d.collection
            .record_not_collected(Scope::Visit, NotCollectedReason::Refused, None, &by, at)
            .unwrap();
        let item = workflow::outbox_item(&d.collection.finalize(&by, at).unwrap());
        store.finalize(&item.collection_id, &item).await.unwrap();
        ids.push(item.collection_id.parse().unwrap());
    }
    ids
}

struct Rig {
    host: Rc<FakeHost>,
    lab: Rc<FakeLab>,
    engine: Rc<Engine<Rc<FakeLab>>>,
    ids: Vec<Uuid>,
}

/// A signed-in tablet with `waiting` records in its outbox, and a lab answering pushes so.
fn rig(waiting: usize, answer: PushScript) -> Rig {
    let store = Rc::new(MemoryStore::new());
    let ids = block_on(finalized(&store, waiting));
    block_on(store.write(DEVICE, &enrollment())).unwrap();
    block_on(store.write(SESSION, &live_session())).unwrap();
    let host = Rc::new(FakeHost {
        store,
        log: Log::default(),
        device: RefCell::new(enrollment()),
    });
    let lab = Rc::new(FakeLab {
        answer: Some(answer),
        ..FakeLab::default()
    });
    let engine = Rc::new(Engine::new(host.clone(), lab.clone()));
    Rig {
        host,
        lab,
        engine,
        ids,
    }
}

impl Rig {
    fn outbox(&self) -> Vec<OutboxItem> {
        block_on(self.host.store.list_outbox()).unwrap()
    }

    fn receipts(&self) -> usize {
        block_on(self.host.store.list_receipts()).unwrap().len()
    }

    fn last_phase(&self) -> Phase {
        self.host.log.phases.borrow().last().cloned().unwrap()
    }

    fn calls(&self) -> Vec<String> {
        self.lab.calls.borrow().clone()
    }

    fn stored_session(&self) -> Option<SessionResponse> {
        block_on(self.host.store.read(SESSION)).unwrap()
    }

    fn stored_device(&self) -> EnrollResponse {
        block_on(self.host.store.read(DEVICE)).unwrap().unwrap()
    }
}

fn accept_all() -> PushScript {
    Box::new(|q| Ok(answer_each(q, |_| RecordOutcome::Accepted)))
}

#[test]
fn an_accepted_batch_leaves_the_outbox_for_receipts_in_one_push() {
    let r = rig(
        3,
        Box::new(|q| Ok(answer_each(q, |_| RecordOutcome::Accepted))),
    );
    assert_eq!(block_on(r.engine.run()), Some(Some(RECHECK_MS)));
    assert_eq!(*r.lab.pushes.borrow(), vec![r.ids.clone()]);
    assert!(r.outbox().is_empty());
    assert_eq!(r.receipts(), 3);
    assert_eq!(r.last_phase(), Phase::Idle);
    assert_eq!(r.host.log.synced.get(), 1);
    let cursor = block_on(r.host.store.get_setting("pull_cursor")).unwrap();
    assert_eq!(cursor, Some(serde_json::json!("cursor-1")));
}

#[test]
fn a_conflict_is_quarantined_while_the_rest_of_the_batch_syncs() {
    let r = rig(3, Box::new(|_| unreachable!()));
    let refused = r.ids[1];
    let lab = Rc::new(FakeLab {
        answer: Some(Box::new(move |q| {
            Ok(answer_each(q, |id| {
                if id == refused {
                    RecordOutcome::Conflict
                } else {
                    RecordOutcome::Accepted
                }
            }))
        })),
        ..FakeLab::default()
    });
    let engine = Engine::new(r.host.clone(), lab.clone());
    assert_eq!(block_on(engine.run()), Some(Some(RECHECK_MS)));
    let left = r.outbox();
    assert_eq!(left.len(), 1);
    assert_eq!(left[0].collection_id, refused.to_string());
    let why = left[0].attention.as_ref().expect("quarantined");
    assert_eq!(why.outcome, "conflict");
    assert_eq!(why.reason, "another version is already held");
    assert_eq!(r.receipts(), 2);
    assert_eq!(r.host.log.attention.get(), 1);
    // The quarantined record is not sent again on the next run.
    block_on(engine.run());
    assert_eq!(lab.pushes.borrow().len(), 1);
}

#[test]
fn a_refused_batch_is_split_down_to_the_one_record_that_causes_it() {
    let bad = Rc::new(Cell::new(Uuid::nil()));
    let seen = bad.clone();
    let r = rig(
        3,
        Box::new(move |q| {
            if q.records.len() > 1 || q.records[0].id == seen.get() {
                Err(status(422))
            } else {
                Ok(answer_each(q, |_| RecordOutcome::Accepted))
            }
        }),
    );
    bad.set(r.ids[1]);
    assert_eq!(block_on(r.engine.run()), Some(Some(RECHECK_MS)));
    let sizes: Vec<usize> = r.lab.pushes.borrow().iter().map(Vec::len).collect();
    assert_eq!(sizes, [3, 1, 1, 1]);
    let left = r.outbox();
    assert_eq!(left.len(), 1);
    assert_eq!(left[0].collection_id, r.ids[1].to_string());
    let why = left[0].attention.as_ref().expect("set aside");
    assert_eq!(why.outcome, "rejected");
    assert_eq!(why.reason, "the lab answered 422");
    assert_eq!(r.receipts(), 2);
}

#[test]
fn a_server_error_backs_off_longer_each_time_and_keeps_the_outbox() {
    let r = rig(2, Box::new(|_| Err(status(503))));
    let first = retry_delay_ms(1, 0.5);
    assert_eq!(block_on(r.engine.run()), Some(Some(first)));
    let at_ms = clock().timestamp_millis() as f64 + f64::from(first);
    assert_eq!(r.last_phase(), Phase::Retrying { at_ms });
    assert_eq!(
        r.host.log.error.borrow().as_deref(),
        Some("the lab answered 503")
    );
    assert_eq!(block_on(r.engine.run()), Some(Some(retry_delay_ms(2, 0.5))));
    assert!(retry_delay_ms(2, 0.5) > first);
    assert_eq!(r.outbox().len(), 2);
    assert_eq!(r.lab.pulls.get(), 0, "no pull after a failed push");
}

#[test]
fn an_unauthorised_answer_stops_sync_until_the_tablet_is_enrolled_again() {
    let r = rig(1, Box::new(|_| Err(status(401))));
    assert_eq!(block_on(r.engine.run()), Some(None));
    assert_eq!(
        r.last_phase(),
        Phase::Reenroll("the lab answered 401".into())
    );
    assert_eq!(r.outbox().len(), 1, "nothing on the tablet is deleted");
}

#[test]
fn a_trigger_during_a_run_causes_exactly_one_more_run() {
    let r = rig(
        1,
        Box::new(|q| Ok(answer_each(q, |_| RecordOutcome::Accepted))),
    );
    let engine = r.engine.clone();
    *r.lab.during_push.borrow_mut() = Some(Box::new(move || {
        // Two triggers while sending: neither starts a second run alongside this one.
        assert_eq!(engine.run().now_or_never(), Some(None));
        assert!(!engine.claim());
    }));
    assert_eq!(block_on(r.engine.run()), Some(Some(RECHECK_MS)));
    assert_eq!(r.lab.pulls.get(), 2, "one run, then exactly one more");
    assert!(!r.engine.running());
    assert_eq!(r.host.log.synced.get(), 1);
}

#[test]
fn the_push_goes_with_the_device_token_and_the_pull_with_the_session() {
    let r = rig(1, accept_all());
    assert_eq!(block_on(r.engine.run()), Some(Some(RECHECK_MS)));
    assert_eq!(r.calls(), ["push dld_device-token", "pull dls_session"]);
}

#[test]
fn with_nobody_signed_in_the_outbox_still_goes_and_the_pull_is_skipped_without_an_error() {
    let r = rig(2, accept_all());
    block_on(r.host.store.remove(SESSION)).unwrap();
    assert_eq!(block_on(r.engine.run()), Some(Some(RECHECK_MS)));
    assert_eq!(
        r.calls(),
        ["push dld_device-token", "heartbeat dld_device-token"]
    );
    assert!(r.outbox().is_empty());
    assert_eq!(r.receipts(), 2);
    assert_eq!(r.lab.pulls.get(), 0);
    assert_eq!(*r.host.log.error.borrow(), None);
    assert_eq!(r.last_phase(), Phase::Idle);
}

#[test]
fn a_session_past_its_end_on_the_tablets_clock_is_not_used_for_a_pull() {
    let r = rig(0, accept_all());
    block_on(
        r.host
            .store
            .write(SESSION, &session("2026-11-23T06:00:00Z")),
    )
    .unwrap();
    assert_eq!(block_on(r.engine.run()), Some(Some(RECHECK_MS)));
    assert_eq!(r.calls(), ["heartbeat dld_device-token"]);
    assert_eq!(*r.host.log.error.borrow(), None);
}

#[test]
fn a_401_on_the_pull_signs_out_on_the_tablet_and_keeps_every_draft_and_outbox_record() {
    let r = rig(2, Box::new(|_| unreachable!()));
    let kept = r.ids[0];
    let lab = Rc::new(FakeLab {
        answer: Some(Box::new(move |q| {
            Ok(answer_each(q, |id| {
                if id == kept {
                    RecordOutcome::Conflict
                } else {
                    RecordOutcome::Accepted
                }
            }))
        })),
        pull_fails: RefCell::new(Some(status(401))),
        ..FakeLab::default()
    });
    let draft = crate::storage::Draft {
        id: "draft-1".into(),
        step: "identify".into(),
        saved_at: clock().to_rfc3339(),
        data: serde_json::json!({}),
    };
    block_on(r.host.store.put_draft(&draft)).unwrap();
    let engine = Engine::new(r.host.clone(), lab.clone());
    assert_eq!(block_on(engine.run()), Some(Some(RECHECK_MS)));
    assert!(r.stored_session().is_none(), "signed out on the tablet");
    assert_eq!(*r.host.log.signed_out.borrow(), ["dls_session"]);
    assert_eq!(*r.host.log.error.borrow(), None, "no error banner");
    assert_eq!(r.outbox().len(), 1, "the quarantined record stays");
    assert_eq!(block_on(r.host.store.count_drafts()).unwrap(), 1);
    assert_eq!(
        *lab.calls.borrow(),
        [
            "push dld_device-token",
            "pull dls_session",
            "heartbeat dld_device-token"
        ]
    );
    // The next run pushes and beats, and pulls nothing until someone signs in again.
    lab.calls.borrow_mut().clear();
    block_on(engine.run());
    assert_eq!(*lab.calls.borrow(), ["heartbeat dld_device-token"]);
}

#[test]
fn when_the_lab_asks_the_tablet_stores_a_new_token_then_uses_it_and_sends_with_it_from_then_on() {
    let r = rig(0, accept_all());
    r.lab.rotate_asked.set(true);
    let new = EnrollResponse {
        lab_key: None,
        token: "dld_new-token".into(),
        ..enrollment()
    };
    *r.lab.rotation.borrow_mut() = Some(Ok(new.clone()));
    assert_eq!(block_on(r.engine.run()), Some(Some(RECHECK_MS)));
    assert_eq!(
        r.calls(),
        [
            "pull dls_session",
            "rotate dld_device-token",
            "heartbeat dld_new-token"
        ]
    );
    assert_eq!(r.stored_device().token, new.token);
    assert_eq!(r.host.device.borrow().token, new.token);

    r.lab.rotate_asked.set(false);
    r.lab.calls.borrow_mut().clear();
    block_on(finalized(&r.host.store, 1));
    block_on(r.engine.run());
    assert_eq!(r.calls(), ["push dld_new-token", "pull dls_session"]);
}

#[test]
fn a_lost_rotation_answer_keeps_the_old_token_and_asks_again_at_the_next_pull() {
    let r = rig(0, accept_all());
    r.lab.rotate_asked.set(true);
    *r.lab.rotation.borrow_mut() = Some(Err(SyncError::Offline));
    assert_eq!(block_on(r.engine.run()), Some(Some(RECHECK_MS)));
    assert_eq!(r.stored_device().token, enrollment().token);
    assert_eq!(*r.host.log.error.borrow(), None);
    r.lab.calls.borrow_mut().clear();
    block_on(r.engine.run());
    assert_eq!(r.calls(), ["pull dls_session", "rotate dld_device-token"]);
}

#[test]
fn a_rotation_answer_for_another_device_is_never_stored() {
    let r = rig(0, accept_all());
    r.lab.rotate_asked.set(true);
    *r.lab.rotation.borrow_mut() = Some(Ok(EnrollResponse {
        lab_key: None,
        device_id: Uuid::new_v4(),
        device_name: "Someone else".into(),
        token: "dld_theirs".into(),
    }));
    block_on(r.engine.run());
    assert_eq!(r.stored_device().token, enrollment().token);
    assert_eq!(r.host.device.borrow().token, enrollment().token);
}

#[test]
fn a_revoked_tablet_wipes_what_the_lab_holds_and_keeps_exactly_its_unsynced_records() {
    // Two records go through; then the lab revokes the tablet before the third is sent.
    let r = rig(2, accept_all());
    assert_eq!(block_on(r.engine.run()), Some(Some(RECHECK_MS)));
    assert_eq!(r.receipts(), 2);
    let unsynced = block_on(finalized(&r.host.store, 1));
    block_on(
        r.host
            .store
            .put_worklist("worklist", &serde_json::json!({"patients": ["Ada"]})),
    )
    .unwrap();
    block_on(
        r.host
            .store
            .put_setting("key_wraps", &serde_json::json!([{"user_id": "u"}])),
    )
    .unwrap();
    let lab = Rc::new(FakeLab {
        answer: Some(Box::new(|_| {
            Err(SyncError::Revoked("this device was revoked".into()))
        })),
        ..FakeLab::default()
    });
    let engine = Engine::new(r.host.clone(), lab);
    assert_eq!(block_on(engine.run()), Some(None), "sync stops");
    let kept: Vec<String> = r.outbox().into_iter().map(|i| i.collection_id).collect();
    assert_eq!(kept, vec![unsynced[0].to_string()]);
    assert_eq!(r.receipts(), 0);
    assert_eq!(
        block_on(r.host.store.get_worklist("worklist")).unwrap(),
        None
    );
    assert_eq!(
        block_on(r.host.store.get_setting("key_wraps")).unwrap(),
        None
    );
    assert!(r.stored_session().is_none());
    assert_eq!(
        r.host.log.revoked.get(),
        Some(crate::storage::wipe::Kept {
            outbox: 1,
            drafts: 0
        })
    );
    // The enrollment stays: the tablet can still be handed over and its outbox exported.
    assert_eq!(r.stored_device().device_id, enrollment().device_id);
}
