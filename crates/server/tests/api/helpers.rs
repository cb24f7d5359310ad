//! Shared set-up: a real server on port 0 with a temporary SQLite file; enroll, sign in, push, pull.

use std::sync::Arc;

use chrono::{DateTime, FixedOffset, Utc};
use drawline_domain::{FinalizedCollection, SiteConfig};
use drawline_server::api::{
    EnrollResponse, PullResponse, PushResponse, Role, SessionResponse, UserView,
};
use drawline_server::store::{AuditStore, OrderStore, SiteStore};
use drawline_server::{accounts, app, AppState, SqliteStore};
use reqwest::{Client, RequestBuilder, Response};
use serde_json::{json, Value};
use uuid::Uuid;

use crate::fixtures;

/// The collector [`TestApp::collector_on`] signs in, and their PIN.
pub const READER: &str = "reader";
/// The PIN of [`READER`].
pub const READER_PIN: &str = "2468";

/// The app version every test push and pull reports.
pub const APP_VERSION: &str = "0.2.0-test";

/// A running server and what a test needs to reach it and look inside.
pub struct TestApp {
    /// `http://127.0.0.1:<port>`.
    pub base: String,
    /// The server's storage, for set-up and checks behind the API.
    pub store: Arc<SqliteStore>,
    /// A client with a timeout, so a hung server fails the test instead of stalling it.
    pub client: Client,
    /// Holds the database file for as long as the app lives.
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
    serve(dir, store, adjust).await
}

/// A server with one enrolled device named `Tablet`: answers (app, its enrollment).
pub async fn spawn_enrolled() -> (TestApp, EnrollResponse) {
    let app = spawn_app().await;
    let device = app.enroll("Tablet").await;
    (app, device)
}

/// A server with a signed-in supervisor: answers (app, session token).
pub async fn spawn_supervised() -> (TestApp, String) {
    let app = spawn_app().await;
    let (_, token) = app.supervisor().await;
    (app, token)
}

/// A server with one enrolled tablet named `Tablet` that has the orders of
/// `fixtures::finalized_collection`: answers (app, device id, device token).
pub async fn spawn_tablet() -> (TestApp, Uuid, String) {
    let app = spawn_app().await;
    let (device, token) = app.device_with_orders("Tablet").await;
    (app, device, token)
}

/// A server over the demo site, as `drawline serve --demo` seeds it.
pub async fn spawn_demo_app() -> TestApp {
    let dir = tempfile::tempdir().unwrap();
    let store = Arc::new(SqliteStore::open(&dir.path().join("test.sqlite")).unwrap());
    drawline_server::demo::seed_if_empty(store.as_ref())
        .await
        .unwrap();
    serve(dir, store, |s| s).await
}

