//! First start: the tablet is enrolled with the one-time code the lab gave for it.

use leptos::prelude::*;
use leptos_router::hooks::use_navigate;

use crate::components::lab_info::LabInfo;
use crate::components::status_bar::StatusBar;
use crate::components::storage_problem::StorageProblem;
use crate::context::{Auth, DeviceDb};
use crate::storage::boot_hints;
use crate::storage::keys::{TypedRecords, DEVICE, PULL_CURSOR};
use crate::storage::quota::request_persistent_storage;
use crate::storage::StorageError;
use crate::sync::runner::{Phase, SyncRunner};
use crate::sync::{self, SyncError};

/// Why enrollment did not finish.
#[derive(Debug, Clone)]
enum Failure {
    Sync(SyncError),
    Storage(StorageError),
}

/// The enrollment screen: one field, one button.
#[component]
pub fn Enroll() -> impl IntoView {
    let db = DeviceDb::expect();
    let auth = Auth::expect();
    let navigate = use_navigate();
    let code = RwSignal::new(String::new());

    let runner: SyncRunner = expect_context();
    let enroll = Action::new_local(move |code: &String| {
        let code = code.clone();
        async move {
            let answer = sync::enroll(&code).await.map_err(Failure::Sync)?;
            let store = db.0.await.map_err(Failure::Storage)?;
            // Stored before the screen moves on: a reload must not ask for a used code again.
            store
                .write(DEVICE, &answer)
                .await
                .map_err(Failure::Storage)?;
            boot_hints::update(|h| h.enrolled = true);
            // A new enrollment is a new device to the lab: its worklist starts from scratch.
            store.remove(PULL_CURSOR).await.map_err(Failure::Storage)?;
            request_persistent_storage().await;
            Ok::<_, Failure>(answer)
        }
    });
    Effect::new(move |_| {
        if let Some(Ok(answer)) = enroll.value().get() {
            auth.device.set(Some(answer));
            runner.phase.set(Phase::Idle);
            runner.kick();
            navigate("/sign-in", Default::default());
        }
    });
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        if !code.get_untracked().trim().is_empty() {
            enroll.dispatch(code.get_untracked());
        }
    };

    view! {
        <StatusBar />
        <section class="card narrow" data-testid="enroll">
            <h1>"Set up this tablet"</h1>
            <LabInfo />
            <p>
                "Type the enrollment code the lab gave you for this tablet. You need a connection once; after that Drawline works offline."
            </p>
            <form on:submit=submit>
                <div class="field">
                    <label for="enroll-code">"Enrollment code"</label>
                    <input
                        id="enroll-code"
                        class="code-input"
                        type="text"
                        autocomplete="off"
                        autocapitalize="characters"
                        spellcheck="false"
                        placeholder="XXXX-XXXX-XXXX"
                        data-testid="enroll-code"
                        prop:value=code
                        on:input=move |ev| code.set(event_target_value(&ev))
                    />
                </div>
                <button
                    class="button primary wide"
                    type="submit"
                    data-testid="enroll-submit"
                    disabled=move || enroll.pending().get()
                >
                    {move || if enroll.pending().get() { "Enrolling…" } else { "Enroll this tablet" }}
                </button>
            </form>
            {move || {
                enroll
                    .value()
                    .get()
                    .and_then(Result::err)
                    .map(|f| match f {
                        Failure::Sync(e) => {
                            view! {
                                <p class="error" role="alert" data-testid="enroll-error">
                                    {e.human()}
                                </p>
                            }
                                .into_any()
                        }
                        Failure::Storage(e) => view! { <StorageProblem error=e /> }.into_any(),
                    })
            }}
        </section>
    }
}
