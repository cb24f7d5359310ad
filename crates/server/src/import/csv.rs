//! The CSV order format: one row per ordered test, a header row naming the columns.
//!
//! Columns (header names are case-insensitive, order is free):
//!
//! | column | required | meaning |
//! |---|---|---|
//! | `order_id` | yes | the placer's order id (letters, digits, `-`, `.`); the re-import key |
//! | `mrn` | yes | medical record number |
//! | `family` | yes | family name |
//! | `given` | yes | given name(s), space separated |
//! | `birth_date` | yes | `YYYY-MM-DD` |
//! | `test` | yes | catalog test code, e.g. `CBC` |
//! | `priority` | no | `routine` (default), `urgent`, `asap`, `stat` |
//! | `placed_at` | no | RFC 3339 instant the order was placed (default: import time) |
//! | `due_at` | no | RFC 3339 target time of a timed draw |
//! | `fasting` | no | `yes`/`no`, `true`/`false`, `1`/`0` (default: the catalog's rule) |
//! | `requisition` | no | requisition (order group) number |
//! | `location` | no | ward, room, bed or address (shown, never used as an identifier) |
//! | `note` | no | free text for the collector |
//! | `round` | no | round to put the order in (default: the import's round) |
//! | `patient_id` | no | logical patient id for a new patient (default `mrn-<MRN>`) |
//! | `accession` | no | the lab's accession number(s) of the order's pre-labelled tubes, `;`-separated |
//! | `alerts` | no | the patient's alerts, `;`-separated `kind: text` entries (below) |
//!
//! Alerts: each entry is `kind: text`, kind one of `arm-restriction`, `allergy`, `isolation`,
//! `bleeding-risk`, `other`; an arm restriction names its side after the kind, e.g.
//! `arm-restriction left: No draw from left arm (fistula); allergy: Latex; isolation: Contact
//! precautions`. The alerts of all rows of one patient (same MRN) are merged, each once. A
//! file with an `alerts` column says what the patient's alerts are now, so an import replaces
//! the stored ones (an empty cell on every row clears them); a file without the column keeps
//! them. A row with an entry that cannot be read is refused, naming the entry, and the
//! patient's other rows then add their alerts without taking any stored one away.

use std::collections::HashMap;

use chrono::{DateTime, NaiveDate, Utc};
use drawline_domain::collection::{merge_alerts, PatientAlert};
use drawline_domain::{
    Mrn, Order, OrderId, Patient, PatientId, PatientIdentity, PersonName, Priority, SiteConfig,
    TestCode,
};

use super::{ImportError, Parsed};
use crate::api::ImportProblem;
use crate::store::NewOrder;

const REQUIRED: &[&str] = &["order_id", "mrn", "family", "given", "birth_date", "test"];
const OPTIONAL: &[&str] = &[
    "priority",
    "placed_at",
    "due_at",
    "fasting",
    "requisition",
    "location",
    "note",
    "round",
    "patient_id",
    "accession",
    "alerts",
];

/// The documented header, in a good order, for templates and tests.
pub const TEMPLATE_HEADER: &str = "order_id,mrn,family,given,birth_date,test,priority,placed_at,due_at,fasting,requisition,location,note,round";

struct Row<'a> {
    cols: &'a HashMap<String, usize>,
    record: &'a ::csv::StringRecord,
}

impl Row<'_> {
    fn get(&self, name: &str) -> Option<&str> {
        self.cols
            .get(name)
            .and_then(|i| self.record.get(*i))
            .map(str::trim)
            .filter(|v| !v.is_empty())
    }

    fn required(&self, name: &str) -> Result<&str, String> {
        self.get(name).ok_or_else(|| format!("{name} is empty"))
    }
}

fn instant(name: &str, text: &str) -> Result<DateTime<Utc>, String> {
    use drawline_domain::instant_range::{check_utc, parse_instant, InstantError};
    match parse_instant(text) {
        // Checked again in UTC: the lab stores it so (23:00-05:00 on 31 December 2099 is 2100).
        Ok(t) => {
            let t = t.with_timezone(&Utc);
            check_utc(&t)
                .map(|()| t)
                .map_err(|e| format!("{name}: {e}"))
        }
        Err(InstantError::Unreadable) => Err(format!(
            "{name} '{text}' is not an RFC 3339 instant such as 2025-03-01T08:00:00Z"
        )),
        Err(e) => Err(format!("{name}: {e}")),
    }
}

