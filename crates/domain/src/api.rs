//! Wire types of the lab server's HTTP API that both the app and the server speak.

use serde::{Deserialize, Serialize};

/// Prefix under which the lab server serves its API.
pub const API_PREFIX: &str = "/api/v1";

/// Answer of the unauthenticated `GET /api/v1/health` route.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn health_round_trips_through_json_as_the_server_sends_it() {
        let json = r#"{"status":"ok","site":"Demo General Hospital","version":"0.1.0"}"#;
        let health: Health = serde_json::from_str(json).unwrap();
        assert!(health.is_ok());
        assert_eq!(health.site, "Demo General Hospital");
        assert_eq!(serde_json::to_string(&health).unwrap(), json);
    }

    #[test]
    fn a_degraded_health_is_not_ok() {
        let health = Health {
            status: "degraded".into(),
            site: "x".into(),
            version: "0".into(),
        };
        assert!(!health.is_ok());
    }
}
