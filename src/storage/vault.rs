//! The data key in memory: there from unlock until sign-out or reload, never stored in the clear.

use std::cell::RefCell;
use std::rc::Rc;

use crate::crypto::DataKey;

/// The device data key while someone has unlocked the tablet; shared by the store, which
/// encrypts and decrypts with it, and the lock screen, which opens and closes it.
#[derive(Clone, Default)]
pub struct Vault(Rc<RefCell<Option<DataKey>>>);

impl Vault {
    /// A closed vault.
    pub fn new() -> Self {
        Self::default()
    }

    /// The data key, when unlocked.
    pub fn key(&self) -> Option<DataKey> {
        self.0.borrow().clone()
    }

    /// Holds `key` until [`Vault::close`].
    pub fn open(&self, key: DataKey) {
        *self.0.borrow_mut() = Some(key);
    }

    /// Forgets the key (sign-out): the data stays, encrypted, until someone unlocks again.
    pub fn close(&self) {
        *self.0.borrow_mut() = None;
    }

    /// Whether the key is held.
    pub fn is_open(&self) -> bool {
        self.0.borrow().is_some()
    }
}
