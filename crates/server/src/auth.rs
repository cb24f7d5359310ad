//! Secrets and who is asking: tokens, enrollment codes, PIN hashing, and the extractors that check them.

use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::Argon2;
use axum::extract::FromRequestParts;
use axum::http::header;
use axum::http::request::Parts;
use base64::Engine;
use chrono::{DateTime, Duration, Utc};
use rand::rngs::OsRng;
use rand::RngCore;
use sha2::{Digest, Sha256};

use crate::api::{Role, UserView};
use crate::store::Device;
use crate::{AppError, AppState};

/// Prefix of device tokens, so a leaked token is recognisable (and greppable) for what it is.
pub const DEVICE_TOKEN_PREFIX: &str = "dld_";
/// Prefix of session tokens.
pub const SESSION_TOKEN_PREFIX: &str = "dls_";
/// How long an enrollment code works.
pub const ENROLLMENT_CODE_LIFETIME: Duration = Duration::hours(24);
/// How long a sign-in lasts (a long shift).
pub const SESSION_LIFETIME: Duration = Duration::hours(12);

/// Crockford base 32: no I, L, O or U, so a code read aloud or typed is hard to get wrong.
const CODE_ALPHABET: &[u8; 32] = b"0123456789ABCDEFGHJKMNPQRSTVWXYZ";

/// Failures of secret handling.
#[derive(Debug, thiserror::Error)]
pub enum AuthError {
    /// The KDF refused its input or parameters.
    #[error("hashing the PIN failed: {0}")]
    Hash(String),
    /// A PIN too short to be a PIN.
    #[error("a PIN needs at least 4 characters")]
    PinTooShort,
    /// A PIN shorter than the site allows.
    #[error("a PIN needs at least {0} characters at this site")]
    PinShorterThan(usize),
}

/// A new random bearer token with the given prefix: 32 random bytes, URL-safe base 64.
pub fn new_token(prefix: &str) -> String {
    let mut bytes = [0u8; 32];
    OsRng.fill_bytes(&mut bytes);
    format!(
        "{prefix}{}",
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
    )
}

/// SHA-256 (hex) of a token: what the database keeps. Tokens are random, so no salt or KDF is needed.
pub fn token_hash(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

/// A new one-time enrollment code, `XXXX-XXXX-XXXX` (60 random bits).
pub fn new_enrollment_code() -> String {
    let mut bytes = [0u8; 12];
    OsRng.fill_bytes(&mut bytes);
    let chars: Vec<char> = bytes
        .iter()
        .map(|b| CODE_ALPHABET[(*b & 31) as usize] as char)
        .collect();
    chars
        .chunks(4)
        .map(|c| c.iter().collect::<String>())
        .collect::<Vec<_>>()
        .join("-")
}

/// Normalises a typed code (case, dashes, spaces, look-alike letters) before hashing.
pub fn normalize_code(code: &str) -> String {
    code.chars()
        .filter(|c| c.is_ascii_alphanumeric())
        .map(|c| match c.to_ascii_uppercase() {
            'O' => '0',
            'I' | 'L' => '1',
            c => c,
        })
        .collect()
}

/// Hash of an enrollment code as typed.
pub fn code_hash(code: &str) -> String {
    token_hash(&normalize_code(code))
}

/// argon2id hash (PHC string) of a PIN or password.
pub fn hash_pin(pin: &str) -> Result<String, AuthError> {
    if pin.chars().count() < 4 {
        return Err(AuthError::PinTooShort);
    }
    let salt = SaltString::generate(&mut OsRng);
    Argon2::default()
        .hash_password(pin.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| AuthError::Hash(e.to_string()))
}

/// True when `pin` matches the stored hash; a corrupt hash never matches.
pub fn verify_pin(pin: &str, hash: &str) -> bool {
    PasswordHash::new(hash)
        .map(|parsed| {
            Argon2::default()
                .verify_password(pin.as_bytes(), &parsed)
                .is_ok()
        })
        .unwrap_or(false)
}

fn bearer(parts: &Parts) -> Result<&str, AppError> {
    let value = parts.headers.get(header::AUTHORIZATION).ok_or_else(|| {
        AppError::unauthorized(
            "missing_token",
            "This route needs an `Authorization: Bearer` token.",
        )
    })?;
    value
        .to_str()
        .ok()
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(str::trim)
        .filter(|t| !t.is_empty())
        .ok_or_else(|| {
            AppError::unauthorized(
                "invalid_token",
                "The Authorization header is not a Bearer token.",
            )
        })
}

fn invalid_token() -> AppError {
    AppError::unauthorized(
        "invalid_token",
        "The token is unknown, expired or revoked; sign in again or re-enroll the device.",
    )
}

/// Code of the 403 answered to any request with the token of a revoked device or a session of one.
pub const DEVICE_REVOKED: &str = "device_revoked";

/// The 403 [`DEVICE_REVOKED`] answer.
pub fn device_revoked() -> AppError {
    AppError::forbidden(
        DEVICE_REVOKED,
        "This device was revoked by the lab: it can no longer sync or sign anyone in. Hand it to a \
         supervisor; what it has not sent stays on it, encrypted.",
    )
}

/// The raw bearer token of a request, for routes that act on the token itself (sign out).
pub struct BearerToken(pub String);

impl FromRequestParts<AppState> for BearerToken {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, _: &AppState) -> Result<Self, AppError> {
        bearer(parts).map(|t| BearerToken(t.to_owned()))
    }
}

