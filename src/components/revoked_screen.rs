//! `RevokedScreen`: the lab revoked this tablet; what it still keeps, sealed, and who to give it to.

use leptos::prelude::*;

use crate::context::{DeviceDb, Revision};

/// Covers the app once the lab revoked the tablet: how many collections not yet delivered stay
/// on it (sealed so only the lab can read them), to hand the tablet to a supervisor, and the
/// emergency hand-over.
#[component]
pub fn RevokedScreen() -> impl IntoView {
    let DeviceDb(db) = DeviceDb::expect();
    let revision = Revision::expect();
    let kept = LocalResource::new(move || {
        revision.track();
        async move { db.await.ok()?.count_outbox().await.ok() }
    });
    let kept_text = move || {
        kept.get()
            .flatten()
            .map(|n| n.to_string())
            .unwrap_or_else(|| "?".into())
    };
    view! {
        <div class="cover revoked-screen" role="alertdialog" aria-modal="true" aria-labelledby="revoked-title" data-testid="revoked">
            <section class="card cover-card">
                <h1 id="revoked-title">"The lab revoked this tablet"</h1>
                <p class="cover-figure">
                    <Transition fallback=|| "…">
                        <strong data-testid="revoked-kept">{kept_text}</strong>
                    </Transition>
                    " "
                    {move || {
                        if kept.get().flatten() == Some(1) {
                            "collection not yet delivered to the lab is kept on it"
                        } else {
                            "collections not yet delivered to the lab are kept on it"
                        }
                    }}
                </p>
                <p>
                    {move || {
                        if kept.get().flatten() == Some(1) {
                            "It is sealed so that only the lab can read it."
                        } else {
                            "They are sealed so that only the lab can read them."
                        }
                    }}
                    " What the lab had already received, and the round's patient list, are deleted from this tablet."
                </p>
                <p class="strong">"Hand this tablet to a supervisor."</p>
                <div class="actions">
                    <a class="button primary" href="/handover" data-testid="revoked-handover">
                        "Emergency hand-over"
                    </a>
                </div>
            </section>
        </div>
    }
}
