//! Drawline's Leptos CSR app: routes, screens, and the device-side storage and sync services.

pub mod app;
pub mod components;
pub mod context;
pub mod crypto;
pub mod download;
pub mod error;
pub mod handover;
pub mod hooks;
pub mod human;
pub mod json_value;
pub mod pages;
pub mod round;
pub mod session_key;
pub mod sign_out;
pub mod storage;
pub mod sync;
pub mod unlock;
pub mod workflow;

pub use app::App;
