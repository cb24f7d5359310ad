//! The data key wrapped by one collector's PIN, so they can unlock the tablet offline.

use serde::{Deserialize, Serialize};

use super::{CryptoError, DataKey};

/// PBKDF2-SHA256 iterations for a new wrap (OWASP's 2023 figure for PBKDF2-HMAC-SHA256).
pub const PIN_ITERATIONS: u32 = 600_000;

/// The data key encrypted under a key derived from one person's PIN.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PinWrap {
    /// The person's user id.
    pub user_id: String,
    /// Their sign-in name.
    pub username: String,
    /// PBKDF2 salt, 16 bytes base64url.
    pub salt: String,
    /// PBKDF2 iterations used.
    pub iterations: u32,
    /// AES-GCM IV, base64url.
    pub iv: String,
    /// The raw data key encrypted, with its tag, base64url.
    pub ct: String,
}

impl PinWrap {
    /// Wraps the raw data key (32 bytes, base64url, as the lab sent it) under `pin`.
    pub async fn wrap(
        raw_key: &str,
        pin: &str,
        user_id: &str,
        username: &str,
    ) -> Result<Self, CryptoError> {
        let _ = (raw_key, pin, user_id, username);
        unimplemented!("crypto helper")
    }

    /// The data key, if `pin` is the right one ([`CryptoError::WrongPin`] otherwise).
    pub async fn unwrap(&self, pin: &str) -> Result<DataKey, CryptoError> {
        let _ = pin;
        unimplemented!("crypto helper")
    }
}
