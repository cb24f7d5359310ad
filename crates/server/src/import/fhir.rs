//! FHIR R4 Bundle import, entry by entry, using the domain crate's Patient and ServiceRequest mapping.

use chrono::{DateTime, Utc};
use drawline_domain::fhir::{order_from_fhir, patient_from_fhir};
use drawline_domain::SiteConfig;
use serde_json::Value;

use super::{ImportError, Parsed};
use crate::api::ImportProblem;
use crate::store::NewOrder;

/// A Patient entry that was read, and how ServiceRequests may refer to it.
struct KnownPatient {
    full_url: Option<String>,
    relative: String,
    patient: Option<drawline_domain::Patient>,
}

fn refers_to(p: &KnownPatient, reference: &str) -> bool {
    p.full_url.as_deref() == Some(reference)
        || p.relative == reference
        || p.full_url
            .as_deref()
            .is_some_and(|f| f.ends_with(&format!("/{reference}")))
}

fn note_of(resource: &Value) -> Option<String> {
    resource
        .pointer("/note/0/text")
        .and_then(Value::as_str)
        .map(str::to_owned)
}

fn location_of(resource: &Value) -> Option<String> {
    resource
        .pointer("/locationCode/0/text")
        .and_then(Value::as_str)
        .map(str::to_owned)
}

/// Reads a Bundle; each bad entry is reported as `Bundle.entry[i]` and the rest still import.
pub fn parse(body: &[u8], site: &SiteConfig, now: DateTime<Utc>) -> Result<Parsed, ImportError> {
    let bundle: Value =
        serde_json::from_slice(body).map_err(|e| ImportError::Json(e.to_string()))?;
    let kind = bundle
        .get("resourceType")
        .and_then(Value::as_str)
        .unwrap_or("no resourceType");
    if kind != "Bundle" {
        return Err(ImportError::NotABundle(kind.to_owned()));
    }
    let empty = Vec::new();
    let entries = bundle
        .get("entry")
        .and_then(Value::as_array)
        .unwrap_or(&empty);
    let mut parsed = Parsed::default();
    let problem = |i: usize, reason: String| ImportProblem {
        position: i,
        location: format!("Bundle.entry[{i}]"),
        reason,
    };
    let mut patients: Vec<KnownPatient> = Vec::new();
    for (i, e) in entries.iter().enumerate() {
        let Some(r) = e.get("resource") else {
            parsed
                .problems
                .push(problem(i, "the entry has no resource".into()));
            continue;
        };
        if r.get("resourceType").and_then(Value::as_str) != Some("Patient") {
            continue;
        }
        let full_url = e.get("fullUrl").and_then(Value::as_str).map(str::to_owned);
        let fallback = full_url
            .as_deref()
            .and_then(|u| u.strip_prefix("urn:uuid:"));
        let id = r
            .get("id")
            .and_then(Value::as_str)
            .or(fallback)
            .unwrap_or("");
        let relative = format!("Patient/{id}");
        match patient_from_fhir(r, fallback) {
            Ok(p) => patients.push(KnownPatient {
                full_url,
                relative,
                patient: Some(p),
            }),
            Err(err) => {
                // Kept, so its ServiceRequests are reported as such rather than as dangling references.
                patients.push(KnownPatient {
                    full_url,
                    relative,
                    patient: None,
                });
                parsed.problems.push(problem(i, err.to_string()));
            }
        }
    }
    for (i, e) in entries.iter().enumerate() {
        let Some(r) = e.get("resource") else { continue };
        let kind = r.get("resourceType").and_then(Value::as_str).unwrap_or("");
        match kind {
            "Patient" => continue,
            "ServiceRequest" => {}
            other => {
                let shown = if other.is_empty() {
                    "no resourceType"
                } else {
                    other
                };
                parsed.problems.push(problem(
                    i,
                    format!("{shown}: only Patient and ServiceRequest resources are imported"),
                ));
                continue;
            }
        }
        let status = r.get("status").and_then(Value::as_str).unwrap_or("unknown");
        if status != "active" {
            parsed.problems.push(problem(
                i,
                format!("ServiceRequest status is '{status}'; only active requests are imported"),
            ));
            continue;
        }
        let Some(reference) = r.pointer("/subject/reference").and_then(Value::as_str) else {
            parsed.problems.push(problem(
                i,
                "ServiceRequest.subject.reference is missing".into(),
            ));
            continue;
        };
        let Some(known) = patients.iter().find(|p| refers_to(p, reference)) else {
            parsed.problems.push(problem(
                i,
                format!("subject '{reference}' is not a Patient in this bundle"),
            ));
            continue;
        };
        let Some(patient) = &known.patient else {
            parsed.problems.push(problem(
                i,
                format!("subject '{reference}' was rejected, so its order is too"),
            ));
            continue;
        };
        let order = match order_from_fhir(r, &patient.id, site.catalog(), now) {
            Ok(o) => o,
            Err(err) => {
                parsed.problems.push(problem(i, err.to_string()));
                continue;
            }
        };
        let fasting = site.test(&order.test).is_some_and(|t| t.fasting);
        parsed.orders.push(NewOrder {
            position: i,
            location_in_source: format!("Bundle.entry[{i}]"),
            patient: patient.clone(),
            order,
            fasting,
            location: location_of(r),
            note: note_of(r),
            round: None,
        });
    }
    Ok(parsed)
}
