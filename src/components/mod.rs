//! Reusable pieces of the screens, one module per component.

pub mod status_bar;
