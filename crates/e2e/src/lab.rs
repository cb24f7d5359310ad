//! The lab server's API as the tests check it: what arrived, and records built like a device's.

use anyhow::{bail, Context, Result};
use chrono::{DateTime, FixedOffset, Utc};
use drawline_domain::api::{
    CollectionDetail, CollectionSummary, CollectionVersionView, QueuePage, Worklist,
};
use drawline_domain::collection::{device_accession, KnownLabels};
use drawline_domain::identification::Identifier;
use drawline_domain::{
    Collection, CollectionId, CollectorId, Device, DeviceTime, Evidence, IdentifyContext,
    SiteConfig,
};
use serde_json::{json, Value};
use uuid::Uuid;

/// The demo site's collector and PIN, as `drawline serve --demo` seeds them.
pub const DEMO_COLLECTOR: (&str, &str) = ("amara", "1234");

/// A client of one server's `/api/v1`.
pub struct Lab {
    base: String,
    http: reqwest::Client,
}

impl Lab {
    /// The API of the server (or proxy) at `base` (`http://127.0.0.1:PORT`).
    pub fn new(base: &str) -> Self {
        Self {
            base: format!("{base}/api/v1"),
            http: reqwest::Client::new(),
        }
    }

    /// Sends `req`; answers the body of a success, or fails naming `what` with the status and body.
    async fn send(req: reqwest::RequestBuilder, what: &str) -> Result<String> {
        let res = req.send().await?;
        let status = res.status();
        let text = res.text().await?;
        if !status.is_success() {
            bail!("{what}: {status}: {text}");
        }
        Ok(text)
    }

    /// `POST {path}` as `token` with this JSON body (if any); answers the response body.
    async fn post(
        &self,
        path: &str,
        token: &str,
        body: Option<Value>,
        what: &str,
    ) -> Result<String> {
        let mut req = self
            .http
            .post(format!("{}{path}", self.base))
            .bearer_auth(token);
        if let Some(body) = body {
            req = req.json(&body);
        }
        Self::send(req, what).await
    }

    /// `POST {path}`, answering the string field `field` of its JSON response ("" without one).
    async fn post_for(
        &self,
        path: &str,
        token: &str,
        body: Value,
        what: &str,
        field: &str,
    ) -> Result<String> {
        let text = self.post(path, token, Some(body), what).await?;
        let body: Value = serde_json::from_str(&text).with_context(|| format!("{what}: {text}"))?;
        Ok(body[field].as_str().unwrap_or_default().to_owned())
    }

    async fn get<T: for<'de> serde::Deserialize<'de>>(&self, path: &str, token: &str) -> Result<T> {
        let what = format!("GET {path}");
        let req = self
            .http
            .get(format!("{}{path}", self.base))
            .bearer_auth(token);
        let text = Self::send(req, &what).await?;
        serde_json::from_str(&text).with_context(|| format!("{what}: {text}"))
    }

    /// Enrolls a device with its one-time code; answers the device token.
    pub async fn enroll(&self, code: &str) -> Result<String> {
        let req = self
            .http
            .post(format!("{}/enroll", self.base))
            .json(&json!({ "code": code }));
        let text = Self::send(req, "enroll").await?;
        let body: Value = serde_json::from_str(&text).with_context(|| format!("enroll: {text}"))?;
        body["token"]
            .as_str()
            .map(str::to_owned)
            .with_context(|| format!("enroll answered no token: {text}"))
    }

    /// Signs a user in on the device whose token is given; answers the session token.
    pub async fn sign_in(&self, device_token: &str, username: &str, pin: &str) -> Result<String> {
        let body = json!({ "username": username, "pin": pin });
        self.post_for("/sessions", device_token, body, "sign in", "token")
            .await
    }

    /// The user id the app records for a demo user (signed in with `pin` on the device whose
    /// token is given): what a collection made by them names, and what the lab checks.
    pub async fn user_id(&self, device_token: &str, username: &str, pin: &str) -> Result<String> {
        let body = json!({ "username": username, "pin": pin });
        let text = self
            .post("/sessions", device_token, Some(body), "sign in")
            .await?;
        let body: Value =
            serde_json::from_str(&text).with_context(|| format!("sign in: {text}"))?;
        body["user"]["id"]
            .as_str()
            .map(str::to_owned)
            .with_context(|| format!("sign in answered no user id: {text}"))
    }

