//! Records sealed to the lab's public key: sent by a tablet nobody has unlocked, and carried by hand in an emergency export.
//!
//! The seal is ECDH-ES on P-256 with AES-256-GCM, spelled out here once so the tablet (WebCrypto)
//! and the lab (RustCrypto) agree byte for byte:
//!
//! 1. The sender makes an ephemeral P-256 key pair and computes the ECDH shared secret `Z` (the
//!    32-byte x coordinate) with the lab's public key.
//! 2. The content key is HKDF-SHA256 with `Z` as input key material, an empty salt and
//!    [`SEAL_INFO`] as info, 32 bytes long.
//! 3. The plaintext is the JSON of the [`crate::api::PushRecord`] the plain push would send. It is
//!    encrypted with AES-256-GCM under a random 12-byte IV, with the record's key
//!    `"{collection id}/v{version}"` as additional data (so a seal cannot be passed off as another
//!    record), and a 128-bit tag appended to the ciphertext.
//! 4. Binary values are base64url without padding.

use chrono::{DateTime, FixedOffset};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use uuid::Uuid;

/// HKDF info of the content key of a sealed record.
pub const SEAL_INFO: &str = "drawline sealed record v1";

/// The `format` of an emergency export file.
pub const EXPORT_FORMAT: &str = "drawline-outbox/1";

/// A P-256 public key as a JSON Web Key (RFC 7517): the lab's key, or a seal's ephemeral key.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PublicJwk {
    /// Always `EC`.
    pub kty: String,
    /// Always `P-256`.
    pub crv: String,
    /// The x coordinate, base64url (32 bytes).
    pub x: String,
    /// The y coordinate, base64url (32 bytes).
    pub y: String,
}

/// One ciphertext sealed to the lab's public key.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Sealed {
    /// The sender's ephemeral public key.
    pub epk: PublicJwk,
    /// The AES-GCM IV, base64url (12 bytes).
    pub iv: String,
    /// Ciphertext with its 16-byte tag appended, base64url.
    pub ct: String,
}

/// A finalized collection version sealed to the lab: pushed in [`crate::api::PushRequest::sealed`]
/// and carried in an [`OutboxExport`]. Only the ids and the content hash are in the clear.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SealedRecord {
    /// The collection's UUID.
    pub id: Uuid,
    /// Its version (1 for the first).
    pub version: u32,
    /// Content hash of the finalized record; must equal the opened record's.
    pub hash: String,
    /// The record itself.
    pub sealed: Sealed,
}

impl SealedRecord {
    /// The additional data the seal is bound to: `"{collection id}/v{version}"`.
    pub fn aad(&self) -> String {
        seal_aad(self.id, self.version)
    }
}

/// The additional data of a sealed record: its outbox key, `"{collection id}/v{version}"`.
pub fn seal_aad(id: Uuid, version: u32) -> String {
    format!("{id}/v{version}")
}

/// A tablet's unsynced collections as one file, sealed so only the lab can read them; taken by
/// `drawline import-outbox FILE`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OutboxExport {
    /// [`EXPORT_FORMAT`].
    pub format: String,
    /// The tablet the records come from.
    pub device_id: Uuid,
    /// The tablet's name, for the person importing it.
    pub device_name: String,
    /// When the file was made (tablet clock).
    pub exported_at: DateTime<FixedOffset>,
    /// How many records the file holds; shown on the tablet when it was made.
    pub count: u32,
    /// [`export_checksum`] of `records`; shown on the tablet when it was made.
    pub checksum: String,
    /// The records, oldest first.
    pub records: Vec<SealedRecord>,
}

/// SHA-256 (hex) over one line `"{id}/v{version} {hash} {iv} {ct}\n"` per record, in order: it
/// changes if a record is added, dropped, reordered or altered.
pub fn export_checksum(records: &[SealedRecord]) -> String {
    let mut h = Sha256::new();
    for r in records {
        h.update(format!("{} {} {} {}\n", r.aad(), r.hash, r.sealed.iv, r.sealed.ct).as_bytes());
    }
    h.finalize()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect::<String>()
}

