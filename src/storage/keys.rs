//! Typed names of the small records in the settings and worklist stores, and typed access to them.
//!
//! Each key carries the type of its value, so a call site cannot read the session as the device.
//! Values still go through `serde_json::Value` on their way to the store, so the stored JSON is
//! exactly what earlier versions wrote and existing tablets read their data back.

use std::marker::PhantomData;

use drawline_domain::api::{EnrollResponse, SessionResponse, Worklist};
use drawline_domain::{Device, SiteConfig};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

use super::error::StorageError;
use super::store::DraftStore;

/// The name of a record in the settings store and the type of its value.
pub struct SettingKey<T> {
    /// The stored key.
    pub name: &'static str,
    _value: PhantomData<fn() -> T>,
}

/// The id of a record in the worklist store and the type of its value.
pub struct WorklistKey<T> {
    /// The stored id.
    pub id: &'static str,
    _value: PhantomData<fn() -> T>,
}

impl<T> SettingKey<T> {
    /// A settings key called `name` holding a `T`.
    pub const fn new(name: &'static str) -> Self {
        Self {
            name,
            _value: PhantomData,
        }
    }
}

impl<T> WorklistKey<T> {
    /// A worklist record with id `id` holding a `T`.
    pub const fn new(id: &'static str) -> Self {
        Self {
            id,
            _value: PhantomData,
        }
    }
}

/// A collector offered as a one-tap sign-in button.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RecentUser {
    /// Sign-in name.
    pub username: String,
    /// Full name.
    pub display_name: String,
}

/// Who is signed in, as the lock screen shows it: no token, no patient data.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SignedIn {
    /// User id.
    pub user_id: String,
    /// Sign-in name.
    pub username: String,
    /// Full name.
    pub display_name: String,
}

/// This device's enrollment.
pub const DEVICE: SettingKey<EnrollResponse> = SettingKey::new("device");
/// The signed-in session.
pub const SESSION: SettingKey<SessionResponse> = SettingKey::new("session");
/// The collectors who signed in here lately, for one-tap sign-in.
pub const RECENT_USERS: SettingKey<Vec<RecentUser>> = SettingKey::new("recent_users");
/// The last pull's server cursor.
pub const PULL_CURSOR: SettingKey<String> = SettingKey::new("pull_cursor");
/// The hash of the stored site configuration, as the lab reported it.
pub const SITE_HASH: SettingKey<String> = SettingKey::new("site_hash");
/// The needle the collector uses (it decides the discard tube); stored as its text,
/// `evacuated-holder` or `winged`.
pub const NEEDLE: SettingKey<Device> = SettingKey::new("needle");

/// The data key wrapped by the PIN of each person who signed in here online (clear: it is
/// ciphertext, and the lock screen reads it before anything is unlocked).
pub const KEY_WRAPS: SettingKey<Vec<crate::crypto::PinWrap>> = SettingKey::new("key_wraps");
/// Who is signed in, without the session's token (clear: the lock screen names them).
pub const SIGNED_IN: SettingKey<SignedIn> = SettingKey::new("signed_in");
/// The lab's public key, which finalized records are sealed to.
pub const LAB_KEY: SettingKey<drawline_domain::api::PublicJwk> = SettingKey::new("lab_key");
/// This database's random marker, also kept in a cookie and told to the lab at enrollment, so
/// an evicted database is noticed instead of starting silently empty.
pub const DB_MARKER: SettingKey<String> = SettingKey::new("db_marker");

/// Wrong PINs in a row on the lock screen, per user id (clear: a count, read before unlock).
/// The fifth deletes that person's wrap in `KEY_WRAPS` (see `crate::unlock`).
pub const UNLOCK_FAILURES: SettingKey<std::collections::BTreeMap<String, u32>> =
    SettingKey::new("unlock_failures");

/// The downloaded worklist.
pub const WORKLIST: WorklistKey<Worklist> = WorklistKey::new("worklist");
/// The id of the worklist record of order notices (`sync::pull::NOTICES`).
pub const NOTICES_ID: &str = "notices";
/// The site configuration (catalog and order of draw).
pub const SITE: WorklistKey<SiteConfig> = WorklistKey::new("site");

