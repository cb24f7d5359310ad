//! Emergency hand-over: the tablet's undelivered collections as one file only the lab can read, with a count and checksum to read out.

use drawline_domain::api::{checksum_for_people, export_checksum, OutboxExport};
use leptos::prelude::*;

use crate::components::error_note::ErrorNote;
use crate::components::screen::Screen;
use crate::context::{Auth, DeviceDb, Revision};
use crate::download::download_text;
use crate::error::AppError;
use crate::handover::{self, HandoverPlan};

/// A file just saved: its name, count and checksum as read to the lab.
#[derive(Clone)]
struct Saved {
    name: String,
    count: u32,
    checksum: String,
}

/// Makes the file of `plan` for this device now and offers it as a download.
fn save(plan: &HandoverPlan, auth: Auth) -> Result<Saved, AppError> {
    let device = auth.device.get_untracked().ok_or_else(|| {
        AppError::refused(
            "This tablet's enrollment is missing, and the file must name the tablet: ask the lab.",
        )
    })?;
    let now = chrono::Local::now().fixed_offset();
    let export = OutboxExport::new(
        device.device_id,
        device.device_name.clone(),
        now,
        plan.records.clone(),
    );
    let text = serde_json::to_string_pretty(&export)
        .map_err(|e| AppError::refused(format!("The file could not be made: {e}")))?;
    let name = handover::file_name(&device.device_name, now);
    download_text(&name, "application/json", &text)
        .map_err(|e| AppError::refused(format!("The file could not be saved: {e}")))?;
    Ok(Saved {
        name,
        count: export.count,
        checksum: checksum_for_people(&export.checksum),
    })
}

/// The hand-over screen: how many collections the file holds and its checksum, large, to be
/// read to the lab over the phone; the download; and what is not in it and why. Works with
/// nobody signed in: the records are already sealed to the lab.
#[component]
pub fn Handover() -> impl IntoView {
    let DeviceDb(db) = DeviceDb::expect();
    let auth = Auth::expect();
    let revision = Revision::expect();
    let plan = LocalResource::new(move || {
        revision.track();
        async move {
            let store = db.await?;
            let outbox = store.list_outbox().await?;
            Ok::<_, AppError>(handover::plan(outbox))
        }
    });
    let saved = RwSignal::new(None::<Saved>);
    let failed = RwSignal::new(None::<AppError>);
    let download = move |_| {
        if let Some(Ok(p)) = plan.get_untracked() {
            match save(&p, auth) {
                Ok(s) => {
                    failed.set(None);
                    saved.set(Some(s));
                }
                Err(e) => failed.set(Some(e)),
            }
        }
    };
    // Back to the screen this one was opened from (under the lock, if locked); to the start
    // when it was opened directly.
    let back = move |_| {
        let Some(w) = web_sys::window() else { return };
        match w.history() {
            Ok(h) if h.length().unwrap_or(0) > 1 => {
                let _ = h.back();
            }
            _ => {
                let _ = w.location().set_href("/");
            }
        }
    };

    view! {
        <Screen title="Emergency hand-over" test_id="handover">
            <p class="lede">
                "When this tablet cannot sync, its collections not yet delivered go to the lab in one file, sealed so that only the lab can open it. The lab imports the file; a later sync of the same collections is not counted twice."
            </p>
            <Transition fallback=|| view! { <p class="muted">"Reading the outbox…"</p> }>
                {move || {
                    plan.get()
                        .map(|p| match p {
                            Err(e) => view! { <ErrorNote error=Some(e) /> }.into_any(),
                            Ok(p) => {
                                let count = p.records.len();
                                let checksum = if count == 0 {
                                    "—".to_string()
                                } else {
                                    checksum_for_people(&export_checksum(&p.records))
                                };
                                view! {
                                    <section class="card">
                                        <dl class="handover-figures">
                                            <div>
                                                <dt>"Collections in the file"</dt>
                                                <dd class="figure" data-testid="handover-count">{count}</dd>
                                            </div>
                                            <div>
                                                <dt>"Checksum"</dt>
                                                <dd class="figure checksum" data-testid="handover-checksum">{checksum}</dd>
                                            </div>
                                        </dl>
                                        {(count == 0)
                                            .then(|| view! {
                                                <p class="muted" data-testid="handover-empty">
                                                    "Nothing to hand over: every collection finalized on this tablet has reached the lab."
                                                </p>
                                            })}
                                        {(p.quarantined > 0)
                                            .then(|| view! {
                                                <p data-testid="handover-quarantined">
                                                    {format!("{} of them the lab refused on sync; they are in the file too, and the lab decides.", p.quarantined)}
                                                </p>
                                            })}
                                        {(p.unsealed > 0)
                                            .then(|| view! {
                                                <p class="notice" data-testid="handover-unsealed">
                                                    {format!(
                                                        "{} finalized before this tablet had the lab's key {}: sign in and sync to seal {}.",
                                                        collections(p.unsealed),
                                                        if p.unsealed == 1 { "is not in the file" } else { "are not in the file" },
                                                        if p.unsealed == 1 { "it" } else { "them" },
                                                    )}
                                                </p>
                                            })}
                                        {(p.unreadable > 0)
                                            .then(|| view! {
                                                <p class="notice" data-testid="handover-unreadable">
                                                    {format!("{} could not be read on this tablet and {} not in the file: tell the lab.", collections(p.unreadable), if p.unreadable == 1 { "is" } else { "are" })}
                                                </p>
                                            })}
                                        <button
                                            class="button primary big"
                                            type="button"
                                            data-testid="handover-download"
                                            disabled=count == 0
                                            on:click=download
                                        >
                                            "Download the hand-over file"
                                        </button>
                                    </section>
                                }
                                    .into_any()
                            }
                        })
                }}
            </Transition>
            <ErrorNote error=failed test_id="handover-error" />
            {move || {
                saved
                    .get()
                    .map(|s| view! {
                        <section class="card banner ok" role="status" data-testid="handover-saved">
                            <p>
                                "Saved as "
                                <strong data-testid="handover-file">{s.name}</strong>
                                {format!(" with {} and checksum {}.", collections(s.count), s.checksum)}
                            </p>
                            <p>"Phone the lab and read them the count and the checksum, then give them the file."</p>
                        </section>
                    })
            }}
            <p><button class="button" type="button" on:click=back data-testid="handover-back">"Back"</button></p>
        </Screen>
    }
}

/// "1 collection", "3 collections".
fn collections(n: u32) -> String {
    if n == 1 {
        "1 collection".into()
    } else {
        format!("{n} collections")
    }
}
