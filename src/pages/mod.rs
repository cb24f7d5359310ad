//! One module per screen.

pub mod drafts;
pub mod draw_list;
pub mod enroll;
pub mod exceptions;
pub mod handover;
pub mod home;
pub mod identify;
pub mod label;
pub mod not_found;
pub mod review;
pub mod settings;
pub mod sign_in;
pub mod supervisor_collection;
pub mod supervisor_devices;
pub mod supervisor_queue;
pub mod sync_queue;
pub mod tubes;
