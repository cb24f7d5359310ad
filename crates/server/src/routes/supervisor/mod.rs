//! Supervisor review routes: devices by risk, the queue, a collection's detail, review actions.

mod actions;
mod detail;
mod devices;
mod queue;

pub use actions::*;
pub use detail::*;
pub use devices::*;
pub use queue::*;
