//! Bundles of Patient and ServiceRequest resources (and the patients' Flags and allergies) read as orders: entry by entry, or all or nothing.

use chrono::{DateTime, Utc};
use serde_json::Value;

use super::alerts::{alert_from_fhir, ALERT_RESOURCES};
use super::error::FhirError;
use super::read::{
    array_at, label, order_from_fhir, patient_from_fhir, specimen_accession, str_at,
};
use crate::catalog::Catalog;
use crate::collection::{merge_alerts, AccessionNumber, Order, Patient, PatientId};

/// Patients and orders read from a bundle.
#[derive(Debug, Clone, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
pub struct ImportedOrders {
    /// Patients, in bundle order.
    pub patients: Vec<Patient>,
    /// Active orders, in bundle order.
    pub orders: Vec<Order>,
    /// ServiceRequests skipped because they are not active (id and status).
    pub skipped: Vec<String>,
}

/// JSON that is not a FHIR Bundle at all: the resource type found instead.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("expected a FHIR Bundle, found {0}")]
pub struct NotABundle(pub String);

impl From<NotABundle> for FhirError {
    fn from(e: NotABundle) -> Self {
        FhirError::NotABundle(e.0)
    }
}

/// Why one entry of a bundle was not read as an order or a patient.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EntryProblem {
    /// The entry has no `resource`.
    #[error("the entry has no resource")]
    NoResource,
    /// A resource other than Patient or ServiceRequest (its type; empty when it has none).
    #[error("{}: only Patient, ServiceRequest, Specimen, Flag and AllergyIntolerance resources are imported", shown_type(.0))]
    Unsupported(String),
    /// A ServiceRequest that is not `active`.
    #[error("ServiceRequest status is '{status}'; only active requests are imported")]
    NotActive {
        /// `ServiceRequest/id`.
        resource: String,
        /// Its status.
        status: String,
    },
    /// A ServiceRequest without `subject.reference`.
    #[error("ServiceRequest.subject.reference is missing")]
    NoSubject {
        /// `ServiceRequest/id`.
        resource: String,
    },
    /// A ServiceRequest whose subject is not a Patient of the bundle.
    #[error("subject '{reference}' is not a Patient in this bundle")]
    UnknownSubject {
        /// `ServiceRequest/id`.
        resource: String,
        /// The reference.
        reference: String,
    },
    /// A Flag or AllergyIntolerance about a patient who is not in the bundle: its alert
    /// would be lost, so it is reported.
    #[error(
        "{resource}: '{reference}' is not a Patient in this bundle, so its alert is not imported"
    )]
    UnknownAlertSubject {
        /// `Flag/id` or `AllergyIntolerance/id`.
        resource: String,
        /// The patient reference.
        reference: String,
    },
    /// A ServiceRequest whose Patient entry could not be read.
    #[error("subject '{reference}' was rejected, so its order or alert is too")]
    SubjectRejected {
        /// The reference.
        reference: String,
    },
    /// A Patient or ServiceRequest that cannot be read.
    #[error(transparent)]
    Invalid(FhirError),
}

fn shown_type(kind: &str) -> &str {
    if kind.is_empty() {
        "no resourceType"
    } else {
        kind
    }
}

/// A problem and the index of its entry in `Bundle.entry`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BundleProblem {
    /// Index in `Bundle.entry`.
    pub entry: usize,
    /// What is wrong.
    pub problem: EntryProblem,
}

/// An active order read from a bundle, with its patient and the request's free texts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BundleOrder {
    /// Index in `Bundle.entry` of the ServiceRequest.
    pub entry: usize,
    /// The patient it is for.
    pub patient: Patient,
    /// The order.
    pub order: Order,
    /// `locationCode[0].text`: where the patient is.
    pub location: Option<String>,
}

/// A bundle read entry by entry.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct BundleEntries {
    /// Patients read, in bundle order.
    pub patients: Vec<Patient>,
    /// Active orders read, in bundle order.
    pub orders: Vec<BundleOrder>,
    /// Entries not read: the Patients' first, then the rest, each in bundle order.
    pub problems: Vec<BundleProblem>,
    /// Patients of the bundle with a Flag or AllergyIntolerance that could not be read: their
    /// alerts here are not the whole story, so an import adds them to what it holds rather
    /// than replacing it.
    pub unread_alerts: Vec<PatientId>,
}

