//! Users, devices (enrollment codes, tokens) and sessions in SQLite.

use chrono::{DateTime, Utc};
use rusqlite::{params, params_from_iter, Connection, ErrorCode, OptionalExtension, Row};
use uuid::Uuid;

use super::connection::SqliteStore;
use super::row::{all, conversion, lenient_clock_at, opt_time_at, time_at, ts, uuid_at};
use crate::api::{DeviceStatus, DeviceView, Heartbeat, HeartbeatView, Role, UserAccount, UserView};
use crate::sign_in_limit::{Gate, SignInPolicy};
use crate::store::error::StoreError;
use crate::store::people::{
    AttemptOutcome, DataKey, DbMarkers, Device, Enrolled, NewSession, NewUser, PeopleStore,
    SessionRecord, SignInAttempt, SignInGate, UserCredentials, DATA_KEY_BYTES,
};

/// 32 fresh random bytes from the operating system: a device's data key.
fn new_data_key() -> [u8; DATA_KEY_BYTES] {
    use rand::RngCore;
    let mut key = [0u8; DATA_KEY_BYTES];
    rand::rngs::OsRng.fill_bytes(&mut key);
    key
}

/// Columns [`user_from`] reads, for a `users u` join.
pub(super) const USER_COLUMNS: &str = "u.id, u.username, u.display_name, u.role";

/// Reads a user from [`USER_COLUMNS`] starting at column `at`.
pub(super) fn user_from(row: &Row<'_>, at: usize) -> rusqlite::Result<UserView> {
    let role: String = row.get(at + 3)?;
    let role =
        Role::parse(&role).ok_or_else(|| conversion(at + 3, format!("unknown role {role}")))?;
    Ok(UserView {
        id: uuid_at(row, at)?,
        username: row.get(at + 1)?,
        display_name: row.get(at + 2)?,
        role,
    })
}

const DEVICE_COLUMNS: &str = "id, name, revoked_at, token_issued_at";

/// Reads a device from `id, name, revoked_at, token_issued_at` starting at column `at`.
fn device_from(row: &Row<'_>, at: usize) -> rusqlite::Result<Device> {
    Ok(Device {
        id: uuid_at(row, at)?,
        name: row.get(at + 1)?,
        revoked_at: opt_time_at(row, at + 2)?,
        token_issued_at: opt_time_at(row, at + 3)?,
    })
}

/// Ends the live sessions of a user, except the one whose token hash is `keep`.
fn end_sessions_of(
    c: &Connection,
    user_id: Uuid,
    keep: Option<&str>,
    now: DateTime<Utc>,
) -> rusqlite::Result<u32> {
    let n = c.execute(
        "UPDATE sessions SET ended_at = ?2
         WHERE user_id = ?1 AND ended_at IS NULL AND expires_at > ?2
           AND (?3 IS NULL OR token_hash <> ?3)",
        params![user_id.to_string(), ts(now), keep],
    )?;
    Ok(n as u32)
}

/// Turns a broken uniqueness rule into a `Conflict` the caller can fix.
fn taken(e: rusqlite::Error, message: impl FnOnce() -> String) -> StoreError {
    match e {
        rusqlite::Error::SqliteFailure(f, _) if f.code == ErrorCode::ConstraintViolation => {
            StoreError::Conflict(message())
        }
        e => e.into(),
    }
}

fn device_where(
    c: &Connection,
    column: &'static str,
    value: &str,
) -> Result<Option<Device>, StoreError> {
    // `column` is one of two literals chosen by the caller, never user input.
    let sql = format!("SELECT {DEVICE_COLUMNS} FROM devices WHERE {column} = ?1");
    Ok(c.query_row(&sql, [value], |r| device_from(r, 0))
        .optional()?)
}

impl SqliteStore {
    /// What `sql` finds with `params` (a token's hash first), its device marked as seen `now`.
    async fn seen_by_token<T: Send + 'static>(
        &self,
        sql: String,
        params: Vec<String>,
        now: DateTime<Utc>,
        map: impl FnOnce(&Row<'_>) -> rusqlite::Result<T> + Send + 'static,
        device_of: impl FnOnce(&T) -> Uuid + Send + 'static,
    ) -> Result<Option<T>, StoreError> {
        self.with_conn(move |c| {
            let found = c
                .query_row(&sql, params_from_iter(params), map)
                .optional()?;
            if let Some(device_id) = found.as_ref().map(device_of) {
                c.execute(
                    "UPDATE devices SET last_seen_at = ?2 WHERE id = ?1",
                    params![device_id.to_string(), ts(now)],
                )?;
            }
            Ok(found)
        })
        .await
    }
}

