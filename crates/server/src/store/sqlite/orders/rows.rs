//! Reading orders, patients and rounds back from their rows (worklists and pulls share these).

use chrono::{DateTime, NaiveDate, Utc};
use drawline_domain::collection::PatientAlert;
use drawline_domain::{
    AccessionNumber, Mrn, Order, OrderId, Patient, PatientId, PatientIdentity, PersonName, TestCode,
};
use rusqlite::{Connection, Row};
use uuid::Uuid;

use crate::api::{RoundView, WorklistOrder};
use crate::store::error::StoreError;
use crate::store::sqlite::row::{
    all, corrupt, from_code, opt_time_at, opt_uuid_at, time_at, uuid_at,
};

/// Columns [`round_from`] reads.
pub(in crate::store::sqlite) const ROUND_COLUMNS: &str = "id, name, device_id, collector_id";

/// Reads a round from [`ROUND_COLUMNS`].
pub(in crate::store::sqlite) fn round_from(r: &Row<'_>) -> rusqlite::Result<RoundView> {
    Ok(RoundView {
        id: uuid_at(r, 0)?,
        name: r.get(1)?,
        device_id: opt_uuid_at(r, 2)?,
        collector_id: opt_uuid_at(r, 3)?,
    })
}

/// The rounds assigned to a device, by name.
pub(in crate::store::sqlite) fn device_rounds(
    c: &Connection,
    device: &str,
) -> Result<Vec<RoundView>, StoreError> {
    let sql = format!("SELECT {ROUND_COLUMNS} FROM rounds WHERE device_id = ?1 ORDER BY name");
    all(c, &sql, [device], round_from)
}

/// Columns [`OrderRow::from_row`] reads, for an `orders o` query; more may follow them.
pub(in crate::store::sqlite) const ORDER_COLUMNS: &str =
    "o.id, o.patient_id, o.test_code, o.priority, o.placed_at, o.due_at, o.requisition,
     o.fasting, o.location, o.note, o.round_id,
     (SELECT group_concat(accession, ';') FROM
        (SELECT x.accession FROM order_accessions x WHERE x.order_id = o.id ORDER BY x.accession)),
     o.recollection_reason";

/// How many columns [`ORDER_COLUMNS`] has.
pub(in crate::store::sqlite) const ORDER_COLUMN_COUNT: usize = 13;

/// An order row as stored, before its codes are parsed.
pub(in crate::store::sqlite) struct OrderRow {
    /// Order id.
    pub id: String,
    /// Patient id.
    pub patient: String,
    test: String,
    priority: String,
    placed_at: DateTime<Utc>,
    due_at: Option<DateTime<Utc>>,
    requisition: Option<String>,
    fasting: bool,
    location: Option<String>,
    note: Option<String>,
    round_id: Option<Uuid>,
    /// Lab accessions, `;`-separated.
    accessions: Option<String>,
    recollection_reason: Option<String>,
}

impl OrderRow {
    /// Reads [`ORDER_COLUMNS`].
    pub fn from_row(r: &Row<'_>) -> rusqlite::Result<Self> {
        Ok(Self {
            id: r.get(0)?,
            patient: r.get(1)?,
            test: r.get(2)?,
            priority: r.get(3)?,
            placed_at: time_at(r, 4)?,
            due_at: opt_time_at(r, 5)?,
            requisition: r.get(6)?,
            fasting: r.get(7)?,
            location: r.get(8)?,
            note: r.get(9)?,
            round_id: opt_uuid_at(r, 10)?,
            accessions: r.get(11)?,
            recollection_reason: r.get(12)?,
        })
    }

    /// The order as a worklist shows it.
    pub fn into_worklist_order(self) -> Result<WorklistOrder, StoreError> {
        Ok(WorklistOrder {
            order: Order {
                id: OrderId::parse(&self.id).map_err(corrupt)?,
                patient: PatientId::parse(&self.patient).map_err(corrupt)?,
                test: TestCode::parse(&self.test).map_err(corrupt)?,
                priority: from_code(&self.priority)
                    .ok_or_else(|| corrupt(format!("priority '{}'", self.priority)))?,
                placed_at: self.placed_at,
                due_at: self.due_at,
                requisition: self.requisition,
                accessions: self
                    .accessions
                    .as_deref()
                    .unwrap_or_default()
                    .split(';')
                    .filter(|a| !a.is_empty())
                    .map(|a| AccessionNumber::parse(a).map_err(corrupt))
                    .collect::<Result<_, _>>()?,
                note: self.note,
                recollection_reason: self.recollection_reason,
            },
            round_id: self.round_id,
            fasting: self.fasting,
            location: self.location,
        })
    }
}

/// Columns [`patient_from`] reads, for a `patients p` query.
pub(in crate::store::sqlite) const PATIENT_COLUMNS: &str =
    "p.id, p.mrn, p.family, p.given, p.birth_date, p.alerts";

/// The text of a patient row.
pub(in crate::store::sqlite) type PatientRow = (String, String, String, String, String, String);

/// Reads [`PATIENT_COLUMNS`].
pub(in crate::store::sqlite) fn patient_row(r: &Row<'_>) -> rusqlite::Result<PatientRow> {
    Ok((
        r.get(0)?,
        r.get(1)?,
        r.get(2)?,
        r.get(3)?,
        r.get(4)?,
        r.get(5)?,
    ))
}

/// Parses a patient row.
pub(in crate::store::sqlite) fn patient_from(row: PatientRow) -> Result<Patient, StoreError> {
    let (id, mrn, family, given, birth, alerts) = row;
    Ok(Patient {
        id: PatientId::parse(&id).map_err(corrupt)?,
        identity: PatientIdentity {
            mrn: Mrn::parse(&mrn).map_err(corrupt)?,
            name: PersonName {
                family,
                given: serde_json::from_str(&given).map_err(corrupt)?,
            },
            birth_date: NaiveDate::parse_from_str(&birth, "%Y-%m-%d").map_err(corrupt)?,
        },
        alerts: serde_json::from_str::<Vec<PatientAlert>>(&alerts).map_err(corrupt)?,
    })
}
