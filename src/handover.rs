//! The emergency hand-over file: which outbox records go in, in what order, and what it is called.

use chrono::{DateTime, FixedOffset};
use drawline_domain::api::SealedRecord;
use uuid::Uuid;

use crate::storage::OutboxItem;

/// What a hand-over file made now would hold.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct HandoverPlan {
    /// The sealed records, oldest first: quarantined ones too (the lab decides on them).
    pub records: Vec<SealedRecord>,
    /// Of those, the ones the lab refused on sync (conflict or rejected).
    pub quarantined: u32,
    /// Records with no seal (finalized before the tablet knew the lab's key): not in the file.
    pub unsealed: u32,
    /// Records whose collection id cannot be read: not in the file.
    pub unreadable: u32,
}

/// Sorts the tablet's outbox into what goes in the file (every sealed record, oldest first) and
/// what cannot (no seal, or a damaged id).
pub fn plan(outbox: Vec<OutboxItem>) -> HandoverPlan {
    let mut out = HandoverPlan::default();
    let mut kept: Vec<(Option<DateTime<FixedOffset>>, SealedRecord)> = Vec::new();
    for item in outbox {
        let Some(sealed) = item.sealed else {
            out.unsealed += 1;
            continue;
        };
        let Ok(id) = Uuid::parse_str(&item.collection_id) else {
            out.unreadable += 1;
            continue;
        };
        if item.attention.is_some() {
            out.quarantined += 1;
        }
        let at = DateTime::parse_from_rfc3339(&item.finalized_at).ok();
        kept.push((
            at,
            SealedRecord {
                id,
                version: item.version,
                hash: item.hash,
                sealed,
            },
        ));
    }
    // Oldest first, as sync sends them; a time that cannot be read goes last.
    kept.sort_by(|(a, ra), (b, rb)| {
        (a.is_none(), a, ra.id, ra.version).cmp(&(b.is_none(), b, rb.id, rb.version))
    });
    out.records = kept.into_iter().map(|(_, r)| r).collect();
    out
}

/// The device name as a file name part: lower case letters and digits, words joined by `-`.
pub fn slug(name: &str) -> String {
    let words: Vec<String> = name
        .split(|c: char| !c.is_ascii_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(str::to_ascii_lowercase)
        .collect();
    if words.is_empty() {
        "tablet".into()
    } else {
        words.join("-")
    }
}

/// `drawline-outbox-<device name slug>-<YYYYMMDD-HHMM>.json`, in the tablet's local time.
pub fn file_name(device_name: &str, at: DateTime<FixedOffset>) -> String {
    format!(
        "drawline-outbox-{}-{}.json",
        slug(device_name),
        at.format("%Y%m%d-%H%M")
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::storage::Attention;
    use drawline_domain::api::{PublicJwk, Sealed};

    fn item(n: u8, finalized_at: &str, sealed: bool) -> OutboxItem {
        let id = Uuid::from_bytes([n; 16]).to_string();
        OutboxItem {
            id: OutboxItem::key(&id, 1),
            collection_id: id,
            version: 1,
            hash: format!("hash-{n}"),
            finalized_at: finalized_at.into(),
            data: serde_json::Value::Null,
            attention: None,
            sealed: sealed.then(|| Sealed {
                epk: PublicJwk {
                    kty: "EC".into(),
                    crv: "P-256".into(),
                    x: "x".into(),
                    y: "y".into(),
                },
                iv: "iv".into(),
                ct: format!("ct-{n}"),
            }),
        }
    }

    #[test]
    fn sealed_records_go_in_oldest_first_whatever_their_offsets() {
        let plan = plan(vec![
            item(1, "2026-11-30T10:00:00+01:00", true),
            // 08:30 UTC: the oldest, though its local time reads later.
            item(2, "2026-11-30T10:30:00+02:00", true),
            item(3, "2026-11-30T09:45:00+00:00", true),
        ]);
        let hashes: Vec<&str> = plan.records.iter().map(|r| r.hash.as_str()).collect();
        assert_eq!(hashes, ["hash-2", "hash-1", "hash-3"]);
        assert_eq!(plan.records[0].id, Uuid::from_bytes([2; 16]));
        assert_eq!(plan.records[0].sealed.ct, "ct-2");
    }

    #[test]
    fn records_without_a_seal_are_counted_and_left_out() {
        let plan = plan(vec![
            item(1, "2026-11-30T10:00:00+01:00", false),
            item(2, "2026-11-30T10:00:00+01:00", true),
        ]);
        assert_eq!(plan.records.len(), 1);
        assert_eq!(plan.unsealed, 1);
        assert_eq!(plan.unreadable, 0);
    }

    #[test]
    fn quarantined_records_go_in_and_are_counted() {
        let mut refused = item(1, "2026-11-30T10:00:00+01:00", true);
        refused.attention = Some(Attention {
            outcome: "rejected".into(),
            code: None,
            reason: "r".into(),
            at: "2026-11-30T10:01:00+01:00".into(),
        });
        let plan = plan(vec![refused, item(2, "2026-11-30T11:00:00+01:00", true)]);
        assert_eq!(plan.records.len(), 2);
        assert_eq!(plan.quarantined, 1);
    }

    #[test]
    fn a_damaged_id_or_time_never_drops_a_readable_record() {
        let mut damaged = item(1, "2026-11-30T10:00:00+01:00", true);
        damaged.collection_id = "not a uuid".into();
        let plan = plan(vec![
            item(2, "yesterday", true),
            damaged,
            item(3, "2026-11-30T10:00:00+01:00", true),
        ]);
        assert_eq!(plan.unreadable, 1);
        let hashes: Vec<&str> = plan.records.iter().map(|r| r.hash.as_str()).collect();
        assert_eq!(hashes, ["hash-3", "hash-2"]);
    }

    #[test]
    fn the_file_is_named_after_the_tablet_and_the_local_minute() {
        let at = DateTime::parse_from_rfc3339("2026-11-30T09:05:59+01:00").unwrap();
        assert_eq!(
            file_name("Ward 5 tablet #2", at),
            "drawline-outbox-ward-5-tablet-2-20261130-0905.json"
        );
        assert_eq!(
            file_name("  ", at),
            "drawline-outbox-tablet-20261130-0905.json"
        );
        assert_eq!(slug("Pédiatrie B"), "p-diatrie-b");
    }
}
