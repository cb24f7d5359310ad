//! A bedside tube label as it will print on a 2 x 1 inch label.

use drawline_domain::LabelContent;
use leptos::prelude::*;

use crate::components::barcode::Barcode;

/// The label of one tube: name, second identifier, barcode, tube, collection time, collector,
/// timing and handling; the same markup is what the print stylesheet sizes to 2 x 1 inch.
#[component]
pub fn LabelPreview(
    /// What the label says (from the domain's `label_for`).
    content: LabelContent,
    /// How the collector is printed (their sign-in name: shorter than the recorded id).
    collector: String,
) -> impl IntoView {
    let ids = content.identifier_line();
    let flags = [
        content.blood_bank.then(|| "BLOOD BANK".to_string()),
        content.timing_label.clone(),
        content.handling.clone(),
    ]
    .into_iter()
    .flatten()
    .collect::<Vec<_>>()
    .join(" · ");
    view! {
        <figure class="label" data-testid="label-preview" data-accession=content.accession.clone()>
            <p class="label-name">{content.patient_name.clone()}</p>
            <p class="label-ids">{ids}</p>
            <Barcode value=content.accession.clone() />
            <p class="label-accession">{content.accession.clone()}</p>
            <p class="label-tube">{content.tube.clone()} " · " {content.tests.join(" ")}</p>
            <p class="label-time">
                {content.collected_local.clone()} " · " {collector}
            </p>
            {(!flags.is_empty()).then(|| view! { <p class="label-flags">{flags}</p> })}
        </figure>
    }
}
