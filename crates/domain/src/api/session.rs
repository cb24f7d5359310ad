//! Health, tablet enrollment and sign-in: who is on the other end of the API.

use crate::wire::wire_enum;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// Answer of the unauthenticated `GET /api/v1/health` route.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Health {
    /// `"ok"` when the server and its database answer.
    pub status: String,
    /// Display name of the site (hospital or lab) this server belongs to.
    pub site: String,
    /// Version of the server build.
    pub version: String,
}

impl Health {
    /// True when the server reports itself healthy.
    pub fn is_ok(&self) -> bool {
        self.status == "ok"
    }
}

/// Body of `POST /api/v1/enroll`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct EnrollRequest {
    /// The one-time code printed by `drawline devices enroll NAME`, e.g. `K7QF-2M9X-WP4D`.
    pub code: String,
}

/// Answer of `POST /api/v1/enroll`: the device token, shown once and never again.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct EnrollResponse {
    /// The device's identity on this server.
    pub device_id: Uuid,
    /// The name given at enrollment.
    pub device_name: String,
    /// Bearer token for every later request of this device (`Authorization: Bearer ...`).
    pub token: String,
}

/// Body of `POST /api/v1/sessions`, sent with the device token.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SignInRequest {
    /// The user's sign-in name.
    pub username: String,
    /// The user's PIN or password.
    pub pin: String,
}

wire_enum! {
    /// A person's role; each one includes the rights of the ones before it.
    pub enum Role {
        /// Draws blood; sees the device's worklist.
        Collector = "collector",
        /// Sees every device and collection; imports orders; revokes devices.
        Supervisor = "supervisor",
        /// Everything a supervisor can, and site administration.
        Admin = "admin",
    }
}

/// A person, without any secret.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct UserView {
    /// Stable id; every collection record carries it as the collector.
    pub id: Uuid,
    /// Sign-in name.
    pub username: String,
    /// Name shown on screen and on labels.
    pub display_name: String,
    /// What the person may do.
    pub role: Role,
}

/// Answer of `POST /api/v1/sessions`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SessionResponse {
    /// Bearer token of this session; it also identifies the device it was opened on.
    pub token: String,
    /// When the session ends by itself.
    pub expires_at: DateTime<Utc>,
    /// Who signed in.
    pub user: UserView,
}

/// A device as the device itself sees it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct DeviceRef {
    /// The device's id.
    pub id: Uuid,
    /// The device's name.
    pub name: String,
}

/// Answer of `GET /api/v1/me`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Me {
    /// The device the token belongs to.
    pub device: DeviceRef,
    /// The signed-in person, when the token is a session token.
    pub user: Option<UserView>,
}
