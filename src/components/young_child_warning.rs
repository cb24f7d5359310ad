//! The warning that Drawline does not support capillary and paediatric collection, for patients under 2.

use chrono::NaiveDate;
use drawline_domain::identification::{is_under_two, YOUNG_CHILD_WARNING};
use leptos::prelude::*;

/// A warning card for a patient under 2 years old today (the tablet's local date); nothing for
/// anyone older.
#[component]
pub fn YoungChildWarning(
    /// The patient's date of birth.
    birth_date: NaiveDate,
) -> impl IntoView {
    let today = chrono::Local::now().date_naive();
    is_under_two(birth_date, today).then(|| {
        view! {
            <section class="card warn-card young-child" role="alert" data-testid="young-child-warning">
                <h2>"Young child: under 2 years old"</h2>
                <p class="strong">{YOUNG_CHILD_WARNING} "."</p>
                <p class="hint">
                    "Drawline plans venipuncture in adults. Capillary collection uses another order of draw (EDTA first) and microtainers."
                </p>
            </section>
        }
    })
}
