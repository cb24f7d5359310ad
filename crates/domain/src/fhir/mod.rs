//! FHIR R4 mapping: Patient + ServiceRequest bundles (with Flag and AllergyIntolerance alerts) in as orders, finalized collections out as Specimen and Task.

mod alerts;
mod bundle;
mod check;
mod error;
mod export;
mod read;

pub use alerts::{alert_from_fhir, FhirAlert, ALERT_RESOURCES};
pub use bundle::{
    orders_from_bundle, read_bundle, BundleEntries, BundleOrder, BundleProblem, EntryProblem,
    ImportedOrders, NotABundle,
};
pub use check::{check_resource, is_fhir_datetime};
pub use error::FhirError;
pub use export::{collection_bundle, not_collected_tasks, specimens, FhirExport};
pub use read::{order_from_fhir, patient_from_fhir, specimen_accession};

#[cfg(test)]
mod tests;
