//! Who this collection is for: full name, date of birth, MRN, and where to find them.

use leptos::prelude::*;

use crate::workflow::DraftData;

/// The patient of the collection; the location is labelled as never being an identifier.
#[component]
pub fn PatientBanner(
    /// The draft being collected.
    data: DraftData,
) -> impl IntoView {
    let identity = data.collection.patient().identity.clone();
    let identified = data.collection.identification().is_some();
    view! {
        <section class="patient-banner" aria-label="Patient">
            <div>
                <p class="patient-name" data-testid="patient-name">{identity.name.display_full()}</p>
                <p class="patient-ids">
                    "DOB " <strong>{drawline_domain::clock_text::ymd(&identity.birth_date)}</strong>
                    " · MRN " <strong>{identity.mrn.to_string()}</strong>
                </p>
                {data.location.clone().map(|l| view! { <p class="muted">{l} " (location, not an identifier)"</p> })}
            </div>
            <span
                class=if identified { "badge ok" } else { "badge warn" }
                data-testid="identified-badge"
            >
                {if identified { "Identified" } else { "Not identified" }}
            </span>
        </section>
    }
}
