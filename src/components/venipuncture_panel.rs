//! The venipuncture panel: where the needle goes in and with what, a failed attempt, and a new venipuncture.

use drawline_domain::collection::BodySite;
use drawline_domain::{Device, SiteConfig};
use leptos::prelude::*;

use crate::components::error_note::ErrorNote;
use crate::error::AppError;
use crate::hooks::use_collection::CollectionHandle;
use crate::workflow::{self, Step};

/// Shows the venipuncture tubes are drawn in, or asks for one: the site (arms the patient's
/// alerts restrict cannot be picked) and the device. A failed attempt is recorded with a note;
/// what is left to draw is planned again for the next venipuncture's device.
#[component]
pub fn VenipuncturePanel(
    /// The collection being edited.
    handle: CollectionHandle,
    /// The site configuration, for planning again; `None` while it loads.
    site: ReadSignal<Option<SiteConfig>>,
) -> impl IntoView {
    let chosen = RwSignal::new(None::<BodySite>);
    let device = RwSignal::new(None::<Device>);
    let another = RwSignal::new(false);
    let failing = RwSignal::new(false);
    let fail_note = RwSignal::new(String::new());
    let error = RwSignal::new(None::<AppError>);

    let begin = move |_| {
        let Some(config) = site.get_untracked() else {
            return;
        };
        let Some(at) = chosen.get_untracked() else {
            error.set(Some("Choose where the needle goes in.".into()));
            return;
        };
        let Some((mut next, by)) = handle.edit() else {
            return;
        };
        let with = device
            .get_untracked()
            .unwrap_or_else(|| next.collection.device());
        match next
            .collection
            .begin_venipuncture(at, with, &config, &by, workflow::now())
        {
            Ok(()) => {
                error.set(None);
                another.set(false);
                chosen.set(None);
                device.set(None);
                handle.commit(next, Step::Tubes);
            }
            Err(e) => error.set(Some(e.into())),
        }
    };
    let fail = move |_| {
        let Some((mut next, by)) = handle.edit() else {
            return;
        };
        let note = fail_note.get_untracked();
        match next
            .collection
            .record_failed_attempt(Some(note.as_str()), &by, workflow::now())
        {
            Ok(()) => {
                error.set(None);
                failing.set(false);
                fail_note.set(String::new());
                handle.commit(next, Step::Tubes);
            }
            Err(e) => error.set(Some(e.into())),
        }
    };

    let panel = move || {
        let d = handle.data.get()?;
        let c = &d.collection;
        // Nothing to ask before the patient is identified: the tubes screen says so.
        c.identification()?;
        let attempts = (c.failed_attempts() > 0).then(|| {
            view! {
                <p class="muted" data-testid="attempts">
                    {format!("Attempts so far: {} ({} failed)", c.attempts(), c.failed_attempts())}
                </p>
            }
        });
        if let (Some(v), false) = (c.current_venipuncture(), another.get()) {
            return Some(
                view! {
                    <section class="card venipuncture" data-testid="venipuncture">
                        <h2>{format!("Venipuncture {}", v.number)}</h2>
                        <p class="venipuncture-now" data-testid="venipuncture-current">
                            <strong>{v.site.display()}</strong> " · " {v.device.display()}
                        </p>
                        {attempts}
                        <div class="actions">
                            <button class="button" data-testid="attempt-failed" on:click=move |_| failing.set(true)>
                                "Attempt failed"
                            </button>
                            <button class="button" data-testid="new-venipuncture" on:click=move |_| another.set(true)>
                                "New venipuncture"
                            </button>
                        </div>
                    </section>
                }
                    .into_any(),
            );
        }
        let number = c.venipunctures().len() + 1;
        let last_failed = c.venipunctures().last().is_some_and(|v| v.failed.is_some());
        let planned = c.device();
        let sites = BodySite::ALL
            .iter()
            .map(|s| {
                let s = *s;
                let restriction = c.site_restriction(s).map(|a| a.text.clone());
                let blocked = restriction.is_some();
                view! {
                    <button
                        type="button"
                        class="site-choice"
                        class:selected=move || chosen.get() == Some(s)
                        aria-pressed=move || (chosen.get() == Some(s)).to_string()
                        data-testid=format!("site-{}", s.code())
                        disabled=blocked
                        on:click=move |_| chosen.set(Some(s))
                    >
                        <span>{s.display()}</span>
                        {restriction.map(|r| view! { <small class="restricted">{format!("Not this arm: {r}")}</small> })}
                    </button>
                }
            })
            .collect_view();
        let devices = Device::ALL
            .iter()
            .map(|dv| {
                let dv = *dv;
                let on = move || device.get().unwrap_or(planned) == dv;
                view! {
                    <button
                        type="button"
                        class="site-choice"
                        class:selected=on
                        aria-pressed=move || on().to_string()
                        data-testid=format!("device-{}", dv.as_str())
                        on:click=move |_| device.set(Some(dv))
                    >
                        {capitalised(dv.display())}
                    </button>
                }
            })
            .collect_view();
        Some(
            view! {
                <section class="card venipuncture open" data-testid="venipuncture">
                    <h2>{format!("Venipuncture {number}: where does the needle go in?")}</h2>
                    {last_failed.then(|| view! {
                        <p class="notice" data-testid="after-failed-attempt">
                            "The last attempt failed. Choose the site of the next one; switch to a butterfly for small or fragile veins (the tubes are planned again)."
                        </p>
                    })}
                    {attempts}
                    <div class="site-grid" role="group" aria-label="Venipuncture site">{sites}</div>
                    <p class="muted">"With:"</p>
                    <div class="site-grid devices" role="group" aria-label="Device">{devices}</div>
                    <ErrorNote error=error test_id="venipuncture-error" />
                    <div class="actions">
                        {move || another.get().then(|| view! {
                            <button class="button" type="button" on:click=move |_| another.set(false)>"Cancel"</button>
                        })}
                        <button
                            class="button primary"
                            data-testid="begin-venipuncture"
                            disabled=move || chosen.get().is_none() || site.get().is_none() || handle.save.pending().get()
                            on:click=begin
                        >
                            "Start venipuncture"
                        </button>
                    </div>
                </section>
            }
                .into_any(),
        )
    };

    let dialog = move || {
        failing.get().then(|| {
            view! {
                <div class="dialog-backdrop">
                    <section class="dialog" role="dialog" aria-modal="true" aria-labelledby="fail-title" data-testid="attempt-failed-form">
                        <h2 id="fail-title">"Attempt failed"</h2>
                        <p class="muted">"The attempt is counted in the record. Tubes already drawn stay drawn; the rest are drawn in a new venipuncture."</p>
                        <div class="field">
                            <label for="fail-note">"What happened? (optional, recorded)"</label>
                            <input id="fail-note" type="text" data-testid="attempt-failed-note"
                                prop:value=fail_note on:input=move |ev| fail_note.set(event_target_value(&ev)) />
                        </div>
                        <div class="actions">
                            <button class="button" on:click=move |_| failing.set(false)>"Cancel"</button>
                            <button class="button primary" data-testid="attempt-failed-confirm"
                                disabled=move || handle.save.pending().get() on:click=fail>
                                "Record failed attempt"
                            </button>
                        </div>
                    </section>
                </div>
            }
        })
    };

    view! {
        {panel}
        {dialog}
    }
}

/// `words` with its first letter upper-cased, for a choice standing on its own.
fn capitalised(words: &str) -> String {
    let mut chars = words.chars();
    chars
        .next()
        .map(|c| c.to_uppercase().chain(chars).collect())
        .unwrap_or_default()
}
