//! The tubes to draw, in the site's order of draw, as large cards.

use drawline_domain::collection::TubeRecord;
use drawline_domain::{CollectionError, Status};
use leptos::prelude::*;

use crate::components::collection_frame::CollectionFrame;
use crate::components::error_note::ErrorNote;
use crate::components::fasting_question::FastingQuestion;
use crate::components::last_dose_entry::LastDoseEntry;
use crate::components::next_step::NextStep;
use crate::components::tube_card::TubeCard;
use crate::components::venipuncture_panel::VenipuncturePanel;
use crate::error::AppError;
use crate::hooks::use_collection::use_collection;
use crate::hooks::use_site::use_site;
use crate::workflow::{self, DraftData, Step};

/// A timed draw outside its window, waiting for the collector's reason.
#[derive(Debug, Clone, PartialEq)]
struct WindowQuestion {
    tube: u32,
    message: String,
}

fn timing_for(data: &DraftData, tube: &TubeRecord) -> Option<String> {
    // The domain says the window in words (a trough closes at the dose).
    data.collection
        .tube_timing_words(tube, workflow::now().local().offset())
}

/// The tubes screen: tapping "Drawn" stamps the device clock; a timed draw outside its window
/// asks for a reason, which is recorded.
#[component]
pub fn Tubes() -> impl IntoView {
    let handle = use_collection(Step::Tubes);
    let site = use_site();
    let error = RwSignal::new(None::<AppError>);
    // A refused draw is said on the card that was tapped, where the collector is looking.
    let card_error = RwSignal::new(None::<(u32, String)>);
    let question = RwSignal::new(None::<WindowQuestion>);
    let reason = RwSignal::new(String::new());

    // The tube whose draw time is being corrected, and the correction form.
    let fixing = RwSignal::new(None::<u32>);
    let fix_time = RwSignal::new(String::new());
    let fix_reason = RwSignal::new(String::new());
    let fix_error = RwSignal::new(None::<AppError>);
    let open_fix = move |tube: u32, shown: String| {
        fix_time.set(shown);
        fix_reason.set(String::new());
        fix_error.set(None);
        fixing.set(Some(tube));
    };
    let save_fix = move |tube: u32| {
        let Some((mut next, collector)) = handle.edit() else {
            return;
        };
        // The domain reads the typed time and checks it (future, before the order, window).
        match next.collection.correct_draw_time_typed(
            tube,
            &fix_time.get_untracked(),
            &fix_reason.get_untracked(),
            &collector,
            workflow::now(),
        ) {
            Ok(()) => {
                fixing.set(None);
                fix_error.set(None);
                handle.commit(next, Step::Tubes);
            }
            Err(e) => fix_error.set(Some(e.into())),
        }
    };

    let draw = move |tube: u32, override_reason: Option<String>| {
        let Some((mut next, collector)) = handle.edit() else {
            return;
        };
        // The time is the device clock at the tap, never typed.
        let now = workflow::now();
        match next
            .collection
            .record_draw(tube, now, override_reason.as_deref(), &collector, now)
        {
            Ok(()) => {
                error.set(None);
                card_error.set(None);
                question.set(None);
                reason.set(String::new());
                handle.commit(next, Step::Tubes);
            }
            Err(
                e @ (CollectionError::OutsideWindow { .. } | CollectionError::NoDueTime { .. }),
            ) => {
                question.set(Some(WindowQuestion {
                    tube,
                    message: e.to_string(),
                }));
            }
            Err(e) => card_error.set(Some((tube, e.to_string()))),
        }
    };

    let cards = move || {
        let d = handle.data.get()?;
        if d.collection.identification().is_none() {
            return Some(
                view! {
                    <section class="card" data-testid="not-identified">
                        <p>"Identify the patient before drawing."</p>
                        <a class="button primary" href=Step::Identify.path(&d.id())>"Identify patient"</a>
                    </section>
                }
                    .into_any(),
            );
        }
        let busy = handle.save.pending();
        let needle = d.collection.device().display();
        // The domain refuses a draw without these; the buttons say so before the tap.
        let waiting = if d.collection.current_venipuncture().is_none() {
            Some("Record the venipuncture site first.")
        } else if d.collection.fasting().is_none()
            && (d.fasting_required || !d.collection.fasting_tests().is_empty())
        {
            Some("Ask whether the patient is fasting first.")
        } else {
            None
        };
        let cards = d
            .collection
            .tubes()
            .iter()
            .map(|t| {
                let timing = timing_for(&d, t);
                let index = t.index;
                let excepted = d.collection.tube_excepted(t);
                let corrected = d.collection.time_corrections(index).last().map(|r| r.to_string());
                let action = match (&t.drawn, excepted) {
                    (Some(drawn), _) => {
                        let shown = drawline_domain::clock_text::hm(&drawn.at.local());
                        view! {
                            <p class="drawn" data-testid=format!("drawn-at-{index}")>
                                "Drawn " {drawline_domain::clock_text::hms(&drawn.at.local())}
                            </p>
                            {corrected.map(|r| view! {
                                <p class="muted" data-testid=format!("corrected-{index}")>"Time corrected: " {r}</p>
                            })}
                            <button
                                class="button"
                                data-testid=format!("correct-time-{index}")
                                aria-label=format!("Correct the draw time of tube {index}")
                                disabled=move || busy.get()
                                on:click=move |_| open_fix(index, shown.clone())
                            >
                                "Correct time"
                            </button>
                        }
                            .into_any()
                    }
                    (None, true) => view! { <p class="badge warn">"Not collected"</p> }.into_any(),
                    (None, false) => {
                        // A drug level: the last dose is recorded before "Drawn" works.
                        let dose_missing = d.collection.last_dose_missing(t);
                        let dose = t.tube.timing.as_ref().is_some_and(|x| x.last_dose).then(|| {
                            view! { <LastDoseEntry handle=handle tube=index recorded=t.last_dose /> }
                        });
                        view! {
                            {dose}
                            <button
                                class="button primary big"
                                data-testid=format!("mark-drawn-{index}")
                                aria-label=format!("Tube {index} drawn")
                                disabled=move || busy.get() || dose_missing || waiting.is_some()
                                on:click=move |_| draw(index, None)
                            >
                                "Drawn"
                            </button>
                            {waiting.map(|w| view! { <p class="hint">{w}</p> })}
                        }
                            .into_any()
                    }
                };
                let set = t.tube.set.map(|n| {
                    let words = if n == 1 {
                        "Blood culture set 1".to_string()
                    } else {
                        format!("Blood culture set {n}: its own venipuncture, at another site")
                    };
                    view! { <p class="badge" data-testid=format!("culture-set-{index}")>{words}</p> }
                });
                let refused = move || {
                    card_error.get().filter(|(i, _)| *i == index).map(|(_, m)| view! {
                        <p class="error" role="alert" data-testid=format!("tube-error-{index}")>{m}</p>
                    })
                };
                let site = t.drawn.as_ref().and_then(|dr| dr.body_site).map(|s| view! {
                    <p class="muted" data-testid=format!("drawn-site-{index}")>{s.display()}</p>
                });
                let action = view! { {set} {action} {refused} {site} };
                let orders = d.collection.orders_for_tube(t).into_iter().cloned().collect::<Vec<_>>();
                view! { <TubeCard tube=t.clone() timing=timing.unwrap_or_default() orders=orders>{action}</TubeCard> }
            })
            .collect_view();
        let ready = d.collection.status() >= Status::TubesDrawn;
        let next = d.clone();
        let id = d.id();
        Some(
            view! {
                <FastingQuestion handle=handle step=Step::Tubes />
                <VenipuncturePanel handle=handle site=site />
                <p class="muted">
                    "Planned for a " {needle} ". Draw in this order; invert each tube gently right after drawing."
                </p>
                <div class="tube-list" data-testid="tube-list">{cards}</div>
                <div class="next-row">
                    <NextStep handle=handle data=next step=Step::Label ready=ready test_id="go-label">
                        "Next: label tubes"
                    </NextStep>
                    {(!ready).then(|| view! { <p class="hint">"Mark every tube drawn, or record a test as not collected."</p> })}
                </div>
                <p class="secondary-links">
                    <a href=Step::Exceptions.path(&id) data-testid="go-exceptions">"Cannot collect a test? Record not collected"</a>
                </p>
            }
                .into_any(),
        )
    };

    let ask = move || {
        question.get().map(|q| {
            let tube = q.tube;
            view! {
                <div class="dialog-backdrop">
                    <section class="dialog" role="alertdialog" aria-modal="true" aria-labelledby="window-title" data-testid="window-question">
                        <h2 id="window-title">"Outside the timed window"</h2>
                        <p class="notice">{q.message}</p>
                        <div class="field">
                            <label for="window-reason">"Why draw now? (recorded)"</label>
                            <input id="window-reason" type="text" data-testid="window-reason"
                                prop:value=reason on:input=move |ev| reason.set(event_target_value(&ev)) />
                        </div>
                        <div class="actions">
                            <button class="button" on:click=move |_| question.set(None)>"Cancel"</button>
                            <button
                                class="button primary"
                                data-testid="window-confirm"
                                disabled=move || reason.get().trim().is_empty()
                                on:click=move |_| draw(tube, Some(reason.get_untracked()))
                            >
                                "Drawn, with this reason"
                            </button>
                        </div>
                    </section>
                </div>
            }
        })
    };

    let fix_form = move || {
        fixing.get().map(|tube| {
            view! {
                <div class="dialog-backdrop">
                    <section class="dialog" role="dialog" aria-modal="true" aria-labelledby="fix-title" data-testid="correct-time-form">
                        <h2 id="fix-title">{format!("Correct the draw time of tube {tube}")}</h2>
                        <p class="muted">"The time the tube was really drawn, on the same day. The reason is kept in the record and shown to the lab."</p>
                        <ErrorNote error=fix_error test_id="correct-time-error" />
                        <div class="field">
                            <label for="fix-time">"Drawn at (HH:MM, 24-hour)"</label>
                            <input id="fix-time" type="text" inputmode="numeric" autocomplete="off" data-testid="correct-time-value"
                                prop:value=fix_time on:input=move |ev| fix_time.set(event_target_value(&ev)) />
                        </div>
                        <div class="field">
                            <label for="fix-reason">"Why is the time corrected? (recorded)"</label>
                            <input id="fix-reason" type="text" data-testid="correct-time-reason"
                                prop:value=fix_reason on:input=move |ev| fix_reason.set(event_target_value(&ev)) />
                        </div>
                        <div class="actions">
                            <button class="button" data-testid="correct-time-cancel" on:click=move |_| fixing.set(None)>"Cancel"</button>
                            <button
                                class="button primary"
                                data-testid="correct-time-save"
                                disabled=move || fix_reason.get().trim().is_empty() || handle.save.pending().get()
                                on:click=move |_| save_fix(tube)
                            >
                                "Save corrected time"
                            </button>
                        </div>
                    </section>
                </div>
            }
        })
    };

    view! {
        <CollectionFrame handle=handle step=Step::Tubes>
            <ErrorNote error=error test_id="tube-error" />
            {cards}
        </CollectionFrame>
        {ask}
        {fix_form}
    }
}
