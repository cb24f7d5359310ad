//! Supervisor review: devices by risk, the queue of what reached (or failed to reach) the lab,
//! a collection's full detail, and review actions (reviewed, note, resolve, recollect).

mod actions;
mod detail;
mod devices;
mod queue;

pub use actions::*;
pub use detail::*;
pub use devices::*;
pub use queue::*;
