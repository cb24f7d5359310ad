//! Users, devices, sessions and heartbeats in SQLite.

use chrono::{DateTime, Utc};
use rusqlite::{params, Connection, ErrorCode, OptionalExtension, Row};
use uuid::Uuid;

use super::{opt_time_at, time_at, ts, uuid_at};
use crate::api::{DeviceStatus, DeviceView, Heartbeat, HeartbeatView, Role, UserView};
use crate::store::{Device, NewSession, NewUser, SessionRecord, StoreError, UserCredentials};

fn is_unique_violation(e: &rusqlite::Error) -> bool {
    matches!(e, rusqlite::Error::SqliteFailure(f, _) if f.code == ErrorCode::ConstraintViolation)
}

pub(super) fn user_from(row: &Row<'_>, at: usize) -> rusqlite::Result<UserView> {
    let role: String = row.get(at + 3)?;
    let role = Role::parse(&role).ok_or_else(|| {
        rusqlite::Error::FromSqlConversionFailure(
            at + 3,
            rusqlite::types::Type::Text,
            format!("unknown role {role}").into(),
        )
    })?;
    Ok(UserView {
        id: uuid_at(row, at)?,
        username: row.get(at + 1)?,
        display_name: row.get(at + 2)?,
        role,
    })
}

pub(super) fn create_user(c: &mut Connection, user: NewUser) -> Result<UserView, StoreError> {
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
    .map_err(|e| {
        if is_unique_violation(&e) {
            StoreError::Conflict(format!("the user name {} is taken", user.username))
        } else {
            e.into()
        }
    })?;
    Ok(UserView {
        id,
        username: user.username,
        display_name: user.display_name,
        role: user.role,
    })
}

