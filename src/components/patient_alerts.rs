//! `PatientAlerts`: the patient's alerts (arm restrictions, allergies, isolation, bleeding risk) in words, on every collection step.

use drawline_domain::collection::{alerts_for_display, PatientAlert};
use leptos::prelude::*;

/// The patient's alerts as a boxed list under the patient banner, arm restrictions and allergies
/// first (the domain's display order). Each alert says its kind in words (an arm restriction its
/// side too), so nothing depends on colour or an icon. Nothing is shown when there are none.
#[component]
pub fn PatientAlerts(
    /// The patient's alerts, as the collection holds them.
    alerts: Vec<PatientAlert>,
) -> impl IntoView {
    if alerts.is_empty() {
        return ().into_any();
    }
    let title = match alerts.len() {
        1 => "Patient alert".to_owned(),
        n => format!("Patient alerts ({n})"),
    };
    let items = alerts_for_display(&alerts)
        .into_iter()
        .map(|a| {
            view! {
                <li class="patient-alert" data-testid="patient-alert" data-kind=a.kind.as_str()>
                    <strong class="alert-heading">{a.heading()} ": "</strong>
                    <span class="alert-text">{a.text.clone()}</span>
                </li>
            }
        })
        .collect_view();
    view! {
        <section class="patient-alerts" aria-label="Patient alerts" data-testid="patient-alerts">
            <h2 class="patient-alerts-title">{title}</h2>
            <ul>{items}</ul>
        </section>
    }
    .into_any()
}
