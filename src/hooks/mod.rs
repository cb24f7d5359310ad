//! Hooks in the shape of leptos-use: one per file, `use_x() -> UseXReturn` where it returns several things.

pub mod use_collection;
pub mod use_idle;
pub mod use_interval;
pub mod use_service_worker;
pub mod use_site;
