//! Autosave in headless Chromium: the app's save of an encrypted draft beside, in the same
//! browser, strict IndexedDB puts of the stored record, of the same draft in the clear, and of
//! that draft encrypted with WebCrypto AES-256-GCM the way the app does it.

use anyhow::{bail, Context, Result};
use drawline_domain::api::{SessionResponse, SignInRequest, Worklist};
use drawline_domain::collection::FastingStatus;
use drawline_domain::{Collection, CollectionId, CollectorId, Device, DeviceTime, SiteConfig};
use drawline_e2e::lab::{self, Lab};
use drawline_e2e::{flow, Browser, Server};
use serde_json::{json, Value};

/// The demo patient the bench opens: one of their tests asks for a fasting patient, so the
/// review screen asks about fasting.
const MRN: &str = "MRN100235";

/// Length of the AES-GCM tag the app appends to every ciphertext.
const TAG_BYTES: usize = 16;

/// Autosave latencies (ms) of the app and of the references, in the same browser.
pub struct Autosave {
    /// Saves measured (each reference is repeated as often).
    pub saves: usize,
    /// The app: UI change to the draft's strict-durability transaction completing.
    pub app: Vec<f64>,
    /// (a) a bare strict `put` of the record as the app stored it (an encrypted envelope).
    pub stored: Vec<f64>,
    /// (b) a bare strict `put` of the same draft in the clear, as JSON built from the domain crate.
    pub plain: Vec<f64>,
    /// (c) that draft serialised, encrypted with AES-256-GCM (random 96-bit IV, the draft's
    /// binding as additional data, non-extractable key) and its envelope put strictly.
    pub encrypted: Vec<f64>,
    /// Bytes of what the app encrypted for its draft (from the stored ciphertext's length).
    pub app_plain_bytes: usize,
    /// Bytes of what reference (c) encrypted.
    pub reference_plain_bytes: usize,
}

/// The user the demo collector signs in as, from a session of the lab's own.
async fn collector(base: &str, device_token: &str) -> Result<SessionResponse> {
    let (username, pin) = lab::DEMO_COLLECTOR;
    let res = reqwest::Client::new()
        .post(format!("{base}/api/v1/sessions"))
        .bearer_auth(device_token)
        .json(&SignInRequest {
            username: username.into(),
            pin: pin.into(),
        })
        .send()
        .await?;
    let status = res.status();
    let text = res.text().await?;
    if !status.is_success() {
        bail!("sign-in: {status}: {text:.300}");
    }
    Ok(serde_json::from_str(&text)?)
}

/// The draft the app keeps for `MRN` at the review screen after `answers` fasting answers, in
/// the clear, made with the domain crate as the app makes it: the collection started for the
/// patient's orders with the same answers recorded (each one stays in its history, so the draft
/// grows with every save), with what the screens keep around it (the app's `DraftData`).
fn plain_draft(
    worklist: &Worklist,
    session: &SessionResponse,
    id: &str,
    answers: usize,
) -> Result<Value> {
    let patient = worklist
        .patients
        .iter()
        .find(|p| p.identity.mrn.as_str() == MRN)
        .with_context(|| format!("{MRN} is not on the demo worklist"))?;
    let orders: Vec<_> = worklist
        .orders
        .iter()
        .filter(|o| o.order.patient == patient.id)
        .collect();
    let site = SiteConfig::default_site();
    let by = CollectorId::parse(&session.user.id.to_string())?;
    let now = DeviceTime::from_local(lab::now());
    let mut collection = Collection::start(
        CollectionId(id.parse()?),
        patient.clone(),
        orders.iter().map(|o| o.order.clone()).collect(),
        &site,
        Device::EvacuatedHolder,
        &by,
        now,
    )?;
    for i in 0..answers {
        let answer = if i % 2 == 0 {
            FastingStatus::Fasting
        } else {
            FastingStatus::NotFasting
        };
        collection.record_fasting(answer, &by, now)?;
    }
    Ok(json!({
        "id": id,
        "step": "review",
        "saved_at": lab::now().to_rfc3339(),
        "data": {
            "collection": collection,
            "collector": {
                "id": session.user.id.to_string(),
                "username": session.user.username,
                "display_name": session.user.display_name,
            },
            "location": orders.iter().find_map(|o| o.location.clone()),
            "fasting_required": orders.iter().any(|o| o.fasting),
        },
    }))
}

/// Toggles the fasting answer on the review screen `saves` times (each one an autosave the app
/// times with a User Timing measure), then runs the three references `saves` times each,
/// interleaved, in a database of their own.
pub async fn autosave(saves: usize) -> Result<Autosave> {
    let server = Server::start().await?;
    let browser = Browser::start().await?;
    let result = measure(&server, &browser, saves).await;
    let _ = browser.close().await;
    result
}

