//! Shared app state in context: the device's enrollment and session, a write counter that
//! refreshes counts, and the per-collection handle the workflow screens share.

use std::rc::Rc;

use drawline_domain::api::{EnrollResponse, SessionResponse, Worklist};
use drawline_domain::{Device, SiteConfig};
use leptos::prelude::*;
use leptos_router::hooks::{use_navigate, use_params_map};
use serde::{Deserialize, Serialize};

use crate::app::DeviceDb;
use crate::storage::{DraftStore, StorageError};
use crate::workflow::{self, Collector, DraftData, Step};

/// Settings key of this device's enrollment (`EnrollResponse`).
pub const DEVICE_KEY: &str = "device";
/// Settings key of the signed-in session (`SessionResponse`).
pub const SESSION_KEY: &str = "session";
/// Settings key of the collectors who signed in here lately, for one-tap sign-in.
pub const RECENT_USERS_KEY: &str = "recent_users";
/// Settings key of the last pull's server cursor.
pub const PULL_CURSOR_KEY: &str = "pull_cursor";
/// Settings key of the hash of the stored site configuration, as the lab reported it.
pub const SITE_HASH_KEY: &str = "site_hash";
/// Settings key of the needle the collector uses (it decides the discard tube).
pub const NEEDLE_KEY: &str = "needle";

/// User Timing mark at the start of an autosave.
const AUTOSAVE_MARK: &str = "drawline-autosave-start";
/// User Timing measure from a change to its draft being durable in IndexedDB.
pub const AUTOSAVE_MEASURE: &str = "drawline-autosave";

/// Bumped after every write, so counts and lists re-read the store.
#[derive(Clone, Copy)]
pub struct Revision(pub RwSignal<u64>);

impl Revision {
    /// Something was written.
    pub fn bump(&self) {
        self.0.update(|n| *n += 1);
    }

    /// Reads the counter (subscribing the caller).
    pub fn track(&self) -> u64 {
        self.0.get()
    }
}

/// A collector offered as a one-tap sign-in button.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RecentUser {
    /// Sign-in name.
    pub username: String,
    /// Full name.
    pub display_name: String,
}

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
}

