//! Drawline's clinical rules and shared protocol types, pure Rust for the app (wasm) and the lab server (native).

pub mod api;