fn flag(text: &str) -> Result<bool, String> {
    match text.to_ascii_lowercase().as_str() {
        "yes" | "y" | "true" | "1" => Ok(true),
        "no" | "n" | "false" | "0" => Ok(false),
        _ => Err(format!("fasting '{text}' is not yes or no")),
    }
}

fn priority(text: &str) -> Result<Priority, String> {
    match text.to_ascii_lowercase().as_str() {
        "routine" => Ok(Priority::Routine),
        "urgent" => Ok(Priority::Urgent),
        "asap" => Ok(Priority::Asap),
        "stat" => Ok(Priority::Stat),
        _ => Err(format!(
            "priority '{text}' is not routine, urgent, asap or stat"
        )),
    }
}

fn order_from(row: &Row<'_>, site: &SiteConfig, now: DateTime<Utc>) -> Result<NewOrder, String> {
    let mrn_text = row.required("mrn")?;
    let mrn = Mrn::parse(mrn_text).map_err(|e| e.to_string())?;
    let given: Vec<&str> = row.required("given")?.split_whitespace().collect();
    let name = PersonName::new(row.required("family")?, &given).map_err(|e| e.to_string())?;
    let dob = row.required("birth_date")?;
    let birth_date = NaiveDate::parse_from_str(dob, "%Y-%m-%d")
        .map_err(|_| format!("birth_date '{dob}' is not a date such as 1950-07-14"))?;
    let patient_id = match row.get("patient_id") {
        Some(id) => PatientId::parse(id),
        None => PatientId::parse(&format!("mrn-{mrn}")),
    }
    .map_err(|e| e.to_string())?;
    let code_text = row.required("test")?;
    let test = TestCode::parse(code_text).map_err(|e| e.to_string())?;
    let definition = site
        .test(&test)
        .ok_or_else(|| format!("test '{code_text}' is not in the site catalog"))?;
    let placed_at = row
        .get("placed_at")
        .map(|t| instant("placed_at", t))
        .transpose()?
        .unwrap_or(now);
    let due_at = row
        .get("due_at")
        .map(|t| instant("due_at", t))
        .transpose()?;
    let fasting = match row.get("fasting") {
        Some(f) => flag(f)?,
        None => definition.fasting,
    };
    let order = Order {
        id: OrderId::parse(row.required("order_id")?).map_err(|e| e.to_string())?,
        patient: patient_id.clone(),
        test,
        priority: row
            .get("priority")
            .map(priority)
            .transpose()?
            .unwrap_or(Priority::Routine),
        placed_at,
        due_at,
        requisition: row.get("requisition").map(str::to_owned),
        accessions: match row.get("accession") {
            Some(text) => super::accessions(text.split(';'), site)?,
            None => Vec::new(),
        },
        note: row.get("note").map(str::to_owned),
        recollection_reason: None,
    };
    let alerts = match row.get("alerts") {
        Some(text) => PatientAlert::parse_list(text).map_err(|e| format!("alerts: {e}"))?,
        None => Vec::new(),
    };
    Ok(NewOrder {
        position: 0,
        location_in_source: String::new(),
        patient: Patient {
            id: patient_id,
            identity: PatientIdentity {
                mrn,
                name,
                birth_date,
            },
            alerts,
        },
        order,
        fasting,
        location: row.get("location").map(str::to_owned),
        replaces_alerts: row.cols.contains_key("alerts"),
        round: row.get("round").map(str::to_owned),
    })
}

