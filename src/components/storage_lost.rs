//! `StorageLost`: the loud warning that the browser deleted Drawline's data on this tablet.

use leptos::prelude::*;

use crate::context::DeviceDb;
use crate::storage::marker::{self, MarkerCheck};

/// Checks at start that the database is the one this browser had (see `storage::marker`); when
/// it is not, says so loudly until someone acknowledges it: collections that had not synced are
/// gone from the tablet, and a supervisor must know now.
#[component]
pub fn StorageLost() -> impl IntoView {
    let DeviceDb(db) = DeviceDb::expect();
    let acknowledged = RwSignal::new(false);
    // Once per start: the check must see the database as it opened, before any enrollment.
    let found = LocalResource::new(move || async move {
        let store = db.await.ok()?;
        marker::check_at_start(&*store).await.ok()
    });
    let lost = move || matches!(found.get().flatten(), Some(MarkerCheck::Lost { .. }));
    view! {
        <Show when=move || lost() && !acknowledged.get()>
            <section class="storage-lost" role="alert" data-testid="storage-lost">
                <h2>"The browser deleted Drawline's data on this tablet"</h2>
                <p>
                    "Collections that had not synced before are gone from this tablet. Tell a supervisor now, before you collect again."
                </p>
                <p>"The lab is told when this tablet is enrolled again."</p>
                <button class="button" type="button" data-testid="storage-lost-ack" on:click=move |_| acknowledged.set(true)>
                    "I have told a supervisor"
                </button>
            </section>
        </Show>
    }
}
