//! Thin async wrappers over the browser's WebCrypto, shared by the data key, the PIN wraps and the seal.
//!
//! Every byte buffer handed to WebCrypto is copied into a JS `Uint8Array` first: a view into
//! wasm memory kept inside a parameter object would be detached if the memory grew meanwhile.

use js_sys::{Array, Object, Promise, Reflect, Uint8Array};
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;
use web_sys::{AesDerivedKeyParams, AesGcmParams, Crypto, CryptoKey, SubtleCrypto};

use super::error::CryptoError;

/// WebCrypto's name of AES in Galois/Counter mode.
pub(crate) const AES_GCM: &str = "AES-GCM";
/// AES-GCM IV length: 96 bits, the only length GCM handles without an extra GHASH step.
pub(crate) const IV_LEN: usize = 12;
/// The GCM tag, full length.
const TAG_BITS: u8 = 128;

/// The global `crypto` object (window or worker).
fn crypto() -> Result<Crypto, CryptoError> {
    Reflect::get(&js_sys::global(), &JsValue::from_str("crypto"))
        .ok()
        .and_then(|c| c.dyn_into::<Crypto>().ok())
        .ok_or_else(|| CryptoError::Browser("this browser has no crypto object".into()))
}

/// `crypto.subtle`, which browsers only offer in a secure context (https or localhost).
pub(crate) fn subtle() -> Result<SubtleCrypto, CryptoError> {
    let crypto = crypto()?;
    let subtle = Reflect::get(&crypto, &JsValue::from_str("subtle"))
        .map_err(|e| CryptoError::Browser(describe(&e)))?;
    if subtle.is_undefined() || subtle.is_null() {
        return Err(CryptoError::Browser(
            "WebCrypto needs a secure context (https)".into(),
        ));
    }
    Ok(subtle.unchecked_into())
}

/// `n` bytes from the browser's CSPRNG.
pub(crate) fn random(n: usize) -> Result<Vec<u8>, CryptoError> {
    let mut bytes = vec![0u8; n];
    crypto()?
        .get_random_values_with_u8_array(&mut bytes)
        .map_err(|e| CryptoError::Browser(describe(&e)))?;
    Ok(bytes)
}

/// A DOMException (or any thrown value) as "Name: message", for error text. WebCrypto's
/// messages never contain key material or plaintext.
pub(crate) fn describe(error: &JsValue) -> String {
    let field = |name: &str| {
        Reflect::get(error, &JsValue::from_str(name))
            .ok()
            .and_then(|v| v.as_string())
            .filter(|s| !s.is_empty())
    };
    match (field("name"), field("message")) {
        (Some(name), Some(message)) => format!("{name}: {message}"),
        (Some(one), None) | (None, Some(one)) => one,
        (None, None) => error.as_string().unwrap_or_else(|| "unknown error".into()),
    }
}

/// Awaits a WebCrypto call: a synchronous throw and a rejected promise both come back as `Err`
/// with the thrown value.
pub(crate) async fn settle(call: Result<Promise, JsValue>) -> Result<JsValue, JsValue> {
    JsFuture::from(call?).await
}

/// Like [`settle`], every failure being the browser's.
pub(crate) async fn browser(call: Result<Promise, JsValue>) -> Result<JsValue, CryptoError> {
    settle(call)
        .await
        .map_err(|e| CryptoError::Browser(describe(&e)))
}

/// A key-usages array.
pub(crate) fn usages(names: &[&str]) -> Array {
    names.iter().map(|n| JsValue::from_str(n)).collect()
}

/// A JS copy of `bytes`.
pub(crate) fn js_bytes(bytes: &[u8]) -> Uint8Array {
    Uint8Array::from(bytes)
}

/// The bytes of an `ArrayBuffer` WebCrypto resolved with.
pub(crate) fn buffer_bytes(buffer: &JsValue) -> Vec<u8> {
    Uint8Array::new(buffer).to_vec()
}

/// Overwrites an `ArrayBuffer` (or typed array) with zeros, so secret bytes do not linger in
/// the JS heap until the collector runs.
pub(crate) fn wipe_js(buffer: &JsValue) {
    let view = Uint8Array::new(buffer);
    view.fill(0, 0, view.length());
}

