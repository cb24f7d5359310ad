//! The site itself: its name and its configuration documents.

use super::error::StoreError;

/// The site's name and configuration documents (catalog, order of draw).
#[async_trait::async_trait]
pub trait SiteStore: Send + Sync + 'static {
    /// The site's display name; proves the database answers.
    async fn site_name(&self) -> Result<String, StoreError>;
    /// True when nothing has been set up yet (no site row).
    async fn is_empty(&self) -> Result<bool, StoreError>;
    /// Names the site (first run or demo seed).
    async fn set_site_name(&self, name: &str) -> Result<(), StoreError>;
    /// A site configuration document (e.g. `catalog`, `order-of-draw`) as JSON text.
    async fn site_config(&self, key: &str) -> Result<Option<String>, StoreError>;
    /// Stores a site configuration document.
    async fn put_site_config(&self, key: &str, json: &str) -> Result<(), StoreError>;
}
