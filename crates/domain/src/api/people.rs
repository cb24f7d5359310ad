//! People's accounts over their life: listed for a supervisor, deactivated, their PINs changed or reset, their sessions ended.

use serde::{Deserialize, Serialize};

use super::session::UserView;

/// A person as a supervisor manages them (`GET /supervisor/users`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct UserAccount {
    /// The person.
    pub user: UserView,
    /// False once deactivated: they cannot sign in and none of their sessions works.
    pub active: bool,
    /// Sessions of theirs that still work (unexpired, not ended), on any device.
    pub live_sessions: u32,
}

/// Body of `POST /me/pin`: a signed-in person changes their own PIN.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ChangePinRequest {
    /// The PIN they sign in with now.
    pub old_pin: String,
    /// The PIN they choose (at least the site's shortest length).
    pub new_pin: String,
}

/// Body of `POST /supervisor/users/{username}/reset-pin`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ResetPinRequest {
    /// The new PIN, told to the person out of band (at least the site's shortest length).
    pub pin: String,
}

/// How many sessions an action ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SessionsEnded {
    /// Sessions that stopped working.
    pub ended: u32,
}