/// A Patient entry, and how ServiceRequests may refer to it.
struct KnownPatient {
    full_url: Option<String>,
    relative: String,
    /// `None` when the Patient could not be read.
    patient: Option<Patient>,
}

impl KnownPatient {
    /// Resolves both relative (`Patient/id`) and `urn:uuid:` / absolute references.
    fn is(&self, reference: &str) -> bool {
        self.full_url.as_deref() == Some(reference)
            || self.relative == reference
            || self
                .full_url
                .as_deref()
                .is_some_and(|f| f.ends_with(&format!("/{reference}")))
    }
}

fn text_at(resource: &Value, pointer: &str) -> Option<String> {
    resource
        .pointer(pointer)
        .and_then(Value::as_str)
        .map(str::to_owned)
}

/// Reads a Bundle (any bundle type) entry by entry: an entry that cannot be read is reported
/// with its index and the others are still read. `received_at` stands in for a missing
/// `authoredOn`.
pub fn read_bundle(
    bundle: &Value,
    catalog: &Catalog,
    received_at: DateTime<Utc>,
) -> Result<BundleEntries, NotABundle> {
    let kind = str_at(bundle, &["resourceType"]).unwrap_or("no resourceType");
    if kind != "Bundle" {
        return Err(NotABundle(kind.into()));
    }
    let entries = array_at(bundle, &["entry"]);
    let mut out = BundleEntries::default();
    let mut problem = |entry: usize, problem: EntryProblem| {
        out.problems.push(BundleProblem { entry, problem });
    };
    let mut known: Vec<KnownPatient> = Vec::new();
    for (i, e) in entries.iter().enumerate() {
        let Some(r) = e.get("resource") else {
            problem(i, EntryProblem::NoResource);
            continue;
        };
        if str_at(r, &["resourceType"]) != Some("Patient") {
            continue;
        }
        let full_url = str_at(e, &["fullUrl"]).map(str::to_owned);
        let fallback = full_url
            .as_deref()
            .and_then(|u| u.strip_prefix("urn:uuid:"));
        let id = str_at(r, &["id"]).or(fallback).unwrap_or("");
        let relative = format!("Patient/{id}");
        let patient = match patient_from_fhir(r, fallback) {
            Ok(p) => Some(p),
            Err(err) => {
                // Kept, so its ServiceRequests are reported as such rather than as dangling references.
                problem(i, EntryProblem::Invalid(err));
                None
            }
        };
        known.push(KnownPatient {
            full_url,
            relative,
            patient,
        });
    }
    // Specimens with an accession number, by the requests they name, given to those orders.
    let mut specimens: Vec<(AccessionNumber, Vec<String>)> = Vec::new();
    for (i, e) in entries.iter().enumerate() {
        let Some(r) = e.get("resource") else { continue };
        if str_at(r, &["resourceType"]) != Some("Specimen") {
            continue;
        }
        match specimen_accession(r) {
            Ok(Some(s)) => specimens.push(s),
            Ok(None) => {}
            Err(err) => problem(i, EntryProblem::Invalid(err)),
        }
    }
    // Flags and allergies become their patient's alerts before the orders copy the patient.
    let mut unread_alerts: Vec<PatientId> = Vec::new();
    for (i, e) in entries.iter().enumerate() {
        let Some(r) = e.get("resource") else { continue };
        if !str_at(r, &["resourceType"]).is_some_and(|t| ALERT_RESOURCES.contains(&t)) {
            continue;
        }
        let read = match alert_from_fhir(r) {
            Ok(Some(read)) => read,
            Ok(None) => continue,
            Err(err) => {
                problem(i, EntryProblem::Invalid(err));
                let about = str_at(r, &["subject", "reference"])
                    .or_else(|| str_at(r, &["patient", "reference"]));
                let patient = about.and_then(|a| known.iter().find(|p| p.is(a)));
                if let Some(p) = patient.and_then(|p| p.patient.as_ref()) {
                    unread_alerts.push(p.id.clone());
                }
                continue;
            }
        };
        match known.iter_mut().find(|p| p.is(&read.reference)) {
            None => problem(
                i,
                EntryProblem::UnknownAlertSubject {
                    resource: label(r),
                    reference: read.reference,
                },
            ),
            Some(KnownPatient { patient: None, .. }) => problem(
                i,
                EntryProblem::SubjectRejected {
                    reference: read.reference,
                },
            ),
            Some(KnownPatient {
                patient: Some(p), ..
            }) => merge_alerts(&mut p.alerts, [read.alert]),
        }
    }
    let mut orders = Vec::new();
    for (i, e) in entries.iter().enumerate() {
        let Some(r) = e.get("resource") else { continue };
        match str_at(r, &["resourceType"]).unwrap_or("") {
            "Patient" | "Specimen" | "Flag" | "AllergyIntolerance" => continue,
            "ServiceRequest" => {}
            other => {
                problem(i, EntryProblem::Unsupported(other.into()));
                continue;
            }
        }
        let status = str_at(r, &["status"]).unwrap_or("unknown");
        if status != "active" {
            problem(
                i,
                EntryProblem::NotActive {
                    resource: label(r),
                    status: status.into(),
                },
            );
            continue;
        }
        let Some(reference) = str_at(r, &["subject", "reference"]) else {
            problem(i, EntryProblem::NoSubject { resource: label(r) });
            continue;
        };
        let Some(subject) = known.iter().find(|p| p.is(reference)) else {
            problem(
                i,
                EntryProblem::UnknownSubject {
                    resource: label(r),
                    reference: reference.into(),
                },
            );
            continue;
        };
        let Some(patient) = &subject.patient else {
            problem(
                i,
                EntryProblem::SubjectRejected {
                    reference: reference.into(),
                },
            );
            continue;
        };
        match order_from_fhir(r, &patient.id, catalog, received_at) {
            Ok(mut order) => {
                let relative = format!("ServiceRequest/{}", order.id);
                let full_url = str_at(e, &["fullUrl"]);
                for (a, requests) in &specimens {
                    let names_it = requests
                        .iter()
                        .any(|q| *q == relative || Some(q.as_str()) == full_url);
                    if names_it && !order.accessions.contains(a) {
                        order.accessions.push(a.clone());
                    }
                }
                orders.push(BundleOrder {
                    entry: i,
                    patient: patient.clone(),
                    order,
                    location: text_at(r, "/locationCode/0/text"),
                })
            }
            Err(err) => problem(i, EntryProblem::Invalid(err)),
        }
    }
    out.orders = orders;
    out.unread_alerts = unread_alerts;
    out.patients = known.into_iter().filter_map(|k| k.patient).collect();
    Ok(out)
}

