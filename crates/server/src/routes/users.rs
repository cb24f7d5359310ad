//! People's life cycle: supervisors deactivate, reactivate, reset PINs, end sessions; anyone signed in changes their own PIN.

use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use chrono::Utc;

use crate::accounts::{self, may_manage};
use crate::api::{ChangePinRequest, ResetPinRequest, SessionsEnded, UserAccount, UserView};
use crate::auth::{self, BearerToken, SignedIn, Supervisor};
use crate::error::Problem;
use crate::extract::{ApiJson, ApiPath};
use crate::store::{AttemptOutcome, AuditEntry, SignInGate};
use crate::{AppError, AppState};

/// Longest PIN read: argon2 over megabytes would be a cheap way to burn the CPU.
const MAX_PIN_CHARS: usize = 128;

fn pin_length_ok(pin: &str) -> Result<(), AppError> {
    if pin.chars().count() > MAX_PIN_CHARS {
        return Err(AppError::unprocessable(
            "invalid_pin",
            format!("A PIN is at most {MAX_PIN_CHARS} characters."),
        ));
    }
    Ok(())
}

/// The person a supervisor acts on, once the rules allow it: they exist, they are not the
/// supervisor themself (unless `self_allowed`), and the supervisor's role may manage theirs.
async fn target(
    state: &AppState,
    who: &SignedIn,
    username: &str,
    self_allowed: bool,
) -> Result<UserView, AppError> {
    let user = accounts::find_user(state.store.as_ref(), username).await?;
    if user.id == who.user.id && !self_allowed {
        return Err(AppError::unprocessable(
            "own_account",
            "You cannot do this to your own account: change your own PIN with POST /me/pin, and ask another supervisor or an admin for the rest.",
        ));
    }
    if !may_manage(who.user.role, user.role) {
        return Err(AppError::forbidden(
            "admin_required",
            "Only an admin may manage a supervisor's or an admin's account.",
        ));
    }
    Ok(user)
}

/// Every person: role, whether they may sign in, and how many sessions of theirs work now.
#[utoipa::path(get, path = "/supervisor/users", tag = "users", security(("bearer" = [])),
    responses((status = 200, body = Vec<UserAccount>), (status = 401, body = Problem),
              (status = 403, body = Problem)))]
pub async fn list(
    State(state): State<AppState>,
    _: Supervisor,
) -> Result<Json<Vec<UserAccount>>, AppError> {
    Ok(Json(state.store.list_accounts(Utc::now()).await?))
}

/// Deactivates a person: they cannot sign in, and every session of theirs ends at once.
#[utoipa::path(post, path = "/supervisor/users/{username}/deactivate", tag = "users",
    params(("username" = String, Path, description = "sign-in name")), security(("bearer" = [])),
    responses((status = 200, body = SessionsEnded), (status = 401, body = Problem),
              (status = 403, description = "not a supervisor; or a supervisor's or admin's account without the admin role", body = Problem),
              (status = 404, body = Problem),
              (status = 422, description = "`own_account`: one's own account", body = Problem)))]
pub async fn deactivate(
    State(state): State<AppState>,
    Supervisor(who): Supervisor,
    ApiPath(username): ApiPath<String>,
) -> Result<Json<SessionsEnded>, AppError> {
    let user = target(&state, &who, &username, false).await?;
    let ended =
        accounts::set_active(state.store.as_ref(), &user, false, &who.actor(), Utc::now()).await?;
    tracing::info!(user = %user.id, sessions_ended = ended, "user deactivated");
    Ok(Json(SessionsEnded { ended }))
}

/// Lets a deactivated person sign in again (their old sessions stay ended).
#[utoipa::path(post, path = "/supervisor/users/{username}/activate", tag = "users",
    params(("username" = String, Path, description = "sign-in name")), security(("bearer" = [])),
    responses((status = 204), (status = 401, body = Problem), (status = 403, body = Problem),
              (status = 404, body = Problem), (status = 422, body = Problem)))]
pub async fn activate(
    State(state): State<AppState>,
    Supervisor(who): Supervisor,
    ApiPath(username): ApiPath<String>,
) -> Result<StatusCode, AppError> {
    let user = target(&state, &who, &username, false).await?;
    accounts::set_active(state.store.as_ref(), &user, true, &who.actor(), Utc::now()).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Gives a person a new PIN (told to them out of band); every session of theirs ends.
#[utoipa::path(post, path = "/supervisor/users/{username}/reset-pin", tag = "users",
    params(("username" = String, Path, description = "sign-in name")),
    request_body = ResetPinRequest, security(("bearer" = [])),
    responses((status = 200, body = SessionsEnded), (status = 400, body = Problem),
              (status = 401, body = Problem), (status = 403, body = Problem),
              (status = 404, body = Problem), (status = 415, body = Problem),
              (status = 422, description = "`invalid_pin`: shorter than the site allows or too long; `own_account`", body = Problem)))]
