//! Supervisor review routes: devices by risk, the queue, a collection's detail, review actions, unlocking a user.

mod actions;
mod detail;
mod devices;
mod queue;
mod unlock;

pub use actions::*;
pub use detail::*;
pub use devices::*;
pub use queue::*;
pub use unlock::*;
