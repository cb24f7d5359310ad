//! Talks HTTP to the lab server (the only module that does), and decides and runs sync.

pub mod engine;
pub mod error;
pub mod http;
pub mod pull;
pub mod push;
pub mod rotation;
pub mod runner;
pub mod supervisor;
pub mod transport;

pub use error::SyncError;
pub use http::{enroll, fetch_health, sign_in};
