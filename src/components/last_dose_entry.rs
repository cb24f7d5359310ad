//! The last-dose time of a drug level (trough, peak), typed as HH:MM on the tube card before the tube is marked drawn.

use chrono::{DateTime, Utc};
use leptos::prelude::*;

use crate::components::error_note::ErrorNote;
use crate::error::AppError;
use crate::hooks::use_collection::CollectionHandle;
use crate::workflow::{self, Step};

/// The last dose of tube `tube`: when `recorded`, the time given; otherwise a field for the time
/// of day (read by the domain as a draw-time correction is: today, or last night when that time
/// is still to come) and the button that records it.
#[component]
pub fn LastDoseEntry(
    /// The collection being edited.
    handle: CollectionHandle,
    /// Tube index.
    tube: u32,
    /// The last dose already recorded.
    recorded: Option<DateTime<Utc>>,
) -> impl IntoView {
    let typed = RwSignal::new(String::new());
    let error = RwSignal::new(None::<AppError>);
    let save = move || {
        let Some((mut next, by)) = handle.edit() else {
            return;
        };
        match next.collection.record_last_dose_typed(
            tube,
            &typed.get_untracked(),
            &by,
            workflow::now(),
        ) {
            Ok(()) => {
                error.set(None);
                handle.commit(next, Step::Tubes);
            }
            Err(e) => error.set(Some(e.into())),
        }
    };
    if let Some(at) = recorded {
        let local = at.with_timezone(&chrono::Local);
        let text = format!(
            "Last dose given {} {}",
            drawline_domain::clock_text::ymd(&local),
            drawline_domain::clock_text::hm(&local)
        );
        return view! { <p class="last-dose-at" data-testid=format!("last-dose-at-{tube}")>{text}</p> }
            .into_any();
    }
    let id = format!("last-dose-{tube}");
    view! {
        <div class="last-dose" data-testid=format!("last-dose-{tube}")>
            <ErrorNote error=error test_id="last-dose-error" />
            <label for=id.clone()>"Last dose given at (HH:MM, 24-hour)"</label>
            <div class="last-dose-row">
                <input id=id type="text" inputmode="numeric" autocomplete="off" data-testid=format!("last-dose-value-{tube}")
                    prop:value=typed on:input=move |ev| typed.set(event_target_value(&ev)) />
                <button
                    class="button"
                    data-testid=format!("last-dose-save-{tube}")
                    disabled=move || typed.get().trim().is_empty() || handle.busy()
                    on:click=move |_| save()
                >
                    "Record last dose"
                </button>
            </div>
        </div>
    }
    .into_any()
}
