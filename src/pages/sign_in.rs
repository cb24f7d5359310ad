//! Sign in: the collector picks themself (or types their user name) and enters their PIN.

use std::time::Duration;

use leptos::html::Input;
use leptos::prelude::*;
use leptos_router::components::Redirect;
use leptos_router::hooks::use_navigate;

use crate::components::error_note::failure_of;
use crate::components::field::{RequestForm, TextField};
use crate::components::lab_info::LabInfo;
use crate::components::status_bar::StatusBar;
use crate::context::{Auth, DeviceDb, Lock, RecentUser, Revision};
use crate::error::AppError;
use crate::hooks::use_interval::use_interval;
use crate::human::wait_text;
use crate::storage::keys::{self, TypedRecords};
use crate::sync::runner::SyncRunner;
use crate::sync::{self, SyncError};

/// How many collectors are offered as one-tap buttons.
const RECENT_USERS: usize = 6;

/// Why the next sign-in has to wait, and until when.
#[derive(Debug, Clone, PartialEq)]
struct Wait {
    /// The user name with too many wrong PINs, or `None` when the lab was only busy.
    locked_user: Option<String>,
    /// When the lab allows the next try, in milliseconds since the epoch (this tablet's clock).
    until_ms: f64,
}

/// What the tablet says while a sign-in has to wait `seconds` more (until `at`, local time).
fn wait_notice(locked_user: Option<&str>, seconds: u64, at: &str) -> String {
    let wait = wait_text(seconds);
    match locked_user {
        Some(user) => format!(
            "Too many wrong PINs for {user}. Try again in {wait} (at {at}), or ask a supervisor to unlock."
        ),
        None => format!("The lab server is busy with other sign-ins. Try again in {wait}."),
    }
}

/// Local "HH:MM" of an instant in milliseconds since the epoch.
fn local_hm(ms: f64) -> String {
    chrono::DateTime::from_timestamp_millis(ms as i64)
        .map(|t| drawline_domain::clock_text::hm(&t.with_timezone(&chrono::Local)))
        .unwrap_or_default()
}