/// The checksum as a person reads it aloud: its first 16 hex digits in groups of four.
pub fn checksum_for_people(checksum: &str) -> String {
    checksum
        .chars()
        .take(16)
        .collect::<Vec<_>>()
        .chunks(4)
        .map(|c| c.iter().collect::<String>())
        .collect::<Vec<_>>()
        .join(" ")
}

/// Why an export file is refused before any record is opened.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ExportError {
    /// Not a Drawline outbox export.
    #[error("not a Drawline outbox export (format {0:?}, expected {EXPORT_FORMAT:?})")]
    Format(String),
    /// The count does not match the records.
    #[error("the file says {said} records but holds {held}: it is incomplete or altered")]
    Count {
        /// What the file says.
        said: u32,
        /// What it holds.
        held: usize,
    },
    /// The checksum does not match the records.
    #[error("the checksum does not match the records: the file is damaged or altered")]
    Checksum,
}

impl OutboxExport {
    /// Makes the file for `records` (count and checksum filled in).
    pub fn new(
        device_id: Uuid,
        device_name: String,
        exported_at: DateTime<FixedOffset>,
        records: Vec<SealedRecord>,
    ) -> Self {
        Self {
            format: EXPORT_FORMAT.into(),
            device_id,
            device_name,
            exported_at,
            count: records.len() as u32,
            checksum: export_checksum(&records),
            records,
        }
    }

    /// Checks format, count and checksum.
    pub fn verify(&self) -> Result<(), ExportError> {
        if self.format != EXPORT_FORMAT {
            return Err(ExportError::Format(self.format.clone()));
        }
        if self.count as usize != self.records.len() {
            return Err(ExportError::Count {
                said: self.count,
                held: self.records.len(),
            });
        }
        if export_checksum(&self.records) != self.checksum {
            return Err(ExportError::Checksum);
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(n: u8) -> SealedRecord {
        SealedRecord {
            id: Uuid::from_bytes([n; 16]),
            version: 1,
            hash: format!("h{n}"),
            sealed: Sealed {
                epk: PublicJwk {
                    kty: "EC".into(),
                    crv: "P-256".into(),
                    x: "x".into(),
                    y: "y".into(),
                },
                iv: "iv".into(),
                ct: format!("ct{n}"),
            },
        }
    }

    fn export() -> OutboxExport {
        OutboxExport::new(
            Uuid::nil(),
            "Tablet".into(),
            DateTime::parse_from_rfc3339("2026-11-30T10:00:00+01:00").unwrap(),
            vec![record(1), record(2)],
        )
    }

    #[test]
    fn a_file_as_made_verifies() {
        assert_eq!(export().verify(), Ok(()));
        assert_eq!(export().count, 2);
    }

    #[test]
    fn a_dropped_altered_or_reordered_record_fails_the_checksum() {
        let mut dropped = export();
        dropped.records.pop();
        dropped.count = 1;
        assert_eq!(dropped.verify(), Err(ExportError::Checksum));
        let mut altered = export();
        altered.records[0].sealed.ct = "other".into();
        assert_eq!(altered.verify(), Err(ExportError::Checksum));
        let mut reordered = export();
        reordered.records.reverse();
        assert_eq!(reordered.verify(), Err(ExportError::Checksum));
    }

    #[test]
    fn a_count_that_disagrees_or_a_foreign_format_is_refused() {
        let mut short = export();
        short.count = 3;
        assert!(matches!(
            short.verify(),
            Err(ExportError::Count { said: 3, held: 2 })
        ));
        let mut other = export();
        other.format = "something/2".into();
        assert!(matches!(other.verify(), Err(ExportError::Format(_))));
    }

    #[test]
    fn people_read_the_first_sixteen_digits_in_fours() {
        assert_eq!(
            checksum_for_people("0123456789abcdef0011"),
            "0123 4567 89ab cdef"
        );
    }
}
