//! Loaders of what the device holds for the round: worklist, site, needle and drafts.

use std::rc::Rc;

use drawline_domain::api::Worklist;
use drawline_domain::safety::SafetyRules;
use drawline_domain::{Device, PatientIdentity, SiteConfig};

use crate::storage::keys::{TypedRecords, NEEDLE, SITE, WORKLIST};
use crate::storage::{DraftStore, StorageError};
use crate::workflow::{DraftData, Step};

/// The stored worklist and site configuration (the shipped default site until downloaded).
pub async fn load_round(
    store: &Rc<dyn DraftStore>,
) -> Result<(Option<Worklist>, SiteConfig), StorageError> {
    let worklist = store.read(WORKLIST).await?;
    let site = store
        .read(SITE)
        .await?
        .unwrap_or_else(SiteConfig::default_site);
    Ok((worklist, site))
}

/// What identification needs from the round: the site's safety rules and every patient of the
/// stored worklist (to find look-alikes such as twins).
pub async fn load_identification(
    store: &Rc<dyn DraftStore>,
) -> Result<(SafetyRules, Vec<PatientIdentity>), StorageError> {
    let (worklist, site) = load_round(store).await?;
    let patients = worklist
        .map(|w| w.patients.into_iter().map(|p| p.identity).collect())
        .unwrap_or_default();
    Ok((site.safety().clone(), patients))
}

/// The needle setting (straight needle unless the collector chose a butterfly).
pub async fn load_needle(store: &Rc<dyn DraftStore>) -> Result<Device, StorageError> {
    Ok(store.read(NEEDLE).await?.unwrap_or(Device::EvacuatedHolder))
}

/// The drafts as records the screens understand (unreadable ones are skipped, not deleted).
pub async fn load_drafts(
    store: &Rc<dyn DraftStore>,
) -> Result<Vec<(DraftData, Step, String)>, StorageError> {
    let mut out: Vec<(DraftData, Step, String)> = store
        .list_drafts()
        .await?
        .iter()
        .filter_map(|d| {
            DraftData::from_draft(d)
                .ok()
                .map(|(data, step)| (data, step, d.saved_at.clone()))
        })
        .collect();
    out.sort_by(|a, b| b.2.cmp(&a.2));
    Ok(out)
}
