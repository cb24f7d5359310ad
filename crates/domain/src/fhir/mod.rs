//! FHIR R4 mapping: Patient + ServiceRequest bundles in as orders, finalized collections out as Specimen and Task.

mod bundle;
mod check;
mod error;
mod export;
mod read;

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
