//! The API's wire types live in the domain crate so the app and the server share them.

pub use drawline_domain::api::*;
