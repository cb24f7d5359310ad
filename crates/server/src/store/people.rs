//! People and devices: users, PINs, sign-in failures, devices, enrollment codes, sessions.

use chrono::{DateTime, Utc};
use uuid::Uuid;

use super::error::StoreError;
use crate::api::{DeviceView, Role, UserAccount, UserView};
use crate::sign_in_limit::SignInPolicy;

/// A device row (never its secrets).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Device {
    /// Id.
    pub id: Uuid,
    /// Unique name.
    pub name: String,
    /// When it was revoked.
    pub revoked_at: Option<DateTime<Utc>>,
    /// When its current token was issued (at enrollment or the last rotation that was used).
    pub token_issued_at: Option<DateTime<Utc>>,
}

/// Length of a device's data key, in bytes (AES-256).
pub const DATA_KEY_BYTES: usize = 32;

/// A device's data key: what its tablet encrypts patient data with. Its `Debug` hides it.
#[derive(Clone, PartialEq, Eq)]
pub struct DataKey(pub [u8; DATA_KEY_BYTES]);

impl std::fmt::Debug for DataKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("DataKey(..)")
    }
}

/// What a browser says about its database when it enrolls (see `EnrollRequest`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DbMarkers {
    /// The marker of the database the browser enrolls with; kept on the device.
    pub db_marker: Option<String>,
    /// The marker of a database the browser had before and found gone.
    pub previous_marker: Option<String>,
}

/// An enrollment completed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Enrolled {
    /// The device now enrolled.
    pub device: Device,
    /// Other devices whose database marker the browser named as lost: marked storage-lost now.
    pub storage_lost: Vec<Uuid>,
}

/// A user with the hash needed to check a PIN.
#[derive(Debug, Clone)]
pub struct UserCredentials {
    /// The user.
    pub user: UserView,
    /// argon2 PHC string.
    pub pin_hash: String,
    /// Inactive users cannot sign in.
    pub active: bool,
}

/// A new person.
#[derive(Debug, Clone)]
pub struct NewUser {
    /// Sign-in name (unique).
    pub username: String,
    /// Name on screen and labels.
    pub display_name: String,
    /// Role.
    pub role: Role,
    /// argon2 PHC string of the PIN.
    pub pin_hash: String,
}

/// A sign-in attempt recorded before its PIN is checked; it counts against the limit until
/// [`PeopleStore::finish_sign_in`] settles it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignInAttempt {
    /// The attempt's row.
    pub id: i64,
    /// The user name as typed (trimmed).
    pub username: String,
    /// The device it was made on.
    pub device_id: Uuid,
    /// When it began.
    pub at: DateTime<Utc>,
}

/// What [`PeopleStore::begin_sign_in`] decided.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SignInGate {
    /// Under both limits: the attempt is recorded and its PIN may be checked.
    Open(SignInAttempt),
    /// At a limit: nothing was recorded and no PIN may be checked.
    Closed {
        /// Whole seconds until the oldest failure keeping it closed leaves the window.
        retry_after_secs: u64,
    },
}

/// How a recorded sign-in attempt ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AttemptOutcome {
    /// The PIN was right: the user's failures on that device are forgotten.
    Succeeded,
    /// The PIN was wrong (or the user missing or inactive): the attempt stays, as a failure.
    Failed,
    /// No PIN was checked (the server was busy or failed): the attempt is forgotten.
    NotChecked,
}

/// A new session.
#[derive(Debug, Clone)]
pub struct NewSession {
    /// SHA-256 of the session token.
    pub token_hash: String,
    /// Who signed in.
    pub user_id: Uuid,
    /// On which device.
    pub device_id: Uuid,
    /// When it ends by itself.
    pub expires_at: DateTime<Utc>,
}

/// A live session with its user and device.
#[derive(Debug, Clone)]
pub struct SessionRecord {
    /// The signed-in user.
    pub user: UserView,
    /// The device the session was opened on.
    pub device: Device,
    /// When the session ends.
    pub expires_at: DateTime<Utc>,
}

