//! The calls the sync loop makes to the lab, behind a trait so tests can script the lab.
//!
//! [`super::http::Http`] is the browser's implementation.

use drawline_domain::api::{
    EnrollResponse, Heartbeat, PullQuery, PullResponse, PushRequest, PushResponse,
};
use drawline_domain::SiteConfig;

use super::error::SyncError;

/// How the sync loop reaches the lab server: the device token for pushes, heartbeats, the site
/// and rotation; the signed-in person's session token for pulls (patient data).
#[async_trait::async_trait(?Send)]
pub trait Transport {
    /// Sends a batch of finalized collections (`POST /sync/push`).
    async fn push(&self, token: &str, request: &PushRequest) -> Result<PushResponse, SyncError>;
    /// The worklist changes since the query's cursor (`GET /sync/pull`).
    async fn pull(&self, token: &str, query: &PullQuery) -> Result<PullResponse, SyncError>;
    /// The site's catalog and order of draw (`GET /site`).
    async fn site(&self, token: &str) -> Result<SiteConfig, SyncError>;
    /// What the tablet still holds unsynced, when there is no pull to carry it (`POST /heartbeat`).
    async fn heartbeat(&self, token: &str, beat: &Heartbeat) -> Result<(), SyncError>;
    /// A new device token (`POST /devices/current/token`); the old one works until it is used.
    async fn rotate(&self, token: &str) -> Result<EnrollResponse, SyncError>;
}
