//! The three calls the sync loop makes to the lab, behind a trait so tests can script the lab.
//!
//! [`super::http::Http`] is the browser's implementation.

use drawline_domain::api::{PullQuery, PullResponse, PushRequest, PushResponse};
use drawline_domain::SiteConfig;

use super::error::SyncError;

/// How the sync loop reaches the lab server, with the device token on every call.
#[async_trait::async_trait(?Send)]
pub trait Transport {
    /// Sends a batch of finalized collections (`POST /sync/push`).
    async fn push(&self, token: &str, request: &PushRequest) -> Result<PushResponse, SyncError>;
    /// The worklist changes since the query's cursor (`GET /sync/pull`).
    async fn pull(&self, token: &str, query: &PullQuery) -> Result<PullResponse, SyncError>;
    /// The site's catalog and order of draw (`GET /site`).
    async fn site(&self, token: &str) -> Result<SiteConfig, SyncError>;
}
