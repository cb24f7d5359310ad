//! Order import in SQLite: patients by MRN, rounds by name, orders by id, in one transaction.

use chrono::{DateTime, Utc};
use rusqlite::{params, Connection, OptionalExtension, Row, Transaction};
use serde_json::json;
use uuid::Uuid;

use drawline_domain::collection::{merge_alerts, PatientAlert};
use drawline_domain::Patient;

use super::rows::{round_from, ROUND_COLUMNS};
use crate::api::{ImportProblem, ImportReport, RoundView};
use crate::store::error::StoreError;
use crate::store::orders::{Assignment, NewOrder};
use crate::store::sqlite::accessions::{order_accession_clash, set_order_accessions};
use crate::store::sqlite::audit::audit_json;
use crate::store::sqlite::row::{corrupt, ts};

/// Finds or creates a round by name; with an assignment, (re)assigns it.
pub(super) fn upsert_round(
    tx: &Transaction<'_>,
    name: &str,
    assignment: Option<&Assignment>,
    now: DateTime<Utc>,
) -> Result<RoundView, StoreError> {
    let existing = tx
        .query_row(
            &format!("SELECT {ROUND_COLUMNS} FROM rounds WHERE name = ?1"),
            [name],
            round_from,
        )
        .optional()?;
    let id = match existing {
        Some(round) if assignment.is_none() => return Ok(round),
        Some(round) => round.id,
        None => {
            let id = Uuid::new_v4();
            tx.execute(
                "INSERT INTO rounds (id, name, created_at) VALUES (?1, ?2, ?3)",
                params![id.to_string(), name, ts(now)],
            )?;
            id
        }
    };
    if let Some(a) = assignment {
        tx.execute(
            "UPDATE rounds SET device_id = ?2, collector_id = ?3 WHERE id = ?1",
            params![
                id.to_string(),
                a.device_id.map(|d| d.to_string()),
                a.collector_id.map(|u| u.to_string())
            ],
        )?;
    }
    Ok(tx.query_row(
        &format!("SELECT {ROUND_COLUMNS} FROM rounds WHERE id = ?1"),
        [id.to_string()],
        round_from,
    )?)
}

/// Finds the patient by MRN (keeping the stored id) or creates it; `Err(reason)` rejects the row.
/// With `replaces_alerts`, the patient's alerts become `p.alerts`; without, `p.alerts` are added
/// to the stored ones.
fn upsert_patient(
    tx: &Transaction<'_>,
    p: &Patient,
    replaces_alerts: bool,
    now: DateTime<Utc>,
) -> Result<Result<String, String>, StoreError> {
    let mrn = p.identity.mrn.to_string();
    let given = serde_json::to_string(&p.identity.name.given).map_err(corrupt)?;
    let birth = p.identity.birth_date.to_string();
    let family = &p.identity.name.family;
    let by_mrn: Option<String> = tx
        .query_row("SELECT id FROM patients WHERE mrn = ?1", [&mrn], |r| {
            r.get(0)
        })
        .optional()?;
    let alerts = serde_json::to_string(&p.alerts).map_err(corrupt)?;
    if let Some(id) = by_mrn {
        tx.execute(
            "UPDATE patients SET family = ?2, given = ?3, birth_date = ?4, updated_at = ?5
             WHERE id = ?1 AND (family, given, birth_date) IS NOT (?2, ?3, ?4)",
            params![id, family, given, birth, ts(now)],
        )?;
        let alerts = if replaces_alerts {
            alerts
        } else {
            let stored: String =
                tx.query_row("SELECT alerts FROM patients WHERE id = ?1", [&id], |r| {
                    r.get(0)
                })?;
            let mut merged: Vec<PatientAlert> = serde_json::from_str(&stored).map_err(corrupt)?;
            merge_alerts(&mut merged, p.alerts.iter().cloned());
            serde_json::to_string(&merged).map_err(corrupt)?
        };
        tx.execute(
            "UPDATE patients SET alerts = ?2, updated_at = ?3 WHERE id = ?1 AND alerts IS NOT ?2",
            params![id, alerts, ts(now)],
        )?;
        return Ok(Ok(id));
    }
    let id = p.id.to_string();
    let taken: Option<String> = tx
        .query_row("SELECT mrn FROM patients WHERE id = ?1", [&id], |r| {
            r.get(0)
        })
        .optional()?;
    if let Some(other) = taken {
        return Ok(Err(format!(
            "patient id {id} already belongs to MRN {other}, not {mrn}"
        )));
    }
    tx.execute(
        "INSERT INTO patients (id, mrn, family, given, birth_date, alerts, created_at, updated_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?7)",
        params![id, mrn, family, given, birth, alerts, ts(now)],
    )?;
    Ok(Ok(id))
}

