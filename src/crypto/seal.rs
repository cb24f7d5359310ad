//! Sealing a record to the lab's public key (ECDH-ES P-256, HKDF-SHA256, AES-256-GCM).

use drawline_domain::api::{PublicJwk, Sealed};

use super::CryptoError;

/// Seals `plaintext` to the lab's key, bound to `aad`, as `drawline_domain::api::sealed`
/// specifies.
pub async fn seal(lab: &PublicJwk, aad: &str, plaintext: &[u8]) -> Result<Sealed, CryptoError> {
    let _ = (lab, aad, plaintext);
    unimplemented!("crypto helper")
}