/// Overwrites secret bytes in wasm memory with zeros. Volatile writes, because the optimiser
/// may drop plain stores to memory that is freed right after.
pub(crate) fn wipe(bytes: &mut [u8]) {
    for byte in bytes.iter_mut() {
        // SAFETY: `byte` is a valid, aligned, exclusive reference.
        unsafe { std::ptr::write_volatile(byte, 0) };
    }
    std::sync::atomic::compiler_fence(std::sync::atomic::Ordering::SeqCst);
}

/// AES-GCM parameters: `iv`, `aad` as additional data, 128-bit tag.
pub(crate) fn gcm_params(iv: &[u8], aad: &[u8]) -> AesGcmParams {
    let params = AesGcmParams::new_with_u8_array(AES_GCM, &js_bytes(iv));
    params.set_additional_data_u8_array(&js_bytes(aad));
    params.set_tag_length(TAG_BITS);
    params
}

/// The derived-key type of an AES-256-GCM key.
pub(crate) fn aes256_gcm() -> AesDerivedKeyParams {
    AesDerivedKeyParams::new(AES_GCM, 256)
}

/// Encrypts `plaintext` with AES-GCM under a fresh random IV: `(iv, ciphertext with tag)`.
pub(crate) async fn gcm_encrypt(
    key: &CryptoKey,
    aad: &[u8],
    plaintext: &[u8],
) -> Result<(Vec<u8>, Vec<u8>), CryptoError> {
    let iv = random(IV_LEN)?;
    let subtle = subtle()?;
    let data = js_bytes(plaintext);
    let ct = browser(subtle.encrypt_with_object_and_js_u8_array(&gcm_params(&iv, aad), key, &data))
        .await;
    // The JS copy may be a raw key (a PIN wrap) or a record: do not leave it for the collector.
    wipe_js(&data);
    Ok((iv, buffer_bytes(&ct?)))
}

/// Decrypts AES-GCM: `Ok(None)` when the tag does not verify (wrong key, altered data, other
/// additional data), which callers turn into their own error; the plaintext stays in a JS
/// `ArrayBuffer` so secret callers can wipe it.
pub(crate) async fn gcm_decrypt(
    key: &CryptoKey,
    aad: &[u8],
    iv: &[u8],
    ct: &[u8],
) -> Result<Option<JsValue>, CryptoError> {
    if iv.len() != IV_LEN {
        return Err(CryptoError::Malformed(format!(
            "the IV is {} bytes, not {IV_LEN}",
            iv.len()
        )));
    }
    let subtle = subtle()?;
    match settle(subtle.decrypt_with_object_and_js_u8_array(
        &gcm_params(iv, aad),
        key,
        &js_bytes(ct),
    ))
    .await
    {
        Ok(plain) => Ok(Some(plain)),
        // WebCrypto reports every failed tag check (and a ciphertext shorter than the tag) as
        // an OperationError.
        Err(e) if error_name(&e).as_deref() == Some("OperationError") => Ok(None),
        Err(e) => Err(CryptoError::Browser(describe(&e))),
    }
}

fn error_name(error: &JsValue) -> Option<String> {
    Reflect::get(error, &JsValue::from_str("name"))
        .ok()
        .and_then(|v| v.as_string())
}

/// A plain JS object with string fields (a JWK, for instance).
pub(crate) fn object(fields: &[(&str, &str)]) -> Result<Object, CryptoError> {
    let object = Object::new();
    for (name, value) in fields {
        Reflect::set(&object, &JsValue::from_str(name), &JsValue::from_str(value))
            .map_err(|e| CryptoError::Browser(describe(&e)))?;
    }
    Ok(object)
}

/// A string field of a JS object (a JWK's `x`, for instance).
pub(crate) fn string_field(object: &JsValue, name: &str) -> Result<String, CryptoError> {
    Reflect::get(object, &JsValue::from_str(name))
        .ok()
        .and_then(|v| v.as_string())
        .ok_or_else(|| CryptoError::Browser(format!("WebCrypto gave a key without {name:?}")))
}

#[cfg(test)]
mod tests {
    #[test]
    fn wiping_leaves_only_zeros() {
        let mut secret = vec![0xa5u8; 32];
        super::wipe(&mut secret);
        assert_eq!(secret, [0u8; 32]);
    }
}
