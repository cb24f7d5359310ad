//! Sealing a record to the lab's public key (ECDH-ES P-256, HKDF-SHA256, AES-256-GCM).

use drawline_domain::api::{PublicJwk, Sealed, SEAL_INFO};
use js_sys::Object;
use wasm_bindgen::JsCast;
use web_sys::{
    CryptoKey, CryptoKeyPair, EcKeyGenParams, EcKeyImportParams, EcdhKeyDeriveParams, HkdfParams,
};

use super::error::CryptoError;
use super::{b64, subtle};

const ECDH: &str = "ECDH";
const P256: &str = "P-256";
/// Length of a P-256 coordinate, and so of the shared secret.
const COORD_LEN: usize = 32;

/// Seals `plaintext` to the lab's key, bound to `aad`, as `drawline_domain::api::sealed`
/// specifies.
pub async fn seal(lab: &PublicJwk, aad: &str, plaintext: &[u8]) -> Result<Sealed, CryptoError> {
    let subtle = subtle::subtle()?;
    let lab_key = import_lab_key(lab).await?;

    // 1. An ephemeral key pair; its private half is never extractable and is dropped with
    //    this call. (WebCrypto always makes the public half of a pair extractable.)
    let pair: CryptoKeyPair = subtle::browser(subtle.generate_key_with_object(
        &EcKeyGenParams::new(ECDH, P256),
        false,
        &subtle::usages(&["deriveBits"]),
    ))
    .await?
    .unchecked_into();
    let shared = subtle::browser(subtle.derive_bits_with_object(
        &EcdhKeyDeriveParams::new(ECDH, &lab_key),
        &pair.get_private_key(),
        (COORD_LEN * 8) as u32,
    ))
    .await?;

    // 2. The content key: HKDF-SHA256(Z, salt = empty, info = SEAL_INFO), 32 bytes.
    let hkdf_base = subtle::browser(subtle.import_key_with_str(
        "raw",
        &js_sys::Uint8Array::new(&shared),
        "HKDF",
        false,
        &subtle::usages(&["deriveKey"]),
    ))
    .await;
    subtle::wipe_js(&shared);
    let hkdf_base: CryptoKey = hkdf_base?.unchecked_into();
    let params = HkdfParams::new_with_str(
        "HKDF",
        "SHA-256",
        &subtle::js_bytes(SEAL_INFO.as_bytes()),
        &subtle::js_bytes(&[]),
    );
    let content_key: CryptoKey = subtle::browser(subtle.derive_key_with_object_and_object(
        &params,
        &hkdf_base,
        &subtle::aes256_gcm(),
        false,
        &subtle::usages(&["encrypt"]),
    ))
    .await?
    .unchecked_into();

    // 3. AES-256-GCM under a random IV, bound to the record's key.
    let (iv, ct) = subtle::gcm_encrypt(&content_key, aad.as_bytes(), plaintext).await?;

    let epk = subtle::browser(subtle.export_key("jwk", &pair.get_public_key())).await?;
    Ok(Sealed {
        epk: PublicJwk {
            kty: "EC".into(),
            crv: P256.into(),
            x: subtle::string_field(&epk, "x")?,
            y: subtle::string_field(&epk, "y")?,
        },
        iv: b64::encode(&iv),
        ct: b64::encode(&ct),
    })
}

/// The lab's public key as a WebCrypto ECDH key, after checking its shape (WebCrypto itself
/// refuses a point that is not on the curve).
async fn import_lab_key(lab: &PublicJwk) -> Result<CryptoKey, CryptoError> {
    if lab.kty != "EC" || lab.crv != P256 {
        return Err(CryptoError::Malformed(format!(
            "the lab key is {} {}, not EC {P256}",
            lab.kty, lab.crv
        )));
    }
    for (name, coord) in [("x", &lab.x), ("y", &lab.y)] {
        let bytes = b64::decode(coord)
            .map_err(|e| CryptoError::Malformed(format!("the lab key's {name} is {e}")))?;
        if bytes.len() != COORD_LEN {
            return Err(CryptoError::Malformed(format!(
                "the lab key's {name} is {} bytes, not {COORD_LEN}",
                bytes.len()
            )));
        }
    }
    let jwk: Object =
        subtle::object(&[("kty", "EC"), ("crv", P256), ("x", &lab.x), ("y", &lab.y)])?;
    let params = EcKeyImportParams::new(ECDH);
    params.set_named_curve(P256);
    let key = subtle::settle(subtle::subtle()?.import_key_with_object(
        "jwk",
        &jwk,
        &params,
        true,
        &subtle::usages(&[]),
    ))
    .await
    .map_err(|e| CryptoError::Malformed(format!("the lab key: {}", subtle::describe(&e))))?;
    Ok(key.unchecked_into())
}
