//! `use_collection`: the draft a workflow screen edits, saved before the screen confirms.

use leptos::prelude::*;
use leptos_router::hooks::{use_navigate, use_params_map};

use drawline_domain::CollectorId;

use crate::context::{Auth, DeviceDb, Revision};
use crate::error::AppError;
use crate::storage::StorageError;
use crate::workflow::{DraftData, Step};

/// User Timing mark at the start of an autosave.
const AUTOSAVE_MARK: &str = "drawline-autosave-start";
/// User Timing measure from a change to its draft being durable in IndexedDB.
pub const AUTOSAVE_MEASURE: &str = "drawline-autosave";

/// Saves `(draft, step, then go to)`; resolves to the saved draft and where to go.
pub type SaveAction =
    Action<(DraftData, Step, Option<String>), Result<(DraftData, Option<String>), AppError>>;

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
    pub error: RwSignal<Option<AppError>>,
    /// Saves a new version of the draft at a step, then (optionally) goes to an address. The
    /// screen shows the new state only once this resolved: autosave before confirmation.
    pub save: SaveAction,
    /// Who is signed in: the collector of every change.
    auth: Auth,
}

impl CollectionHandle {
    /// The start of every change: the draft as last saved, and who makes the change (the
    /// signed-in collector, else whoever started the collection). `None` while loading.
    pub fn edit(&self) -> Option<(DraftData, CollectorId)> {
        let data = self.data.get_untracked()?;
        let by = self
            .auth
            .collector()
            .unwrap_or_else(|| data.collector.clone())
            .collector_id();
        Some((data, by))
    }

    /// Saves `next` at `step` and stays on the screen.
    pub fn commit(&self, next: DraftData, step: Step) {
        self.save.dispatch((next, step, None));
    }

    /// Saves `next` at `step` and then opens that step's screen.
    pub fn commit_and_go(&self, next: DraftData, step: Step) {
        let path = step.path(&next.id());
        self.save.dispatch((next, step, Some(path)));
    }

    /// Records the collector's acknowledgement of the pending hard stop (kept in the history,
    /// counted for the supervisor) and saves it at `step`.
    pub fn acknowledge_hard_stop(&self, step: Step) {
        let Some((mut next, by)) = self.edit() else {
            return;
        };
        if next
            .collection
            .acknowledge_hard_stop(&by, crate::workflow::now())
            .is_ok()
        {
            self.commit(next, step);
        }
    }

    /// A save is in flight: buttons wait so two taps never race.
    pub fn busy(&self) -> bool {
        self.save.pending().get()
    }
}

/// Loads the collection named in the address for the screen of `step`, and records that the
/// collector is now on this step (so a reload or a killed tab comes back here).
pub fn use_collection(step: Step) -> CollectionHandle {
    let db = DeviceDb::expect();
    let revision = Revision::expect();
    let auth = Auth::expect();
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
                Ok::<_, AppError>((next, go))
            }
        },
    );
    let handle = CollectionHandle {
        id: RwSignal::new(id.clone()),
        data: RwSignal::new(None),
        missing: RwSignal::new(false),
        error: RwSignal::new(None),
        save,
        auth,
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

    // Loaded at once, or, when the tablet started locked, as soon as it is unlocked.
    Effect::new(move |_| {
        if auth.session_locked.get() {
            return;
        }
        let id = id.clone();
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
                    Err(why) => handle
                        .error
                        .set(Some(StorageError::Serialization(why).into())),
                },
                Ok(None) => handle.missing.set(true),
                // Not read yet: the unlock loads it.
                Err(StorageError::Locked) => {}
                Err(e) => handle.error.set(Some(e.into())),
            }
        });
    });
    handle
}
