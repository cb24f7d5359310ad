//! Wire types of the lab server's HTTP API that both the app and the server speak.
//!
//! Supervisor routes (`risk`, `queue`, `review`) are under `/supervisor` and need a
//! signed-in supervisor (or admin).

mod orders;
mod people;
mod push;
mod queue;
mod review;
mod risk;
mod sealed;
mod session;
mod worklist;

pub use orders::*;
pub use people::*;
pub use push::*;
pub use queue::*;
pub use review::*;
pub use risk::*;
pub use sealed::*;
pub use session::*;
pub use worklist::*;

/// Prefix under which the lab server serves its API.
pub const API_PREFIX: &str = "/api/v1";

#[cfg(test)]
mod tests;
