//! Supervisor routes of the lab server, called with a supervisor's session token.

use drawline_domain::api::{
    CollectionDetail, ConflictChoice, DeviceView, DevicesOverview, NoteRequest, QueuePage,
    RecollectRequest, RecollectResponse, ResolveConflictRequest, ReviewEvent, ReviewRequest,
};
use uuid::Uuid;

use super::error::SyncError;
use super::http::{get_json_auth, post_json};

/// Every device, most at risk first.
pub async fn devices(token: &str) -> Result<DevicesOverview, SyncError> {
    get_json_auth("/supervisor/devices", token).await
}

/// One page of the review queue; `query` is the URL query without `?` (already encoded).
pub async fn queue(token: &str, query: &str) -> Result<QueuePage, SyncError> {
    get_json_auth(&format!("/supervisor/queue?{query}"), token).await
}

/// Everything the lab knows of one collection.
pub async fn collection(token: &str, id: Uuid) -> Result<CollectionDetail, SyncError> {
    get_json_auth(&format!("/supervisor/collections/{id}"), token).await
}

/// Marks a collection reviewed.
pub async fn mark_reviewed(
    token: &str,
    id: Uuid,
    note: Option<String>,
) -> Result<ReviewEvent, SyncError> {
    post_json(
        &format!("/supervisor/collections/{id}/review"),
        Some(token),
        &ReviewRequest { note },
    )
    .await
}

/// Adds a note to a collection.
pub async fn add_note(token: &str, id: Uuid, text: String) -> Result<ReviewEvent, SyncError> {
    post_json(
        &format!("/supervisor/collections/{id}/notes"),
        Some(token),
        &NoteRequest { text },
    )
    .await
}

/// Resolves a conflict: which version stands.
pub async fn resolve(
    token: &str,
    id: Uuid,
    attempt_id: i64,
    keep: ConflictChoice,
    note: Option<String>,
) -> Result<ReviewEvent, SyncError> {
    post_json(
        &format!("/supervisor/collections/{id}/resolve"),
        Some(token),
        &ResolveConflictRequest {
            attempt_id,
            keep,
            note,
        },
    )
    .await
}

/// Asks for the collection's orders to be drawn again.
pub async fn recollect(
    token: &str,
    id: Uuid,
    reason: String,
) -> Result<RecollectResponse, SyncError> {
    post_json(
        &format!("/supervisor/collections/{id}/recollect"),
        Some(token),
        &RecollectRequest {
            reason,
            orders: None,
            round: None,
            due_at: None,
        },
    )
    .await
}

/// Revokes a device: its token fails at once.
pub async fn revoke(token: &str, id: Uuid) -> Result<DeviceView, SyncError> {
    post_json(
        &format!("/devices/{id}/revoke"),
        Some(token),
        &serde_json::json!({}),
    )
    .await
}
