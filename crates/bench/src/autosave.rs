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

/// Autosave latencies (ms) of the app and of the references, in the same browser, save by save
/// on drafts of the same size (the references' `i`th save puts the draft after `i + 1` answers).
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
    /// Bytes of what the app encrypted for its draft at the first and the last save (from the
    /// stored ciphertext's length): each answer stays in the draft's history, so it grows.
    pub app_plain_bytes: (usize, usize),
    /// Bytes of what reference (c) encrypted at the first and the last save.
    pub reference_plain_bytes: (usize, usize),
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

/// The demo collector's draft of `MRN` at the review screen, in the clear, made with the domain
/// crate as the app makes it (the collection started for the patient's orders), with what the
/// screens keep around it (the app's `DraftData`); [`PlainDraft::answer`] records one more
/// fasting answer, as each of the app's saves does.
struct PlainDraft {
    collection: Collection,
    by: CollectorId,
    session: SessionResponse,
    location: Option<String>,
    fasting_required: bool,
    answers: usize,
}

impl PlainDraft {
    fn new(worklist: &Worklist, session: SessionResponse, id: &str) -> Result<Self> {
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
        let collection = Collection::start(
            CollectionId(id.parse()?),
            patient.clone(),
            orders.iter().map(|o| o.order.clone()).collect(),
            &site,
            Device::EvacuatedHolder,
            &by,
            DeviceTime::from_local(lab::now()),
        )?;
        Ok(Self {
            collection,
            by,
            location: orders.iter().find_map(|o| o.location.clone()),
            fasting_required: orders.iter().any(|o| o.fasting),
            session,
            answers: 0,
        })
    }

    /// Records the next answer (fasting, not fasting, in turn, as the app's saves toggle it)
    /// and answers the draft record as stored in the clear.
    fn answer(&mut self) -> Result<Value> {
        let answer = if self.answers.is_multiple_of(2) {
            FastingStatus::Fasting
        } else {
            FastingStatus::NotFasting
        };
        self.answers += 1;
        let now = lab::now();
        self.collection
            .record_fasting(answer, &self.by, DeviceTime::from_local(now))?;
        Ok(json!({
            "id": self.collection.id().to_string(),
            "step": "review",
            "saved_at": now.to_rfc3339(),
            "data": {
                "collection": self.collection,
                "collector": {
                    "id": self.session.user.id.to_string(),
                    "username": self.session.user.username,
                    "display_name": self.session.user.display_name,
                },
                "location": self.location,
                "fasting_required": self.fasting_required,
            },
        }))
    }
}

/// Bytes the app encrypted for a stored draft record, from its ciphertext's length.
fn plaintext_bytes(stored: &Value) -> Result<usize> {
    let ct = stored["data"]["ct"]
        .as_str()
        .context("the app's draft is not stored encrypted")?;
    Ok((ct.len() * 3 / 4).saturating_sub(TAG_BYTES))
}

