//! The device data key: AES-256-GCM, held in memory only while someone is signed in.

use serde::{Deserialize, Serialize};

use super::CryptoError;

/// The device data key as a non-extractable WebCrypto key.
#[derive(Clone, Debug)]
pub struct DataKey(pub(crate) web_sys::CryptoKey);

/// One AES-GCM ciphertext as stored: `{"drawline_enc": 1, "iv": ..., "ct": ...}` (base64url,
/// no padding; `ct` carries the 16-byte tag).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Envelope {
    /// Format version, always 1.
    pub drawline_enc: u8,
    /// 12-byte IV.
    pub iv: String,
    /// Ciphertext and tag.
    pub ct: String,
}

impl Envelope {
    /// True when a stored JSON value is an envelope (plaintext records never have the field).
    pub fn is_envelope(value: &serde_json::Value) -> bool {
        value.get("drawline_enc").is_some()
    }
}

impl DataKey {
    /// Imports the lab-issued key (32 bytes, base64url) as a non-extractable AES-GCM key.
    pub async fn from_raw_b64u(raw: &str) -> Result<Self, CryptoError> {
        let _ = raw;
        unimplemented!("crypto helper")
    }

    /// Encrypts `plaintext` under a fresh random IV, bound to `aad`.
    pub async fn encrypt(&self, aad: &str, plaintext: &[u8]) -> Result<Envelope, CryptoError> {
        let _ = (aad, plaintext);
        unimplemented!("crypto helper")
    }

    /// Decrypts an envelope made with the same `aad`.
    pub async fn decrypt(&self, aad: &str, envelope: &Envelope) -> Result<Vec<u8>, CryptoError> {
        let _ = (aad, envelope);
        unimplemented!("crypto helper")
    }
}