/// Every device with its latest heartbeat.
pub(super) fn list_devices(c: &Connection) -> Result<Vec<DeviceView>, StoreError> {
    all(
        c,
        "SELECT d.id, d.name, d.token_hash IS NOT NULL, d.created_at, d.enrolled_at, d.revoked_at,
                d.last_seen_at, h.received_at, h.device_clock, h.queue_length,
                h.oldest_unsynced_seconds, h.last_error, d.storage_lost_at
         FROM devices d
         LEFT JOIN heartbeats h ON h.id = (SELECT MAX(id) FROM heartbeats WHERE device_id = d.id)
         ORDER BY d.name",
        [],
        |r| {
            let enrolled: bool = r.get(2)?;
            let revoked_at = opt_time_at(r, 5)?;
            let status = match (revoked_at, enrolled) {
                (Some(_), _) => DeviceStatus::Revoked,
                (None, true) => DeviceStatus::Enrolled,
                (None, false) => DeviceStatus::Pending,
            };
            // An unreadable heartbeat time reads as none: heartbeats are advisory.
            let last_heartbeat = match opt_time_at(r, 7).ok().flatten() {
                None => None,
                Some(received_at) => Some(HeartbeatView {
                    received_at,
                    heartbeat: heartbeat_from(r, 8)?,
                }),
            };
            Ok(DeviceView {
                storage_lost_at: opt_time_at(r, 12)?,
                id: uuid_at(r, 0)?,
                name: r.get(1)?,
                status,
                created_at: time_at(r, 3)?,
                enrolled_at: opt_time_at(r, 4)?,
                revoked_at,
                last_seen_at: opt_time_at(r, 6)?,
                last_heartbeat,
            })
        },
    )
}

/// Reads `device_clock, queue_length, oldest_unsynced_seconds, last_error` from column `at`.
pub(super) fn heartbeat_from(r: &Row<'_>, at: usize) -> rusqlite::Result<Heartbeat> {
    let oldest: Option<i64> = r.get(at + 2)?;
    Ok(Heartbeat {
        device_clock: lenient_clock_at(r, at)?,
        queue_length: r.get(at + 1)?,
        oldest_unsynced_seconds: oldest.map(|s| s.max(0) as u64),
        last_error: r.get(at + 3)?,
    })
}

