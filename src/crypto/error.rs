//! Why a WebCrypto operation failed.

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
