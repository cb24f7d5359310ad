//! Single FHIR resources read as Drawline data: `Patient` as a patient, `ServiceRequest` as an order.

use chrono::{DateTime, NaiveDate, Utc};
use serde_json::Value;

use super::error::FhirError;
use crate::catalog::{Catalog, TestCode};
use crate::collection::{AccessionNumber, Order, OrderId, Patient, PatientId, Priority};
use crate::identification::{Mrn, PatientIdentity, PersonName};

const V2_0203: &str = "http://terminology.hl7.org/CodeSystem/v2-0203";
const LOINC: &str = "http://loinc.org";

/// The string at `path` of `v`, if there is one.
pub(super) fn str_at<'a>(v: &'a Value, path: &[&str]) -> Option<&'a str> {
    let mut cur = v;
    for p in path {
        cur = cur.get(p)?;
    }
    cur.as_str()
}

/// The array at `path` of `v`; empty when there is none.
pub(super) fn array_at<'a>(v: &'a Value, path: &[&str]) -> &'a [Value] {
    let mut cur = v;
    for p in path {
        match cur.get(p) {
            Some(next) => cur = next,
            None => return &[],
        }
    }
    cur.as_array().map_or(&[], Vec::as_slice)
}

/// `Type/id` of a resource, for messages.
pub(super) fn label(resource: &Value) -> String {
    format!(
        "{}/{}",
        resource
            .get("resourceType")
            .and_then(Value::as_str)
            .unwrap_or("?"),
        resource.get("id").and_then(Value::as_str).unwrap_or("?")
    )
}

/// Reads a FHIR `Patient`; it needs an MR identifier, a name and a full birth date, because
/// those are what identification at the bedside checks.
pub fn patient_from_fhir(
    resource: &Value,
    fallback_id: Option<&str>,
) -> Result<Patient, FhirError> {
    let who = label(resource);
    let missing = |element: &str| FhirError::missing(&who, element);
    let invalid =
        |element: &str, value: &str, why: &str| FhirError::invalid(&who, element, value, why);
    let id_text = resource
        .get("id")
        .and_then(Value::as_str)
        .or(fallback_id)
        .ok_or_else(|| missing("id"))?;
    let id = PatientId::parse(id_text).map_err(|e| invalid("id", id_text, &e.to_string()))?;
    let mr = array_at(resource, &["identifier"])
        .iter()
        .find(|i| {
            array_at(i, &["type", "coding"]).iter().any(|c| {
                str_at(c, &["code"]) == Some("MR")
                    && str_at(c, &["system"]).is_none_or(|s| s == V2_0203)
            })
        })
        .and_then(|i| str_at(i, &["value"]))
        .ok_or_else(|| missing("identifier (type MR)"))?;
    let mrn = Mrn::parse(mr).map_err(|e| invalid("identifier.value", mr, &e.to_string()))?;
    let names = array_at(resource, &["name"]);
    let name = names
        .iter()
        .find(|n| str_at(n, &["use"]) == Some("official"))
        .or_else(|| names.iter().find(|n| n.get("family").is_some()))
        .ok_or_else(|| missing("name"))?;
    let family = str_at(name, &["family"]).ok_or_else(|| missing("name.family"))?;
    let given: Vec<&str> = array_at(name, &["given"])
        .iter()
        .filter_map(Value::as_str)
        .collect();
    let name =
        PersonName::new(family, &given).map_err(|e| invalid("name", family, &e.to_string()))?;
    let dob_text = str_at(resource, &["birthDate"]).ok_or_else(|| missing("birthDate"))?;
    let birth_date = NaiveDate::parse_from_str(dob_text, "%Y-%m-%d").map_err(|_| {
        invalid(
            "birthDate",
            dob_text,
            "a full date (YYYY-MM-DD) is needed to identify the patient",
        )
    })?;
    Ok(Patient {
        id,
        identity: PatientIdentity {
            mrn,
            name,
            birth_date,
        },
        alerts: Vec::new(),
    })
}

fn parse_datetime(who: &str, element: &str, text: &str) -> Result<DateTime<Utc>, FhirError> {
    DateTime::parse_from_rfc3339(text)
        .map(|d| d.with_timezone(&Utc))
        .map_err(|_| {
            FhirError::invalid(
                who,
                element,
                text,
                "a dateTime with time and zone is needed",
            )
        })
}