async fn serve(
    dir: tempfile::TempDir,
    store: Arc<SqliteStore>,
    adjust: impl FnOnce(AppState) -> AppState,
) -> TestApp {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let state = adjust(AppState::new(store.clone()));
    let transport = drawline_server::transport::Transport::from_limits(&state.limits);
    let router = app(state, None);
    tokio::spawn(drawline_server::transport::serve(
        listener,
        router,
        transport,
        std::future::pending(),
    ));
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
    /// The full URL of an API path.
    pub fn url(&self, path: &str) -> String {
        format!("{}/api/v1{path}", self.base)
    }

    /// A GET of an API path with a bearer token.
    pub fn get(&self, path: &str, token: &str) -> RequestBuilder {
        self.client.get(self.url(path)).bearer_auth(token)
    }

    /// A POST to an API path with a bearer token.
    pub fn post(&self, path: &str, token: &str) -> RequestBuilder {
        self.client.post(self.url(path)).bearer_auth(token)
    }

    /// `POST /orders` of a CSV file.
    pub fn post_csv(&self, token: &str, csv: impl Into<reqwest::Body>) -> RequestBuilder {
        self.post("/orders", token)
            .header("content-type", "text/csv")
            .body(csv)
    }

    /// A GET that must answer 200; answers the body read as `T`.
    pub async fn get_ok<T: serde::de::DeserializeOwned>(&self, path: &str, token: &str) -> T {
        let res = self.get(path, token).send().await.unwrap();
        assert_eq!(res.status(), 200, "{}", res.text().await.unwrap());
        res.json().await.unwrap()
    }

    /// A GET with no token that must answer 200; answers the body read as `T`.
    pub async fn get_public<T: serde::de::DeserializeOwned>(&self, path: &str) -> T {
        let res = self.client.get(self.url(path)).send().await.unwrap();
        assert_eq!(res.status(), 200, "{}", res.text().await.unwrap());
        res.json().await.unwrap()
    }

    /// A second connection to the server's database, to look at or break what the API hides.
    pub fn sqlite(&self) -> rusqlite::Connection {
        rusqlite::Connection::open(self.dir.path().join("test.sqlite")).unwrap()
    }

    /// `POST /enroll` of an enrollment code, with no token.
    pub fn enroll_with(&self, code: &str) -> RequestBuilder {
        self.client
            .post(self.url("/enroll"))
            .json(&json!({ "code": code }))
    }

    /// Registers a device through the store and enrolls it over HTTP; answers the device token.
    pub async fn enroll(&self, name: &str) -> EnrollResponse {
        let code = accounts::register_device(self.store.as_ref(), name, "test", Utc::now())
            .await
            .unwrap();
        let res = self.enroll_with(&code.code).send().await.unwrap();
        assert_eq!(res.status(), 200);
        res.json().await.unwrap()
    }

    /// Adds a user whose display name is the username.
    pub async fn add_user(&self, username: &str, role: Role, pin: &str) -> UserView {
        let person = accounts::NewPerson {
            username,
            display_name: username,
            role,
            pin,
        };
        let pins = drawline_server::pin_pool::PinPool::for_limits(&Default::default());
        accounts::add_user(self.store.as_ref(), &pins, person, 4, "test")
            .await
            .unwrap()
    }

    /// `POST /sessions`: a sign-in on a device, as sent.
    pub fn sign_in_with(&self, device_token: &str, username: &str, pin: &str) -> RequestBuilder {
        self.post("/sessions", device_token)
            .json(&json!({ "username": username, "pin": pin }))
    }

    /// Signs a user in on a device; answers the session token.
    pub async fn sign_in(&self, device_token: &str, username: &str, pin: &str) -> String {
        let res = self
            .sign_in_with(device_token, username, pin)
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 200, "{}", res.text().await.unwrap());
        let s: SessionResponse = res.json().await.unwrap();
        s.token
    }

    /// A collector signed in on the device whose token is given: answers the session token. Patient
    /// data (worklist, pull, collections, receipts) goes only to a session, never to a bare
    /// device token. The collector `reader` (PIN `2468`) is added on first use.
    pub async fn collector_on(&self, device_token: &str) -> String {
        use drawline_server::store::PeopleStore;
        if self.store.user_by_username(READER).await.unwrap().is_none() {
            self.add_user(READER, Role::Collector, READER_PIN).await;
        }
        self.sign_in(device_token, READER, READER_PIN).await
    }

    /// An enrolled device with a signed-in supervisor: answers (device id, session token).
    pub async fn supervisor(&self) -> (Uuid, String) {
        let device = self.enroll("Lab office PC").await;
        self.add_user("sup", Role::Supervisor, "9876").await;
        let token = self.sign_in(&device.token, "sup", "9876").await;
        (device.device_id, token)
    }

    /// An enrolled device with the orders `fixtures::finalized_collection` covers: (id, token).
    pub async fn device_with_orders(&self, name: &str) -> (Uuid, String) {
        let d = self.enroll(name).await;
        self.seed_collection_orders(d.device_id).await;
        (d.device_id, d.token)
    }

    /// Imports the lab orders `fixtures::finalized_collection` covers, in round `Ward 1`
    /// assigned to the device.
    pub async fn seed_collection_orders(&self, device_id: Uuid) {
        seed_collection_orders(self.store.as_ref(), device_id).await;
        self.add_fixture_collectors();
    }

    /// Makes the people the fixture collections name users of the lab (see
    /// [`add_fixture_collectors`]).
    pub fn add_fixture_collectors(&self) {
        add_fixture_collectors(&self.dir.path().join("test.sqlite"));
    }

    /// Assigns a round to a device.
    pub async fn assign_round(&self, round: &str, device_id: Uuid) {
        assign_round(self.store.as_ref(), round, device_id).await;
    }

    /// How many audit log entries (of the latest 50) record this action.
    pub async fn audited(&self, action: &str) -> usize {
        let audit = self.store.audit_log(50).await.unwrap();
        audit.iter().filter(|a| a.action == action).count()
    }

    /// `POST /sync/push` of a whole body, answered as it comes.
    pub async fn push_raw(&self, token: &str, body: &Value) -> Response {
        self.post("/sync/push", token)
            .json(body)
            .send()
            .await
            .unwrap()
    }

    /// Pushes records with the device clock right; the push must succeed.
    pub async fn push(&self, token: &str, records: Vec<Value>) -> PushResponse {
        self.push_at(token, records, Utc::now().fixed_offset())
            .await
    }

    /// Pushes finalized collections as a device sends them; the push must succeed.
    pub async fn push_collections(
        &self,
        token: &str,
        collections: &[&FinalizedCollection],
    ) -> PushResponse {
        let records = collections.iter().map(|f| fixtures::record(f)).collect();
        self.push(token, records).await
    }

    /// Pushes records with the given device clock; the push must succeed.
    pub async fn push_at(
        &self,
        token: &str,
        records: Vec<Value>,
        clock: DateTime<FixedOffset>,
    ) -> PushResponse {
        let res = self.push_raw(token, &push_body(records, clock)).await;
        assert_eq!(res.status(), 200, "{}", res.text().await.unwrap());
        res.json().await.unwrap()
    }

    /// `GET /sync/pull` after a cursor (or from the start) with a session token (see
    /// [`TestApp::collector_on`]); the pull must succeed.
    pub async fn pull(&self, token: &str, cursor: Option<&str>) -> PullResponse {
        let mut query: Vec<(&str, String)> = vec![
            ("queue_length", "0".into()),
            ("app_version", APP_VERSION.into()),
            ("device_clock", Utc::now().fixed_offset().to_rfc3339()),
        ];
        if let Some(c) = cursor {
            query.push(("cursor", c.to_owned()));
        }
        let res = self
            .get("/sync/pull", token)
            .query(&query)
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 200, "{}", res.text().await.unwrap());
        res.json().await.unwrap()
    }
}