/// Users, devices (with their enrollment codes and tokens) and sessions.
#[async_trait::async_trait]
pub trait PeopleStore: Send + Sync + 'static {
    /// Adds a person; a taken user name is a `Conflict`.
    async fn create_user(&self, user: NewUser) -> Result<UserView, StoreError>;
    /// A person and their PIN hash, by sign-in name.
    async fn user_credentials(&self, username: &str)
        -> Result<Option<UserCredentials>, StoreError>;
    /// A person by sign-in name.
    async fn user_by_username(&self, username: &str) -> Result<Option<UserView>, StoreError> {
        Ok(self.user_credentials(username).await?.map(|c| c.user))
    }
    /// Every person.
    async fn list_users(&self) -> Result<Vec<UserView>, StoreError>;
    /// In one transaction: counts this user name's recent attempts (failures and attempts being
    /// checked) on this device and on every device, and when `policy` allows another, records
    /// it as pending before its PIN is checked, so concurrent attempts count each other.
    async fn begin_sign_in(
        &self,
        username: &str,
        device_id: Uuid,
        now: DateTime<Utc>,
        policy: SignInPolicy,
    ) -> Result<SignInGate, StoreError>;
    /// Settles an attempt from [`PeopleStore::begin_sign_in`] once its PIN was checked (or not).
    async fn finish_sign_in(
        &self,
        attempt: &SignInAttempt,
        outcome: AttemptOutcome,
    ) -> Result<(), StoreError>;
    /// Forgets every failed sign-in of a user name on every device (a supervisor's unlock);
    /// answers how many were forgotten.
    async fn clear_user_sign_in_failures(&self, username: &str) -> Result<u64, StoreError>;
    /// Forgets failed sign-ins after a successful one.
    async fn clear_sign_in_failures(
        &self,
        username: &str,
        device_id: Uuid,
    ) -> Result<(), StoreError>;

    /// Registers a device with a pending enrollment code; a taken name is a `Conflict`.
    async fn create_device(
        &self,
        name: &str,
        code_hash: &str,
        expires_at: DateTime<Utc>,
    ) -> Result<Device, StoreError>;
    /// Gives a not-yet-enrolled device a new code (the old one stops working).
    async fn reissue_enrollment(
        &self,
        device_id: Uuid,
        code_hash: &str,
        expires_at: DateTime<Utc>,
    ) -> Result<(), StoreError>;
    /// Exchanges a valid, unexpired, unused code for the token hash; the code cannot be used
    /// again. In the same transaction, keeps the browser's database marker on the device and,
    /// when `markers.previous_marker` is another device's marker, marks that device's storage as
    /// lost (`storage_lost_at`, the first time only).
    async fn complete_enrollment(
        &self,
        code_hash: &str,
        token_hash: &str,
        markers: DbMarkers,
        now: DateTime<Utc>,
    ) -> Result<Option<Enrolled>, StoreError>;
    /// The unrevoked device holding this token, marked as seen now.
    async fn device_by_token(
        &self,
        token_hash: &str,
        now: DateTime<Utc>,
    ) -> Result<Option<Device>, StoreError>;
    /// A device by id, revoked or not.
    async fn device(&self, id: Uuid) -> Result<Option<Device>, StoreError>;
    /// Whether this token hash is (or was about to become) the token of a revoked device, or a
    /// session opened on one: such a caller is told the device was revoked, not that its token
    /// is unknown.
    async fn token_of_revoked_device(&self, token_hash: &str) -> Result<bool, StoreError>;
    /// A device's data key, made (32 random bytes) and kept at its first use when the device
    /// has none yet (registered before data keys existed); `None` when no such device.
    async fn device_data_key(&self, device_id: Uuid) -> Result<Option<DataKey>, StoreError>;
    /// A device by name, revoked or not.
    async fn device_by_name(&self, name: &str) -> Result<Option<Device>, StoreError>;
    /// Every device with its latest heartbeat.
    async fn list_devices(&self) -> Result<Vec<DeviceView>, StoreError>;
    /// Revokes a device and ends its sessions; false when no such device.
    async fn revoke_device(&self, id: Uuid, now: DateTime<Utc>) -> Result<bool, StoreError>;

    /// Opens a session.
    async fn create_session(&self, session: NewSession) -> Result<(), StoreError>;
    /// The live session holding this token (unexpired, not ended, device not revoked).
    async fn session_by_token(
        &self,
        token_hash: &str,
        now: DateTime<Utc>,
    ) -> Result<Option<SessionRecord>, StoreError>;
    /// Ends a session.
    async fn end_session(&self, token_hash: &str, now: DateTime<Utc>) -> Result<(), StoreError>;

    /// Every person, whether they may sign in, and how many live sessions they hold at `now`.
    async fn list_accounts(&self, now: DateTime<Utc>) -> Result<Vec<UserAccount>, StoreError>;
    /// Lets a person sign in again, or stops them: deactivating ends every session of theirs in
    /// the same transaction. Answers the sessions ended; `Missing` when no such user.
    async fn set_user_active(
        &self,
        user_id: Uuid,
        active: bool,
        now: DateTime<Utc>,
    ) -> Result<u32, StoreError>;
    /// Replaces a person's PIN hash and, in the same transaction, ends their live sessions except
    /// the one whose token hash is `keep`. Answers the sessions ended; `Missing` when no such user.
    async fn set_user_pin(
        &self,
        user_id: Uuid,
        pin_hash: &str,
        keep: Option<&str>,
        now: DateTime<Utc>,
    ) -> Result<u32, StoreError>;
    /// Ends every live session of a person; answers how many.
    async fn end_user_sessions(&self, user_id: Uuid, now: DateTime<Utc>)
        -> Result<u32, StoreError>;
    /// Issues a new token for an unrevoked, enrolled device. The current token keeps working
    /// until the new one is first used (then it dies); issuing again replaces a new token that was
    /// never used. False when the device is unknown, revoked or not enrolled.
    async fn rotate_device_token(
        &self,
        device_id: Uuid,
        token_hash: &str,
        now: DateTime<Utc>,
    ) -> Result<bool, StoreError>;
}
