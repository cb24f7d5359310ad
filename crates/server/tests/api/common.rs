//! Shared test set-up: a real server on port 0 with a temporary SQLite file, and helpers to enroll and sign in.
#![allow(dead_code)]

use std::sync::Arc;

use chrono::{DateTime, Utc};
use drawline_domain::{
    AccessionNumber, Collection, CollectionId, CollectorId, Device, DeviceTime, Evidence,
    FinalizedCollection, Mrn, Order, OrderId, Patient, PatientId, PatientIdentity, PersonName,
    Priority, SiteConfig, TestCode,
};
use drawline_server::api::{EnrollResponse, Role, SessionResponse};
use drawline_server::store::NewCollectionVersion;
use drawline_server::{accounts, app, AppState, SqliteStore, Store};
use reqwest::{Client, RequestBuilder};
use serde_json::{json, Value};
use uuid::Uuid;

pub struct TestApp {
    pub base: String,
    pub store: Arc<SqliteStore>,
    pub client: Client,
    pub dir: tempfile::TempDir,
}

/// A server with a named site and nobody in it yet.
pub async fn spawn_app() -> TestApp {
    spawn_app_with(|s| s).await
}

/// A server whose state is adjusted first (e.g. other sync settings).
pub async fn spawn_app_with(adjust: impl FnOnce(AppState) -> AppState) -> TestApp {
    let dir = tempfile::tempdir().unwrap();
    let store = Arc::new(SqliteStore::open(&dir.path().join("test.sqlite")).unwrap());
    store.set_site_name("Test Lab").await.unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let router = app(adjust(AppState::new(store.clone())), None);
    tokio::spawn(async move { axum::serve(listener, router).await.unwrap() });
    TestApp {
        base: format!("http://{addr}"),
        store,
        client: Client::builder()
            .timeout(std::time::Duration::from_secs(20))
            .build()
            .unwrap(),
        dir,
    }
}

impl TestApp {
    pub fn url(&self, path: &str) -> String {
        format!("{}/api/v1{path}", self.base)
    }

    pub fn get(&self, path: &str, token: &str) -> RequestBuilder {
        self.client.get(self.url(path)).bearer_auth(token)
    }

    pub fn post(&self, path: &str, token: &str) -> RequestBuilder {
        self.client.post(self.url(path)).bearer_auth(token)
    }

    /// Registers a device through the store and enrolls it over HTTP; answers the device token.
    pub async fn enroll(&self, name: &str) -> EnrollResponse {
        let code = accounts::register_device(self.store.as_ref(), name, "test", Utc::now())
            .await
            .unwrap();
        let res = self
            .client
            .post(self.url("/enroll"))
            .json(&json!({ "code": code.code }))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 200);
        res.json().await.unwrap()
    }

    pub async fn add_user(
        &self,
        username: &str,
        role: Role,
        pin: &str,
    ) -> drawline_server::api::UserView {
        accounts::add_user(self.store.as_ref(), username, username, role, pin, "test")
            .await
            .unwrap()
    }

    /// Signs a user in on a device; answers the session token.
    pub async fn sign_in(&self, device_token: &str, username: &str, pin: &str) -> String {
        let res = self
            .post("/sessions", device_token)
            .json(&json!({ "username": username, "pin": pin }))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 200, "{}", res.text().await.unwrap());
        let s: SessionResponse = res.json().await.unwrap();
        s.token
    }

    /// An enrolled device with a signed-in supervisor: answers (device id, session token).
    pub async fn supervisor(&self) -> (Uuid, String) {
        let device = self.enroll("Lab office PC").await;
        self.add_user("sup", Role::Supervisor, "9876").await;
        let token = self.sign_in(&device.token, "sup", "9876").await;
        (device.device_id, token)
    }
}

pub async fn problem_code(res: reqwest::Response) -> String {
    let body: Value = res.json().await.unwrap();
    body["code"].as_str().unwrap_or_default().to_owned()
}

