//! Argon2 work bounded: a few permits for every PIN check and hash, and a dummy hash so a missing user costs what a wrong PIN costs.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use tokio::sync::{OwnedSemaphorePermit, Semaphore};

use crate::auth::{self, AuthError};

/// No permit came free in time: the server is busy with other PINs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("busy with other PINs; retry in {retry_after_secs} s")]
pub struct Busy {
    /// Whole seconds to wait before trying again.
    pub retry_after_secs: u64,
}

/// A permit for one Argon2 computation; the pool gets it back when it is dropped.
#[derive(Debug)]
pub struct PinPermit {
    _permit: OwnedSemaphorePermit,
}

/// At most `size` Argon2 computations at a time (each takes about 19 MiB and a core for a
/// moment); a caller waits at most `wait` for one, then is told the server is busy.
#[derive(Debug)]
pub struct PinPool {
    permits: Arc<Semaphore>,
    wait: Duration,
    checks: AtomicU64,
    dummy_checks: AtomicU64,
}

/// The hash a missing or inactive user's PIN is checked against: Argon2 with the parameters of
/// every real hash, of a random secret nobody knows, made once per process.
fn dummy_hash() -> &'static str {
    static DUMMY: OnceLock<String> = OnceLock::new();
    DUMMY.get_or_init(|| {
        auth::hash_pin(&auth::new_token("dummy_"))
            .expect("argon2 hashes a random 40-character secret with its default parameters")
    })
}

impl PinPool {
    /// A pool of `size` permits (at least one); callers wait at most `wait` for one.
    pub fn new(size: usize, wait: Duration) -> Self {
        Self {
            permits: Arc::new(Semaphore::new(size.max(1))),
            wait,
            checks: AtomicU64::new(0),
            dummy_checks: AtomicU64::new(0),
        }
    }

    /// The pool the limits ask for (`pin_hash_workers`, `pin_hash_wait`).
    pub fn for_limits(limits: &crate::Limits) -> Self {
        Self::new(limits.pin_hash_workers, limits.pin_hash_wait)
    }

    /// Takes a permit, waiting at most the pool's wait; every computation below holds one.
    pub async fn reserve(&self) -> Result<PinPermit, Busy> {
        let acquire = self.permits.clone().acquire_owned();
        match tokio::time::timeout(self.wait, acquire).await {
            Ok(Ok(permit)) => Ok(PinPermit { _permit: permit }),
            // The semaphore is never closed; a closed one reads as busy rather than a panic.
            Ok(Err(_)) | Err(_) => Err(Busy {
                retry_after_secs: self.wait.as_secs_f64().ceil().max(1.0) as u64,
            }),
        }
    }

    /// True when `pin` matches `hash`. With no hash (a missing or inactive user) the PIN is
    /// checked against the dummy hash, which it never matches: same work, same answer.
    pub async fn verify(&self, pin: String, hash: Option<String>) -> Result<bool, Busy> {
        let permit = self.reserve().await?;
        self.checks.fetch_add(1, Ordering::Relaxed);
        let real = hash.is_some();
        if !real {
            self.dummy_checks.fetch_add(1, Ordering::Relaxed);
        }
        let verdict = tokio::task::spawn_blocking(move || {
            let _permit = permit;
            let verdict = match &hash {
                Some(h) => auth::verify_pin(&pin, h),
                None => auth::verify_pin(&pin, dummy_hash()),
            };
            verdict && real
        })
        .await;
        // A panicking KDF is a wrong PIN, never a session.
        Ok(verdict.unwrap_or(false))
    }

    /// An Argon2 hash of a new PIN (whose length the caller has checked).
    pub async fn hash(&self, pin: String) -> Result<Result<String, AuthError>, Busy> {
        let permit = self.reserve().await?;
        let hashed = tokio::task::spawn_blocking(move || {
            let _permit = permit;
            auth::hash_pin(&pin)
        })
        .await;
        Ok(hashed.unwrap_or_else(|e| Err(AuthError::Hash(e.to_string()))))
    }

    /// Makes the dummy hash now (on a blocking thread), so the first sign-in of a missing user
    /// does not pay for it.
    pub async fn warm_up(&self) {
        let _ = tokio::task::spawn_blocking(dummy_hash).await;
    }

    /// PIN checks run so far, real or dummy.
    pub fn checks(&self) -> u64 {
        self.checks.load(Ordering::Relaxed)
    }

    /// PIN checks run so far against the dummy hash (missing or inactive users).
    pub fn dummy_checks(&self) -> u64 {
        self.dummy_checks.load(Ordering::Relaxed)
    }
}

#[cfg(test)]
mod tests {
    use argon2::password_hash::PasswordHash;

    use super::*;

    #[tokio::test]
    async fn a_pin_checks_against_its_hash_and_never_against_the_dummy() {
        let pool = PinPool::new(1, Duration::from_secs(30));
        let hash = pool.hash("2468".into()).await.unwrap().unwrap();
        assert!(pool
            .verify("2468".into(), Some(hash.clone()))
            .await
            .unwrap());
        assert!(!pool.verify("2469".into(), Some(hash)).await.unwrap());
        assert!(!pool.verify("2468".into(), None).await.unwrap());
        assert_eq!((pool.checks(), pool.dummy_checks()), (3, 1));
    }

    #[test]
    fn the_dummy_hash_has_the_parameters_of_a_real_one() {
        let real = auth::hash_pin("2468").unwrap();
        let (real, dummy) = (
            PasswordHash::new(&real).unwrap(),
            PasswordHash::new(dummy_hash()).unwrap(),
        );
        assert_eq!(real.algorithm, dummy.algorithm);
        assert_eq!(real.version, dummy.version);
        assert_eq!(real.params, dummy.params);
    }

    #[tokio::test]
    async fn with_every_permit_taken_a_check_is_told_the_pool_is_busy() {
        let pool = PinPool::new(1, Duration::from_millis(20));
        let held = pool.reserve().await.unwrap();
        assert_eq!(
            pool.verify("2468".into(), None).await,
            Err(Busy {
                retry_after_secs: 1
            })
        );
        assert_eq!(pool.checks(), 0, "a busy answer checks nothing");
        drop(held);
        assert!(!pool.verify("2468".into(), None).await.unwrap());
    }
}
