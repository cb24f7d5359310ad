//! FHIR R4 Bundle import through the domain crate's entry-by-entry bundle reader.

use chrono::{DateTime, Utc};
use drawline_domain::fhir::{read_bundle, BundleOrder, BundleProblem};
use drawline_domain::SiteConfig;
use serde_json::Value;

use super::{ImportError, Parsed};
use crate::api::ImportProblem;
use crate::store::NewOrder;

/// Reads a Bundle; each bad entry is reported as `Bundle.entry[i]` and the rest still import.
pub fn parse(body: &[u8], site: &SiteConfig, now: DateTime<Utc>) -> Result<Parsed, ImportError> {
    let bundle: Value =
        serde_json::from_slice(body).map_err(|e| ImportError::Json(e.to_string()))?;
    let read =
        read_bundle(&bundle, site.catalog(), now).map_err(|not| ImportError::NotABundle(not.0))?;
    let mut problems: Vec<ImportProblem> = read.problems.into_iter().map(problem_of).collect();
    let mut orders = Vec::new();
    for o in read.orders {
        // A bundle gives a patient's Flags and allergies as they are now, so they replace what
        // the lab holds, unless one of them could not be read: then nothing is taken away.
        let replaces_alerts = !read.unread_alerts.contains(&o.patient.id);
        // An order time the lab could not read back is refused here, with the entry named.
        if let Some(reason) = bad_time(&o) {
            problems.push(ImportProblem {
                position: o.entry,
                location: entry_at(o.entry),
                reason,
            });
            continue;
        }
        // The lab's accessions must be in the site's format, like a CSV file's.
        match super::accessions(o.order.accessions.iter().map(|a| a.as_str()), site) {
            Ok(_) => orders.push(order_of(o, site, replaces_alerts)),
            Err(reason) => problems.push(ImportProblem {
                position: o.entry,
                location: entry_at(o.entry),
                reason,
            }),
        }
    }
    Ok(Parsed { orders, problems })
}

/// Why an order's placed or due time is not one the lab takes, naming the field.
fn bad_time(o: &BundleOrder) -> Option<String> {
    use drawline_domain::instant_range::check_utc;
    let placed = check_utc(&o.order.placed_at)
        .err()
        .map(|e| format!("authoredOn: {e}"));
    let due = o.order.due_at.as_ref().and_then(|t| check_utc(t).err());
    placed.or_else(|| due.map(|e| format!("occurrenceDateTime: {e}")))
}

/// Where a bundle entry is, as the import report names it.
fn entry_at(entry: usize) -> String {
    format!("Bundle.entry[{entry}]")
}

fn problem_of(p: BundleProblem) -> ImportProblem {
    ImportProblem {
        position: p.entry,
        location: entry_at(p.entry),
        reason: p.problem.to_string(),
    }
}

fn order_of(o: BundleOrder, site: &SiteConfig, replaces_alerts: bool) -> NewOrder {
    NewOrder {
        position: o.entry,
        location_in_source: entry_at(o.entry),
        fasting: site.test(&o.order.test).is_some_and(|t| t.fasting),
        patient: o.patient,
        order: o.order,
        location: o.location,
        replaces_alerts,
        round: None,
    }
}