/// Toggles the fasting answer on the review screen `saves` times (each one an autosave the app
/// times with a User Timing measure; the record it stored is kept after each), then runs the
/// three references `saves` times each, interleaved, on drafts of the same sizes, in a database
/// of their own.
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
             // The record each save stored, read once that save is timed (outside its time).
             const stored = window.__benchStored = [];
             const keep = (then) => {
               const r = indexedDB.open('drawline');
               r.onerror = () => done({ error: String(r.error) });
               r.onsuccess = () => {
                 const db = r.result;
                 const g = db.transaction('drafts').objectStore('drafts').getAll();
                 g.onsuccess = () => { db.close(); stored.push(g.result[0]); then(); };
                 g.onerror = () => { db.close(); done({ error: String(g.error) }); };
               };
             };
             let i = 0;
             const step = () => {
               if (i >= n) return done(performance.getEntriesByName(name).map(e => e.duration));
               const seen = performance.getEntriesByName(name).length;
               const code = i % 2 ? 'not-fasting' : 'fasting';
               document.querySelector(`[data-testid=\"fasting-${code}\"]`).click();
               const wait = () => performance.getEntriesByName(name).length > seen
                 ? (i++, keep(() => setTimeout(step, 0))) : setTimeout(wait, 0);
               wait();
             };
             step();",
            vec![json!(saves)],
        )
        .await?;
    if let Some(e) = app.get("error") {
        bail!("the app's saves: {e}");
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
    let ends = browser
        .client
        .execute(
            "const s = window.__benchStored; return [s.length, s[0] ?? null, s[s.length - 1] ?? null];",
            vec![],
        )
        .await?;
    anyhow::ensure!(
        ends[0].as_u64() == Some(saves as u64),
        "{} stored drafts kept of {saves}",
        ends[0]
    );
    let app_plain_bytes = (plaintext_bytes(&ends[1])?, plaintext_bytes(&ends[2])?);
    let id = ends[1]["id"].as_str().context("the draft has no id")?;
    // After the app's saves: a second session for the same person is the lab's business only.
    let session = collector(&server.base, &device_token).await?;
    let worklist = Lab::new(&server.base).worklist(&device_token).await?;
    let mut plain = PlainDraft::new(&worklist, session, id)?;

    browser
        .client
        .execute_async(
            "const done = arguments[arguments.length - 1];
             (async () => {
               const db = await new Promise((ok, no) => {
                 const r = indexedDB.open('bench-reference', 1);
                 r.onupgradeneeded = () => r.result.createObjectStore('drafts', { keyPath: 'id' });
                 r.onsuccess = () => ok(r.result); r.onerror = () => no(r.error);
               });
               // As the app's data key: AES-256-GCM, imported raw, not extractable.
               const key = await crypto.subtle.importKey('raw', crypto.getRandomValues(new Uint8Array(32)),
                 { name: 'AES-GCM' }, false, ['encrypt', 'decrypt']);
               window.__benchRef = { db, key };
               done(true);
             })().catch(e => done({ error: String(e) }));",
            vec![],
        )
        .await?;
    let (mut stored, mut clear, mut encrypted) = (Vec::new(), Vec::new(), Vec::new());
    let mut reference_bytes = Vec::new();
    for i in 0..saves {
        // The draft as the app's `i`th save left it, in the clear.
        let draft = plain.answer()?;
        let t = browser
            .client
            .execute_async(
                "const [i, plain] = arguments; const done = arguments[arguments.length - 1];
                 const { db, key } = window.__benchRef;
                 const put = (rec) => new Promise((ok, no) => {
                   const tx = db.transaction('drafts', 'readwrite', { durability: 'strict' });
                   tx.objectStore('drafts').put(rec);
                   tx.oncomplete = ok; tx.onerror = () => no(tx.error); tx.onabort = () => no(tx.error);
                 });
                 // base64url without padding, as the app stores binary fields.
                 const b64u = (bytes) => {
                   let s = '';
                   for (let j = 0; j < bytes.length; j += 0x8000)
                     s += String.fromCharCode.apply(null, bytes.subarray(j, j + 0x8000));
                   return btoa(s).replace(/\\+/g, '-').replace(/\\//g, '_').replace(/=+$/, '');
                 };
                 const enc = new TextEncoder();
                 let bytes = 0;
                 const encryptAndPut = async () => {
                   const text = enc.encode(JSON.stringify({ step: plain.step, data: plain.data }));
                   bytes = text.length;
                   const iv = crypto.getRandomValues(new Uint8Array(12));
                   const ct = new Uint8Array(await crypto.subtle.encrypt(
                     { name: 'AES-GCM', iv, additionalData: enc.encode('drafts/' + plain.id), tagLength: 128 },
                     key, text));
                   await put({ id: plain.id, step: '', saved_at: plain.saved_at,
                               data: { drawline_enc: 1, iv: b64u(iv), ct: b64u(ct) } });
                 };
                 const time = async (f) => { const t0 = performance.now(); await f(); return performance.now() - t0; };
                 (async () => {
                   const a = await time(() => put(window.__benchStored[i]));
                   const b = await time(() => put(plain));
                   const c = await time(encryptAndPut);
                   done([a, b, c, bytes]);
                 })().catch(e => done({ error: String(e) }));",
                vec![json!(i), draft],
            )
            .await?;
        if let Some(e) = t.get("error") {
            bail!("the references: {e}");
        }
        let t: [f64; 4] =
            serde_json::from_value(t.clone()).with_context(|| format!("page answered {t}"))?;
        stored.push(t[0]);
        clear.push(t[1]);
        encrypted.push(t[2]);
        reference_bytes.push(t[3] as usize);
    }
    browser
        .client
        .execute(
            "window.__benchRef.db.close(); window.__benchStored = null;",
            vec![],
        )
        .await?;
    Ok(Autosave {
        saves,
        app,
        stored,
        plain: clear,
        encrypted,
        app_plain_bytes,
        reference_plain_bytes: (
            reference_bytes.first().copied().unwrap_or(0),
            reference_bytes.last().copied().unwrap_or(0),
        ),
    })
}
