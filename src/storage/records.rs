//! The records the device keeps: drafts, finalized versions waiting in the outbox, receipts.

use drawline_domain::FinalizedCollection;
use serde::{Deserialize, Serialize};

/// One in-progress collection as saved on every change.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Draft {
    /// Collection UUID, made on the device when the collection starts.
    pub id: String,
    /// The workflow step the collector was on, so a reload resumes there.
    pub step: String,
    /// When it was last saved (RFC 3339, device clock).
    pub saved_at: String,
    /// The collection itself.
    pub data: serde_json::Value,
}

/// One finalized, immutable collection version waiting to sync.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OutboxItem {
    /// `<collection id>/v<version>`: one record per version, so a correction never overwrites.
    pub id: String,
    /// The collection's UUID (shared by its versions).
    pub collection_id: String,
    /// Version number, 1 for the first.
    pub version: u32,
    /// Content hash of the finalized record.
    pub hash: String,
    /// When it was finalized (RFC 3339, device clock).
    pub finalized_at: String,
    /// The finalized record itself.
    pub data: serde_json::Value,
    /// Set when the lab refused this record (conflict or rejected): it is quarantined, kept on
    /// the device with the reason, and no longer sent, so it never blocks the rest.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub attention: Option<Attention>,
    /// The record sealed to the lab's public key at finalize: what is pushed, and what an
    /// emergency export carries, readable by the lab alone and sendable while the tablet is
    /// locked. `None` for records finalized before the tablet knew the lab's key.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sealed: Option<drawline_domain::api::Sealed>,
}

/// Why an outbox record needs a person: the lab's answer, kept with the record.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Attention {
    /// `conflict` or `rejected`.
    pub outcome: String,
    /// The lab's stable code, when it gave one.
    pub code: Option<String>,
    /// The lab's reason, written for people.
    pub reason: String,
    /// When the device got the answer (RFC 3339, device clock).
    pub at: String,
}

/// A collection version the lab holds, with its receipt: kept so the device can show what was
/// synced and never offers its orders for collection again.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ReceiptRecord {
    /// The outbox key it had: `<collection id>/v<version>`.
    pub id: String,
    /// The collection's UUID.
    pub collection_id: String,
    /// Version number.
    pub version: u32,
    /// Content hash the lab confirmed.
    pub hash: String,
    /// Patient id of the collection.
    pub patient_id: String,
    /// The patient as the collector knows them: "Name · MRN".
    pub patient_label: String,
    /// Order ids the collection covered.
    pub order_ids: Vec<String>,
    /// When it was finalized (RFC 3339, device clock).
    pub finalized_at: String,
    /// The lab's receipt (`drawline_domain::api::Receipt`).
    pub receipt: serde_json::Value,
    /// This version voided the collection as entered in error: its orders are open again.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub voided: bool,
    /// The finalized record itself, kept so a synced collection can still be corrected or
    /// voided from the tablet (receipts written before this have none).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub data: Option<serde_json::Value>,
}

impl OutboxItem {
    /// The outbox key of a collection version.
    pub fn key(collection_id: &str, version: u32) -> String {
        format!("{collection_id}/v{version}")
    }
}

/// What a receipt says about its collection, read out of the finalized record.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReceiptDetails {
    /// Patient id.
    pub patient_id: String,
    /// "Name · MRN".
    pub patient_label: String,
    /// Order ids the collection covered.
    pub order_ids: Vec<String>,
    /// The version voided the collection.
    pub voided: bool,
}

impl ReceiptDetails {
    /// The details of a finalized record; empty when `data` is not one (still encrypted, or
    /// unreadable).
    pub fn of(data: &serde_json::Value) -> Self {
        let Ok(f) = crate::json_value::from_value::<FinalizedCollection>(data) else {
            return Self::default();
        };
        let r = f.record();
        let who = &r.patient().identity;
        Self {
            patient_id: r.patient().id.to_string(),
            patient_label: format!("{} · {}", who.name.display_full(), who.mrn),
            order_ids: r.orders().iter().map(|o| o.id.to_string()).collect(),
            voided: r.voided().is_some(),
        }
    }

    /// The details a receipt carries.
    pub fn from_receipt(r: &ReceiptRecord) -> Self {
        Self {
            patient_id: r.patient_id.clone(),
            patient_label: r.patient_label.clone(),
            order_ids: r.order_ids.clone(),
            voided: r.voided,
        }
    }
}
