//! Not collected: one order or the whole visit ends with a coded reason and an optional note.

use drawline_domain::{NotCollectedReason, OrderId, Scope};
use leptos::prelude::*;

use crate::components::collection_frame::CollectionFrame;
use crate::components::error_note::ErrorNote;
use crate::error::AppError;
use crate::hooks::use_collection::use_collection;
use crate::hooks::use_site::use_site;
use crate::workflow::{self, Step};

const REASONS: &[NotCollectedReason] = NotCollectedReason::ALL;

const VISIT: &str = "visit";

/// The exceptions screen.
#[component]
pub fn Exceptions() -> impl IntoView {
    let handle = use_collection(Step::Exceptions);
    let site = use_site();
    let scope = RwSignal::new(VISIT.to_string());
    let reason = RwSignal::new(String::new());
    let note = RwSignal::new(String::new());
    let error = RwSignal::new(None::<AppError>);

    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let Some((mut next, collector)) = handle.edit() else {
            return;
        };
        let Some(reason) = REASONS
            .iter()
            .find(|r| r.code() == reason.get_untracked())
            .copied()
        else {
            error.set(Some("Choose a reason.".into()));
            return;
        };
        let Some(config) = site.get_untracked() else {
            return;
        };
        let s = scope.get_untracked();
        let chosen = if s == VISIT {
            Scope::Visit
        } else {
            match OrderId::parse(&s) {
                Ok(id) => Scope::Order(id),
                Err(e) => {
                    error.set(Some(e.to_string().into()));
                    return;
                }
            }
        };
        let n = note.get_untracked();
        let whole_visit = chosen == Scope::Visit;
        // Recorded and planned again in one save: what is left to draw (and its discard tube)
        // follows the exception at once.
        match next.collection.except(
            chosen,
            reason,
            Some(n.as_str()),
            &config,
            &collector,
            workflow::now(),
        ) {
            Ok(()) => {
                error.set(None);
                let back = if whole_visit || next.collection.identification().is_none() {
                    Step::Review
                } else {
                    Step::Tubes
                };
                handle.commit_and_go(next, back);
            }
            Err(e) => error.set(Some(e.into())),
        }
    };

    let body = move || {
        let d = handle.data.get()?;
        let orders = d.collection.orders();
        // Two orders of one test (serial troponins, two culture sets) are told apart by their
        // due time and id; each can be marked on its own.
        let choices: Vec<(String, String)> = orders
            .iter()
            .filter(|o| d.collection.exception_for_order(o).is_none())
            .map(|o| {
                let twice = orders.iter().filter(|p| p.test == o.test).count() > 1;
                let mut words = format!("Test {}", o.test);
                if let Some(due) = o.due_at {
                    words.push_str(&format!(
                        ", due {}",
                        drawline_domain::clock_text::hm(&due.with_timezone(&chrono::Local))
                    ));
                }
                if twice {
                    words.push_str(&format!(" (order {})", o.id));
                }
                (o.id.to_string(), words)
            })
            .collect();
        let recorded = d
            .collection
            .not_collected()
            .iter()
            .map(|n| {
                let what = match &n.scope {
                    Scope::Visit => "Whole visit".to_string(),
                    Scope::Test(t) => format!("Test {t}"),
                    Scope::Order(o) => format!("Order {o}"),
                };
                view! {
                    <li data-testid="exception-recorded">
                        <strong>{what}</strong> ": " {n.reason.display()}
                        {n.note.clone().map(|x| format!(" — {x}"))}
                    </li>
                }
            })
            .collect_view();
        let any = !d.collection.not_collected().is_empty();
        let back = if d.collection.identification().is_some() {
            Step::Tubes
        } else {
            Step::Identify
        };
        let id = d.id();
        Some(view! {
            {any.then(|| view! {
                <section class="card">
                    <h2>"Recorded"</h2>
                    <ul>{recorded}</ul>
                </section>
            })}
            <form class="card" on:submit=submit>
                <div class="field">
                    <label for="exception-scope">"What was not collected"</label>
                    <select id="exception-scope" data-testid="exception-scope"
                        on:change=move |ev| scope.set(event_target_value(&ev)) prop:value=scope>
                        <option value=VISIT>"The whole visit (every test)"</option>
                        {choices.into_iter().map(|(id, words)| {
                            view! { <option value=id>{words}</option> }
                        }).collect_view()}
                    </select>
                </div>
                <fieldset class="field reasons">
                    <legend>"Reason"</legend>
                    {REASONS.iter().map(|r| {
                        let code = r.code();
                        let id = format!("reason-{code}");
                        let for_id = id.clone();
                        view! {
                            <label class="choice" for=for_id>
                                <input type="radio" name="reason" id=id value=code data-testid=format!("reason-{code}")
                                    prop:checked=move || reason.get() == code
                                    on:change=move |_| reason.set(code.to_string()) />
                                {r.display()}
                            </label>
                        }
                    }).collect_view()}
                </fieldset>
                <div class="field">
                    <label for="exception-note">"Note (e.g. attempts made, where the patient is)"</label>
                    <textarea id="exception-note" rows="3" data-testid="exception-note"
                        prop:value=note on:input=move |ev| note.set(event_target_value(&ev))></textarea>
                </div>
                <button class="button primary wide" type="submit" data-testid="exception-submit">"Record not collected"</button>
                <ErrorNote error=error />
            </form>
            <p class="secondary-links">
                <a href=back.path(&id)>"Back without recording"</a>
            </p>
        })
    };

    view! {
        <CollectionFrame handle=handle step=Step::Exceptions>
            {body}
        </CollectionFrame>
    }
}
