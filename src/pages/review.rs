//! Review and finalize: the whole collection on one screen.

use leptos::prelude::*;

use crate::components::collection_frame::CollectionFrame;
use crate::components::error_note::{failure_of, ErrorNote};
use crate::components::fasting_question::FastingQuestion;
use crate::components::second_scan::SecondScan;
use crate::context::{DeviceDb, Revision};
use crate::error::AppError;
use crate::hooks::use_collection::use_collection;
use crate::sync::runner::SyncRunner;
use crate::workflow::{self, Step};

/// ` at <site>` of a draw, when the site was recorded.
fn site_of(draw: &drawline_domain::collection::Draw) -> String {
    draw.body_site
        .map(|s| format!(" at {}", s.display()))
        .unwrap_or_default()
}

/// The review screen: finalizing locks the collection and moves it from the drafts to the outbox
/// in one transaction.
#[component]
pub fn Review() -> impl IntoView {
    let handle = use_collection(Step::Review);
    let db = DeviceDb::expect();
    let revision = Revision::expect();
    let error = RwSignal::new(None::<AppError>);

    let finalize = Action::new_local(
        move |(draft_id, item): &(String, crate::storage::OutboxItem)| {
            let (draft_id, item) = (draft_id.clone(), item.clone());
            async move {
                let store = db.0.await?;
                store.finalize(&draft_id, &item).await?;
                Ok::<_, AppError>(())
            }
        },
    );
    let runner: SyncRunner = expect_context();
    Effect::new(move |_| {
        if let Some(Ok(())) = finalize.value().get() {
            revision.bump();
            // Safe in the outbox: send it now if there is a connection.
            runner.kick();
        }
    });

    let do_finalize = move |_| {
        let Some((data, collector)) = handle.edit() else {
            return;
        };
        match data.collection.finalize(&collector, workflow::now()) {
            Ok(f) => {
                error.set(None);
                finalize.dispatch((data.id(), workflow::outbox_item(&f)));
            }
            Err(e) => error.set(Some(e.into())),
        }
    };

    let body = move || {
        let d = handle.data.get()?;
        if let Some(Ok(())) = finalize.value().get() {
            return Some(
                view! {
                    <section class="card ok-card" data-testid="finalized">
                        <h2>"Finalized"</h2>
                        <p>"The collection is locked and waiting to sync. It is safe on this tablet until the lab confirms it."</p>
                        <a class="button primary wide" href="/draws" data-testid="back-to-list">"Back to the draw list"</a>
                    </section>
                }
                    .into_any(),
            );
        }
        let c = &d.collection;
        let ident = match c.identification() {
            Some(i) => format!(
                "Identified by {} ({})",
                i.method.display(),
                i.matched
                    .iter()
                    .map(|m| m.kind.to_string())
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
            None => "Not identified".to_string(),
        };
        let tubes = c
            .tubes()
            .iter()
            .map(|t| {
                let state = match (&t.drawn, &t.accession) {
                    _ if t.tube.discard && t.drawn.is_some() => "discard tube drawn".to_string(),
                    (Some(dr), Some(a)) => format!("drawn {}{} · label {a}", drawline_domain::clock_text::hm(&dr.at.local()), site_of(dr)),
                    (Some(dr), None) => format!("drawn {}{} · not labelled", drawline_domain::clock_text::hm(&dr.at.local()), site_of(dr)),
                    (None, _) => "not drawn".to_string(),
                };
                let corrections = c.time_corrections(t.index);
                let corrected = (!corrections.is_empty()).then(|| {
                    view! {
                        <span class="muted" data-testid=format!("review-time-corrected-{}", t.index)>
                            " · time corrected: " {corrections.join("; ")}
                        </span>
                    }
                });
                view! {
                    <tr>
                        <td>{t.index}</td>
                        <td>{t.tube.cap.clone()}</td>
                        <td>{t.tube.tests.iter().map(|x| x.to_string()).collect::<Vec<_>>().join(", ")}</td>
                        <td>{state}{corrected}</td>
                    </tr>
                }
            })
            .collect_view();
        let exceptions = c
            .not_collected()
            .iter()
            .map(|n| {
                let what = n.scope.display();
                view! { <li>{what} ": " {n.reason.display()} {n.note.clone().map(|x| format!(" — {x}"))}</li> }
            })
            .collect_view();
        let unfinished = c.unfinished_tests();
        Some(
            view! {
                {c.supersedes().map(|sup| view! {
                    <p class="notice" data-testid="review-correction">
                        {format!(
                            "Correction of finalized version {}: {}. Finalizing sends it as version {}.",
                            sup.version,
                            c.change_reason().unwrap_or("no reason recorded"),
                            c.version()
                        )}
                    </p>
                })}
                <section class="card">
                    <p data-testid="review-identification">{ident}</p>
                    {(c.attempts() > 1).then(|| view! {
                        <p class="muted" data-testid="review-attempts">
                            {format!("{} venipuncture attempts, {} failed", c.attempts(), c.failed_attempts())}
                        </p>
                    })}
                    <table class="summary">
                        <thead><tr><th scope="col">"#"</th><th scope="col">"Cap"</th><th scope="col">"Tests"</th><th scope="col">"State"</th></tr></thead>
                        <tbody>{tubes}</tbody>
                    </table>
                    {(!c.not_collected().is_empty()).then(|| view! { <h2>"Not collected"</h2><ul>{exceptions}</ul> })}
                    {(!unfinished.is_empty()).then(|| view! {
                        <p class="notice" data-testid="unfinished">
                            "Still open: " {unfinished.iter().map(|t| t.to_string()).collect::<Vec<_>>().join(", ")}
                            ". Draw and label them, or record them as not collected."
                        </p>
                    })}
                </section>
                <FastingQuestion handle=handle step=Step::Review />
            }
                .into_any(),
        )
    };

    // After the second wristband scan (when the site asks for one), so it is done first.
    let actions = move || {
        if let Some(Ok(())) = finalize.value().get() {
            return None;
        }
        let id = handle.data.with(|d| d.as_ref().map(|d| d.id()))?;
        Some(view! {
            <button
                class="button primary wide"
                data-testid="finalize"
                disabled=move || finalize.pending().get() || handle.save.pending().get()
                on:click=do_finalize
            >
                {move || if finalize.pending().get() { "Finalizing…" } else { "Finalize and lock" }}
            </button>
            <p class="secondary-links">
                <a href=Step::Exceptions.path(&id)>"Record a test as not collected"</a>
            </p>
        })
    };

    // A refusal to finalize is about the record as it was: once it changes, it may no longer hold.
    Effect::new(move |_| {
        handle.data.track();
        error.set(None);
    });

    view! {
        <CollectionFrame handle=handle step=Step::Review>
            <ErrorNote error=error test_id="finalize-error" />
            <ErrorNote error=failure_of(finalize) />
            {body}
            <SecondScan handle=handle />
            {actions}
        </CollectionFrame>
    }
}
