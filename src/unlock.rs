//! Unlocking the tablet offline with the signed-in person's PIN, and what wrong PINs cost.
//!
//! The lock screen cannot ask the lab: the tablet is often offline. The PIN opens the person's
//! wrap of the data key ([`PinWrap`]); a wrong PIN is counted per person on the tablet, and
//! after [`MAX_WRONG_PINS`] the wrap is deleted, so guessing further is pointless: only signing
//! in online (which the lab rate-limits and checks) brings the key back.

use std::collections::BTreeMap;
use std::future::Future;

use crate::crypto::{CryptoError, PinWrap};
use crate::storage::keys::{TypedRecords, KEY_WRAPS, SIGNED_IN, UNLOCK_FAILURES};
use crate::storage::{DraftStore, StorageError, Vault};

/// Wrong PINs in a row that delete a person's wrap on this tablet.
pub const MAX_WRONG_PINS: u32 = 5;

/// What a wrong PIN leads to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WrongPin {
    /// The person may try again, `left` more times.
    TryAgain {
        /// Wrong PINs left before the wrap is deleted.
        left: u32,
    },
    /// The wrap is deleted: the person must sign in online.
    WrapDeleted,
}

/// What the `wrong`-th wrong PIN in a row (counting this one) leads to.
pub fn after_wrong_pin(wrong: u32) -> WrongPin {
    if wrong >= MAX_WRONG_PINS {
        WrongPin::WrapDeleted
    } else {
        WrongPin::TryAgain {
            left: MAX_WRONG_PINS - wrong,
        }
    }
}

/// Why the tablet did not unlock.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum UnlockError {
    /// Nobody is signed in (the lock screen should not have been shown).
    #[error("Nobody is signed in on this tablet: sign in.")]
    NobodySignedIn,
    /// The signed-in person has no PIN wrap here (deleted, or never stored).
    #[error("This tablet cannot check your PIN offline. Sign in again while the lab can be reached; every unfinished and waiting collection stays on the tablet.")]
    NoWrap,
    /// A wrong PIN, with the tries left.
    #[error("{}", wrong_pin_text(*.left))]
    WrongPin {
        /// Wrong PINs left before the wrap is deleted.
        left: u32,
    },
    /// That was the last wrong PIN: the wrap is deleted.
    #[error("Too many wrong PINs: this tablet no longer unlocks for you offline. Sign in again while the lab can be reached; every unfinished and waiting collection stays on the tablet.")]
    WrapDeleted,
    /// WebCrypto failed.
    #[error("{0}")]
    Crypto(CryptoError),
    /// The device database failed.
    #[error("{0}")]
    Storage(#[from] StorageError),
}

impl UnlockError {
    /// The person can no longer unlock here and must sign in online.
    pub fn must_sign_in(&self) -> bool {
        matches!(
            self,
            UnlockError::NoWrap | UnlockError::WrapDeleted | UnlockError::NobodySignedIn
        )
    }
}

fn wrong_pin_text(left: u32) -> String {
    let tries = if left == 1 {
        "1 more wrong PIN".to_string()
    } else {
        format!("{left} more wrong PINs")
    };
    format!("Wrong PIN. After {tries}, this tablet will ask you to sign in online.")
}

/// Unlocks with `pin` for whoever is signed in: finds their wrap, has `open` try the PIN on it,
/// and keeps the count of wrong PINs. Answers what `open` made of the wrap (the data key).
/// `open` answers [`CryptoError::WrongPin`] for a wrong PIN.
pub async fn unlock_with<K, F, Fut>(
    store: &dyn DraftStore,
    pin: &str,
    open: F,
) -> Result<K, UnlockError>
where
    F: FnOnce(PinWrap, String) -> Fut,
    Fut: Future<Output = Result<K, CryptoError>>,
{
    let who = store
        .read(SIGNED_IN)
        .await?
        .ok_or(UnlockError::NobodySignedIn)?;
    let mut wraps = store.read(KEY_WRAPS).await?.unwrap_or_default();
    let wrap = wraps
        .iter()
        .find(|w| w.user_id == who.user_id)
        .cloned()
        .ok_or(UnlockError::NoWrap)?;
    let mut failures: BTreeMap<String, u32> =
        store.read(UNLOCK_FAILURES).await?.unwrap_or_default();
    match open(wrap, pin.to_owned()).await {
        Ok(key) => {
            if failures.remove(&who.user_id).is_some() {
                store.write(UNLOCK_FAILURES, &failures).await?;
            }
            Ok(key)
        }
        Err(CryptoError::WrongPin) => {
            let wrong = failures.get(&who.user_id).copied().unwrap_or(0) + 1;
            match after_wrong_pin(wrong) {
                WrongPin::TryAgain { left } => {
                    failures.insert(who.user_id, wrong);
                    store.write(UNLOCK_FAILURES, &failures).await?;
                    Err(UnlockError::WrongPin { left })
                }
                WrongPin::WrapDeleted => {
                    // The wrap goes first: a count reset without it would allow five more.
                    wraps.retain(|w| w.user_id != who.user_id);
                    store.write(KEY_WRAPS, &wraps).await?;
                    failures.remove(&who.user_id);
                    store.write(UNLOCK_FAILURES, &failures).await?;
                    Err(UnlockError::WrapDeleted)
                }
            }
        }
        Err(e) => Err(UnlockError::Crypto(e)),
    }
}

/// Unlocks the tablet with `pin`: the signed-in person's wrap gives the data key, which goes
/// into `vault`.
pub async fn unlock(store: &dyn DraftStore, vault: &Vault, pin: &str) -> Result<(), UnlockError> {
    let key = unlock_with(
        store,
        pin,
        |wrap, pin| async move { wrap.unwrap(&pin).await },
    )
    .await?;
    vault.open(key);
    Ok(())
}

