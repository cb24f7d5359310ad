//! People signing in on an enrolled device, with failed attempts limited per user on each device and across devices.

use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use chrono::Utc;

use crate::api::{DeviceRef, Me, SessionResponse, SignInRequest, UserView};
use crate::auth::{self, BearerToken, Caller, SignedIn, SESSION_TOKEN_PREFIX};
use crate::error::Problem;
use crate::extract::ApiJson;
use crate::store::{AttemptOutcome, AuditEntry, NewSession, SignInGate};
use crate::{AppError, AppState};

/// Longest PIN or password read: argon2 over megabytes would be a cheap way to burn the CPU.
const MAX_PIN_CHARS: usize = 128;

/// Signs a person in on the calling device; answers a session token carrying their role, the
/// calling device's data key (`data_key`, base64url: the key its tablet encrypts patient data
/// with, for no other device and from no other route) and the lab's public key.
///
/// The attempt is counted (per user on this device and per user across devices) before its PIN
/// is checked, in one store transaction, so a burst of guesses checks no more PINs than the
/// limit. A missing or inactive user's PIN is checked against a dummy hash: the same work, the
/// same answer and the same count as a wrong PIN.
#[utoipa::path(post, path = "/sessions", tag = "sessions", request_body = SignInRequest,
    security(("bearer" = [])),
    responses((status = 200, body = SessionResponse),
              (status = 401, description = "no device token, or wrong user or PIN", body = Problem),
              (status = 403, description = "`device_revoked`: the device was revoked", body = Problem),
              (status = 422, description = "user name empty or too long, PIN too long", body = Problem),
              (status = 429, description = "too many failed sign-ins for this user (on this device or across devices); `Retry-After` says when the next try is allowed", body = Problem,
               headers(("Retry-After" = u64, description = "seconds until the oldest counted failure leaves the window"))),
              (status = 503, description = "`busy`: every PIN worker stayed busy; `Retry-After` says when to try again", body = Problem,
               headers(("Retry-After" = u64, description = "seconds to wait")))))]
pub async fn sign_in(
    State(state): State<AppState>,
    caller: Caller,
    ApiJson(req): ApiJson<SignInRequest>,
) -> Result<Json<SessionResponse>, AppError> {
    let now = Utc::now();
    let device = caller.device;
    let username = req.username.trim().to_owned();
    if username.is_empty() || username.chars().count() > crate::accounts::MAX_NAME_CHARS {
        return Err(AppError::unprocessable(
            "invalid_username",
            "The user name is empty or too long.",
        ));
    }
    // Only an absurd length is refused before the check; a PIN shorter than the site's
    // minimum is checked like any other, so the answer says nothing about the site's PIN rule.
    if req.pin.chars().count() > MAX_PIN_CHARS {
        return Err(AppError::unprocessable(
            "invalid_pin",
            "The PIN is too long.",
        ));
    }
    let policy = state.limits.sign_in_policy();
    let attempt = match state
        .store
        .begin_sign_in(&username, device.id, now, policy)
        .await?
    {
        SignInGate::Open(attempt) => attempt,
        SignInGate::Closed { retry_after_secs } => {
            return Err(AppError::TooManyAttempts { retry_after_secs })
        }
    };
    let checked = check_pin(&state, &username, req.pin).await;
    let outcome = match &checked {
        Ok(Some(_)) => AttemptOutcome::Succeeded,
        Ok(None) => AttemptOutcome::Failed,
        Err(_) => AttemptOutcome::NotChecked,
    };
    state.store.finish_sign_in(&attempt, outcome).await?;
    let Some(user) = checked? else {
        state
            .store
            .audit(
                AuditEntry {
                    actor: format!("device:{}", device.id),
                    action: "session.sign_in_failed".into(),
                    subject: None,
                    detail: Some(serde_json::json!({ "username": username }).to_string()),
                },
                now,
            )
            .await?;
        return Err(AppError::unauthorized(
            "bad_credentials",
            "The user name or PIN is wrong.",
        ));
    };
    // This device's key only, made now for a device registered before data keys existed.
    let data_key = state
        .store
        .device_data_key(device.id)
        .await?
        .ok_or(crate::store::StoreError::Missing("device"))?;
    let token = auth::new_token(SESSION_TOKEN_PREFIX);
    let expires_at = now + auth::SESSION_LIFETIME;
    state
        .store
        .create_session(NewSession {
            token_hash: auth::token_hash(&token),
            user_id: user.id,
            device_id: device.id,
            expires_at,
        })
        .await?;
    state
        .store
        .audit(
            AuditEntry {
                actor: crate::auth::user_actor(user.id, device.id),
                action: "session.opened".into(),
                subject: Some(format!("user:{}", user.id)),
                detail: None,
            },
            now,
        )
        .await?;
    Ok(Json(SessionResponse {
        data_key: Some(URL_SAFE_NO_PAD.encode(data_key.0)),
        lab_key: Some(state.lab_key.public_jwk().clone()),
        token,
        expires_at,
        user,
    }))
}

/// The user whose PIN this is, or `None` for a wrong PIN or a missing or inactive user (checked
/// against the dummy hash, so both take the same path); an error when no PIN was checked.
pub(crate) async fn check_pin(
    state: &AppState,
    username: &str,
    pin: String,
) -> Result<Option<UserView>, AppError> {
    let creds = state
        .store
        .user_credentials(username)
        .await?
        .filter(|c| c.active);
    let hash = creds.as_ref().map(|c| c.pin_hash.clone());
    let matched = state
        .pins
        .verify(pin, hash)
        .await
        .map_err(|b| AppError::Busy {
            retry_after_secs: b.retry_after_secs,
        })?;
    Ok(creds.filter(|_| matched).map(|c| c.user))
}

/// Ends the calling session; its token stops working at once.
#[utoipa::path(delete, path = "/sessions/current", tag = "sessions", security(("bearer" = [])),
    responses((status = 204), (status = 401, body = Problem)))]
pub async fn sign_out(
    State(state): State<AppState>,
    signed_in: SignedIn,
    BearerToken(token): BearerToken,
) -> Result<StatusCode, AppError> {
    let now = Utc::now();
    state
        .store
        .end_session(&auth::token_hash(&token), now)
        .await?;
    state
        .store
        .audit(
            AuditEntry {
                actor: signed_in.actor(),
                action: "session.ended".into(),
                subject: Some(format!("user:{}", signed_in.user.id)),
                detail: None,
            },
            now,
        )
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Who the token belongs to: the device, and the person when signed in.
#[utoipa::path(get, path = "/me", tag = "sessions", security(("bearer" = [])),
    responses((status = 200, body = Me), (status = 401, body = Problem)))]
pub async fn me(caller: Caller) -> Json<Me> {
    Json(Me {
        device: DeviceRef {
            id: caller.device.id,
            name: caller.device.name,
        },
        user: caller.user,
    })
}