impl Auth {
    /// Reads enrollment and session from the store into fresh signals.
    pub fn load(db: DeviceDb) -> Self {
        let auth = Self {
            loaded: RwSignal::new(false),
            device: RwSignal::new(None),
            session: RwSignal::new(None),
            error: RwSignal::new(None),
        };
        leptos::task::spawn_local(async move {
            let result = async {
                let store = db.0.await?;
                let device = store.get_setting(DEVICE_KEY).await?;
                let session = store.get_setting(SESSION_KEY).await?;
                Ok::<_, StorageError>((device, session))
            }
            .await;
            match result {
                Ok((device, session)) => {
                    auth.device
                        .set(device.and_then(|v| serde_json::from_value(v).ok()));
                    auth.session
                        .set(session.and_then(|v| serde_json::from_value(v).ok()));
                }
                Err(e) => auth.error.set(Some(e)),
            }
            auth.loaded.set(true);
        });
        auth
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

/// The stored worklist and site configuration (the shipped default site until downloaded).
pub async fn load_round(
    store: &Rc<dyn DraftStore>,
) -> Result<(Option<Worklist>, SiteConfig), StorageError> {
    let worklist = store
        .get_worklist(workflow::WORKLIST_KEY)
        .await?
        .and_then(|v| serde_json::from_value(v).ok());
    let site = store
        .get_worklist(workflow::SITE_KEY)
        .await?
        .and_then(|v| serde_json::from_value(v).ok())
        .unwrap_or_else(SiteConfig::default_site);
    Ok((worklist, site))
}

/// The needle setting (straight needle unless the collector chose a butterfly).
pub async fn load_needle(store: &Rc<dyn DraftStore>) -> Result<Device, StorageError> {
    Ok(store
        .get_setting(NEEDLE_KEY)
        .await?
        .and_then(|v| v.as_str().and_then(|s| s.parse().ok()))
        .unwrap_or(Device::EvacuatedHolder))
}

/// The drafts as records the screens understand (unreadable ones are skipped, not deleted).
pub async fn load_drafts(
    store: &Rc<dyn DraftStore>,
) -> Result<Vec<(DraftData, Step, String)>, StorageError> {
    let mut out: Vec<(DraftData, Step, String)> = store
        .list_drafts()
        .await?
        .iter()
        .filter_map(|d| {
            DraftData::from_draft(d)
                .ok()
                .map(|(data, step)| (data, step, d.saved_at.clone()))
        })
        .collect();
    out.sort_by(|a, b| b.2.cmp(&a.2));
    Ok(out)
}

/// Saves `(draft, step, then go to)`; resolves to the saved draft and where to go.
pub type SaveAction =
    Action<(DraftData, Step, Option<String>), Result<(DraftData, Option<String>), StorageError>>;

/// What a workflow screen shares: the draft being edited and the action that saves it.
#[derive(Clone, Copy)]
pub struct CollectionHandle {
    /// The collection id from the address.
    pub id: RwSignal<String>,
    /// The draft as last saved; `None` while loading.
    pub data: RwSignal<Option<DraftData>>,
    /// The draft is not in the store (finalized, or a stale address).
    pub missing: RwSignal<bool>,
    /// Loading or saving failed.
    pub error: RwSignal<Option<StorageError>>,
    /// Saves a new version of the draft at a step, then (optionally) goes to an address. The
    /// screen shows the new state only once this resolved: autosave before confirmation.
    pub save: SaveAction,
}

impl CollectionHandle {
    /// Saves `next` at `step` and stays on the screen.
    pub fn commit(&self, next: DraftData, step: Step) {
        self.save.dispatch((next, step, None));
    }

    /// Saves `next` at `step` and then opens that step's screen.
    pub fn commit_and_go(&self, next: DraftData, step: Step) {
        let path = step.path(&next.id());
        self.save.dispatch((next, step, Some(path)));
    }

    /// A save is in flight: buttons wait so two taps never race.
    pub fn busy(&self) -> bool {
        self.save.pending().get()
    }
}

/// Loads the collection named in the address for the screen of `step`, and records that the
/// collector is now on this step (so a reload or a killed tab comes back here).
pub fn use_collection(step: Step) -> CollectionHandle {
    let db: DeviceDb = expect_context();
    let revision: Revision = expect_context();
    let params = use_params_map();
    let navigate = use_navigate();
    let id = params.get_untracked().get("id").unwrap_or_default();

    let save = Action::new_local(
        move |(next, step, go): &(DraftData, Step, Option<String>)| {
            let next = next.clone();
            let step = *step;
            let go = go.clone();
            async move {
                // User Timing entries: the browser's performance tools and `cargo xtask bench`
                // see how long each autosave takes to be durable.
                let perf = web_sys::window().and_then(|w| w.performance());
                if let Some(p) = &perf {
                    let _ = p.mark(AUTOSAVE_MARK);
                }
                let store = db.0.await?;
                store
                    .put_draft(&next.to_draft(step, chrono::Local::now().fixed_offset()))
                    .await?;
                if let Some(p) = &perf {
                    let _ = p.measure_with_start_mark(AUTOSAVE_MEASURE, AUTOSAVE_MARK);
                    p.clear_marks_with_mark_name(AUTOSAVE_MARK);
                }
                Ok((next, go))
            }
        },
    );
    let handle = CollectionHandle {
        id: RwSignal::new(id.clone()),
        data: RwSignal::new(None),
        missing: RwSignal::new(false),
        error: RwSignal::new(None),
        save,
    };

    Effect::new(move |_| {
        let Some(result) = save.value().get() else {
            return;
        };
        match result {
            Ok((saved, go)) => {
                handle.error.set(None);
                handle.data.set(Some(saved));
                revision.bump();
                if let Some(path) = go {
                    navigate(&path, Default::default());
                }
            }
            Err(e) => handle.error.set(Some(e)),
        }
    });

    leptos::task::spawn_local(async move {
        let loaded = async {
            let store = db.0.await?;
            store.get_draft(&id).await
        }
        .await;
        match loaded {
            Ok(Some(draft)) => match DraftData::from_draft(&draft) {
                Ok((data, saved_step)) => {
                    if saved_step != step {
                        handle.save.dispatch((data.clone(), step, None));
                    }
                    handle.data.set(Some(data));
                }
                Err(why) => handle.error.set(Some(StorageError::Serialization(why))),
            },
            Ok(None) => handle.missing.set(true),
            Err(e) => handle.error.set(Some(e)),
        }
    });
    handle
}