/// The sign-in screen; the round's worklist is downloaded right after, so the draw list works
/// offline afterwards.
#[component]
pub fn SignIn() -> impl IntoView {
    let db = DeviceDb::expect();
    let auth = Auth::expect();
    let lock = Lock::expect();
    let revision = Revision::expect();
    let navigate = use_navigate();
    let username = RwSignal::new(String::new());
    let pin = RwSignal::new(String::new());
    let pin_input = NodeRef::<Input>::new();
    // The lab's Retry-After, counted down every second; the fields keep what was typed.
    let wait = RwSignal::new(None::<Wait>);
    let now_ms = RwSignal::new(js_sys::Date::now());
    use_interval(Duration::from_secs(1), move || {
        now_ms.set(js_sys::Date::now())
    });

    let recent = LocalResource::new(move || async move {
        let store = db.0.await.ok()?;
        store.read(keys::RECENT_USERS).await.ok()?
    });

    let runner: SyncRunner = expect_context();
    let sign_in = Action::new_local(move |(user, pin): &(String, String)| {
        let (user, pin) = (user.clone(), pin.clone());
        async move {
            let device = auth
                .device
                .get_untracked()
                .ok_or_else(|| AppError::refused("This tablet is not enrolled yet."))?;
            let session = sync::sign_in(&device.token, &user, &pin)
                .await
                .map_err(|e| match e {
                    SyncError::Offline => AppError::refused(
                        "Signing in needs the lab server, which cannot be reached. Unfinished collections stay safe on this tablet.",
                    ),
                    SyncError::RetryLater {
                        status,
                        retry_after_secs,
                        ..
                    } => {
                        let now = js_sys::Date::now();
                        now_ms.set(now);
                        wait.set(Some(Wait {
                            locked_user: (status == 429).then(|| user.trim().to_owned()),
                            until_ms: now + retry_after_secs as f64 * 1000.0,
                        }));
                        e.into()
                    }
                    e => e.into(),
                })?;
            let store = db.0.await?;
            crate::session_key::open_at_sign_in(
                store.as_ref(),
                &lock.vault.get_value(),
                &session,
                &pin,
            )
            .await?;
            lock.locked.set(false);
            let mut users: Vec<RecentUser> = store
                .read(keys::RECENT_USERS)
                .await
                .ok()
                .flatten()
                .unwrap_or_default();
            users.retain(|u| u.username != session.user.username);
            users.insert(
                0,
                RecentUser {
                    username: session.user.username.clone(),
                    display_name: session.user.display_name.clone(),
                },
            );
            users.truncate(RECENT_USERS);
            let _ = store.write(keys::RECENT_USERS, &users).await;
            // The round goes on the tablet now, while there is a connection. A failure here
            // keeps the last downloaded worklist; the draw list offers "Prepare for round".
            let _ = runner.prepare().await;
            Ok::<_, AppError>(session)
        }
    });
    Effect::new(move |_| {
        if let Some(Ok(session)) = sign_in.value().get() {
            auth.session.set(Some(session));
            revision.bump();
            navigate(auth.start_path(), Default::default());
        }
    });
    let submit = move || {
        let (u, p) = (username.get_untracked(), pin.get_untracked());
        if !u.trim().is_empty() && !p.is_empty() {
            wait.set(None);
            sign_in.dispatch((u, p));
        }
    };
    let seconds_left = move || {
        let w = wait.get()?;
        let left = ((w.until_ms - now_ms.get()) / 1000.0).ceil();
        (left >= 1.0).then_some((w, left as u64))
    };
    // A wait is shown by its own live notice, not as a frozen error line.
    let error = Signal::derive(move || {
        failure_of(sign_in)
            .get()
            .filter(|e| !matches!(e, AppError::Sync(SyncError::RetryLater { .. })))
    });
    let pick = move |name: String| {
        username.set(name);
        if let Some(el) = pin_input.get() {
            let _ = el.focus();
        }
    };

    view! {
        {move || {
            (auth.loaded.get() && auth.device.get().is_none())
                .then(|| view! { <Redirect path="/enroll" /> })
        }}
        <StatusBar />
        <section class="card narrow" data-testid="sign-in">
            <h1>"Sign in"</h1>
            <LabInfo />
            <Transition fallback=|| ()>
                {move || {
                    recent
                        .get()
                        .flatten()
                        .filter(|u| !u.is_empty())
                        .map(|users| {
                            view! {
                                <fieldset class="who-list">
                                    <legend>"Who is collecting?"</legend>
                                    {users
                                        .into_iter()
                                        .map(|u| {
                                            let name = u.username.clone();
                                            view! {
                                                <button
                                                    type="button"
                                                    class=move || {
                                                        if username.get() == name { "button person chosen" } else { "button person" }
                                                    }
                                                    data-testid=format!("recent-{}", u.username)
                                                    on:click={
                                                        let n = u.username.clone();
                                                        move |_| pick(n.clone())
                                                    }
                                                >
                                                    <span class="person-name">{u.display_name.clone()}</span>
                                                    <span class="muted">{u.username.clone()}</span>
                                                </button>
                                            }
                                        })
                                        .collect_view()}
                                </fieldset>
                            }
                        })
                }}
            </Transition>
            <RequestForm
                on_submit=submit
                action=sign_in
                submit_test_id="sign-in-submit"
                label="Sign in"
                pending_label="Signing in…"
                error_test_id="sign-in-error"
                error=error
            >
                <TextField
                    label="User name"
                    id="username"
                    value=username
                    autocomplete="username"
                    autocapitalize="off"
                    no_spellcheck=true
                />
                <TextField
                    label="PIN"
                    id="pin"
                    value=pin
                    kind="password"
                    inputmode="numeric"
                    autocomplete="current-password"
                    node_ref=pin_input
                />
            </RequestForm>
            {move || {
                seconds_left()
                    .map(|(w, left)| {
                        let text = wait_notice(w.locked_user.as_deref(), left, &local_hm(w.until_ms));
                        view! {
                            <p class="banner" role="status" data-testid="sign-in-wait">
                                {text}
                            </p>
                        }
                    })
            }}
        </section>
    }
}

#[cfg(test)]
mod tests {
    use super::wait_notice;

    #[test]
    fn a_locked_user_is_told_how_long_until_when_and_who_can_unlock() {
        assert_eq!(
            wait_notice(Some("amara"), 245, "22:41"),
            "Too many wrong PINs for amara. Try again in 4 min 5 s (at 22:41), or ask a supervisor to unlock."
        );
    }

    #[test]
    fn a_busy_lab_is_a_short_wait_with_no_user_named() {
        assert_eq!(
            wait_notice(None, 2, "22:41"),
            "The lab server is busy with other sign-ins. Try again in 2 s."
        );
    }
}
