//! FHIR R4 Bundle import through the domain crate's entry-by-entry bundle reader.

use chrono::{DateTime, Utc};
use drawline_domain::fhir::read_bundle;
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
    let problems = read
        .problems
        .into_iter()
        .map(|p| ImportProblem {
            position: p.entry,
            location: format!("Bundle.entry[{}]", p.entry),
            reason: p.problem.to_string(),
        })
        .collect();
    let orders = read
        .orders
        .into_iter()
        .map(|o| NewOrder {
            position: o.entry,
            location_in_source: format!("Bundle.entry[{}]", o.entry),
            fasting: site.test(&o.order.test).is_some_and(|t| t.fasting),
            patient: o.patient,
            order: o.order,
            location: o.location,
            note: o.note,
            round: None,
        })
        .collect();
    Ok(Parsed { orders, problems })
}