/// The columns of an order that a re-import may change, in column order.
type OrderFields = (
    String,
    String,
    String,
    String,
    Option<String>,
    Option<String>,
    bool,
    Option<String>,
    Option<String>,
    Option<String>,
);

const ORDER_FIELDS: &str =
    "patient_id, test_code, priority, placed_at, due_at, requisition, fasting, location, note, round_id";

fn fields_from(r: &Row<'_>) -> rusqlite::Result<OrderFields> {
    Ok((
        r.get(0)?,
        r.get(1)?,
        r.get(2)?,
        r.get(3)?,
        r.get(4)?,
        r.get(5)?,
        r.get(6)?,
        r.get(7)?,
        r.get(8)?,
        r.get(9)?,
    ))
}

fn import_one(
    tx: &Transaction<'_>,
    new: &NewOrder,
    now: DateTime<Utc>,
    report: &mut ImportReport,
) -> Result<(), StoreError> {
    let reject = |report: &mut ImportReport, reason: String| {
        report.rejected.push(ImportProblem {
            position: new.position,
            location: new.location_in_source.clone(),
            reason,
        });
    };
    let patient_id = match upsert_patient(tx, &new.patient, new.replaces_alerts, now)? {
        Ok(id) => id,
        Err(reason) => {
            reject(report, reason);
            return Ok(());
        }
    };
    let round_id = match &new.round {
        Some(name) => Some(upsert_round(tx, name, None, now)?.id.to_string()),
        None => None,
    };
    let o = &new.order;
    let id = o.id.to_string();
    let accessions: Vec<String> = o.accessions.iter().map(ToString::to_string).collect();
    if let Some(reason) = order_accession_clash(tx, &id, &patient_id, &accessions)? {
        reject(report, reason);
        return Ok(());
    }
    let mut fields: OrderFields = (
        patient_id,
        o.test.to_string(),
        o.priority.code().to_owned(),
        ts(o.placed_at),
        o.due_at.map(ts),
        o.requisition.clone(),
        new.fasting,
        new.location.clone(),
        o.note.clone(),
        round_id,
    );
    let existing = tx
        .query_row(
            &format!("SELECT {ORDER_FIELDS} FROM orders WHERE id = ?1"),
            [&id],
            fields_from,
        )
        .optional()?;
    let Some(old) = existing else {
        let f = fields;
        tx.execute(
            &format!("INSERT INTO orders (id, {ORDER_FIELDS}, imported_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)"),
            params![id, f.0, f.1, f.2, f.3, f.4, f.5, f.6, f.7, f.8, f.9, ts(now)],
        )?;
        set_order_accessions(tx, &id, &accessions)?;
        report.created += 1;
        return Ok(());
    };
    if old.0 != fields.0 {
        // Never move an order to another patient silently: that is how wrong-blood-in-tube starts.
        reject(
            report,
            format!("order {id} already exists for another patient ({})", old.0),
        );
        return Ok(());
    }
    // A re-import without a round keeps the order where a supervisor put it.
    if fields.9.is_none() {
        fields.9.clone_from(&old.9);
    }
    // A file without a placing time stands in the import time; a re-import must not move it later.
    if old.3 < fields.3 {
        fields.3.clone_from(&old.3);
    }
    if old == fields {
        if set_order_accessions(tx, &id, &accessions)? {
            report.updated += 1;
        } else {
            report.unchanged += 1;
        }
        return Ok(());
    }
    let f = fields;
    tx.execute(
        "UPDATE orders SET test_code = ?2, priority = ?3, placed_at = ?4, due_at = ?5,
                requisition = ?6, fasting = ?7, location = ?8, note = ?9, round_id = ?10
         WHERE id = ?1",
        params![id, f.1, f.2, f.3, f.4, f.5, f.6, f.7, f.8, f.9],
    )?;
    set_order_accessions(tx, &id, &accessions)?;
    report.updated += 1;
    Ok(())
}

/// Imports a batch in one transaction, auditing the counts.
pub(super) fn import_orders(
    c: &mut Connection,
    batch: Vec<NewOrder>,
    now: DateTime<Utc>,
) -> Result<ImportReport, StoreError> {
    let tx = c.transaction()?;
    let mut report = ImportReport::default();
    for new in &batch {
        import_one(&tx, new, now, &mut report)?;
    }
    let detail = json!({
        "created": report.created,
        "updated": report.updated,
        "unchanged": report.unchanged,
        "rejected": report.rejected.len(),
    });
    audit_json(&tx, "import", "orders.imported", None, detail, now)?;
    tx.commit()?;
    Ok(report)
}