/// Reads one FHIR `ServiceRequest` as an order for `patient`. `received_at` stands in for a
/// missing `authoredOn`: the order existed no later than when the lab received it.
pub fn order_from_fhir(
    resource: &Value,
    patient: &PatientId,
    catalog: &Catalog,
    received_at: DateTime<Utc>,
) -> Result<Order, FhirError> {
    let who = label(resource);
    let id_text = str_at(resource, &["id"]).ok_or_else(|| FhirError::missing(&who, "id"))?;
    let id = OrderId::parse(id_text)
        .map_err(|e| FhirError::invalid(&who, "id", id_text, &e.to_string()))?;
    let codings = array_at(resource, &["code", "coding"]);
    let test = codings
        .iter()
        .find_map(|c| {
            let code = str_at(c, &["code"])?;
            if str_at(c, &["system"]) == Some(LOINC) {
                catalog.by_loinc(code).map(|t| t.code.clone())
            } else {
                TestCode::parse(code)
                    .ok()
                    .filter(|tc| catalog.get(tc).is_some())
            }
        })
        .ok_or_else(|| FhirError::UnknownTest {
            resource: who.clone(),
            codes: codings
                .iter()
                .map(|c| {
                    format!(
                        "{}|{}",
                        str_at(c, &["system"]).unwrap_or(""),
                        str_at(c, &["code"]).unwrap_or("")
                    )
                })
                .collect::<Vec<_>>()
                .join(", "),
        })?;
    let priority_text = str_at(resource, &["priority"]).unwrap_or("routine");
    let priority = Priority::parse(priority_text).ok_or_else(|| {
        FhirError::invalid(
            &who,
            "priority",
            priority_text,
            "expected routine, urgent, asap or stat",
        )
    })?;
    let placed_at = match str_at(resource, &["authoredOn"]) {
        Some(t) => parse_datetime(&who, "authoredOn", t)?,
        None => received_at,
    };
    let due_at = match str_at(resource, &["occurrenceDateTime"]) {
        Some(t) => Some(parse_datetime(&who, "occurrenceDateTime", t)?),
        None => match str_at(resource, &["occurrencePeriod", "start"]) {
            Some(t) => Some(parse_datetime(&who, "occurrencePeriod.start", t)?),
            None => None,
        },
    };
    Ok(Order {
        id,
        patient: patient.clone(),
        test,
        priority,
        placed_at,
        due_at,
        requisition: str_at(resource, &["requisition", "value"]).map(str::to_owned),
        accessions: accessions_of_request(resource, &who)?,
        note: request_note(resource),
        recollection_reason: None,
    })
}

/// The placer's note for the collector: every `note[].text` of the request, one per line.
fn request_note(resource: &Value) -> Option<String> {
    let lines: Vec<&str> = array_at(resource, &["note"])
        .iter()
        .filter_map(|n| str_at(n, &["text"]))
        .map(str::trim)
        .filter(|t| !t.is_empty())
        .collect();
    (!lines.is_empty()).then(|| lines.join("\n"))
}

/// The accession numbers a `ServiceRequest` carries: its identifiers typed `ACSN` (HL7 v2
/// table 0203, accession id).
fn accessions_of_request(resource: &Value, who: &str) -> Result<Vec<AccessionNumber>, FhirError> {
    let mut out: Vec<AccessionNumber> = Vec::new();
    for identifier in array_at(resource, &["identifier"]) {
        let acsn = array_at(identifier, &["type", "coding"])
            .iter()
            .any(|c| str_at(c, &["code"]) == Some("ACSN"));
        if !acsn {
            continue;
        }
        let value = str_at(identifier, &["value"])
            .ok_or_else(|| FhirError::missing(who, "identifier(ACSN).value"))?;
        let a = AccessionNumber::parse(value).map_err(|e| {
            FhirError::invalid(who, "identifier(ACSN).value", value, &e.to_string())
        })?;
        if !out.contains(&a) {
            out.push(a);
        }
    }
    Ok(out)
}

/// The accession of a `Specimen` (`accessionIdentifier.value`) and the requests it is for
/// (`request[].reference`), when it has one.
pub fn specimen_accession(
    resource: &Value,
) -> Result<Option<(AccessionNumber, Vec<String>)>, FhirError> {
    let who = label(resource);
    let Some(value) = str_at(resource, &["accessionIdentifier", "value"]) else {
        return Ok(None);
    };
    let a = AccessionNumber::parse(value).map_err(|e| {
        FhirError::invalid(&who, "accessionIdentifier.value", value, &e.to_string())
    })?;
    let requests = array_at(resource, &["request"])
        .iter()
        .filter_map(|r| str_at(r, &["reference"]).map(str::to_owned))
        .collect();
    Ok(Some((a, requests)))
}