fn encode<T: Serialize>(value: &T) -> Result<serde_json::Value, StorageError> {
    serde_json::to_value(value).map_err(|e| StorageError::Serialization(e.to_string()))
}

/// A value this version cannot read counts as unset, as it always has: an old or damaged
/// record never blocks the app from starting.
///
/// Read back through the JSON text: the sync client already holds a text deserializer for
/// each of these types, while `from_value` would add a second one per type (about 50 kB of
/// wasm). The value is the same either way.
fn decode<T: DeserializeOwned>(value: Option<serde_json::Value>) -> Option<T> {
    value.and_then(|v| serde_json::from_str(&v.to_string()).ok())
}

/// Where a key's record lives.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Place {
    /// A record of the settings store, by key.
    Setting(&'static str),
    /// A record of the worklist store, by id.
    Worklist(&'static str),
}

/// A typed name of a stored record: where it lives and what it holds.
pub trait Key {
    /// The record's value.
    type Value: Serialize + DeserializeOwned;
    /// Where the record lives.
    fn place(&self) -> Place;
}

impl<T: Serialize + DeserializeOwned> Key for SettingKey<T> {
    type Value = T;
    fn place(&self) -> Place {
        Place::Setting(self.name)
    }
}

impl<T: Serialize + DeserializeOwned> Key for WorklistKey<T> {
    type Value = T;
    fn place(&self) -> Place {
        Place::Worklist(self.id)
    }
}

/// Typed reads and writes of settings and worklist records, for every [`DraftStore`].
#[async_trait::async_trait(?Send)]
pub trait TypedRecords: DraftStore {
    /// The record's value, if stored and readable.
    async fn read<K: Key>(&self, key: K) -> Result<Option<K::Value>, StorageError> {
        Ok(decode(self.read_json(key.place()).await?))
    }

    /// Sets (replaces) the record.
    async fn write<K: Key>(&self, key: K, value: &K::Value) -> Result<(), StorageError> {
        self.write_json(key.place(), &encode(value)?).await
    }

    /// The record as stored, if any. Not generic, so the bundle holds it once.
    async fn read_json(&self, place: Place) -> Result<Option<serde_json::Value>, StorageError> {
        match place {
            Place::Setting(name) => self.get_setting(name).await,
            Place::Worklist(id) => self.get_worklist(id).await,
        }
    }

    /// Stores the record as JSON. Not generic, so the bundle holds it once.
    async fn write_json(
        &self,
        place: Place,
        value: &serde_json::Value,
    ) -> Result<(), StorageError> {
        match place {
            Place::Setting(name) => self.put_setting(name, value).await,
            Place::Worklist(id) => self.put_worklist(id, value).await,
        }
    }

    /// Removes a setting; removing a missing one is not an error.
    async fn remove<T>(&self, key: SettingKey<T>) -> Result<(), StorageError> {
        self.delete_setting(key.name).await
    }
}

impl<S: DraftStore + ?Sized> TypedRecords for S {}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::storage::MemoryStore;
    use serde_json::json;

    #[test]
    fn typed_values_are_stored_as_the_same_json_as_before() {
        futures::executor::block_on(async {
            let store = MemoryStore::new();
            store.write(NEEDLE, &Device::Winged).await.unwrap();
            store.write(PULL_CURSOR, &"c-17".to_string()).await.unwrap();
            assert_eq!(
                store.get_setting("needle").await.unwrap(),
                Some(json!("winged"))
            );
            assert_eq!(
                store.get_setting("pull_cursor").await.unwrap(),
                Some(json!("c-17"))
            );
            store
                .put_setting("needle", &json!("evacuated-holder"))
                .await
                .unwrap();
            assert_eq!(
                store.read(NEEDLE).await.unwrap(),
                Some(Device::EvacuatedHolder)
            );
        });
    }

    #[test]
    fn an_unreadable_value_reads_as_unset_and_clearing_removes_it() {
        futures::executor::block_on(async {
            let store = MemoryStore::new();
            store.put_setting("device", &json!(42)).await.unwrap();
            assert_eq!(store.read(DEVICE).await.unwrap().map(|d| d.token), None);
            store.remove(DEVICE).await.unwrap();
            assert_eq!(store.get_setting("device").await.unwrap(), None);
            assert!(store.read(SITE).await.unwrap().is_none());
        });
    }
}