/// Reads the CSV; rows are numbered by their line in the file (the header is line 1).
pub fn parse(body: &[u8], site: &SiteConfig, now: DateTime<Utc>) -> Result<Parsed, ImportError> {
    let mut reader = ::csv::ReaderBuilder::new()
        .flexible(true)
        .trim(::csv::Trim::All)
        .from_reader(body);
    let headers = reader
        .headers()
        .map_err(|e| ImportError::CsvHeader(e.to_string()))?
        .clone();
    let mut cols = HashMap::new();
    for (i, h) in headers.iter().enumerate() {
        let h = h.trim().trim_start_matches('\u{feff}').to_ascii_lowercase();
        if !REQUIRED.contains(&h.as_str()) && !OPTIONAL.contains(&h.as_str()) {
            return Err(ImportError::CsvHeader(format!(
                "unknown column '{h}'; the columns are {}",
                [REQUIRED, OPTIONAL].concat().join(", ")
            )));
        }
        if cols.insert(h.clone(), i).is_some() {
            return Err(ImportError::CsvHeader(format!(
                "column '{h}' appears twice"
            )));
        }
    }
    let missing: Vec<&str> = REQUIRED
        .iter()
        .copied()
        .filter(|c| !cols.contains_key(*c))
        .collect();
    if !missing.is_empty() {
        return Err(ImportError::CsvHeader(format!(
            "missing column(s) {}",
            missing.join(", ")
        )));
    }
    let mut parsed = Parsed::default();
    let mut seen: HashMap<String, u64> = HashMap::new();
    let mut unread_alerts: Vec<String> = Vec::new();
    for (n, record) in reader.records().enumerate() {
        // Without a position (an I/O error), count lines: header + rows so far.
        let fallback_line = n as u64 + 2;
        let (line, result) = match record {
            Err(e) => (
                e.position().map_or(fallback_line, |p| p.line()),
                Err(e.to_string()),
            ),
            Ok(record) => {
                let line = record.position().map_or(fallback_line, |p| p.line());
                if record.iter().all(|f| f.trim().is_empty()) {
                    continue;
                }
                // A patient with an unreadable alert keeps every alert the lab holds.
                let alerts_cell = cols.get("alerts").and_then(|i| record.get(*i));
                if alerts_cell.is_some_and(|a| PatientAlert::parse_list(a).is_err()) {
                    let mrn = cols.get("mrn").and_then(|i| record.get(*i));
                    if let Some(mrn) = mrn.and_then(|m| Mrn::parse(m).ok()) {
                        unread_alerts.push(mrn.to_string());
                    }
                }
                let result = if record.len() != headers.len() {
                    Err(format!(
                        "{} fields where the header has {}",
                        record.len(),
                        headers.len()
                    ))
                } else {
                    order_from(
                        &Row {
                            cols: &cols,
                            record: &record,
                        },
                        site,
                        now,
                    )
                };
                (line, result)
            }
        };
        let result = result.and_then(|o| match seen.get(o.order.id.as_str()) {
            Some(first) => Err(format!("order_id {} repeats line {first}", o.order.id)),
            None => {
                seen.insert(o.order.id.to_string(), line);
                Ok(o)
            }
        });
        let location = format!("line {line}");
        match result {
            Ok(mut o) => {
                o.position = line as usize;
                o.location_in_source = location;
                parsed.orders.push(o);
            }
            Err(reason) => parsed.problems.push(ImportProblem {
                position: line as usize,
                location,
                reason,
            }),
        }
    }
    merge_patient_alerts(&mut parsed.orders, &unread_alerts);
    Ok(parsed)
}

