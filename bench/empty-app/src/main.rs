//! An empty Leptos 0.8 CSR app: the reference for the bundle size of Drawline's release build.

use leptos::prelude::*;

fn main() {
    leptos::mount::mount_to_body(|| view! { <p>"Empty"</p> });
}
