//! Unfinished collections on this tablet, most recent first, each resumed where it was left.

use leptos::prelude::*;

use crate::components::error_note::ErrorNote;
use crate::components::screen::{Screen, TitleActions};
use crate::context::{Auth, DeviceDb, Revision};
use crate::error::AppError;
use crate::round;

/// The drafts screen.
#[component]
pub fn Drafts() -> impl IntoView {
    let db = DeviceDb::expect();
    let revision = Revision::expect();
    let auth = Auth::expect();
    // Another collector's draft shows no patient until someone chooses to take it over.
    let taken_over = RwSignal::new(std::collections::HashSet::<String>::new());
    let drafts = LocalResource::new(move || {
        revision.track();
        async move { round::load_drafts(&db.0.await?).await }
    });
    let list = move || {
        drafts.get().map(|res| match res {
            Err(e) => view! { <ErrorNote error=AppError::from(e) /> }.into_any(),
            Ok(list) if list.is_empty() => view! {
                <section class="card" data-testid="no-drafts">
                    <p>"No unfinished collections on this tablet."</p>
                    <a class="button primary" href="/draws">"Go to the draw list"</a>
                </section>
            }
                .into_any(),
            Ok(list) => list
                .into_iter()
                .map(|(d, step, saved)| {
                    let mine = auth
                        .collector()
                        .is_none_or(|me| me.id == d.collector.id);
                    let id = d.id();
                    if !mine && !taken_over.with(|t| t.contains(&id)) {
                        let by = d.collector.display_name.clone();
                        return view! {
                            <article class="patient-card" data-testid="draft-card-other">
                                <div class="patient-main">
                                    <h3 class="patient-name">"Unfinished collection by " {by}</h3>
                                    <p class="muted">"Left at: " <strong>{step.title()}</strong></p>
                                </div>
                                <div class="patient-action">
                                    <button
                                        type="button"
                                        class="button"
                                        data-testid="take-over"
                                        on:click=move |_| taken_over.update(|t| { t.insert(id.clone()); })
                                    >
                                        "Take over"
                                    </button>
                                </div>
                            </article>
                        }
                        .into_any();
                    }
                    let who = d.collection.patient().identity.clone();
                    let saved = chrono::DateTime::parse_from_rfc3339(&saved)
                        .map(|t| drawline_domain::clock_text::hm(&t.with_timezone(&chrono::Local)))
                        .unwrap_or(saved);
                    let tests = d
                        .collection
                        .orders()
                        .iter()
                        .map(|o| o.test.to_string())
                        .collect::<Vec<_>>()
                        .join(", ");
                    let correction = d.collection.supersedes().map(|sup| {
                        format!(
                            "Correction of finalized version {}: {}",
                            sup.version,
                            d.collection.change_reason().unwrap_or("no reason recorded")
                        )
                    });
                    view! {
                        <article class="patient-card" data-testid="draft-card">
                            <div class="patient-main">
                                <h3 class="patient-name">{who.name.display_full()}</h3>
                                <p class="patient-ids">"MRN " {who.mrn.to_string()} " · " {tests}</p>
                                {correction.map(|c| view! { <p class="badge warn" data-testid="draft-correction">{c}</p> })}
                                <p class="muted">"Left at: " <strong>{step.title()}</strong> " · saved " {saved} " by " {d.collector.display_name.clone()}</p>
                            </div>
                            <div class="patient-action">
                                <a class="button primary" href=step.path(&d.id()) data-testid=format!("resume-{}", who.mrn)>
                                    "Resume"
                                </a>
                            </div>
                        </article>
                    }
                    .into_any()
                })
                .collect_view()
                .into_any(),
        })
    };
    view! {
        <Screen title="Unfinished collections" test_id="drafts">
            <TitleActions slot>
                <a class="button" href="/draws">"Draw list"</a>
            </TitleActions>
            <Transition fallback=|| view! { <p class="muted">"Reading drafts…"</p> }>{list}</Transition>
            <p class="secondary-links">
                <a href="/sync" data-testid="amend-finalized">"Correct or void a finalized collection (sync screen)"</a>
            </p>
        </Screen>
    }
}
