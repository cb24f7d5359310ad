//! The device data key: AES-256-GCM, held in memory only while someone is signed in.

use serde::{Deserialize, Serialize};

use wasm_bindgen::JsCast;

use super::error::CryptoError;
use super::{b64, subtle};

/// Length of the data key: AES-256.
pub(crate) const KEY_LEN: usize = 32;
/// [`Envelope::drawline_enc`] of this format.
const ENVELOPE_VERSION: u8 = 1;

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
        let mut bytes =
            b64::decode(raw).map_err(|e| CryptoError::Malformed(format!("the data key is {e}")))?;
        let key = Self::from_raw(&bytes).await;
        subtle::wipe(&mut bytes);
        key
    }

    /// Imports 32 raw bytes; the caller wipes them.
    pub(crate) async fn from_raw(bytes: &[u8]) -> Result<Self, CryptoError> {
        if bytes.len() != KEY_LEN {
            return Err(CryptoError::Malformed(format!(
                "the data key is {} bytes, not {KEY_LEN}",
                bytes.len()
            )));
        }
        let data = subtle::js_bytes(bytes);
        let imported = subtle::browser(subtle::subtle()?.import_key_with_str(
            "raw",
            &data,
            subtle::AES_GCM,
            // Non-extractable: script on the page can use the key but never read it out, so
            // it cannot be copied off the tablet nor written anywhere in the clear.
            false,
            &subtle::usages(&["encrypt", "decrypt"]),
        ))
        .await;
        subtle::wipe_js(&data);
        Ok(Self(imported?.unchecked_into()))
    }

    /// The WebCrypto key itself (non-extractable: `exportKey` rejects it).
    pub fn crypto_key(&self) -> &web_sys::CryptoKey {
        &self.0
    }

    /// Encrypts `plaintext` under a fresh random IV, bound to `aad`.
    pub async fn encrypt(&self, aad: &str, plaintext: &[u8]) -> Result<Envelope, CryptoError> {
        let (iv, ct) = subtle::gcm_encrypt(&self.0, aad.as_bytes(), plaintext).await?;
        Ok(Envelope {
            drawline_enc: ENVELOPE_VERSION,
            iv: b64::encode(&iv),
            ct: b64::encode(&ct),
        })
    }

    /// Decrypts an envelope made with the same `aad`.
    pub async fn decrypt(&self, aad: &str, envelope: &Envelope) -> Result<Vec<u8>, CryptoError> {
        if envelope.drawline_enc != ENVELOPE_VERSION {
            return Err(CryptoError::Malformed(format!(
                "unknown encryption format {}",
                envelope.drawline_enc
            )));
        }
        let iv = b64::decode(&envelope.iv)
            .map_err(|e| CryptoError::Malformed(format!("the IV is {e}")))?;
        let ct = b64::decode(&envelope.ct)
            .map_err(|e| CryptoError::Malformed(format!("the ciphertext is {e}")))?;
        match subtle::gcm_decrypt(&self.0, aad.as_bytes(), &iv, &ct).await? {
            Some(plain) => Ok(subtle::buffer_bytes(&plain)),
            None => Err(CryptoError::Decrypt(
                "wrong key, altered data, or a record moved to another place".into(),
            )),
        }
    }
}
