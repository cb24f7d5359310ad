//! The data key wrapped by one collector's PIN, so they can unlock the tablet offline.

use serde::{Deserialize, Serialize};
use wasm_bindgen::JsCast;
use web_sys::{CryptoKey, Pbkdf2Params};

use super::data_key::DataKey;
use super::data_key::KEY_LEN;
use super::error::CryptoError;
use super::{b64, subtle};

/// PBKDF2 salt length (NIST SP 800-132 asks for at least 128 bits).
const SALT_LEN: usize = 16;

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
        let mut raw = b64::decode(raw_key)
            .map_err(|e| CryptoError::Malformed(format!("the data key is {e}")))?;
        let wrapped = Self::wrap_bytes(&raw, pin, user_id, username).await;
        subtle::wipe(&mut raw);
        wrapped
    }

    async fn wrap_bytes(
        raw: &[u8],
        pin: &str,
        user_id: &str,
        username: &str,
    ) -> Result<Self, CryptoError> {
        if raw.len() != KEY_LEN {
            return Err(CryptoError::Malformed(format!(
                "the data key is {} bytes, not {KEY_LEN}",
                raw.len()
            )));
        }
        let salt = subtle::random(SALT_LEN)?;
        let kek = pin_key(pin, &salt, PIN_ITERATIONS).await?;
        let (iv, ct) = subtle::gcm_encrypt(&kek, wrap_aad(user_id).as_bytes(), raw).await?;
        Ok(Self {
            user_id: user_id.into(),
            username: username.into(),
            salt: b64::encode(&salt),
            iterations: PIN_ITERATIONS,
            iv: b64::encode(&iv),
            ct: b64::encode(&ct),
        })
    }

    /// The data key, if `pin` is the right one ([`CryptoError::WrongPin`] otherwise).
    pub async fn unwrap(&self, pin: &str) -> Result<DataKey, CryptoError> {
        if self.iterations == 0 {
            return Err(CryptoError::Malformed(
                "the PIN wrap has zero iterations".into(),
            ));
        }
        let salt = b64::decode(&self.salt)
            .map_err(|e| CryptoError::Malformed(format!("the PIN wrap's salt is {e}")))?;
        let iv = b64::decode(&self.iv)
            .map_err(|e| CryptoError::Malformed(format!("the PIN wrap's IV is {e}")))?;
        let ct = b64::decode(&self.ct)
            .map_err(|e| CryptoError::Malformed(format!("the PIN wrap's key is {e}")))?;
        let kek = pin_key(pin, &salt, self.iterations).await?;
        // A failed tag check is a wrong PIN (or a wrap altered or relabelled to another
        // person, which the same check catches through the additional data).
        let plain = subtle::gcm_decrypt(&kek, wrap_aad(&self.user_id).as_bytes(), &iv, &ct)
            .await?
            .ok_or(CryptoError::WrongPin)?;
        let mut raw = subtle::buffer_bytes(&plain);
        subtle::wipe_js(&plain);
        let key = DataKey::from_raw(&raw).await;
        subtle::wipe(&mut raw);
        key
    }
}

/// The additional data of a wrap: it names the person, so a wrap cannot be relabelled as
/// someone else's.
fn wrap_aad(user_id: &str) -> String {
    format!("drawline data key|{user_id}")
}

/// The key-encryption key: PBKDF2-SHA256 of the PIN, as a non-extractable AES-256-GCM key.
async fn pin_key(pin: &str, salt: &[u8], iterations: u32) -> Result<CryptoKey, CryptoError> {
    let subtle = subtle::subtle()?;
    let pin_bytes = subtle::js_bytes(pin.as_bytes());
    let base = subtle::browser(subtle.import_key_with_str(
        "raw",
        &pin_bytes,
        "PBKDF2",
        false,
        &subtle::usages(&["deriveKey"]),
    ))
    .await;
    subtle::wipe_js(&pin_bytes);
    let base: CryptoKey = base?.unchecked_into();
    let params =
        Pbkdf2Params::new_with_str("PBKDF2", "SHA-256", iterations, &subtle::js_bytes(salt));
    let kek = subtle::browser(subtle.derive_key_with_object_and_object(
        &params,
        &base,
        &subtle::aes256_gcm(),
        false,
        &subtle::usages(&["encrypt", "decrypt"]),
    ))
    .await?;
    Ok(kek.unchecked_into())
}
