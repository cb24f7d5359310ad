//! Which lab server this tablet talks to, or that it cannot be reached right now.

use leptos::prelude::*;

use crate::sync;

/// The lab's name from the server's health check; offline says so, calmly.
#[component]
pub fn LabInfo() -> impl IntoView {
    let health = LocalResource::new(sync::fetch_health);
    view! {
        <Transition fallback=|| view! { <p class="muted">"Contacting the lab server…"</p> }>
            {move || {
                health
                    .get()
                    .map(|res| match res {
                        Ok(h) => {
                            view! {
                                <p class="lab">
                                    "Lab: "
                                    <strong data-testid="site-name">{h.site}</strong>
                                </p>
                            }
                                .into_any()
                        }
                        Err(e) => {
                            view! {
                                <p class="notice" data-testid="server-unreachable">
                                    {e.to_string()}
                                    ". You can keep working: everything is saved on this tablet."
                                </p>
                            }
                                .into_any()
                        }
                    })
            }}
        </Transition>
    }
}
