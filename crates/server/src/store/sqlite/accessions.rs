//! Lab accessions in SQLite: each order's accessions, the tube labels accepted collections bound, and who holds a label.
//!
//! One tube label belongs to one patient: an order's accession is that order's patient's, and a
//! label bound by an accepted collection is that collection's patient's. A push or an import that
//! would give it to another patient is refused (wrong blood in tube).

use chrono::{DateTime, Utc};
use rusqlite::{params, Connection, OptionalExtension};

use crate::store::error::StoreError;
use crate::store::sqlite::row::ts;

/// Who holds a tube label the lab knows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct AccessionHolder {
    /// The label.
    pub accession: String,
    /// The patient it belongs to.
    pub patient_id: String,
    /// That patient's MRN.
    pub patient_mrn: String,
    /// That patient's name, `FAMILY, Given Middle`.
    pub patient_name: String,
    /// The order whose accession it is, if it is one.
    pub order_id: Option<String>,
    /// The collection that bound it, if one did.
    pub collection_id: Option<String>,
}

impl AccessionHolder {
    /// Why a record binding it for another patient is refused. It names the label (the
    /// device's own) and nothing of the other patient, their order or collection: the device
    /// may not read them (a supervisor sees both collections side by side).
    pub fn reason(&self) -> String {
        let held = match (&self.collection_id, &self.order_id) {
            (Some(_), _) => "is already bound to a collection",
            (None, Some(_)) => "is the accession of an order",
            (None, None) => "is held",
        };
        format!(
            "possible wrong blood in tube: tube label {} {held} of another patient",
            self.accession
        )
    }
}

fn patient_of(c: &Connection, patient_id: &str) -> Result<(String, String), StoreError> {
    let row: Option<(String, String, String)> = c
        .query_row(
            "SELECT mrn, family, given FROM patients WHERE id = ?1",
            [patient_id],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
        )
        .optional()?;
    Ok(match row {
        Some((mrn, family, given)) => {
            let given: Vec<String> = serde_json::from_str(&given).unwrap_or_default();
            (
                mrn,
                format!("{}, {}", family.to_uppercase(), given.join(" ")),
            )
        }
        None => (patient_id.to_owned(), String::new()),
    })
}

fn holder(
    c: &Connection,
    accession: &str,
    patient_id: String,
    order_id: Option<String>,
    collection_id: Option<String>,
) -> Result<AccessionHolder, StoreError> {
    let (patient_mrn, patient_name) = patient_of(c, &patient_id)?;
    Ok(AccessionHolder {
        accession: accession.to_owned(),
        patient_id,
        patient_mrn,
        patient_name,
        order_id,
        collection_id,
    })
}

/// The first of `labels` another patient holds: such a label is never stored or bound, not even
/// by a supervisor's choice.
pub(crate) fn first_held_by_another_patient<'a>(
    c: &Connection,
    labels: impl IntoIterator<Item = &'a str>,
    collection_id: &str,
    patient_id: &str,
) -> Result<Option<AccessionHolder>, StoreError> {
    for label in labels {
        if let Some(h) = held_by_another_patient(c, label, collection_id, patient_id)? {
            return Ok(Some(h));
        }
    }
    Ok(None)
}

/// The holder of `accession` when it is another patient's than `patient_id`: a label another
/// collection bound (never `collection_id` itself, so a correction keeps its labels), else an
/// accession of another patient's order.
pub(crate) fn held_by_another_patient(
    c: &Connection,
    accession: &str,
    collection_id: &str,
    patient_id: &str,
) -> Result<Option<AccessionHolder>, StoreError> {
    let bound: Option<(String, String)> = c
        .query_row(
            "SELECT collection_id, patient_id FROM accession_bindings
             WHERE accession = ?1 AND collection_id <> ?2 AND patient_id <> ?3",
            params![accession, collection_id, patient_id],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .optional()?;
    if let Some((collection, patient)) = bound {
        return holder(c, accession, patient, None, Some(collection)).map(Some);
    }
    let ordered: Option<(String, String)> = c
        .query_row(
            "SELECT o.id, o.patient_id FROM order_accessions x JOIN orders o ON o.id = x.order_id
             WHERE x.accession = ?1 AND o.patient_id <> ?2",
            params![accession, patient_id],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .optional()?;
    match ordered {
        Some((order, patient)) => holder(c, accession, patient, Some(order), None).map(Some),
        None => Ok(None),
    }
}

/// Records the labels an accepted version binds, replacing the collection's earlier bindings
/// (a correction may drop a label). A label another collection of the same patient bound first
/// stays with that collection.
pub(crate) fn bind_labels(
    c: &Connection,
    collection_id: &str,
    version: u32,
    patient_id: &str,
    accessions: &[String],
    at: DateTime<Utc>,
) -> Result<(), StoreError> {
    c.execute(
        "DELETE FROM accession_bindings WHERE collection_id = ?1",
        [collection_id],
    )?;
    for a in accessions {
        c.execute(
            "INSERT OR IGNORE INTO accession_bindings
                (accession, collection_id, version, patient_id, bound_at)
             VALUES (?1, ?2, ?3, ?4, ?5)",
            params![a, collection_id, version, patient_id, ts(at)],
        )?;
    }
    Ok(())
}

/// Why an order may not take these accessions: one already belongs to another order.
pub(crate) fn order_accession_clash(
    c: &Connection,
    order_id: &str,
    patient_id: &str,
    accessions: &[String],
) -> Result<Option<String>, StoreError> {
    for a in accessions {
        let other: Option<(String, String)> = c
            .query_row(
                "SELECT o.id, o.patient_id FROM order_accessions x JOIN orders o ON o.id = x.order_id
                 WHERE x.accession = ?1 AND x.order_id <> ?2",
                params![a, order_id],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .optional()?;
        if let Some((other_order, other_patient)) = other {
            let (mrn, _) = patient_of(c, &other_patient)?;
            let whose = if other_patient == patient_id {
                "another order of this patient".to_owned()
            } else {
                format!("another patient (MRN {mrn})")
            };
            return Ok(Some(format!(
                "accession {a} already belongs to order {other_order} of {whose}; an accession labels one order's tubes"
            )));
        }
    }
    Ok(None)
}

/// Sets an order's accessions to `accessions` (an empty list keeps the stored ones: a file
/// without accessions does not take them away). True when something changed.
pub(crate) fn set_order_accessions(
    c: &Connection,
    order_id: &str,
    accessions: &[String],
) -> Result<bool, StoreError> {
    if accessions.is_empty() {
        return Ok(false);
    }
    let mut stmt = c.prepare("SELECT accession FROM order_accessions WHERE order_id = ?1")?;
    let stored: Vec<String> = stmt
        .query_map([order_id], |r| r.get(0))?
        .collect::<Result<_, _>>()?;
    let mut changed = false;
    for old in stored.iter().filter(|s| !accessions.contains(s)) {
        c.execute("DELETE FROM order_accessions WHERE accession = ?1", [old])?;
        changed = true;
    }
    for new in accessions.iter().filter(|a| !stored.contains(a)) {
        c.execute(
            "INSERT INTO order_accessions (accession, order_id) VALUES (?1, ?2)",
            params![new, order_id],
        )?;
        changed = true;
    }
    Ok(changed)
}