pub async fn reset_pin(
    State(state): State<AppState>,
    Supervisor(who): Supervisor,
    ApiPath(username): ApiPath<String>,
    ApiJson(req): ApiJson<ResetPinRequest>,
) -> Result<Json<SessionsEnded>, AppError> {
    pin_length_ok(&req.pin)?;
    let user = target(&state, &who, &username, false).await?;
    let ended = accounts::reset_pin(
        state.store.as_ref(),
        &user,
        accounts::NewPin {
            pins: &state.pins,
            pin: &req.pin,
            min_length: state.limits.min_pin_length,
        },
        &who.actor(),
        Utc::now(),
    )
    .await?;
    Ok(Json(SessionsEnded { ended }))
}

/// Ends every session of a person, on every device (they can sign in again).
#[utoipa::path(post, path = "/supervisor/users/{username}/end-sessions", tag = "users",
    params(("username" = String, Path, description = "sign-in name")), security(("bearer" = [])),
    responses((status = 200, body = SessionsEnded), (status = 401, body = Problem),
              (status = 403, body = Problem), (status = 404, body = Problem)))]
pub async fn end_sessions(
    State(state): State<AppState>,
    Supervisor(who): Supervisor,
    ApiPath(username): ApiPath<String>,
) -> Result<Json<SessionsEnded>, AppError> {
    let user = target(&state, &who, &username, true).await?;
    let ended =
        accounts::end_sessions(state.store.as_ref(), &user, &who.actor(), Utc::now()).await?;
    Ok(Json(SessionsEnded { ended }))
}

/// The signed-in person changes their own PIN: the old one must be right (wrong ones count as
/// failed sign-ins of theirs on this device), and every other session of theirs ends.
#[utoipa::path(post, path = "/me/pin", tag = "sessions", request_body = ChangePinRequest,
    security(("bearer" = [])),
    responses((status = 200, body = SessionsEnded), (status = 400, body = Problem),
              (status = 401, description = "no session (`sign_in_required`)", body = Problem),
              (status = 403, description = "`wrong_pin`: the old PIN is wrong", body = Problem),
              (status = 415, body = Problem),
              (status = 422, description = "`invalid_pin`, `same_pin`", body = Problem),
              (status = 429, description = "too many wrong PINs", body = Problem)))]
pub async fn change_own_pin(
    State(state): State<AppState>,
    signed_in: SignedIn,
    BearerToken(token): BearerToken,
    ApiJson(req): ApiJson<ChangePinRequest>,
) -> Result<Json<SessionsEnded>, AppError> {
    pin_length_ok(&req.old_pin)?;
    pin_length_ok(&req.new_pin)?;
    let now = Utc::now();
    let (user, device) = (&signed_in.user, signed_in.device.id);
    // A stolen session must not be a way around the sign-in limit to guess the PIN: the old PIN
    // is checked exactly like a sign-in, counted first in the same store step.
    let policy = state.limits.sign_in_policy();
    let attempt = match state
        .store
        .begin_sign_in(&user.username, device, now, policy)
        .await?
    {
        SignInGate::Open(attempt) => attempt,
        SignInGate::Closed { retry_after_secs } => {
            return Err(AppError::TooManyAttempts { retry_after_secs })
        }
    };
    let checked = super::sessions::check_pin(&state, &user.username, req.old_pin.clone()).await;
    let outcome = match &checked {
        Ok(Some(_)) => AttemptOutcome::Succeeded,
        Ok(None) => AttemptOutcome::Failed,
        Err(_) => AttemptOutcome::NotChecked,
    };
    state.store.finish_sign_in(&attempt, outcome).await?;
    let right = checked?.is_some();
    if !right {
        state
            .store
            .audit(
                AuditEntry {
                    actor: signed_in.actor(),
                    action: "user.pin_change_failed".into(),
                    subject: Some(format!("user:{}", user.id)),
                    detail: None,
                },
                now,
            )
            .await?;
        return Err(AppError::forbidden(
            "wrong_pin",
            "The current PIN is wrong.",
        ));
    }
    if req.new_pin == req.old_pin {
        return Err(AppError::unprocessable(
            "same_pin",
            "The new PIN is the current one; choose another.",
        ));
    }
    let ended = accounts::change_own_pin(
        state.store.as_ref(),
        user,
        accounts::NewPin {
            pins: &state.pins,
            pin: &req.new_pin,
            min_length: state.limits.min_pin_length,
        },
        &auth::token_hash(&token),
        &signed_in.actor(),
        now,
    )
    .await?;
    Ok(Json(SessionsEnded { ended }))
}
