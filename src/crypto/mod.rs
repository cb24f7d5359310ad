//! WebCrypto for patient data at rest: the device data key, its PIN wraps, and seals to the lab.

mod b64;
pub mod data_key;
pub mod pin_wrap;
pub mod seal;
mod subtle;

pub use data_key::{DataKey, Envelope};
pub use pin_wrap::PinWrap;
pub use seal::seal;

/// Why a WebCrypto operation failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CryptoError {
    /// The PIN does not open this wrap.
    #[error("wrong PIN")]
    WrongPin,
    /// A ciphertext did not decrypt under the key (altered, moved, or another tablet's).
    #[error("stored data could not be decrypted: {0}")]
    Decrypt(String),
    /// A key or value had the wrong shape.
    #[error("a key or encrypted value is malformed: {0}")]
    Malformed(String),
    /// The browser has no WebCrypto (not a secure context) or refused the operation.
    #[error("this browser's WebCrypto failed: {0}")]
    Browser(String),
}