/// An enrolled, unrevoked device, and the signed-in user when the token is a session token.
#[derive(Debug, Clone)]
pub struct Caller {
    /// The device.
    pub device: Device,
    /// The user, for session tokens.
    pub user: Option<UserView>,
}

impl Caller {
    /// Looks up a bearer token: a device token or a session token.
    pub async fn from_token(
        state: &AppState,
        token: &str,
        now: DateTime<Utc>,
    ) -> Result<Self, AppError> {
        let hash = token_hash(token);
        let caller = if token.starts_with(SESSION_TOKEN_PREFIX) {
            let session = state.store.session_by_token(&hash, now).await?;
            session.map(|s| Caller {
                device: s.device,
                user: Some(s.user),
            })
        } else if token.starts_with(DEVICE_TOKEN_PREFIX) {
            let device = state.store.device_by_token(&hash, now).await?;
            device.map(|device| Caller { device, user: None })
        } else {
            None
        };
        match caller {
            Some(caller) => Ok(caller),
            // Only on the way out: the tablet wipes what it has delivered on this answer, so it
            // must differ from an unknown or expired token.
            None if state.store.token_of_revoked_device(&hash).await? => Err(device_revoked()),
            None => Err(invalid_token()),
        }
    }

    /// The actor named in the audit log.
    pub fn actor(&self) -> String {
        match &self.user {
            Some(u) => user_actor(u.id, self.device.id),
            None => format!("device:{}", self.device.id),
        }
    }
}

/// The audit log's name for a user acting on a device.
pub fn user_actor(user: impl std::fmt::Display, device: impl std::fmt::Display) -> String {
    format!("user:{user}@device:{device}")
}

impl FromRequestParts<AppState> for Caller {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, AppError> {
        let token = bearer(parts)?.to_owned();
        Caller::from_token(state, &token, Utc::now()).await
    }
}

/// A signed-in user on an enrolled device.
#[derive(Debug, Clone)]
pub struct SignedIn {
    /// The device.
    pub device: Device,
    /// The user.
    pub user: UserView,
}

impl FromRequestParts<AppState> for SignedIn {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, AppError> {
        let caller = Caller::from_request_parts(parts, state).await?;
        match caller.user {
            Some(user) => Ok(SignedIn {
                device: caller.device,
                user,
            }),
            None => Err(AppError::unauthorized(
                "sign_in_required",
                "This route needs a signed-in user; sign in on the device first.",
            )),
        }
    }
}

impl SignedIn {
    /// The actor named in the audit log.
    pub fn actor(&self) -> String {
        user_actor(self.user.id, self.device.id)
    }
}

/// A signed-in supervisor or admin.
#[derive(Debug, Clone)]
pub struct Supervisor(pub SignedIn);

impl FromRequestParts<AppState> for Supervisor {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, AppError> {
        let signed_in = SignedIn::from_request_parts(parts, state).await?;
        if signed_in.user.role < Role::Supervisor {
            return Err(AppError::forbidden(
                "role_required",
                "This route needs the supervisor role.",
            ));
        }
        Ok(Supervisor(signed_in))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_enrollment_code_reads_back_whatever_the_case_and_dashes() {
        let code = new_enrollment_code();
        assert_eq!(code.len(), 14);
        assert_eq!(
            code_hash(&code),
            code_hash(&code.to_lowercase().replace('-', " "))
        );
    }

    #[test]
    fn look_alike_letters_in_a_typed_code_mean_the_digits() {
        assert_eq!(normalize_code("o1l-I0"), "01110");
    }

    #[test]
    fn tokens_are_unique_prefixed_and_hashed_to_hex() {
        let a = new_token(DEVICE_TOKEN_PREFIX);
        let b = new_token(DEVICE_TOKEN_PREFIX);
        assert_ne!(a, b);
        assert!(a.starts_with("dld_"));
        assert_eq!(token_hash(&a).len(), 64);
        assert_ne!(token_hash(&a), token_hash(&b));
    }

    #[test]
    fn a_pin_verifies_against_its_hash_and_nothing_else_does() {
        let hash = hash_pin("2468").unwrap();
        assert!(hash.starts_with("$argon2id$"));
        assert!(verify_pin("2468", &hash));
        assert!(!verify_pin("2469", &hash));
        assert!(!verify_pin("2468", "not a hash"));
    }

    #[test]
    fn a_pin_shorter_than_four_characters_is_refused() {
        assert!(matches!(hash_pin("12"), Err(AuthError::PinTooShort)));
    }
}
