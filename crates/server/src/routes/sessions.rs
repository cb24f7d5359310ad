//! People signing in on an enrolled device, with failed attempts rate limited per user and device.

use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use chrono::Utc;

use crate::api::{DeviceRef, Me, SessionResponse, SignInRequest};
use crate::auth::{self, BearerToken, Caller, SignedIn, SESSION_TOKEN_PREFIX};
use crate::error::Problem;
use crate::extract::ApiJson;
use crate::store::{AuditEntry, NewSession};
use crate::{AppError, AppState};

/// Longest PIN or password read: argon2 over megabytes would be a cheap way to burn the CPU.
const MAX_PIN_CHARS: usize = 128;

/// Signs a person in on the calling device; answers a session token carrying their role.
#[utoipa::path(post, path = "/sessions", tag = "sessions", request_body = SignInRequest,
    security(("bearer" = [])),
    responses((status = 200, body = SessionResponse),
              (status = 401, description = "no device token, or wrong user or PIN", body = Problem),
              (status = 429, description = "too many failed sign-ins", body = Problem)))]
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
    if req.pin.chars().count() > MAX_PIN_CHARS {
        return Err(AppError::unprocessable(
            "invalid_pin",
            "The PIN is too long.",
        ));
    }
    let failures = state
        .store
        .sign_in_failures(&username, device.id, now - auth::SIGN_IN_WINDOW)
        .await?;
    if failures >= auth::MAX_FAILED_SIGN_INS {
        return Err(AppError::TooManyAttempts {
            retry_after_secs: auth::SIGN_IN_WINDOW.num_seconds() as u64,
        });
    }
    let creds = state.store.user_credentials(&username).await?;
    let pin = req.pin;
    let user = match creds.filter(|c| c.active) {
        Some(c) => {
            let hash = c.pin_hash.clone();
            let ok = tokio::task::spawn_blocking(move || auth::verify_pin(&pin, &hash))
                .await
                .unwrap_or(false);
            ok.then_some(c.user)
        }
        None => None,
    };
    let Some(user) = user else {
        state
            .store
            .record_sign_in_failure(&username, device.id, now)
            .await?;
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
    state
        .store
        .clear_sign_in_failures(&username, device.id)
        .await?;
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
        token,
        expires_at,
        user,
    }))
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
