//! Collections out: the newest version of each received collection as FHIR R4 Specimen and Task resources.

use chrono::{DateTime, SecondsFormat, Utc};
use drawline_domain::fhir::{not_collected_tasks, specimens, FhirExport};
use drawline_domain::{FinalizedCollection, SiteConfig};
use serde_json::{json, Value};

use crate::api::CollectionVersionView;
use crate::store::{Store, StoreError};

/// A `searchset` Bundle of the Specimens and Tasks of every collection received since `since`.
pub async fn specimen_bundle(
    store: &dyn Store,
    site: &SiteConfig,
    ctx: &FhirExport,
    since: Option<DateTime<Utc>>,
    now: DateTime<Utc>,
) -> Result<Value, StoreError> {
    let versions = store.latest_versions_since(since).await?;
    Ok(bundle_of(&versions, site, ctx, now))
}

/// Builds the Bundle; a stored body that is not a finalized record is skipped and logged.
pub fn bundle_of(
    versions: &[CollectionVersionView],
    site: &SiteConfig,
    ctx: &FhirExport,
    now: DateTime<Utc>,
) -> Value {
    let base = ctx.base();
    let mut entries = Vec::new();
    for v in versions {
        let finalized: FinalizedCollection = match serde_json::from_value(v.body.clone()) {
            Ok(f) => f,
            Err(e) => {
                tracing::warn!(collection = %v.collection_id, version = v.version, error = %e,
                    "a stored collection is not a finalized record; left out of the export");
                continue;
            }
        };
        let resources = specimens(&finalized, site, ctx)
            .into_iter()
            .chain(not_collected_tasks(&finalized, ctx));
        for r in resources {
            let url = format!(
                "{base}/fhir/{}/{}",
                r["resourceType"].as_str().unwrap_or(""),
                r["id"].as_str().unwrap_or("")
            );
            entries.push(json!({"fullUrl": url, "resource": r, "search": {"mode": "match"}}));
        }
    }
    let mut bundle = json!({
        "resourceType": "Bundle",
        "type": "searchset",
        "timestamp": now.to_rfc3339_opts(SecondsFormat::Secs, true),
        "total": entries.len(),
    });
    // FHIR forbids empty arrays: an empty result has no `entry` at all.
    if !entries.is_empty() {
        bundle["entry"] = Value::Array(entries);
    }
    bundle
}