/// Forgets a person's count of wrong PINs (after they signed in online with the right one).
pub async fn forget_failures(store: &dyn DraftStore, user_id: &str) -> Result<(), StorageError> {
    let mut failures = store.read(UNLOCK_FAILURES).await?.unwrap_or_default();
    if failures.remove(user_id).is_some() {
        store.write(UNLOCK_FAILURES, &failures).await?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::storage::keys::SignedIn;
    use crate::storage::MemoryStore;
    use futures::executor::block_on;

    fn wrap(user_id: &str, secret: &str) -> PinWrap {
        // The fake wrap keeps its PIN in `ct`: these tests are about counting, not crypto.
        PinWrap {
            user_id: user_id.into(),
            username: user_id.into(),
            salt: String::new(),
            iterations: 1,
            iv: String::new(),
            ct: secret.into(),
        }
    }

    async fn tablet(signed_in: &str) -> MemoryStore {
        let store = MemoryStore::new();
        store
            .write(
                SIGNED_IN,
                &SignedIn {
                    user_id: signed_in.into(),
                    username: signed_in.into(),
                    display_name: signed_in.into(),
                },
            )
            .await
            .unwrap();
        store
            .write(KEY_WRAPS, &vec![wrap("amara", "1234"), wrap("ben", "2345")])
            .await
            .unwrap();
        store
    }

    async fn try_pin(store: &MemoryStore, pin: &str) -> Result<String, UnlockError> {
        unlock_with(store, pin, |w, pin| async move {
            if w.ct == pin {
                Ok(format!("key of {}", w.user_id))
            } else {
                Err(CryptoError::WrongPin)
            }
        })
        .await
    }

    #[test]
    fn the_fifth_wrong_pin_in_a_row_deletes_the_wrap() {
        assert_eq!(after_wrong_pin(1), WrongPin::TryAgain { left: 4 });
        assert_eq!(after_wrong_pin(4), WrongPin::TryAgain { left: 1 });
        assert_eq!(after_wrong_pin(5), WrongPin::WrapDeleted);
        assert_eq!(after_wrong_pin(9), WrongPin::WrapDeleted);
    }

    #[test]
    fn the_right_pin_opens_the_signed_in_persons_wrap() {
        block_on(async {
            let store = tablet("ben").await;
            assert_eq!(try_pin(&store, "2345").await.unwrap(), "key of ben");
            // amara's PIN does not open ben's wrap.
            assert_eq!(
                try_pin(&store, "1234").await,
                Err(UnlockError::WrongPin { left: 4 })
            );
        });
    }

    #[test]
    fn wrong_pins_count_down_and_the_fifth_leaves_only_online_sign_in() {
        block_on(async {
            let store = tablet("amara").await;
            for left in (1..=4).rev() {
                assert_eq!(
                    try_pin(&store, "0000").await,
                    Err(UnlockError::WrongPin { left })
                );
            }
            let last = try_pin(&store, "0000").await.unwrap_err();
            assert_eq!(last, UnlockError::WrapDeleted);
            assert!(last.must_sign_in());
            // Even the right PIN cannot unlock any more: the wrap is gone, ben's stays.
            assert_eq!(try_pin(&store, "1234").await, Err(UnlockError::NoWrap));
            let wraps = store.read(KEY_WRAPS).await.unwrap().unwrap();
            assert_eq!(
                wraps.iter().map(|w| w.user_id.as_str()).collect::<Vec<_>>(),
                ["ben"]
            );
        });
    }

    #[test]
    fn the_right_pin_starts_the_count_again() {
        block_on(async {
            let store = tablet("amara").await;
            for _ in 0..4 {
                let _ = try_pin(&store, "0000").await;
            }
            try_pin(&store, "1234").await.unwrap();
            assert_eq!(
                try_pin(&store, "0000").await,
                Err(UnlockError::WrongPin { left: 4 })
            );
        });
    }

    #[test]
    fn each_person_has_their_own_count() {
        block_on(async {
            let store = tablet("amara").await;
            for _ in 0..4 {
                let _ = try_pin(&store, "0000").await;
            }
            store
                .write(
                    SIGNED_IN,
                    &SignedIn {
                        user_id: "ben".into(),
                        username: "ben".into(),
                        display_name: "Ben".into(),
                    },
                )
                .await
                .unwrap();
            assert_eq!(
                try_pin(&store, "0000").await,
                Err(UnlockError::WrongPin { left: 4 })
            );
            forget_failures(&store, "amara").await.unwrap();
            let failures = store.read(UNLOCK_FAILURES).await.unwrap().unwrap();
            assert_eq!(failures.get("amara"), None);
            assert_eq!(failures.get("ben"), Some(&1));
        });
    }

    #[test]
    fn nobody_signed_in_or_no_wrap_means_signing_in_online() {
        block_on(async {
            let store = MemoryStore::new();
            assert_eq!(
                try_pin(&store, "1234").await,
                Err(UnlockError::NobodySignedIn)
            );
            let store = tablet("carla").await;
            let e = try_pin(&store, "1234").await.unwrap_err();
            assert_eq!(e, UnlockError::NoWrap);
            assert!(e.must_sign_in());
        });
    }

    #[test]
    fn a_wrong_pin_says_how_many_tries_are_left() {
        assert_eq!(
            UnlockError::WrongPin { left: 1 }.to_string(),
            "Wrong PIN. After 1 more wrong PIN, this tablet will ask you to sign in online."
        );
        assert_eq!(
            UnlockError::WrongPin { left: 3 }.to_string(),
            "Wrong PIN. After 3 more wrong PINs, this tablet will ask you to sign in online."
        );
    }
}
