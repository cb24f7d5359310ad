//! First start: the tablet is enrolled with the one-time code the lab gave for it.

use leptos::prelude::*;
use leptos_router::hooks::use_navigate;

use crate::components::field::{RequestForm, TextField};
use crate::components::lab_info::LabInfo;
use crate::components::status_bar::StatusBar;
use crate::context::{Auth, DeviceDb};
use crate::error::AppError;
use crate::storage::boot_hints;
use crate::storage::keys::{TypedRecords, DEVICE, PULL_CURSOR};
use crate::storage::marker;
use crate::storage::quota::request_persistent_storage;
use crate::sync;
use crate::sync::runner::{Phase, SyncRunner};

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
            let store = db.0.await?;
            let (db_marker, previous) = marker::for_enrollment(&*store).await?;
            let answer = sync::enroll(&code, &db_marker, previous.as_deref()).await?;
            // Stored before the screen moves on: a reload must not ask for a used code again.
            store.write(DEVICE, &answer).await?;
            marker::keep(&*store, &db_marker).await?;
            boot_hints::update(|h| h.enrolled = true);
            // A new enrollment is a new device to the lab: its worklist starts from scratch.
            store.remove(PULL_CURSOR).await?;
            request_persistent_storage().await;
            Ok::<_, AppError>(answer)
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
    let submit = move || {
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
            <RequestForm
                on_submit=submit
                action=enroll
                submit_test_id="enroll-submit"
                label="Enroll this tablet"
                pending_label="Enrolling…"
                error_test_id="enroll-error"
            >
                <TextField
                    label="Enrollment code"
                    id="enroll-code"
                    value=code
                    class="code-input"
                    autocapitalize="characters"
                    no_spellcheck=true
                    placeholder="XXXX-XXXX-XXXX"
                />
            </RequestForm>
        </section>
    }
}
