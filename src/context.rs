//! The services every screen shares through Leptos context, each with an `expect()` helper.

use std::rc::Rc;

use drawline_domain::api::{EnrollResponse, SessionResponse};
use leptos::prelude::*;

use crate::storage::boot_hints::{self, BootHints};
use crate::storage::keys::{TypedRecords, DEVICE, SESSION, SIGNED_IN};
use crate::storage::{DraftStore, StorageError};
use crate::workflow::Collector;

/// The device database, opened once for the whole app.
#[derive(Clone, Copy)]
pub struct DeviceDb(pub LocalResource<Result<Rc<dyn DraftStore>, StorageError>>);

/// Whether the service worker is installed, so the app can start with no network.
#[derive(Clone, Copy)]
pub struct OfflineReady(pub ReadSignal<ServiceWorkerState>);

/// What became of the service worker registration.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ServiceWorkerState {
    /// Registration has not finished yet.
    Pending,
    /// Registered: the shell is (or is being) cached for offline use.
    Registered,
    /// The browser has no service workers, or registration failed.
    Unavailable(String),
}

/// Bumped after every write, so counts and lists re-read the store.
#[derive(Clone, Copy)]
pub struct Revision(pub RwSignal<u64>);

impl Revision {
    /// The app's write counter, provided by the root; panics outside it (a programming error).
    pub fn expect() -> Self {
        expect_context()
    }

    /// Something was written.
    pub fn bump(&self) {
        self.0.update(|n| *n += 1);
    }

    /// Reads the counter (subscribing the caller).
    pub fn track(&self) -> u64 {
        self.0.get()
    }
}

pub use crate::storage::keys::RecentUser;

/// Who this device is and who is signed in, read from the settings store at start.
#[derive(Clone, Copy)]
pub struct Auth {
    /// The settings have been read.
    pub loaded: RwSignal<bool>,
    /// The device's enrollment, once enrolled.
    pub device: RwSignal<Option<EnrollResponse>>,
    /// The signed-in collector's session.
    pub session: RwSignal<Option<SessionResponse>>,
    /// Reading the settings failed.
    pub error: RwSignal<Option<StorageError>>,
    /// What localStorage said at start, before the settings were read: enough to choose the
    /// first screen at once (enroll or sign in).
    pub hints: StoredValue<BootHints>,
    /// Someone is signed in but their session is still encrypted: nobody has unlocked yet.
    pub session_locked: RwSignal<bool>,
}

impl Auth {
    /// The app's enrollment and session, provided by the root; panics outside it (a programming error).
    pub fn expect() -> Self {
        expect_context()
    }

    /// Reads enrollment and session from the store into fresh signals. The session is
    /// encrypted: when nobody has unlocked the tablet yet but someone is signed in, the app
    /// starts under the lock screen and [`Auth::resume`] reads it after the unlock.
    pub fn load(db: DeviceDb) -> Self {
        let auth = Self {
            loaded: RwSignal::new(false),
            device: RwSignal::new(None),
            session: RwSignal::new(None),
            error: RwSignal::new(None),
            hints: StoredValue::new(boot_hints::read()),
            session_locked: RwSignal::new(false),
        };
        leptos::task::spawn_local(async move {
            let result = async {
                let store = db.0.await?;
                let device = store.read(DEVICE).await?;
                let session = match store.read(SESSION).await {
                    Err(StorageError::Locked) => {
                        auth.session_locked
                            .set(store.read(SIGNED_IN).await?.is_some());
                        None
                    }
                    other => other?,
                };
                Ok::<_, StorageError>((device, session))
            }
            .await;
            match result {
                Ok((device, session)) => {
                    boot_hints::update(|h| {
                        h.enrolled = device.is_some();
                    });
                    auth.device.set(device);
                    auth.session.set(session);
                }
                Err(e) => auth.error.set(Some(e)),
            }
            auth.loaded.set(true);
        });
        auth
    }

    /// Reads the session again once the vault is open (after an unlock).
    pub async fn resume(&self, db: DeviceDb) -> Result<(), StorageError> {
        let store = db.0.await?;
        let session = store.read(SESSION).await?;
        store.encrypt_in_place().await?;
        self.session_locked.set(false);
        self.session.set(session);
        Ok(())
    }

    /// Nobody is signed in (settings read, no session, none waiting to be unlocked): the
    /// screens that need a person send to sign-in.
    pub fn signed_out(&self) -> bool {
        self.loaded.get() && self.session.get().is_none() && !self.session_locked.get()
    }

    /// The signed-in user is a supervisor (or an admin): the review screens are theirs.
    pub fn is_supervisor(&self) -> bool {
        self.session
            .get()
            .is_some_and(|s| s.user.role >= drawline_domain::api::Role::Supervisor)
    }

    /// Where a signed-in user starts: supervisors on the devices view, collectors on the draw list.
    pub fn start_path(&self) -> &'static str {
        if self.is_supervisor() {
            "/supervisor"
        } else {
            "/draws"
        }
    }

    /// The signed-in collector, as recorded on collections.
    pub fn collector(&self) -> Option<Collector> {
        self.session.get().map(|s| Collector {
            id: s.user.id.to_string(),
            username: s.user.username,
            display_name: s.user.display_name,
        })
    }
}