/// Reads a Bundle of Patient and ServiceRequest resources (any bundle type) into orders, all
/// or nothing: the first Patient or active ServiceRequest that cannot be read is the error.
/// Requests that are not `active` are listed in `skipped`, not imported; entries without a
/// resource and other resource types are ignored.
pub fn orders_from_bundle(
    bundle: &Value,
    catalog: &Catalog,
    received_at: DateTime<Utc>,
) -> Result<ImportedOrders, FhirError> {
    let read = read_bundle(bundle, catalog, received_at)?;
    let mut skipped = Vec::new();
    for p in read.problems {
        match p.problem {
            EntryProblem::NoResource | EntryProblem::Unsupported(_) => {}
            // Only after its Patient's own problem, which came first and was returned.
            EntryProblem::SubjectRejected { .. } => {}
            EntryProblem::NotActive { resource, status } => {
                skipped.push(format!("{resource} ({status})"))
            }
            EntryProblem::NoSubject { resource } => {
                return Err(FhirError::missing(&resource, "subject.reference"))
            }
            EntryProblem::UnknownSubject {
                resource,
                reference,
            }
            | EntryProblem::UnknownAlertSubject {
                resource,
                reference,
            } => {
                return Err(FhirError::UnknownSubject {
                    resource,
                    reference,
                })
            }
            EntryProblem::Invalid(err) => return Err(err),
        }
    }
    Ok(ImportedOrders {
        patients: read.patients,
        orders: read.orders.into_iter().map(|o| o.order).collect(),
        skipped,
    })
}
