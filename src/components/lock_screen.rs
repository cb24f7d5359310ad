//! `LockScreen`: the PIN screen over a locked tablet, naming who is signed in.

use leptos::html::Input;
use leptos::prelude::*;
use leptos_router::hooks::use_navigate;

use crate::components::field::{RequestForm, TextField};
use crate::context::{Auth, DeviceDb, Lock, Revision};
use crate::error::AppError;
use crate::sign_out::sign_out;
use crate::storage::keys::{TypedRecords, SIGNED_IN};
use crate::storage::Vault;
use crate::unlock::{self, UnlockError};

/// The lock screen: who is signed in, a PIN field and "Unlock"; "Sign in as someone else"; and
/// the emergency hand-over, which needs no PIN. Unlocking takes the collector back to exactly
/// the screen they left.
#[component]
pub fn LockScreen() -> impl IntoView {
    let db = DeviceDb::expect();
    let auth = Auth::expect();
    let lock = Lock::expect();
    let revision = Revision::expect();
    let navigate = use_navigate();
    let pin = RwSignal::new(String::new());
    let pin_input = NodeRef::<Input>::new();
    // No PIN can unlock any more (wrap deleted or never stored): why, and only signing in online.
    let must_sign_in = RwSignal::new(None::<String>);

    // Who is signed in, as stored for this screen (the session's name until it is).
    let who = LocalResource::new(move || async move {
        let stored = match db.0.await {
            Ok(store) => store.read(SIGNED_IN).await.ok().flatten(),
            Err(_) => None,
        };
        stored
            .map(|s| s.display_name)
            .or_else(|| auth.session.get_untracked().map(|s| s.user.display_name))
    });

    let unlock = Action::new_local(move |pin: &String| {
        let pin = pin.clone();
        async move {
            let store = db.0.await?;
            let vault = lock.vault.get_value();
            match unlock::unlock(&*store, &vault, &pin).await {
                // After a reload the session is read now that it can be decrypted.
                Ok(()) => auth.resume(db).await.map_err(AppError::Storage),
                Err(e) => {
                    if e.must_sign_in() {
                        must_sign_in.set(Some(e.to_string()));
                        // Nobody can unlock: the key leaves memory at once.
                        lock.vault.with_value(Vault::close);
                    }
                    Err(match e {
                        UnlockError::Storage(s) => AppError::Storage(s),
                        other => AppError::refused(other.to_string()),
                    })
                }
            }
        }
    });
    Effect::new(move |_| {
        if let Some(Ok(())) = unlock.value().get() {
            lock.locked.set(false);
            revision.bump();
        }
    });
    let submit = move || {
        let p = pin.get_untracked();
        if !p.is_empty() {
            unlock.dispatch(p);
            pin.set(String::new());
        }
    };
    // The PIN field has the focus, so a collector can type at once.
    Effect::new(move |_| {
        if let Some(el) = pin_input.get() {
            let _ = el.focus();
        }
    });

    let switch_user = move |_| {
        let navigate = navigate.clone();
        leptos::task::spawn_local(async move {
            // Away from the open screen first, still covered: the next person starts on the
            // sign-in screen and never sees what the first had open.
            navigate("/sign-in", Default::default());
            sign_out(db, auth, lock).await;
            lock.locked.set(false);
        });
    };

    view! {
        <div class="cover lock-screen" role="dialog" aria-modal="true" aria-labelledby="lock-title" data-testid="lock-screen">
            <section class="card cover-card">
                <h1 id="lock-title">"Drawline is locked"</h1>
                <p class="lock-who">
                    "Signed in: "
                    <strong data-testid="locked-user">
                        <Transition fallback=|| "…">{move || who.get().flatten().unwrap_or_default()}</Transition>
                    </strong>
                </p>
                {move || {
                    if let Some(why) = must_sign_in.get() {
                        view! {
                            <p class="error" role="alert" data-testid="unlock-error">
                                {why}
                            </p>
                        }
                            .into_any()
                    } else {
                        view! {
                            <RequestForm
                                on_submit=submit
                                action=unlock
                                submit_test_id="unlock-submit"
                                label="Unlock"
                                pending_label="Checking the PIN…"
                                error_test_id="unlock-error"
                            >
                                <TextField
                                    label="PIN"
                                    id="unlock-pin"
                                    value=pin
                                    kind="password"
                                    inputmode="numeric"
                                    autocomplete="off"
                                    node_ref=pin_input
                                />
                            </RequestForm>
                        }
                            .into_any()
                    }
                }}
                <p class="muted">"Everything you were doing is kept as it was: unlocking takes you back to it."</p>
                <div class="actions">
                    <button class="button" type="button" data-testid="switch-user" on:click=switch_user>
                        {move || if must_sign_in.with(Option::is_some) { "Sign in again" } else { "Sign in as someone else" }}
                    </button>
                </div>
                <p class="secondary-links">
                    <a href="/handover" data-testid="lock-handover">"Emergency hand-over"</a>
                </p>
            </section>
        </div>
    }
}