pub(super) fn user_credentials(
    c: &mut Connection,
    username: &str,
) -> Result<Option<UserCredentials>, StoreError> {
    Ok(c.query_row(
        "SELECT id, username, display_name, role, pin_hash, active FROM users WHERE username = ?1",
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
}

pub(super) fn list_users(c: &mut Connection) -> Result<Vec<UserView>, StoreError> {
    let mut stmt =
        c.prepare("SELECT id, username, display_name, role FROM users ORDER BY username")?;
    let users = stmt
        .query_map([], |r| user_from(r, 0))?
        .collect::<Result<Vec<_>, _>>()?;
    Ok(users)
}

fn device_from(row: &Row<'_>) -> rusqlite::Result<Device> {
    Ok(Device {
        id: uuid_at(row, 0)?,
        name: row.get(1)?,
        revoked_at: opt_time_at(row, 2)?,
    })
}

pub(super) fn create_device(
    c: &mut Connection,
    name: &str,
    code_hash: &str,
    expires_at: DateTime<Utc>,
) -> Result<Device, StoreError> {
    let id = Uuid::new_v4();
    c.execute(
        "INSERT INTO devices (id, name, enrollment_code_hash, enrollment_expires_at, created_at)
         VALUES (?1, ?2, ?3, ?4, ?5)",
        params![
            id.to_string(),
            name,
            code_hash,
            ts(expires_at),
            ts(Utc::now())
        ],
    )
    .map_err(|e| {
        if is_unique_violation(&e) {
            StoreError::Conflict(format!("a device named {name} already exists"))
        } else {
            e.into()
        }
    })?;
    Ok(Device {
        id,
        name: name.to_owned(),
        revoked_at: None,
    })
}

pub(super) fn reissue_enrollment(
    c: &mut Connection,
    device_id: Uuid,
    code_hash: &str,
    expires_at: DateTime<Utc>,
) -> Result<(), StoreError> {
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
}

pub(super) fn complete_enrollment(
    c: &mut Connection,
    code_hash: &str,
    token_hash: &str,
    now: DateTime<Utc>,
) -> Result<Option<Device>, StoreError> {
    let tx = c.transaction()?;
    let device = tx
        .query_row(
            "SELECT id, name, revoked_at FROM devices
             WHERE enrollment_code_hash = ?1 AND enrollment_expires_at >= ?2
               AND revoked_at IS NULL AND token_hash IS NULL",
            params![code_hash, ts(now)],
            device_from,
        )
        .optional()?;
    let Some(device) = device else {
        return Ok(None);
    };
    // Clearing the code in the same transaction makes it single-use even under concurrent requests.
    tx.execute(
        "UPDATE devices SET enrollment_code_hash = NULL, enrollment_expires_at = NULL,
                token_hash = ?2, enrolled_at = ?3, last_seen_at = ?3
         WHERE id = ?1",
        params![device.id.to_string(), token_hash, ts(now)],
    )?;
    tx.commit()?;
    Ok(Some(device))
}

pub(super) fn device_by_token(
    c: &mut Connection,
    token_hash: &str,
    now: DateTime<Utc>,
) -> Result<Option<Device>, StoreError> {
    let device = c
        .query_row(
            "SELECT id, name, revoked_at FROM devices WHERE token_hash = ?1 AND revoked_at IS NULL",
            [token_hash],
            device_from,
        )
        .optional()?;
    if let Some(d) = &device {
        c.execute(
            "UPDATE devices SET last_seen_at = ?2 WHERE id = ?1",
            params![d.id.to_string(), ts(now)],
        )?;
    }
    Ok(device)
}

pub(super) fn device_where(
    c: &mut Connection,
    column: &'static str,
    value: &str,
) -> Result<Option<Device>, StoreError> {
    // `column` is one of two literals chosen by the caller, never user input.
    let sql = format!("SELECT id, name, revoked_at FROM devices WHERE {column} = ?1");
    Ok(c.query_row(&sql, [value], device_from).optional()?)
}

pub(super) fn list_devices(c: &mut Connection) -> Result<Vec<DeviceView>, StoreError> {
    let mut stmt = c.prepare(
        "SELECT d.id, d.name, d.token_hash IS NOT NULL, d.created_at, d.enrolled_at, d.revoked_at,
                d.last_seen_at, h.received_at, h.device_clock, h.queue_length,
                h.oldest_unsynced_seconds, h.last_error
         FROM devices d
         LEFT JOIN heartbeats h ON h.id = (SELECT MAX(id) FROM heartbeats WHERE device_id = d.id)
         ORDER BY d.name",
    )?;
    let devices = stmt
        .query_map([], |r| {
            let enrolled: bool = r.get(2)?;
            let revoked_at = opt_time_at(r, 5)?;
            let status = match (revoked_at, enrolled) {
                (Some(_), _) => DeviceStatus::Revoked,
                (None, true) => DeviceStatus::Enrolled,
                (None, false) => DeviceStatus::Pending,
            };
            let last_heartbeat = match opt_time_at(r, 7)? {
                None => None,
                Some(received_at) => {
                    let clock: Option<String> = r.get(8)?;
                    let oldest: Option<i64> = r.get(10)?;
                    Some(HeartbeatView {
                        received_at,
                        heartbeat: Heartbeat {
                            device_clock: clock.and_then(|s| DateTime::parse_from_rfc3339(&s).ok()),
                            queue_length: r.get(9)?,
                            oldest_unsynced_seconds: oldest.map(|s| s.max(0) as u64),
                            last_error: r.get(11)?,
                        },
                    })
                }
            };
            Ok(DeviceView {
                id: uuid_at(r, 0)?,
                name: r.get(1)?,
                status,
                created_at: time_at(r, 3)?,
                enrolled_at: opt_time_at(r, 4)?,
                revoked_at,
                last_seen_at: opt_time_at(r, 6)?,
                last_heartbeat,
            })
        })?
        .collect::<Result<Vec<_>, _>>()?;
    Ok(devices)
}

pub(super) fn revoke_device(
    c: &mut Connection,
    id: Uuid,
    now: DateTime<Utc>,
) -> Result<bool, StoreError> {
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
}

pub(super) fn create_session(c: &mut Connection, s: NewSession) -> Result<(), StoreError> {
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
}

pub(super) fn session_by_token(
    c: &mut Connection,
    token_hash: &str,
    now: DateTime<Utc>,
) -> Result<Option<SessionRecord>, StoreError> {
    let record = c
        .query_row(
            "SELECT u.id, u.username, u.display_name, u.role, d.id, d.name, d.revoked_at, s.expires_at
             FROM sessions s
             JOIN users u ON u.id = s.user_id
             JOIN devices d ON d.id = s.device_id
             WHERE s.token_hash = ?1 AND s.ended_at IS NULL AND s.expires_at > ?2
               AND d.revoked_at IS NULL AND u.active = 1",
            params![token_hash, ts(now)],
            |r| {
                Ok(SessionRecord {
                    user: user_from(r, 0)?,
                    device: Device {
                        id: uuid_at(r, 4)?,
                        name: r.get(5)?,
                        revoked_at: opt_time_at(r, 6)?,
                    },
                    expires_at: time_at(r, 7)?,
                })
            },
        )
        .optional()?;
    if let Some(s) = &record {
        c.execute(
            "UPDATE devices SET last_seen_at = ?2 WHERE id = ?1",
            params![s.device.id.to_string(), ts(now)],
        )?;
    }
    Ok(record)
}

pub(super) fn record_heartbeat(
    c: &mut Connection,
    device_id: Uuid,
    h: &Heartbeat,
    received_at: DateTime<Utc>,
) -> Result<(), StoreError> {
    c.execute(
        "INSERT INTO heartbeats (device_id, received_at, device_clock, queue_length,
                                 oldest_unsynced_seconds, last_error)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        params![
            device_id.to_string(),
            ts(received_at),
            h.device_clock.map(|t| t.to_rfc3339()),
            h.queue_length,
            h.oldest_unsynced_seconds
                .map(|s| s.min(i64::MAX as u64) as i64),
            h.last_error
        ],
    )?;
    Ok(())
}