/// The screen lock over whatever was open, and the data key it guards.
#[derive(Clone, Copy)]
pub struct Lock {
    /// The lock screen covers the app (idle, "Lock" tapped, or started with nobody unlocked).
    pub locked: RwSignal<bool>,
    /// The data key in memory, shared with the store.
    pub vault: StoredValue<crate::storage::Vault, LocalStorage>,
}

impl Lock {
    /// The app's lock, provided by the root; panics outside it (a programming error).
    pub fn expect() -> Self {
        expect_context()
    }
}

/// The lab revoked this tablet: what it had delivered is wiped, what it had not is kept sealed.
#[derive(Clone, Copy)]
pub struct Revoked(pub RwSignal<bool>);

impl Revoked {
    /// The app's revoked flag, provided by the root; panics outside it (a programming error).
    pub fn expect() -> Self {
        expect_context()
    }
}

/// A new version of the app is installed and waiting: offered as "Update ready: reload".
#[derive(Clone, Copy)]
pub struct UpdateReady(pub RwSignal<bool>);

impl DeviceDb {
    /// The app's device database, provided by the root; panics outside it (a programming error).
    pub fn expect() -> Self {
        expect_context()
    }
}

impl OfflineReady {
    /// The app's service worker state, provided by the root; panics outside it (a programming error).
    pub fn expect() -> Self {
        expect_context()
    }
}

impl UpdateReady {
    /// The app's update-ready flag, provided by the root; panics outside it (a programming error).
    pub fn expect() -> Self {
        expect_context()
    }
}

/// The queue's filters, kept in context so they survive opening a collection and coming back.
#[derive(Clone, Copy)]
pub struct QueueFilters {
    /// `accepted`, `duplicate`, `conflict`, `rejected`, `quarantined` or empty.
    pub status: RwSignal<String>,
    /// A flag name or empty.
    pub flag: RwSignal<String>,
    /// Patient id, MRN or part of a name.
    pub patient: RwSignal<String>,
    /// Collector user name or id.
    pub collector: RwSignal<String>,
    /// Device id, or empty for all.
    pub device: RwSignal<String>,
    /// First day (YYYY-MM-DD, local), or empty.
    pub from: RwSignal<String>,
    /// Last day (YYYY-MM-DD, local), or empty.
    pub to: RwSignal<String>,
    /// `true`, `false` or empty.
    pub reviewed: RwSignal<String>,
}

impl QueueFilters {
    /// The app's queue filters, provided by the root; panics outside it (a programming error).
    pub fn expect() -> Self {
        expect_context()
    }

    /// No filter set.
    pub fn new() -> Self {
        Self {
            status: RwSignal::new(String::new()),
            flag: RwSignal::new(String::new()),
            patient: RwSignal::new(String::new()),
            collector: RwSignal::new(String::new()),
            device: RwSignal::new(String::new()),
            from: RwSignal::new(String::new()),
            to: RwSignal::new(String::new()),
            reviewed: RwSignal::new(String::new()),
        }
    }

    /// Sets every filter back to empty.
    pub fn clear(&self) {
        for s in [
            self.status,
            self.flag,
            self.patient,
            self.collector,
            self.device,
            self.from,
            self.to,
            self.reviewed,
        ] {
            s.set(String::new());
        }
    }

    /// The URL query for the lab server (reads every filter, so a change refetches).
    pub fn query(&self) -> String {
        let mut pairs: Vec<(&str, String)> = Vec::new();
        for (key, signal) in [
            ("status", self.status),
            ("flag", self.flag),
            ("patient", self.patient),
            ("collector", self.collector),
            ("device", self.device),
            ("reviewed", self.reviewed),
        ] {
            let v = signal.get();
            if !v.trim().is_empty() {
                pairs.push((key, v.trim().to_owned()));
            }
        }
        if let Some(t) = day_bound(&self.from.get(), false) {
            pairs.push(("from", t));
        }
        if let Some(t) = day_bound(&self.to.get(), true) {
            pairs.push(("to", t));
        }
        pairs.push(("limit", "100".into()));
        pairs
            .iter()
            .map(|(k, v)| format!("{k}={}", String::from(js_sys::encode_uri_component(v))))
            .collect::<Vec<_>>()
            .join("&")
    }
}

impl Default for QueueFilters {
    fn default() -> Self {
        Self::new()
    }
}

/// The start (or end) of a local calendar day as an RFC 3339 instant.
fn day_bound(day: &str, end: bool) -> Option<String> {
    use chrono::TimeZone;
    let date = drawline_domain::clock_text::parse_ymd(day.trim())?;
    let time = if end {
        date.and_hms_opt(23, 59, 59)?
    } else {
        date.and_hms_opt(0, 0, 0)?
    };
    let local = chrono::Local.from_local_datetime(&time).earliest()?;
    Some(local.with_timezone(&chrono::Utc).to_rfc3339())
}