    /// Registers a new device as a supervisor; answers its one-time enrollment code.
    pub async fn new_device(&self, token: &str, name: &str) -> Result<String> {
        let body = json!({ "name": name });
        self.post_for("/devices", token, body, "new device", "code")
            .await
    }

    /// Revokes the device called `name`, as a supervisor.
    pub async fn revoke_device(&self, token: &str, name: &str) -> Result<()> {
        let devices: Vec<Value> = self.get("/devices", token).await?;
        let Some(id) = devices
            .iter()
            .find(|d| d["name"] == name)
            .and_then(|d| d["id"].as_str())
        else {
            bail!("no device called {name}");
        };
        self.post(&format!("/devices/{id}/revoke"), token, None, "revoke")
            .await
            .map(|_| ())
    }

    /// Assigns round `round` to the device called `device` (for any collector), as a supervisor.
    pub async fn assign_round(&self, token: &str, round: &str, device: &str) -> Result<()> {
        let devices: Vec<Value> = self.get("/devices", token).await?;
        let Some(id) = devices
            .iter()
            .find(|d| d["name"] == device)
            .and_then(|d| d["id"].as_str())
        else {
            bail!("no device called {device}");
        };
        let body = json!({ "name": round, "device_id": id, "collector_id": null });
        self.post("/rounds", token, Some(body), "assign round")
            .await
            .map(|_| ())
    }

    /// Cancels an order as a supervisor.
    pub async fn cancel_order(&self, token: &str, order: &str, reason: &str) -> Result<()> {
        let body = json!({ "reason": reason });
        let what = format!("cancel {order}");
        self.post(&format!("/orders/{order}/cancel"), token, Some(body), &what)
            .await
            .map(|_| ())
    }

    /// Asks, as a supervisor, for every order of a received collection to be collected again,
    /// for `reason`; answers the new orders' ids.
    pub async fn recollect(
        &self,
        token: &str,
        collection: Uuid,
        reason: &str,
    ) -> Result<Vec<String>> {
        let body = json!({ "reason": reason });
        let path = format!("/supervisor/collections/{collection}/recollect");
        let text = self.post(&path, token, Some(body), "recollect").await?;
        let made: Value =
            serde_json::from_str(&text).with_context(|| format!("recollect: {text}"))?;
        Ok(made["orders"]
            .as_array()
            .map(|orders| {
                orders
                    .iter()
                    .filter_map(|o| o["id"].as_str().map(str::to_owned))
                    .collect()
            })
            .unwrap_or_default())
    }

    /// A session of the demo collector `amara` on the device whose token is given: the lab gives
    /// patient data (worklist, collections) only to a person signed in on the device.
    pub async fn reader(&self, device_token: &str) -> Result<String> {
        self.sign_in(device_token, DEMO_COLLECTOR.0, DEMO_COLLECTOR.1)
            .await
    }

    /// Every collection the device sent (given its device token), as the lab holds them.
    pub async fn collections(&self, token: &str) -> Result<Vec<CollectionSummary>> {
        self.get("/collections", &self.reader(token).await?).await
    }

    /// Every received version of one collection (given the device token of the device that sent it).
    pub async fn versions(&self, token: &str, id: Uuid) -> Result<Vec<CollectionVersionView>> {
        let session = self.reader(token).await?;
        self.get(&format!("/collections/{id}"), &session).await
    }

    /// Imports lab orders as CSV (a supervisor's token) into `round`; answers the import report.
    pub async fn import_csv(&self, token: &str, round: &str, csv: &str) -> Result<Value> {
        let req = self
            .http
            .post(format!("{}/orders", self.base))
            .query(&[("round", round)])
            .bearer_auth(token)
            .header("content-type", "text/csv")
            .body(csv.to_owned());
        let text = Self::send(req, "import orders").await?;
        Ok(serde_json::from_str(&text)?)
    }

    /// The supervisor queue for a query string (`""` or `"?flag=..."`).
    pub async fn queue(&self, token: &str, query: &str) -> Result<QueuePage> {
        self.get(&format!("/supervisor/queue{query}"), token).await
    }

    /// Everything the lab holds about one collection (a supervisor's token).
    pub async fn detail(&self, token: &str, id: Uuid) -> Result<CollectionDetail> {
        self.get(&format!("/supervisor/collections/{id}"), token)
            .await
    }

