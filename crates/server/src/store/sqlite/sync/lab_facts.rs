//! The lab's facts a push is re-validated against, read in one go.

use chrono::NaiveDate;
use drawline_domain::{Mrn, PatientIdentity, PersonName};
use rusqlite::{Connection, OptionalExtension};

use crate::revalidate::{FactsWanted, LabFacts, OrderFacts, UserFacts};
use crate::store::error::StoreError;
use crate::store::sqlite::row::{code_at, time_at};

/// The lab's patient as an identity; `None` when a stored value is not one (nothing matches it).
fn identity(mrn: &str, family: &str, given: &str, birth_date: &str) -> Option<PatientIdentity> {
    let given: Vec<String> = serde_json::from_str(given).ok()?;
    let given: Vec<&str> = given.iter().map(String::as_str).collect();
    Some(PatientIdentity {
        mrn: Mrn::parse(mrn).ok()?,
        name: PersonName::new(family, &given).ok()?,
        birth_date: NaiveDate::parse_from_str(birth_date, "%Y-%m-%d").ok()?,
    })
}

/// The orders and users `wanted` names, as the lab has them now.
pub(super) fn lab_facts(c: &Connection, wanted: &FactsWanted) -> Result<LabFacts, StoreError> {
    let device = wanted.device_id.to_string();
    let mut facts = LabFacts::default();
    let mut order = c.prepare_cached(
        "SELECT o.patient_id, o.status, o.placed_at, p.mrn, p.family, p.given, p.birth_date,
                COALESCE(r.device_id = ?2, 0)
         FROM orders o JOIN patients p ON p.id = o.patient_id
         LEFT JOIN rounds r ON r.id = o.round_id
         WHERE o.id = ?1",
    )?;
    for id in &wanted.order_ids {
        let row = order
            .query_row([id, &device], |r| {
                let text = |i| r.get::<_, String>(i);
                Ok(OrderFacts {
                    patient_id: r.get(0)?,
                    status: code_at(r, 1)?,
                    placed_at: time_at(r, 2)?,
                    patient: identity(&text(3)?, &text(4)?, &text(5)?, &text(6)?),
                    on_device_rounds: r.get(7)?,
                })
            })
            .optional()?;
        if let Some(o) = row {
            facts.orders.insert(id.clone(), o);
        }
    }
    let mut user = c.prepare_cached("SELECT active FROM users WHERE id = ?1")?;
    for id in &wanted.user_ids {
        let active: Option<bool> = user.query_row([id], |r| r.get(0)).optional()?;
        if let Some(active) = active {
            facts.users.insert(id.clone(), UserFacts { active });
        }
    }
    Ok(facts)
}