#[async_trait::async_trait]
impl PeopleStore for SqliteStore {
    async fn create_user(&self, user: NewUser) -> Result<UserView, StoreError> {
        self.with_conn(move |c| {
            let id = Uuid::new_v4();
            c.execute(
                "INSERT INTO users (id, username, display_name, role, pin_hash, created_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                params![
                    id.to_string(),
                    user.username,
                    user.display_name,
                    user.role.as_str(),
                    user.pin_hash,
                    ts(Utc::now())
                ],
            )
            .map_err(|e| taken(e, || format!("the user name {} is taken", user.username)))?;
            Ok(UserView {
                id,
                username: user.username,
                display_name: user.display_name,
                role: user.role,
            })
        })
        .await
    }

    async fn user_credentials(
        &self,
        username: &str,
    ) -> Result<Option<UserCredentials>, StoreError> {
        let username = username.to_owned();
        self.with_conn(move |c| {
            Ok(c.query_row(
                &format!("SELECT {USER_COLUMNS}, u.pin_hash, u.active FROM users u WHERE u.username = ?1"),
                [username],
                |r| {
                    Ok(UserCredentials {
                        user: user_from(r, 0)?,
                        pin_hash: r.get(4)?,
                        active: r.get(5)?,
                    })
                },
            )
            .optional()?)
        })
        .await
    }

    async fn list_users(&self) -> Result<Vec<UserView>, StoreError> {
        self.with_conn(|c| {
            let sql = format!("SELECT {USER_COLUMNS} FROM users u ORDER BY u.username");
            all(c, &sql, [], |r| user_from(r, 0))
        })
        .await
    }

    async fn begin_sign_in(
        &self,
        username: &str,
        device_id: Uuid,
        now: DateTime<Utc>,
        policy: SignInPolicy,
    ) -> Result<SignInGate, StoreError> {
        let username = username.to_owned();
        self.with_conn(move |c| {
            // IMMEDIATE takes the write lock before counting, so another process (or a second
            // connection) cannot count the same rows and both go on to check a PIN.
            let tx = c.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
            let since = ts(now - policy.window);
            tx.execute("DELETE FROM sign_in_failures WHERE at <= ?1", [&since])?;
            let device = device_id.to_string();
            let rows: Vec<(String, DateTime<Utc>)> = all(
                &tx,
                "SELECT device_id, at FROM sign_in_failures WHERE username = ?1 AND at > ?2",
                params![username, since],
                |r| Ok((r.get(0)?, time_at(r, 1)?)),
            )?;
            let on_any_device: Vec<DateTime<Utc>> = rows.iter().map(|(_, at)| *at).collect();
            let on_device: Vec<DateTime<Utc>> = rows
                .iter()
                .filter(|(d, _)| *d == device)
                .map(|(_, at)| *at)
                .collect();
            let gate = match policy.gate(now, &on_device, &on_any_device) {
                Gate::Closed { retry_after_secs } => SignInGate::Closed { retry_after_secs },
                Gate::Open => {
                    tx.execute(
                        "INSERT INTO sign_in_failures (username, device_id, at, pending)
                         VALUES (?1, ?2, ?3, 1)",
                        params![username, device, ts(now)],
                    )?;
                    SignInGate::Open(SignInAttempt {
                        id: tx.last_insert_rowid(),
                        username,
                        device_id,
                        at: now,
                    })
                }
            };
            tx.commit()?;
            Ok(gate)
        })
        .await
    }

    async fn finish_sign_in(
        &self,
        attempt: &SignInAttempt,
        outcome: AttemptOutcome,
    ) -> Result<(), StoreError> {
        let attempt = attempt.clone();
        self.with_conn(move |c| {
            let (id, device) = (attempt.id, attempt.device_id.to_string());
            match outcome {
                // Other attempts still being checked on the device keep their rows: each is
                // settled by its own outcome.
                AttemptOutcome::Succeeded => c.execute(
                    "DELETE FROM sign_in_failures
                     WHERE username = ?1 AND device_id = ?2 AND (pending = 0 OR id = ?3)",
                    params![attempt.username, device, id],
                )?,
                AttemptOutcome::Failed => {
                    let n = c.execute(
                        "UPDATE sign_in_failures SET pending = 0 WHERE id = ?1",
                        [id],
                    )?;
                    if n == 0 {
                        // Unlocked (or pruned) while its PIN was being checked: a wrong PIN
                        // still counts.
                        c.execute(
                            "INSERT INTO sign_in_failures (username, device_id, at) VALUES (?1, ?2, ?3)",
                            params![attempt.username, device, ts(attempt.at)],
                        )?;
                    }
                    n
                }
                AttemptOutcome::NotChecked => {
                    c.execute("DELETE FROM sign_in_failures WHERE id = ?1", [id])?
                }
            };
            Ok(())
        })
        .await
    }

    async fn clear_user_sign_in_failures(&self, username: &str) -> Result<u64, StoreError> {
        let username = username.to_owned();
        self.with_conn(move |c| {
            let n = c.execute(
                "DELETE FROM sign_in_failures WHERE username = ?1",
                [username],
            )?;
            Ok(n as u64)
        })
        .await
    }

    async fn clear_sign_in_failures(
        &self,
        username: &str,
        device_id: Uuid,
    ) -> Result<(), StoreError> {
        let username = username.to_owned();
        self.with_conn(move |c| {
            c.execute(
                "DELETE FROM sign_in_failures WHERE username = ?1 AND device_id = ?2",
                params![username, device_id.to_string()],
            )?;
            Ok(())
        })
        .await
    }

    async fn create_device(
        &self,
        name: &str,
        code_hash: &str,
        expires_at: DateTime<Utc>,
    ) -> Result<Device, StoreError> {
        let (name, code_hash) = (name.to_owned(), code_hash.to_owned());
        self.with_conn(move |c| {
            let id = Uuid::new_v4();
            c.execute(
                "INSERT INTO devices (id, name, enrollment_code_hash, enrollment_expires_at, created_at,
                        data_key)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                params![
                    id.to_string(),
                    name,
                    code_hash,
                    ts(expires_at),
                    ts(Utc::now()),
                    &new_data_key()[..]
                ],
            )
            .map_err(|e| taken(e, || format!("a device named {name} already exists")))?;
            Ok(Device {
                id,
                name,
                revoked_at: None,
                token_issued_at: None,
            })
        })
        .await
    }

    async fn reissue_enrollment(
        &self,
        device_id: Uuid,
        code_hash: &str,
        expires_at: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        let code_hash = code_hash.to_owned();
        self.with_conn(move |c| {
            let n = c.execute(
                "UPDATE devices SET enrollment_code_hash = ?2, enrollment_expires_at = ?3
                 WHERE id = ?1 AND token_hash IS NULL AND revoked_at IS NULL",
                params![device_id.to_string(), code_hash, ts(expires_at)],
            )?;
            if n == 0 {
                return Err(StoreError::Conflict(
                    "the device is already enrolled or revoked; register a new device".into(),
                ));
            }
            Ok(())
        })
        .await
    }

    async fn complete_enrollment(
        &self,
        code_hash: &str,
        token_hash: &str,
        markers: DbMarkers,
        now: DateTime<Utc>,
    ) -> Result<Option<Enrolled>, StoreError> {
        let (code_hash, token_hash) = (code_hash.to_owned(), token_hash.to_owned());
        self.with_conn(move |c| {
            let tx = c.transaction()?;
            let device = tx
                .query_row(
                    &format!(
                        "SELECT {DEVICE_COLUMNS} FROM devices
                         WHERE enrollment_code_hash = ?1 AND enrollment_expires_at >= ?2
                           AND revoked_at IS NULL AND token_hash IS NULL"
                    ),
                    params![code_hash, ts(now)],
                    |r| device_from(r, 0),
                )
                .optional()?;
            let Some(device) = device else {
                return Ok(None);
            };
            let id = device.id.to_string();
            // Clearing the code in the same transaction makes it single-use even under
            // concurrent requests.
            tx.execute(
                "UPDATE devices SET enrollment_code_hash = NULL, enrollment_expires_at = NULL,
                        token_hash = ?2, enrolled_at = ?3, last_seen_at = ?3, token_issued_at = ?3,
                        db_marker = ?4
                 WHERE id = ?1",
                params![id, token_hash, ts(now), markers.db_marker],
            )?;
            let storage_lost = match &markers.previous_marker {
                None => Vec::new(),
                Some(previous) => {
                    let lost: Vec<Uuid> = all(
                        &tx,
                        "SELECT id FROM devices WHERE db_marker = ?1 AND id <> ?2",
                        params![previous, id],
                        |r| uuid_at(r, 0),
                    )?;
                    // The first time it was seen lost is when the tablet's work went missing.
                    tx.execute(
                        "UPDATE devices SET storage_lost_at = COALESCE(storage_lost_at, ?3)
                         WHERE db_marker = ?1 AND id <> ?2",
                        params![previous, id, ts(now)],
                    )?;
                    lost
                }
            };
            tx.commit()?;
            Ok(Some(Enrolled {
                device: Device {
                    token_issued_at: Some(now),
                    ..device
                },
                storage_lost,
            }))
        })
        .await
    }

    async fn device_by_token(
        &self,
        token_hash: &str,
        now: DateTime<Utc>,
    ) -> Result<Option<Device>, StoreError> {
        let token_hash = token_hash.to_owned();
        self.with_conn(move |c| {
            let tx = c.transaction()?;
            // The first use of a rotated token makes it the device's token: the old one dies.
            tx.execute(
                "UPDATE devices SET token_hash = pending_token_hash,
                        token_issued_at = pending_token_issued_at,
                        pending_token_hash = NULL, pending_token_issued_at = NULL
                 WHERE pending_token_hash = ?1 AND revoked_at IS NULL",
                [&token_hash],
            )?;
            let found = tx
                .query_row(
                    &format!(
                        "SELECT {DEVICE_COLUMNS} FROM devices
                         WHERE token_hash = ?1 AND revoked_at IS NULL"
                    ),
                    [&token_hash],
                    |r| device_from(r, 0),
                )
                .optional()?;
            if let Some(d) = &found {
                tx.execute(
                    "UPDATE devices SET last_seen_at = ?2 WHERE id = ?1",
                    params![d.id.to_string(), ts(now)],
                )?;
            }
            tx.commit()?;
            Ok(found)
        })
        .await
    }

    async fn device(&self, id: Uuid) -> Result<Option<Device>, StoreError> {
        self.with_conn(move |c| device_where(c, "id", &id.to_string()))
            .await
    }

    async fn token_of_revoked_device(&self, token_hash: &str) -> Result<bool, StoreError> {
        let token_hash = token_hash.to_owned();
        self.with_conn(move |c| {
            Ok(c.query_row(
                "SELECT EXISTS (SELECT 1 FROM devices WHERE revoked_at IS NOT NULL
                                  AND (token_hash = ?1 OR pending_token_hash = ?1))
                     OR EXISTS (SELECT 1 FROM sessions s JOIN devices d ON d.id = s.device_id
                                WHERE s.token_hash = ?1 AND d.revoked_at IS NOT NULL)",
                [token_hash],
                |r| r.get(0),
            )?)
        })
        .await
    }

    async fn device_data_key(&self, device_id: Uuid) -> Result<Option<DataKey>, StoreError> {
        self.with_conn(move |c| {
            let tx = c.transaction()?;
            let id = device_id.to_string();
            // A device registered before data keys existed gets its key now, once.
            tx.execute(
                "UPDATE devices SET data_key = ?2 WHERE id = ?1 AND data_key IS NULL",
                params![id, &new_data_key()[..]],
            )?;
            let key: Option<Vec<u8>> = tx
                .query_row("SELECT data_key FROM devices WHERE id = ?1", [&id], |r| {
                    r.get(0)
                })
                .optional()?;
            tx.commit()?;
            key.map(|k| {
                <[u8; DATA_KEY_BYTES]>::try_from(k.as_slice())
                    .map(DataKey)
                    // Never replaced: a new key would make what the tablet holds unreadable.
                    .map_err(|_| {
                        StoreError::corrupt(format!("device {id}: data key is not 32 bytes"))
                    })
            })
            .transpose()
        })
        .await
    }

    async fn device_by_name(&self, name: &str) -> Result<Option<Device>, StoreError> {
        let name = name.to_owned();
        self.with_conn(move |c| device_where(c, "name", &name))
            .await
    }

    async fn list_devices(&self) -> Result<Vec<DeviceView>, StoreError> {
        self.with_conn(|c| list_devices(c)).await
    }

    async fn revoke_device(&self, id: Uuid, now: DateTime<Utc>) -> Result<bool, StoreError> {
        self.with_conn(move |c| {
            let tx = c.transaction()?;
            let n = tx.execute(
                "UPDATE devices SET revoked_at = COALESCE(revoked_at, ?2),
                        enrollment_code_hash = NULL, enrollment_expires_at = NULL
                 WHERE id = ?1",
                params![id.to_string(), ts(now)],
            )?;
            tx.execute(
                "UPDATE sessions SET ended_at = ?2 WHERE device_id = ?1 AND ended_at IS NULL",
                params![id.to_string(), ts(now)],
            )?;
            tx.commit()?;
            Ok(n > 0)
        })
        .await
    }

    async fn create_session(&self, s: NewSession) -> Result<(), StoreError> {
        self.with_conn(move |c| {
            c.execute(
                "INSERT INTO sessions (token_hash, user_id, device_id, created_at, expires_at)
                 VALUES (?1, ?2, ?3, ?4, ?5)",
                params![
                    s.token_hash,
                    s.user_id.to_string(),
                    s.device_id.to_string(),
                    ts(Utc::now()),
                    ts(s.expires_at)
                ],
            )?;
            Ok(())
        })
        .await
    }

    async fn session_by_token(
        &self,
        token_hash: &str,
        now: DateTime<Utc>,
    ) -> Result<Option<SessionRecord>, StoreError> {
        let sql = format!(
            "SELECT {USER_COLUMNS}, d.id, d.name, d.revoked_at, d.token_issued_at, s.expires_at
             FROM sessions s
             JOIN users u ON u.id = s.user_id
             JOIN devices d ON d.id = s.device_id
             WHERE s.token_hash = ?1 AND s.ended_at IS NULL AND s.expires_at > ?2
               AND d.revoked_at IS NULL AND u.active = 1"
        );
        let session = |r: &Row<'_>| {
            Ok(SessionRecord {
                user: user_from(r, 0)?,
                device: device_from(r, 4)?,
                expires_at: time_at(r, 8)?,
            })
        };
        let params = vec![token_hash.to_owned(), ts(now)];
        self.seen_by_token(sql, params, now, session, |s| s.device.id)
            .await
    }

    async fn end_session(&self, token_hash: &str, now: DateTime<Utc>) -> Result<(), StoreError> {
        let token_hash = token_hash.to_owned();
        self.with_conn(move |c| {
            c.execute(
                "UPDATE sessions SET ended_at = ?2 WHERE token_hash = ?1 AND ended_at IS NULL",
                params![token_hash, ts(now)],
            )?;
            Ok(())
        })
        .await
    }
    async fn list_accounts(&self, now: DateTime<Utc>) -> Result<Vec<UserAccount>, StoreError> {
        self.with_conn(move |c| {
            let sql = format!(
                "SELECT {USER_COLUMNS}, u.active,
                        (SELECT COUNT(*) FROM sessions s
                         WHERE s.user_id = u.id AND s.ended_at IS NULL AND s.expires_at > ?1)
                 FROM users u ORDER BY u.username"
            );
            all(c, &sql, [ts(now)], |r| {
                let active: bool = r.get(4)?;
                let live: u32 = r.get(5)?;
                Ok(UserAccount {
                    user: user_from(r, 0)?,
                    active,
                    // A deactivated person's sessions do not work, whatever their rows say.
                    live_sessions: if active { live } else { 0 },
                })
            })
        })
        .await
    }

    async fn set_user_active(
        &self,
        user_id: Uuid,
        active: bool,
        now: DateTime<Utc>,
    ) -> Result<u32, StoreError> {
        self.with_conn(move |c| {
            let tx = c.transaction()?;
            let n = tx.execute(
                "UPDATE users SET active = ?2 WHERE id = ?1",
                params![user_id.to_string(), active],
            )?;
            if n == 0 {
                return Err(StoreError::Missing("user"));
            }
            let ended = if active {
                0
            } else {
                end_sessions_of(&tx, user_id, None, now)?
            };
            tx.commit()?;
            Ok(ended)
        })
        .await
    }

    async fn set_user_pin(
        &self,
        user_id: Uuid,
        pin_hash: &str,
        keep: Option<&str>,
        now: DateTime<Utc>,
    ) -> Result<u32, StoreError> {
        let (pin_hash, keep) = (pin_hash.to_owned(), keep.map(str::to_owned));
        self.with_conn(move |c| {
            let tx = c.transaction()?;
            let n = tx.execute(
                "UPDATE users SET pin_hash = ?2 WHERE id = ?1",
                params![user_id.to_string(), pin_hash],
            )?;
            if n == 0 {
                return Err(StoreError::Missing("user"));
            }
            let ended = end_sessions_of(&tx, user_id, keep.as_deref(), now)?;
            tx.commit()?;
            Ok(ended)
        })
        .await
    }

    async fn end_user_sessions(
        &self,
        user_id: Uuid,
        now: DateTime<Utc>,
    ) -> Result<u32, StoreError> {
        self.with_conn(move |c| Ok(end_sessions_of(c, user_id, None, now)?))
            .await
    }

    async fn rotate_device_token(
        &self,
        device_id: Uuid,
        token_hash: &str,
        now: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        let token_hash = token_hash.to_owned();
        self.with_conn(move |c| {
            let n = c.execute(
                "UPDATE devices SET pending_token_hash = ?2, pending_token_issued_at = ?3
                 WHERE id = ?1 AND token_hash IS NOT NULL AND revoked_at IS NULL",
                params![device_id.to_string(), token_hash, ts(now)],
            )?;
            Ok(n > 0)
        })
        .await
    }
}