fn at(s: &str) -> DeviceTime {
    DeviceTime::from_local(DateTime::parse_from_rfc3339(s).unwrap())
}

fn order(id: &str, test: &str) -> Order {
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
    }
}

/// A real finalized collection (PT + CBC drawn and labelled), made with the domain crate.
pub fn finalized_collection(id: Uuid) -> FinalizedCollection {
    finalized_collection_with(id, ["A0001", "A0002"])
}

/// The same collection with other tube accession numbers (so another content hash).
pub fn finalized_collection_with(id: Uuid, accessions: [&str; 2]) -> FinalizedCollection {
    let nurse = CollectorId::parse("nurse-1").unwrap();
    let patient = Patient {
        id: PatientId::parse("example").unwrap(),
        identity: PatientIdentity {
            mrn: Mrn::parse("12345").unwrap(),
            name: PersonName::new("Chalmers", &["Peter", "James"]).unwrap(),
            birth_date: chrono::NaiveDate::from_ymd_opt(1974, 12, 25).unwrap(),
        },
    };
    let mut c = Collection::start(
        CollectionId(id),
        patient,
        vec![order("sr-pt", "PT"), order("sr-cbc", "CBC")],
        &SiteConfig::default_site(),
        Device::EvacuatedHolder,
        &nurse,
        at("2024-05-01T08:00:00+02:00"),
    )
    .unwrap();
    let wristband = Evidence::from_wristband("DL1|12345|CHALMERS^PETER^JAMES|19741225").unwrap();
    c.identify(&wristband, &nurse, at("2024-05-01T08:05:00+02:00"))
        .unwrap();
    let now = at("2024-05-01T08:10:00+02:00");
    for (i, acc) in [(1, accessions[0]), (2, accessions[1])] {
        c.record_draw(i, now, None, &nurse, now).unwrap();
        c.label_tube(i, AccessionNumber::parse(acc).unwrap(), None, &nurse, now)
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

/// The lab orders `finalized_collection` covers (`sr-pt`, `sr-cbc` for MRN 12345, patient id
/// `example`), in round `Ward 1` assigned to the device.
pub async fn seed_collection_orders(app: &TestApp, device_id: Uuid) {
    let csv = "order_id,patient_id,mrn,family,given,birth_date,test,round\n\
               sr-pt,example,12345,Chalmers,Peter James,1974-12-25,PT,Ward 1\n\
               sr-cbc,example,12345,Chalmers,Peter James,1974-12-25,CBC,Ward 1\n";
    let report = drawline_server::import::import(
        app.store.as_ref(),
        drawline_server::import::Format::Csv,
        csv.as_bytes(),
        &SiteConfig::default_site(),
        None,
        Utc::now(),
    )
    .await
    .unwrap();
    assert!(report.rejected.is_empty(), "{report:?}");
    assign_round(app, "Ward 1", device_id).await;
}

/// Assigns a round to a device.
pub async fn assign_round(app: &TestApp, round: &str, device_id: Uuid) {
    app.store
        .upsert_round(
            round,
            drawline_server::store::Assignment {
                device_id: Some(device_id),
                collector_id: None,
            },
        )
        .await
        .unwrap();
}

/// A small CSV of orders for round `round`.
pub fn orders_csv() -> String {
    "order_id,mrn,family,given,birth_date,test,priority,due_at,location,round\n\
     o-1,MRN501,Hughes,Nora,1950-02-03,CBC,stat,,Ward 2 bed 1,Ward 2\n\
     o-2,MRN501,Hughes,Nora,1950-02-03,VANCT,routine,2030-01-01T10:00:00Z,Ward 2 bed 1,Ward 2\n\
     o-3,MRN502,Patel,Arjun,1971-09-30,PT,routine,,Ward 2 bed 4,Ward 2\n"
        .to_owned()
}
