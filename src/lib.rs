//! Drawline's Leptos CSR app: routes, screens, and the device-side storage and sync services.

pub mod app;
pub mod components;
pub mod pages;
pub mod storage;
pub mod sync;

pub use app::App;