/// Imports, through the store, the lab orders `fixtures::finalized_collection` covers, in round
/// `Ward 1` assigned to the device.
pub async fn seed_collection_orders(store: &SqliteStore, device_id: Uuid) {
    let report = drawline_server::import::import(
        store,
        drawline_server::import::Format::Csv,
        fixtures::COLLECTION_ORDERS_CSV.as_bytes(),
        &SiteConfig::default_site(),
        None,
        Utc::now(),
    )
    .await
    .unwrap();
    assert!(report.rejected.is_empty(), "{report:?}");
    assign_round(store, "Ward 1", device_id).await;
}

/// Makes `fixtures::FIXTURE_COLLECTORS` active collectors of the lab in the database at `db`,
/// under the ids the fixtures record (the app records a signed-in user's id; the fixtures' ids
/// are fixed, which the API's user ids are not). Nobody can sign in as them (no PIN hash).
pub fn add_fixture_collectors(db: &std::path::Path) {
    let c = rusqlite::Connection::open(db).unwrap();
    c.busy_timeout(std::time::Duration::from_secs(10)).unwrap();
    for (id, username) in fixtures::FIXTURE_COLLECTORS {
        c.execute(
            "INSERT OR IGNORE INTO users (id, username, display_name, role, pin_hash, active, created_at)
             VALUES (?1, ?2, ?2, 'collector', '!', 1, ?3)",
            rusqlite::params![id, username, Utc::now().to_rfc3339()],
        )
        .unwrap();
    }
}

