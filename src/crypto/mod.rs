//! WebCrypto for patient data at rest: the device data key, its PIN wraps, and seals to the lab.

mod b64;
pub mod data_key;
pub mod error;
pub mod pin_wrap;
pub mod seal;
mod subtle;

pub use data_key::{DataKey, Envelope};
pub use error::CryptoError;
pub use pin_wrap::PinWrap;
pub use seal::seal;