/// Gives every order of a patient (same MRN) the alerts of all that patient's rows, each once;
/// the orders of a patient in `unread` (MRNs) add their alerts rather than replace them.
fn merge_patient_alerts(orders: &mut [NewOrder], unread: &[String]) {
    let mut by_mrn: HashMap<String, Vec<PatientAlert>> = HashMap::new();
    for o in orders.iter() {
        let alerts = by_mrn
            .entry(o.patient.identity.mrn.to_string())
            .or_default();
        merge_alerts(alerts, o.patient.alerts.iter().cloned());
    }
    for o in orders.iter_mut() {
        if let Some(alerts) = by_mrn.get(o.patient.identity.mrn.as_str()) {
            o.patient.alerts.clone_from(alerts);
        }
        if unread.iter().any(|m| m == o.patient.identity.mrn.as_str()) {
            o.replaces_alerts = false;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn site() -> SiteConfig {
        SiteConfig::default_site()
    }

    #[test]
    fn a_good_row_becomes_an_order_with_its_patient() {
        let csv = format!(
            "{TEMPLATE_HEADER}\nA1,MRN001,Smith,Jane Ann,1950-07-14,cbc,stat,,,,,Ward 5 bed 3,,Ward 5\n"
        );
        let parsed = parse(csv.as_bytes(), &site(), Utc::now()).unwrap();
        assert!(parsed.problems.is_empty(), "{:?}", parsed.problems);
        let o = &parsed.orders[0];
        assert_eq!(o.order.test.as_str(), "CBC");
        assert_eq!(o.order.priority, Priority::Stat);
        assert_eq!(o.patient.id.as_str(), "mrn-MRN001");
        assert_eq!(o.patient.identity.name.given, vec!["Jane", "Ann"]);
        assert_eq!(o.round.as_deref(), Some("Ward 5"));
        assert_eq!(o.position, 2);
    }

    #[test]
    fn bad_rows_are_reported_by_line_and_good_rows_still_come_through() {
        let csv = "order_id,mrn,family,given,birth_date,test\n\
                   A1,MRN001,Smith,Jane,1950-07-14,CBC\n\
                   A2,MRN002,Jones,Tom,14/07/1950,CBC\n\
                   A3,MRN003,Brown,Ann,1960-01-01,NOPE\n\
                   A1,MRN001,Smith,Jane,1950-07-14,CBC\n\
                   A4,MRN004\n";
        let parsed = parse(csv.as_bytes(), &site(), Utc::now()).unwrap();
        assert_eq!(parsed.orders.len(), 1);
        let lines: Vec<usize> = parsed.problems.iter().map(|p| p.position).collect();
        assert_eq!(lines, vec![3, 4, 5, 6]);
        assert!(parsed.problems[0].reason.contains("birth_date"));
        assert!(parsed.problems[1].reason.contains("catalog"));
        assert!(parsed.problems[2].reason.contains("repeats line 2"));
    }

    #[test]
    fn a_header_without_the_required_columns_refuses_the_whole_file() {
        let err = parse(b"order_id,mrn\nA1,MRN001\n", &site(), Utc::now()).unwrap_err();
        assert!(err.to_string().contains("missing column"), "{err}");
        let err = parse(
            b"order_id,mrn,family,given,birth_date,test,colour\n",
            &site(),
            Utc::now(),
        )
        .unwrap_err();
        assert!(err.to_string().contains("unknown column 'colour'"), "{err}");
    }

    #[test]
    fn the_alerts_of_a_patients_rows_are_merged_onto_each_of_its_orders_once() {
        let csv = "order_id,mrn,family,given,birth_date,test,alerts,note\n\
                   A1,MRN001,Smith,Jane,1950-07-14,CBC,allergy: Latex,\n\
                   A2,MRN001,Smith,Jane,1950-07-14,BMP,arm-restriction left: Fistula; allergy: Latex,Hard stick\n\
                   A3,MRN002,Jones,Tom,1960-01-01,CBC,,\n";
        let parsed = parse(csv.as_bytes(), &site(), Utc::now()).unwrap();
        assert!(parsed.problems.is_empty(), "{:?}", parsed.problems);
        let texts = |i: usize| -> Vec<String> {
            parsed.orders[i]
                .patient
                .alerts
                .iter()
                .map(ToString::to_string)
                .collect()
        };
        let both = ["allergy: Latex", "arm-restriction left: Fistula"];
        assert_eq!(texts(0), both);
        assert_eq!(texts(1), both);
        assert!(texts(2).is_empty());
        assert!(parsed.orders.iter().all(|o| o.replaces_alerts));
        assert_eq!(parsed.orders[1].order.note.as_deref(), Some("Hard stick"));
        assert_eq!(parsed.orders[0].order.note, None);
    }

    #[test]
    fn a_row_with_a_bad_alert_is_refused_naming_the_entry_and_a_file_without_alerts_keeps_them() {
        let csv = "order_id,mrn,family,given,birth_date,test,alerts\n\
                   A1,MRN001,Smith,Jane,1950-07-14,CBC,allergy: Latex; arm-restriction: fistula\n";
        let parsed = parse(csv.as_bytes(), &site(), Utc::now()).unwrap();
        assert!(parsed.orders.is_empty());
        assert_eq!(parsed.problems[0].location, "line 2");
        assert!(
            parsed.problems[0]
                .reason
                .starts_with("alerts: alert 'arm-restriction: fistula' is not valid"),
            "{}",
            parsed.problems[0].reason
        );
        let plain =
            "order_id,mrn,family,given,birth_date,test\nA1,MRN001,Smith,Jane,1950-07-14,CBC\n";
        let parsed = parse(plain.as_bytes(), &site(), Utc::now()).unwrap();
        assert!(!parsed.orders[0].replaces_alerts);
    }
}