/// Assigns a round to a device, through the store.
pub async fn assign_round(store: &SqliteStore, round: &str, device_id: Uuid) {
    store
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

/// A push body with the device's heartbeat: one record queued a minute, no error.
pub fn push_body(records: Vec<Value>, device_clock: DateTime<FixedOffset>) -> Value {
    json!({
        "device_clock": device_clock,
        "app_version": APP_VERSION,
        "queue_length": records.len(),
        "oldest_unsynced_seconds": 60,
        "last_error": null,
        "records": records,
    })
}

/// A push body carrying plain `records` and `sealed` records (answered after the plain ones).
pub fn sealed_push_body(
    records: Vec<Value>,
    sealed: Vec<Value>,
    device_clock: DateTime<FixedOffset>,
) -> Value {
    let mut body = push_body(records, device_clock);
    body["queue_length"] = json!(body["records"].as_array().map_or(0, Vec::len) + sealed.len());
    body["sealed"] = json!(sealed);
    body
}

/// A finalized collection sealed to the lab's public key, as a tablet nobody unlocked pushes it.
pub fn sealed(lab: &drawline_server::api::PublicJwk, f: &FinalizedCollection) -> Value {
    let record = drawline_server::api::PushRecord::from_finalized(f);
    serde_json::to_value(drawline_server::lab_key::seal_record(lab, &record).unwrap()).unwrap()
}

/// A push body of one collection sealed to the lab, the device clock right.
pub fn seal_push_of(lab: &drawline_server::api::PublicJwk, f: &FinalizedCollection) -> Value {
    sealed_push_body(vec![], vec![sealed(lab, f)], Utc::now().fixed_offset())
}

impl TestApp {
    /// Pushes plain and sealed records with the device clock right; the push must succeed.
    pub async fn push_sealed(
        &self,
        token: &str,
        records: Vec<Value>,
        sealed: Vec<Value>,
    ) -> PushResponse {
        let body = sealed_push_body(records, sealed, Utc::now().fixed_offset());
        let res = self.push_raw(token, &body).await;
        assert_eq!(res.status(), 200, "{}", res.text().await.unwrap());
        res.json().await.unwrap()
    }

    /// The whole audit log as text (actors, actions, subjects, details), to look for leaks.
    pub fn audit_text(&self) -> String {
        let c = self.sqlite();
        let mut stmt = c
            .prepare("SELECT actor || ' ' || action || ' ' || COALESCE(subject, '') || ' ' || COALESCE(detail, '') FROM audit_log")
            .unwrap();
        let rows = stmt.query_map([], |r| r.get::<_, String>(0)).unwrap();
        rows.map(Result::unwrap).collect::<Vec<_>>().join("\n")
    }

    /// An enrolled tablet with the orders `fixtures::finalized_collection` covers: its
    /// enrollment (device id, token, the lab's public key).
    pub async fn tablet_enrollment(&self, name: &str) -> EnrollResponse {
        let d = self.enroll(name).await;
        self.seed_collection_orders(d.device_id).await;
        d
    }
}

/// The `code` of a problem answer.
pub async fn problem_code(res: Response) -> String {
    let body: Value = res.json().await.unwrap();
    body["code"].as_str().unwrap_or_default().to_owned()
}

/// Sends a request and checks the answer is the problem expected: status and code.
pub async fn assert_problem(req: RequestBuilder, status: u16, code: &str) {
    let res = req.send().await.unwrap();
    assert_eq!(res.status(), status);
    assert_eq!(problem_code(res).await, code);
}

/// Sends a request and checks the answer's status.
pub async fn assert_status(req: RequestBuilder, status: u16) {
    let res = req.send().await.unwrap();
    assert_eq!(res.status(), status);
}

/// The base URL a `drawline serve` child prints as its first line on stdout (taken from it).
pub fn serving_base(child: &mut std::process::Child) -> String {
    use std::io::{BufRead, BufReader};
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    line.trim()
        .strip_prefix("Drawline is serving at ")
        .unwrap_or_else(|| panic!("unexpected first line: {line:?}"))
        .trim_end_matches('/')
        .to_owned()
}