async fn measure(server: &Server, browser: &Browser, saves: usize) -> Result<Autosave> {
    let (username, pin) = lab::DEMO_COLLECTOR;
    flow::enroll_and_sign_in_as(browser, &server.base, server.demo_code()?, username, pin).await?;
    let device_token = flow::device_token(browser).await?;
    browser.click(&format!("collect-{MRN}")).await?;
    // In the app, not by loading the address: a reload forgets the data key (the tablet then
    // locks), so the route changes the way the app's own links change it.
    let identify = browser.wait_for_path(|p| p.ends_with("/identify")).await?;
    browser
        .client
        .execute(
            "history.pushState(null, '', arguments[0]);
             window.dispatchEvent(new PopStateEvent('popstate', { state: null }));",
            vec![json!(identify.replace("/identify", "/review"))],
        )
        .await?;
    browser.wait_for("fasting-fasting").await?;
    let app = browser
        .client
        .execute_async(
            "const [n] = arguments; const done = arguments[arguments.length - 1];
             const name = 'drawline-autosave';
             performance.clearMeasures(name);
             let i = 0;
             const step = () => {
               if (i >= n) return done(performance.getEntriesByName(name).map(e => e.duration));
               const seen = performance.getEntriesByName(name).length;
               const code = i % 2 ? 'not-fasting' : 'fasting';
               document.querySelector(`[data-testid=\"fasting-${code}\"]`).click();
               const wait = () => performance.getEntriesByName(name).length > seen
                 ? (i++, setTimeout(step, 0)) : setTimeout(wait, 0);
               wait();
             };
             step();",
            vec![json!(saves)],
        )
        .await?;
    // The record as the app stored it: its data is an envelope under the data key.
    let stored = browser
        .client
        .execute_async(
            "const done = arguments[arguments.length - 1];
             const r = indexedDB.open('drawline');
             r.onerror = () => done({ error: String(r.error) });
             r.onsuccess = () => {
               const db = r.result;
               const g = db.transaction('drafts').objectStore('drafts').getAll();
               g.onsuccess = () => { db.close(); done(g.result[0] ?? { error: 'no draft stored' }); };
               g.onerror = () => { db.close(); done({ error: String(g.error) }); };
             };",
            vec![],
        )
        .await?;
    if let Some(e) = stored.get("error") {
        bail!("reading the app's draft: {e}");
    }
    let ct = stored["data"]["ct"]
        .as_str()
        .with_context(|| "the app's draft is not stored encrypted".to_owned())?;
    let app_plain_bytes = (ct.len() * 3 / 4).saturating_sub(TAG_BYTES);
    let id = stored["id"].as_str().context("the draft has no id")?;
    // After the app's saves: a second session for the same person is the lab's business only.
    let session = collector(&server.base, &device_token).await?;
    let worklist = Lab::new(&server.base).worklist(&device_token).await?;
    let plain = plain_draft(&worklist, &session, id, saves)?;

    let refs = browser
        .client
        .execute_async(
            "const [stored, plain, n] = arguments; const done = arguments[arguments.length - 1];
             const open = (name, up) => new Promise((ok, no) => {
               const r = indexedDB.open(name, 1);
               r.onupgradeneeded = () => up(r.result);
               r.onsuccess = () => ok(r.result); r.onerror = () => no(r.error);
             });
             // base64url without padding, as the app stores binary fields.
             const b64u = (bytes) => {
               let s = '';
               for (let i = 0; i < bytes.length; i += 0x8000)
                 s += String.fromCharCode.apply(null, bytes.subarray(i, i + 0x8000));
               return btoa(s).replace(/\\+/g, '-').replace(/\\//g, '_').replace(/=+$/, '');
             };
             (async () => {
               const db = await open('bench-reference', d => d.createObjectStore('drafts', { keyPath: 'id' }));
               const put = (rec) => new Promise((ok, no) => {
                 const tx = db.transaction('drafts', 'readwrite', { durability: 'strict' });
                 tx.objectStore('drafts').put(rec);
                 tx.oncomplete = ok; tx.onerror = () => no(tx.error); tx.onabort = () => no(tx.error);
               });
               // As the app's data key: AES-256-GCM, imported raw, not extractable.
               const key = await crypto.subtle.importKey('raw', crypto.getRandomValues(new Uint8Array(32)),
                 { name: 'AES-GCM' }, false, ['encrypt', 'decrypt']);
               const enc = new TextEncoder();
               const aad = enc.encode('drafts/' + plain.id);
               let bytes = 0;
               const encryptAndPut = async () => {
                 const text = enc.encode(JSON.stringify({ step: plain.step, data: plain.data }));
                 bytes = text.length;
                 const iv = crypto.getRandomValues(new Uint8Array(12));
                 const ct = new Uint8Array(await crypto.subtle.encrypt(
                   { name: 'AES-GCM', iv, additionalData: aad, tagLength: 128 }, key, text));
                 await put({ id: plain.id, step: '', saved_at: plain.saved_at,
                             data: { drawline_enc: 1, iv: b64u(iv), ct: b64u(ct) } });
               };
               const a = [], b = [], c = [];
               const time = async (f, out) => { const t0 = performance.now(); await f(); out.push(performance.now() - t0); };
               for (let i = 0; i < n; i++) {
                 await time(() => put(stored), a);
                 await time(() => put(plain), b);
                 await time(encryptAndPut, c);
               }
               db.close();
               done({ stored: a, plain: b, encrypted: c, bytes });
             })().catch(e => done({ error: String(e) }));",
            vec![stored.clone(), plain, json!(saves)],
        )
        .await?;
    if let Some(e) = refs.get("error") {
        bail!("the references: {e}");
    }
    let list = |v: &Value| -> Result<Vec<f64>> {
        serde_json::from_value(v.clone()).with_context(|| format!("page answered {v}"))
    };
    let app = list(&app)?;
    anyhow::ensure!(
        app.len() == saves,
        "{} autosaves measured of {saves}",
        app.len()
    );
    Ok(Autosave {
        saves,
        app,
        stored: list(&refs["stored"])?,
        plain: list(&refs["plain"])?,
        encrypted: list(&refs["encrypted"])?,
        app_plain_bytes,
        reference_plain_bytes: refs["bytes"].as_u64().unwrap_or(0) as usize,
    })
}