    /// The device's worklist (given its device token).
    pub async fn worklist(&self, token: &str) -> Result<Worklist> {
        self.get("/worklist", &self.reader(token).await?).await
    }

    /// Everything the lab holds about one collection, as a supervisor reads it.
    pub async fn supervisor_detail(
        &self,
        token: &str,
        id: Uuid,
    ) -> Result<drawline_domain::api::CollectionDetail> {
        self.get(&format!("/supervisor/collections/{id}"), token)
            .await
    }
}

/// Runs the independent FHIR R4 validator on `resources`; fails with its report when it finds a
/// problem (see `drawline_domain::fhir_validator::run` for a missing validator).
pub fn fhir_validate(resources: &[(&str, &Value)]) -> Result<()> {
    match drawline_domain::fhir_validator::run("e2e", resources) {
        Some((code, text)) if code != 0 => {
            bail!("the independent FHIR validator refused the export:\n{text}")
        }
        _ => Ok(()),
    }
}

/// `count` finalized collections of the worklist's patients, made with the domain crate the way
/// the app makes them (identified, every tube drawn and labelled), as outbox records the app
/// stores. `collector` is the collector's user id (see [`Lab::user_id`]), as the app records it. Each has its own UUID; patients repeat when `count` exceeds them.
pub fn outbox_records(
    worklist: &Worklist,
    collector: &str,
    count: usize,
    finalized_at: DateTime<FixedOffset>,
) -> Result<Vec<Value>> {
    let site = SiteConfig::default_site();
    let rules = site.safety().accession.clone();
    let by = CollectorId::parse(collector)?;
    let now = DeviceTime::from_local(finalized_at);
    // Untimed orders only: a timed draw at an arbitrary time needs a reason for its window.
    let untimed = |p: &drawline_domain::Patient| -> Vec<drawline_domain::Order> {
        worklist
            .orders
            .iter()
            .filter(|o| o.order.patient == p.id && o.order.due_at.is_none())
            .map(|o| o.order.clone())
            .collect()
    };
    let patients: Vec<_> = worklist
        .patients
        .iter()
        .filter(|p| !untimed(p).is_empty())
        .collect();
    if patients.is_empty() {
        bail!("no patient with untimed orders on the worklist");
    }
    let mut out = Vec::with_capacity(count);
    for n in 0..count {
        let patient = patients[n % patients.len()];
        let orders = untimed(patient);
        let id = Uuid::new_v4();
        let mut c = Collection::start(
            CollectionId(id),
            patient.clone(),
            orders,
            &site,
            Device::EvacuatedHolder,
            &by,
            now,
        )?;
        let context = IdentifyContext::for_round(
            site.safety(),
            &patient.identity,
            worklist.patients.iter().map(|p| &p.identity),
        );
        let mut evidence = Evidence::new()
            .with_manual(Identifier::Name(patient.identity.name.clone()))
            .with_manual(Identifier::DateOfBirth(patient.identity.birth_date));
        if context.mrn_required {
            evidence = evidence.with_manual(Identifier::Mrn(patient.identity.mrn.clone()));
        }
        c.identify(&evidence, &context, &by, now)?;
        c.begin_venipuncture(
            drawline_domain::collection::BodySite::RightAntecubital,
            c.device(),
            &site,
            &by,
            now,
        )?;
        // Every collection answers the fasting question before the first tube; only fasting
        // tests require it.
        c.record_fasting(
            drawline_domain::collection::FastingStatus::Fasting,
            &by,
            now,
        )?;
        let numbers: Vec<u32> = c.tubes().iter().map(|t| t.index).collect();
        for i in numbers {
            c.record_draw(i, now, None, &by, now)?;
            // The label the app prints: unique to this collection, so never another patient's.
            let printed = device_accession(CollectionId(id), i);
            c.label_tube(i, printed.as_str(), &rules, &KnownLabels::new(), &by, now)?;
        }
        let f = c.finalize(&by, now)?;
        out.push(json!({
            "id": format!("{id}/v1"),
            "collection_id": id.to_string(),
            "version": 1,
            "hash": f.hash().as_str(),
            "finalized_at": finalized_at.to_rfc3339(),
            "data": serde_json::to_value(&f)?,
        }));
    }
    Ok(out)
}

/// Now on the test machine's clock, with its offset.
pub fn now() -> DateTime<FixedOffset> {
    Utc::now().fixed_offset()
}
