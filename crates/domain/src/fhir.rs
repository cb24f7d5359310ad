//! FHIR R4 mapping: Patient + ServiceRequest bundles in as orders, finalized collections out as Specimen and Task.

use chrono::{DateTime, NaiveDate, Utc};
use serde_json::{json, Map, Value};

use crate::catalog::{Catalog, Handling, TestCode};
use crate::collection::{
    Collection, DeviceTime, FastingStatus, FinalizedCollection, NotCollectedReason, Order, OrderId,
    Patient, PatientId, Priority,
};
use crate::identification::{Mrn, PatientIdentity, PersonName};
use crate::site::SiteConfig;

const V2_0203: &str = "http://terminology.hl7.org/CodeSystem/v2-0203";
const V2_0487: &str = "http://terminology.hl7.org/CodeSystem/v2-0487";
const V2_0488: &str = "http://terminology.hl7.org/CodeSystem/v2-0488";
const V2_0371: &str = "http://terminology.hl7.org/CodeSystem/v2-0371";
const V2_0493: &str = "http://terminology.hl7.org/CodeSystem/v2-0493";
const V2_0916: &str = "http://terminology.hl7.org/CodeSystem/v2-0916";
const LOINC: &str = "http://loinc.org";
const UCUM: &str = "http://unitsofmeasure.org";
const TASK_CODE: &str = "http://hl7.org/fhir/CodeSystem/task-code";

/// A FHIR resource that cannot be turned into Drawline orders.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FhirError {
    /// Not a Bundle.
    #[error("expected a FHIR Bundle, found {0}")]
    NotABundle(String),
    /// A required element is missing.
    #[error("{resource}: {element} is missing")]
    Missing {
        /// `Type/id` of the resource.
        resource: String,
        /// Element path.
        element: String,
    },
    /// An element with an unusable value.
    #[error("{resource}: {element} '{value}' is not valid: {why}")]
    Invalid {
        /// `Type/id` of the resource.
        resource: String,
        /// Element path.
        element: String,
        /// Value found.
        value: String,
        /// Why not.
        why: String,
    },
    /// A ServiceRequest whose subject is not in the bundle.
    #[error("{resource}: subject '{reference}' is not a Patient in this bundle")]
    UnknownSubject {
        /// `ServiceRequest/id`.
        resource: String,
        /// The reference.
        reference: String,
    },
    /// A ServiceRequest whose code is not in the site catalog.
    #[error("{resource}: no catalog test for code {codes}")]
    UnknownTest {
        /// `ServiceRequest/id`.
        resource: String,
        /// Codes tried, `system|code`.
        codes: String,
    },
}

/// Patients and orders read from a bundle.
#[derive(Debug, Clone, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
pub struct ImportedOrders {
    /// Patients, in bundle order.
    pub patients: Vec<Patient>,
    /// Active orders, in bundle order.
    pub orders: Vec<Order>,
    /// ServiceRequests skipped because they are not active (id and status).
    pub skipped: Vec<String>,
}

fn str_at<'a>(v: &'a Value, path: &[&str]) -> Option<&'a str> {
    let mut cur = v;
    for p in path {
        cur = cur.get(p)?;
    }
    cur.as_str()
}

fn label(resource: &Value) -> String {
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
    let missing = |element: &str| FhirError::Missing {
        resource: who.clone(),
        element: element.into(),
    };
    let invalid = |element: &str, value: &str, why: &str| FhirError::Invalid {
        resource: who.clone(),
        element: element.into(),
        value: value.into(),
        why: why.into(),
    };
    let id_text = resource
        .get("id")
        .and_then(Value::as_str)
        .or(fallback_id)
        .ok_or_else(|| missing("id"))?;
    let id = PatientId::parse(id_text).map_err(|e| invalid("id", id_text, &e.to_string()))?;
    let identifiers = resource
        .get("identifier")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    let mr = identifiers
        .iter()
        .find(|i| {
            i.pointer("/type/coding")
                .and_then(Value::as_array)
                .is_some_and(|c| {
                    c.iter().any(|c| {
                        str_at(c, &["code"]) == Some("MR")
                            && str_at(c, &["system"]).is_none_or(|s| s == V2_0203)
                    })
                })
        })
        .and_then(|i| str_at(i, &["value"]))
        .ok_or_else(|| missing("identifier (type MR)"))?;
    let mrn = Mrn::parse(mr).map_err(|e| invalid("identifier.value", mr, &e.to_string()))?;
    let names = resource
        .get("name")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    let name = names
        .iter()
        .find(|n| str_at(n, &["use"]) == Some("official"))
        .or_else(|| names.iter().find(|n| n.get("family").is_some()))
        .ok_or_else(|| missing("name"))?;
    let family = str_at(name, &["family"]).ok_or_else(|| missing("name.family"))?;
    let given: Vec<&str> = name
        .get("given")
        .and_then(Value::as_array)
        .map(|g| g.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default();
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
    })
}

fn parse_datetime(who: &str, element: &str, text: &str) -> Result<DateTime<Utc>, FhirError> {
    DateTime::parse_from_rfc3339(text)
        .map(|d| d.with_timezone(&Utc))
        .map_err(|_| FhirError::Invalid {
            resource: who.into(),
            element: element.into(),
            value: text.into(),
            why: "a dateTime with time and zone is needed".into(),
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
    let id_text = str_at(resource, &["id"]).ok_or_else(|| FhirError::Missing {
        resource: who.clone(),
        element: "id".into(),
    })?;
    let id = OrderId::parse(id_text).map_err(|e| FhirError::Invalid {
        resource: who.clone(),
        element: "id".into(),
        value: id_text.into(),
        why: e.to_string(),
    })?;
    let codings = resource
        .pointer("/code/coding")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
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
    let priority = match str_at(resource, &["priority"]).unwrap_or("routine") {
        "routine" => Priority::Routine,
        "urgent" => Priority::Urgent,
        "asap" => Priority::Asap,
        "stat" => Priority::Stat,
        other => {
            return Err(FhirError::Invalid {
                resource: who,
                element: "priority".into(),
                value: other.into(),
                why: "expected routine, urgent, asap or stat".into(),
            })
        }
    };
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
    })
}

/// Reads a Bundle of Patient and ServiceRequest resources (any bundle type) into orders.
/// Requests that are not `active` are listed in `skipped`, not imported.
pub fn orders_from_bundle(
    bundle: &Value,
    catalog: &Catalog,
    received_at: DateTime<Utc>,
) -> Result<ImportedOrders, FhirError> {
    let kind = bundle
        .get("resourceType")
        .and_then(Value::as_str)
        .unwrap_or("nothing");
    if kind != "Bundle" {
        return Err(FhirError::NotABundle(kind.into()));
    }
    let entries = bundle
        .get("entry")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    let mut out = ImportedOrders::default();
    // (fullUrl, "Patient/id") → patient id, to resolve both relative and urn:uuid references.
    let mut refs: Vec<(Option<String>, String, PatientId)> = Vec::new();
    for e in &entries {
        let Some(r) = e.get("resource") else { continue };
        if str_at(r, &["resourceType"]) != Some("Patient") {
            continue;
        }
        let full_url = str_at(e, &["fullUrl"]).map(str::to_owned);
        let fallback = full_url
            .as_deref()
            .and_then(|u| u.strip_prefix("urn:uuid:"));
        let p = patient_from_fhir(r, fallback)?;
        refs.push((full_url, format!("Patient/{}", p.id), p.id.clone()));
        out.patients.push(p);
    }
    for e in &entries {
        let Some(r) = e.get("resource") else { continue };
        if str_at(r, &["resourceType"]) != Some("ServiceRequest") {
            continue;
        }
        let status = str_at(r, &["status"]).unwrap_or("unknown");
        if status != "active" {
            out.skipped.push(format!("{} ({status})", label(r)));
            continue;
        }
        let reference = str_at(r, &["subject", "reference"]).ok_or_else(|| FhirError::Missing {
            resource: label(r),
            element: "subject.reference".into(),
        })?;
        let patient = refs
            .iter()
            .find(|(full, rel, _)| {
                full.as_deref() == Some(reference)
                    || rel == reference
                    || full
                        .as_deref()
                        .is_some_and(|f| f.ends_with(&format!("/{reference}")))
            })
            .map(|(_, _, id)| id.clone())
            .ok_or_else(|| FhirError::UnknownSubject {
                resource: label(r),
                reference: reference.into(),
            })?;
        out.orders
            .push(order_from_fhir(r, &patient, catalog, received_at)?);
    }
    Ok(out)
}

/// Identifier systems and references used when writing FHIR for a site.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct FhirExport {
    /// System of `Specimen.identifier` (collection id / tube number).
    pub tube_identifier_system: String,
    /// System of `Specimen.accessionIdentifier`.
    pub accession_system: String,
    /// System of collector identifiers.
    pub collector_system: String,
    /// Code system of not-collected reasons in `Task.statusReason`.
    pub reason_system: String,
}

impl FhirExport {
    /// The site's base URL the systems were made under (`fullUrl`s of a Bundle hang off it).
    pub fn base(&self) -> String {
        self.tube_identifier_system
            .split("/fhir/")
            .next()
            .unwrap_or("")
            .to_owned()
    }

    /// Systems under a site's base URL, e.g. `https://lab.example.org`.
    pub fn for_base(base: &str) -> Self {
        let base = base.trim_end_matches('/');
        Self {
            tube_identifier_system: format!("{base}/fhir/sid/drawline-tube"),
            accession_system: format!("{base}/fhir/sid/accession"),
            collector_system: format!("{base}/fhir/sid/collector"),
            reason_system: format!("{base}/fhir/CodeSystem/not-collected-reason"),
        }
    }
}

impl Default for FhirExport {
    fn default() -> Self {
        Self::for_base("https://lab.example.org")
    }
}

fn fhir_datetime(t: &DeviceTime) -> String {
    // Seconds precision with the device's own offset: the lab sees the local time as drawn.
    t.local().format("%Y-%m-%dT%H:%M:%S%:z").to_string()
}

fn ml(value: f64) -> Value {
    json!({"value": value, "unit": "mL", "system": UCUM, "code": "mL"})
}

fn resource_id(c: &Collection, suffix: &str) -> String {
    format!("{}-v{}-{suffix}", c.id(), c.version())
}

/// One `Specimen` per drawn tube (discard tubes excluded).
pub fn specimens(
    finalized: &FinalizedCollection,
    site: &SiteConfig,
    ctx: &FhirExport,
) -> Vec<Value> {
    let c = finalized.record();
    let patient = c.patient();
    let mut out = Vec::new();
    for t in c.tubes().iter().filter(|t| !t.tube.discard) {
        let Some(drawn) = &t.drawn else { continue };
        let container = site.container(&t.tube.container);
        let collected: Vec<&TestCode> = t
            .tube
            .tests
            .iter()
            .filter(|x| c.exception_for(x).is_none())
            .collect();
        let mut s = Map::new();
        s.insert("resourceType".into(), json!("Specimen"));
        s.insert("id".into(), json!(resource_id(c, &format!("t{}", t.index))));
        s.insert(
            "identifier".into(),
            json!([{"system": ctx.tube_identifier_system, "value": format!("{}/{}", c.id(), t.index)}]),
        );
        if let Some(acc) = &t.accession {
            s.insert(
                "accessionIdentifier".into(),
                json!({"system": ctx.accession_system, "value": acc.as_str()}),
            );
        }
        s.insert(
            "status".into(),
            json!(if collected.is_empty() {
                "unsatisfactory"
            } else {
                "available"
            }),
        );
        let mut ty = json!({"text": t.tube.container_name});
        if let Some(ct) = container {
            ty["coding"] = json!([{"system": V2_0487, "code": ct.specimen_type.code, "display": ct.specimen_type.display}]);
        }
        s.insert("type".into(), ty);
        s.insert(
            "subject".into(),
            json!({"reference": format!("Patient/{}", patient.id), "display": patient.identity.name.display_full()}),
        );
        let requests: Vec<Value> = c
            .orders_for_tube(t)
            .iter()
            .map(|o| json!({"reference": format!("ServiceRequest/{}", o.id)}))
            .collect();
        if !requests.is_empty() {
            s.insert("request".into(), Value::Array(requests));
        }
        let mut collection = json!({
            "collector": {"identifier": {"system": ctx.collector_system, "value": drawn.by.as_str()}, "display": drawn.by.as_str()},
            "collectedDateTime": fhir_datetime(&drawn.at),
            "quantity": ml(t.tube.volume_ml),
            "method": {"coding": [{"system": V2_0488, "code": "VENIP", "display": "Venipuncture"}]},
        });
        if t.tube.fasting {
            let (code, text) = match c.fasting() {
                Some(FastingStatus::Fasting) => ("F", "Patient was fasting"),
                Some(FastingStatus::NotFasting) => ("NF", "Patient did not fast"),
                _ => ("NG", "Fasting status not given"),
            };
            collection["fastingStatusCodeableConcept"] =
                json!({"coding": [{"system": V2_0916, "code": code}], "text": text});
        }
        s.insert("collection".into(), collection);
        let mut cont = json!({
            "description": format!("{} ({} cap)", t.tube.container_name, t.tube.cap),
            "type": {"text": t.tube.container_name},
        });
        if let Some(acc) = &t.accession {
            cont["identifier"] = json!([{"value": acc.as_str()}]);
        }
        if let Some(ct) = container {
            cont["capacity"] = ml(ct.draw_volume_ml);
            let mut additive = json!({"text": ct.additive});
            if let Some(code) = &ct.additive_code {
                additive["coding"] = json!([{"system": V2_0371, "code": code}]);
            }
            cont["additiveCodeableConcept"] = additive;
        }
        s.insert("container".into(), json!([cont]));
        let condition = match t.tube.handling {
            Handling::OnIce => {
                json!({"coding": [{"system": V2_0493, "code": "COOL", "display": "Cool"}], "text": "On ice"})
            }
            Handling::RoomTemperature => {
                json!({"coding": [{"system": V2_0493, "code": "ROOM", "display": "Room temperature"}], "text": "Room temperature"})
            }
            Handling::ProtectFromLight => json!({"text": "Protected from light"}),
        };
        s.insert("condition".into(), json!([condition]));
        let mut notes = Vec::new();
        if let Some(timing) = &t.tube.timing {
            notes.push(format!("Timed draw: {}", timing.label));
        }
        if let Some(w) = &t.window_override {
            notes.push(format!(
                "Drawn {} min from target time, outside the ±{} min window: {}",
                w.minutes_from_target, w.window_minutes, w.reason
            ));
        }
        if t.tube.fasting && c.fasting() == Some(FastingStatus::NotFasting) {
            notes.push("Patient NOT fasting; fasting was required".into());
        }
        for x in &t.tube.tests {
            if let Some(e) = c.exception_for(x) {
                notes.push(format!("{x} not collected: {}", e.reason.display()));
            }
        }
        for h in c.history() {
            if let crate::collection::Event::DrawTimeCorrected { tube, reason, .. } = &h.event {
                if *tube == t.index {
                    notes.push(format!("Collection time corrected: {reason}"));
                }
            }
        }
        if !notes.is_empty() {
            s.insert(
                "note".into(),
                Value::Array(notes.into_iter().map(|n| json!({"text": n})).collect()),
            );
        }
        out.push(Value::Object(s));
    }
    out
}

/// One `Task` per order not collected, with the coded reason as `statusReason`.
pub fn not_collected_tasks(finalized: &FinalizedCollection, ctx: &FhirExport) -> Vec<Value> {
    let c = finalized.record();
    c.orders()
        .iter()
        .enumerate()
        .filter_map(|(i, o)| {
            let e = c.exception_for(&o.test)?;
            let status = if e.reason == NotCollectedReason::Cancelled { "cancelled" } else { "failed" };
            let mut task = json!({
                "resourceType": "Task",
                "id": resource_id(c, &format!("nc{}", i + 1)),
                "status": status,
                "statusReason": {
                    "coding": [{"system": ctx.reason_system, "code": e.reason.code(), "display": e.reason.display()}],
                    "text": e.note.clone().unwrap_or_else(|| e.reason.display().to_owned()),
                },
                "businessStatus": {"text": "Specimen not collected"},
                "intent": "order",
                "code": {"coding": [{"system": TASK_CODE, "code": "fulfill"}]},
                "focus": {"reference": format!("ServiceRequest/{}", o.id)},
                "for": {"reference": format!("Patient/{}", c.patient().id)},
                "authoredOn": fhir_datetime(&e.at),
                "lastModified": fhir_datetime(&e.at),
                "owner": {"identifier": {"system": ctx.collector_system, "value": e.by.as_str()}},
            });
            if let Some(n) = &e.note {
                task["note"] = json!([{"text": n}]);
            }
            Some(task)
        })
        .collect()
}

/// A `collection` Bundle of the Specimens and Tasks of a finalized collection.
pub fn collection_bundle(
    finalized: &FinalizedCollection,
    site: &SiteConfig,
    ctx: &FhirExport,
) -> Value {
    let c = finalized.record();
    let resources: Vec<Value> = specimens(finalized, site, ctx)
        .into_iter()
        .chain(not_collected_tasks(finalized, ctx))
        .collect();
    let base = ctx.base();
    let entries: Vec<Value> = resources
        .into_iter()
        .map(|r| {
            let url = format!(
                "{base}/fhir/{}/{}",
                r["resourceType"].as_str().unwrap_or(""),
                r["id"].as_str().unwrap_or("")
            );
            json!({"fullUrl": url, "resource": r})
        })
        .collect();
    let mut b = json!({
        "resourceType": "Bundle",
        "id": resource_id(c, "bundle"),
        "identifier": {"system": ctx.tube_identifier_system, "value": format!("{}/v{}/{}", c.id(), c.version(), finalized.hash())},
        "type": "collection",
    });
    if let Some(t) = c.finalized_at() {
        b["timestamp"] = json!(t.utc.format("%Y-%m-%dT%H:%M:%SZ").to_string());
    }
    if !entries.is_empty() {
        b["entry"] = Value::Array(entries);
    }
    b
}

/// True for a FHIR `dateTime` (year, year-month, date, or date-time with seconds and zone).
pub fn is_fhir_datetime(s: &str) -> bool {
    let digits = |x: &str| !x.is_empty() && x.chars().all(|c| c.is_ascii_digit());
    match s.len() {
        4 => digits(s),
        7 => digits(&s[..4]) && &s[4..5] == "-" && matches!(s[5..].parse::<u8>(), Ok(1..=12)),
        10 => NaiveDate::parse_from_str(s, "%Y-%m-%d").is_ok(),
        _ => s.len() > 10 && s.as_bytes()[10] == b'T' && DateTime::parse_from_rfc3339(s).is_ok(),
    }
}

/// Structural checks of a FHIR R4 resource as JSON: problems found, empty when none.
///
/// Checks what a validator rejects most often in generated JSON: missing `resourceType`, ids
/// outside `[A-Za-z0-9-.]{1,64}`, empty or null elements, codes outside the required value sets
/// of the resources Drawline exchanges, and malformed dateTimes. It is not a full profile
/// validator.
pub fn check_resource(resource: &Value) -> Vec<String> {
    let mut problems = Vec::new();
    check_into(resource, "", &mut problems);
    problems
}

fn check_into(r: &Value, at: &str, problems: &mut Vec<String>) {
    let Some(kind) = r.get("resourceType").and_then(Value::as_str) else {
        problems.push(format!("{at}: resourceType is missing"));
        return;
    };
    let here = format!("{at}{kind}");
    if let Some(id) = r.get("id") {
        let ok = id.as_str().is_some_and(|s| {
            (1..=64).contains(&s.len())
                && s.chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '.')
        });
        if !ok {
            problems.push(format!("{here}.id: '{id}' is not a valid id"));
        }
    }
    check_empty(r, &here, problems);
    let code_in =
        |field: &str, allowed: &[&str], required: bool, problems: &mut Vec<String>| match r
            .get(field)
        {
            Some(Value::String(s)) if allowed.contains(&s.as_str()) => {}
            Some(v) => problems.push(format!(
                "{here}.{field}: {v} is not one of {}",
                allowed.join("|")
            )),
            None if required => problems.push(format!("{here}.{field} is required")),
            None => {}
        };
    match kind {
        "Specimen" => code_in(
            "status",
            &[
                "available",
                "unavailable",
                "unsatisfactory",
                "entered-in-error",
            ],
            false,
            problems,
        ),
        "Task" => {
            code_in(
                "status",
                &[
                    "draft",
                    "requested",
                    "received",
                    "accepted",
                    "rejected",
                    "ready",
                    "cancelled",
                    "in-progress",
                    "on-hold",
                    "failed",
                    "completed",
                    "entered-in-error",
                ],
                true,
                problems,
            );
            code_in(
                "intent",
                &[
                    "unknown",
                    "proposal",
                    "plan",
                    "order",
                    "original-order",
                    "reflex-order",
                    "filler-order",
                    "instance-order",
                    "option",
                ],
                true,
                problems,
            );
        }
        "ServiceRequest" => {
            code_in(
                "status",
                &[
                    "draft",
                    "active",
                    "on-hold",
                    "revoked",
                    "completed",
                    "entered-in-error",
                    "unknown",
                ],
                true,
                problems,
            );
            code_in(
                "intent",
                &[
                    "proposal",
                    "plan",
                    "directive",
                    "order",
                    "original-order",
                    "reflex-order",
                    "filler-order",
                    "instance-order",
                    "option",
                ],
                true,
                problems,
            );
            code_in(
                "priority",
                &["routine", "urgent", "asap", "stat"],
                false,
                problems,
            );
            if r.get("subject").is_none() {
                problems.push(format!("{here}.subject is required"));
            }
        }
        "Patient" => code_in(
            "gender",
            &["male", "female", "other", "unknown"],
            false,
            problems,
        ),
        "Bundle" => code_in(
            "type",
            &[
                "document",
                "message",
                "transaction",
                "transaction-response",
                "batch",
                "batch-response",
                "history",
                "searchset",
                "collection",
            ],
            true,
            problems,
        ),
        _ => {}
    }
    check_datetimes(r, &here, problems);
    for child in ["contained"] {
        if let Some(items) = r.get(child).and_then(Value::as_array) {
            for (i, c) in items.iter().enumerate() {
                check_into(c, &format!("{here}.{child}[{i}]."), problems);
            }
        }
    }
    if kind == "Bundle" {
        if let Some(entries) = r.get("entry").and_then(Value::as_array) {
            for (i, e) in entries.iter().enumerate() {
                if let Some(url) = e.get("fullUrl").and_then(Value::as_str) {
                    if !(url.starts_with("http://")
                        || url.starts_with("https://")
                        || url.starts_with("urn:"))
                    {
                        problems.push(format!("{here}.entry[{i}].fullUrl '{url}' is not absolute"));
                    }
                }
                if let Some(res) = e.get("resource") {
                    check_into(res, &format!("{here}.entry[{i}]."), problems);
                }
            }
        }
    }
}

fn check_empty(v: &Value, at: &str, problems: &mut Vec<String>) {
    match v {
        Value::Null => problems.push(format!("{at}: null is not allowed")),
        Value::String(s) if s.is_empty() => problems.push(format!("{at}: empty string")),
        Value::Array(a) if a.is_empty() => problems.push(format!("{at}: empty array")),
        Value::Object(o) if o.is_empty() => problems.push(format!("{at}: empty object")),
        Value::Array(a) => a
            .iter()
            .enumerate()
            .for_each(|(i, x)| check_empty(x, &format!("{at}[{i}]"), problems)),
        Value::Object(o) => {
            for (k, x) in o {
                // Contained and bundled resources are checked on their own.
                if k != "contained" && k != "entry" {
                    check_empty(x, &format!("{at}.{k}"), problems);
                }
            }
        }
        _ => {}
    }
}

fn check_datetimes(v: &Value, at: &str, problems: &mut Vec<String>) {
    const DATETIME_FIELDS: &[&str] = &[
        "collectedDateTime",
        "authoredOn",
        "lastModified",
        "occurrenceDateTime",
        "receivedTime",
        "valueDateTime",
        "start",
        "end",
        "timestamp",
    ];
    if let Value::Object(o) = v {
        for (k, x) in o {
            if k == "contained" || k == "entry" {
                continue;
            }
            if DATETIME_FIELDS.contains(&k.as_str()) {
                if let Some(s) = x.as_str() {
                    if !is_fhir_datetime(s) {
                        problems.push(format!("{at}.{k}: '{s}' is not a FHIR dateTime"));
                    }
                }
            }
            if k == "birthDate" {
                let ok = x
                    .as_str()
                    .is_some_and(|s| s.len() != 19 && !s.contains('T') && is_fhir_datetime(s));
                if !ok {
                    problems.push(format!("{at}.birthDate: {x} is not a FHIR date"));
                }
            }
            check_datetimes(x, &format!("{at}.{k}"), problems);
        }
    } else if let Value::Array(a) = v {
        for (i, x) in a.iter().enumerate() {
            check_datetimes(x, &format!("{at}[{i}]"), problems);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::collection::{AccessionNumber, Scope};
    use crate::test_support::{complete, nurse, started, t, wristband};

    fn fixture(name: &str) -> Value {
        let text = match name {
            "patient-example" => include_str!("../tests/fixtures/fhir/patient-example.json"),
            "patient-pat1" => include_str!("../tests/fixtures/fhir/patient-pat1.json"),
            "servicerequest-lipid" => {
                include_str!("../tests/fixtures/fhir/servicerequest-lipid.json")
            }
            "specimen-101" => include_str!("../tests/fixtures/fhir/specimen-101.json"),
            "order-bundle" => include_str!("../tests/fixtures/fhir/order-bundle.json"),
            _ => unreachable!(),
        };
        serde_json::from_str(text).unwrap()
    }

    fn received() -> DateTime<Utc> {
        DateTime::parse_from_rfc3339("2024-05-01T05:00:00Z")
            .unwrap()
            .with_timezone(&Utc)
    }

    #[test]
    fn the_official_patient_example_reads_as_peter_chalmers() {
        let p = patient_from_fhir(&fixture("patient-example"), None).unwrap();
        assert_eq!(p.id.as_str(), "example");
        assert_eq!(p.identity.mrn.as_str(), "12345");
        assert_eq!(p.identity.name.display_full(), "CHALMERS, Peter James");
        assert_eq!(
            p.identity.birth_date,
            NaiveDate::from_ymd_opt(1974, 12, 25).unwrap()
        );
    }

    #[test]
    fn a_patient_without_a_birth_date_like_pat1_cannot_be_identified_and_is_rejected() {
        let e = patient_from_fhir(&fixture("patient-pat1"), None).unwrap_err();
        assert_eq!(e.to_string(), "Patient/pat1: birthDate is missing");
    }

    #[test]
    fn the_official_lipid_service_request_maps_to_a_lipid_order() {
        let site = SiteConfig::default_site();
        let pid = PatientId::parse("example").unwrap();
        let o = order_from_fhir(
            &fixture("servicerequest-lipid"),
            &pid,
            site.catalog(),
            received(),
        )
        .unwrap();
        assert_eq!(o.id.as_str(), "lipid");
        assert_eq!(o.test.as_str(), "LIPID");
        assert_eq!(o.priority, Priority::Routine);
        assert_eq!(
            o.placed_at,
            received(),
            "no authoredOn: the receive time stands in"
        );
        assert_eq!(o.due_at.unwrap().to_rfc3339(), "2013-05-02T23:16:00+00:00");
    }

    #[test]
    fn a_bundle_of_patients_and_requests_becomes_orders_resolving_relative_and_uuid_references() {
        let site = SiteConfig::default_site();
        let imported =
            orders_from_bundle(&fixture("order-bundle"), site.catalog(), received()).unwrap();
        assert_eq!(imported.patients.len(), 2);
        assert_eq!(
            imported.patients[1].id.as_str(),
            "8c6a1d0e-3c1b-4b8e-9f7a-2d5e6f7a8b9c"
        );
        let vanc = &imported.orders[0];
        assert_eq!(vanc.test.as_str(), "VANCT");
        assert_eq!(vanc.patient.as_str(), "example");
        assert_eq!(vanc.requisition.as_deref(), Some("REQ-0501-17"));
        assert_eq!(
            vanc.due_at.unwrap().to_rfc3339(),
            "2024-05-01T07:00:00+00:00"
        );
        assert_eq!(vanc.placed_at.to_rfc3339(), "2024-05-01T04:00:00+00:00");
        let trop = &imported.orders[1];
        assert_eq!(trop.test.as_str(), "TROP");
        assert_eq!(trop.priority, Priority::Stat);
        assert_eq!(
            trop.patient.as_str(),
            "8c6a1d0e-3c1b-4b8e-9f7a-2d5e6f7a8b9c"
        );
    }

    #[test]
    fn a_request_for_a_test_the_catalog_lacks_is_an_error_naming_the_request() {
        let site = SiteConfig::default_site();
        let mut b = fixture("order-bundle");
        b["entry"][3]["resource"]["code"]["coding"][0]["code"] = json!("99999-9");
        let e = orders_from_bundle(&b, site.catalog(), received()).unwrap_err();
        assert_eq!(
            e.to_string(),
            "ServiceRequest/trop-stat-7: no catalog test for code http://loinc.org|99999-9"
        );
    }

    #[test]
    fn a_request_for_a_patient_outside_the_bundle_is_an_error() {
        let site = SiteConfig::default_site();
        let mut b = fixture("order-bundle");
        b["entry"][2]["resource"]["subject"]["reference"] = json!("Patient/nobody");
        let e = orders_from_bundle(&b, site.catalog(), received()).unwrap_err();
        assert!(matches!(e, FhirError::UnknownSubject { .. }), "{e}");
    }

    #[test]
    fn requests_that_are_not_active_are_skipped_and_reported() {
        let site = SiteConfig::default_site();
        let mut b = fixture("order-bundle");
        b["entry"][3]["resource"]["status"] = json!("revoked");
        let imported = orders_from_bundle(&b, site.catalog(), received()).unwrap();
        assert_eq!(imported.orders.len(), 1);
        assert_eq!(imported.skipped, ["ServiceRequest/trop-stat-7 (revoked)"]);
    }

    #[test]
    fn the_official_examples_pass_the_structural_checks() {
        for name in [
            "patient-example",
            "patient-pat1",
            "servicerequest-lipid",
            "specimen-101",
            "order-bundle",
        ] {
            assert_eq!(
                check_resource(&fixture(name)),
                Vec::<String>::new(),
                "{name}"
            );
        }
    }

    #[test]
    fn the_structural_checks_catch_bad_codes_dates_and_empty_elements() {
        let bad = json!({
            "resourceType": "Specimen", "id": "no spaces allowed", "status": "drawn",
            "collection": {"collectedDateTime": "2024-05-01 08:10"}, "note": []
        });
        let problems = check_resource(&bad);
        assert_eq!(problems.len(), 4, "{problems:#?}");
        assert!(
            check_resource(&json!({"resourceType": "Task", "status": "failed"}))[0]
                .contains("intent")
        );
    }

    fn finalized_with_exception() -> FinalizedCollection {
        use crate::test_support::order;
        let mut c = started(vec![
            order("sr-cbc", "CBC"),
            order("sr-lipid", "LIPID"),
            order("sr-ts", "TS"),
        ]);
        c.identify(&wristband(), &nurse(), t("2024-05-01T08:05:00+02:00"))
            .unwrap();
        let now = t("2024-05-01T08:10:00+02:00");
        let lipid_tube = c
            .tubes()
            .iter()
            .find(|x| x.tube.container.as_str() == "gold-sst")
            .unwrap()
            .index;
        let cbc_tube = c
            .tubes()
            .iter()
            .find(|x| x.tube.container.as_str() == "lavender-edta")
            .unwrap()
            .index;
        for (i, acc) in [(lipid_tube, "A10"), (cbc_tube, "A11")] {
            c.record_draw(i, now, None, &nurse(), now).unwrap();
            c.label_tube(i, AccessionNumber::parse(acc).unwrap(), None, &nurse(), now)
                .unwrap();
        }
        c.record_fasting(FastingStatus::NotFasting, &nurse(), now)
            .unwrap();
        c.record_not_collected(
            Scope::Test(TestCode::parse("TS").unwrap()),
            NotCollectedReason::Refused,
            Some("patient declined the second tube"),
            &nurse(),
            now,
        )
        .unwrap();
        c.finalize(&nurse(), t("2024-05-01T08:12:00+02:00"))
            .unwrap()
    }

    #[test]
    fn a_finalized_collection_becomes_one_specimen_per_tube_with_the_required_elements() {
        let site = SiteConfig::default_site();
        let f = finalized_with_exception();
        let specs = specimens(&f, &site, &FhirExport::default());
        assert_eq!(specs.len(), 2);
        let gold = &specs[0];
        assert_eq!(gold["resourceType"], "Specimen");
        assert_eq!(gold["status"], "available");
        assert_eq!(gold["accessionIdentifier"]["value"], "A10");
        assert_eq!(
            gold["accessionIdentifier"]["system"],
            "https://lab.example.org/fhir/sid/accession"
        );
        assert_eq!(gold["type"]["coding"][0]["code"], "SER");
        assert_eq!(gold["subject"]["reference"], "Patient/example");
        assert_eq!(gold["request"][0]["reference"], "ServiceRequest/sr-lipid");
        assert_eq!(
            gold["collection"]["collectedDateTime"],
            "2024-05-01T08:10:00+02:00"
        );
        assert_eq!(
            gold["collection"]["collector"]["identifier"]["value"],
            "phleb-042"
        );
        assert_eq!(
            gold["collection"]["fastingStatusCodeableConcept"]["coding"][0]["code"],
            "NF"
        );
        assert_eq!(gold["container"][0]["identifier"][0]["value"], "A10");
        assert_eq!(
            gold["container"][0]["additiveCodeableConcept"]["text"],
            "clot activator and gel"
        );
        assert_eq!(gold["condition"][0]["coding"][0]["code"], "ROOM");
        assert!(gold["note"]
            .as_array()
            .unwrap()
            .iter()
            .any(|n| n["text"].as_str().unwrap().contains("NOT fasting")));
        let lav = &specs[1];
        assert!(lav["collection"]
            .get("fastingStatusCodeableConcept")
            .is_none());
        for s in &specs {
            assert_eq!(check_resource(s), Vec::<String>::new());
        }
    }

    #[test]
    fn our_specimens_use_the_same_element_shapes_as_the_official_specimen_example() {
        // Every element we write that the official example also has must have the same JSON
        // shape (array, object, string, number): a field written as an object where FHIR wants
        // an array would fail any real server.
        fn compare(ours: &Value, theirs: &Value, path: &str, checked: &mut usize) {
            let shape = |v: &Value| match v {
                Value::Array(_) => "array",
                Value::Object(_) => "object",
                Value::String(_) => "string",
                Value::Number(_) => "number",
                Value::Bool(_) => "bool",
                Value::Null => "null",
            };
            assert_eq!(shape(ours), shape(theirs), "{path}");
            *checked += 1;
            match (ours, theirs) {
                (Value::Object(a), Value::Object(b)) => {
                    for (k, v) in a {
                        if let Some(w) = b.get(k) {
                            compare(v, w, &format!("{path}.{k}"), checked);
                        }
                    }
                }
                (Value::Array(a), Value::Array(b)) => {
                    compare(&a[0], &b[0], &format!("{path}[0]"), checked)
                }
                _ => {}
            }
        }
        let site = SiteConfig::default_site();
        let ours = &specimens(&finalized_with_exception(), &site, &FhirExport::default())[0];
        let mut checked = 0;
        compare(ours, &fixture("specimen-101"), "Specimen", &mut checked);
        assert!(checked > 30, "only {checked} elements compared");
    }

    #[test]
    fn a_test_not_collected_becomes_a_task_with_the_coded_reason() {
        let f = finalized_with_exception();
        let tasks = not_collected_tasks(&f, &FhirExport::default());
        assert_eq!(tasks.len(), 1);
        let task = &tasks[0];
        assert_eq!(task["status"], "failed");
        assert_eq!(task["intent"], "order");
        assert_eq!(task["statusReason"]["coding"][0]["code"], "refused");
        assert_eq!(
            task["statusReason"]["text"],
            "patient declined the second tube"
        );
        assert_eq!(task["focus"]["reference"], "ServiceRequest/sr-ts");
        assert_eq!(task["for"]["reference"], "Patient/example");
        assert_eq!(check_resource(task), Vec::<String>::new());
    }

    #[test]
    fn the_export_bundle_is_valid_and_names_the_version_hash() {
        let site = SiteConfig::default_site();
        let f = finalized_with_exception();
        let b = collection_bundle(&f, &site, &FhirExport::default());
        assert_eq!(check_resource(&b), Vec::<String>::new());
        assert_eq!(b["type"], "collection");
        assert_eq!(b["entry"].as_array().unwrap().len(), 3);
        assert!(b["identifier"]["value"]
            .as_str()
            .unwrap()
            .ends_with(f.hash().as_str()));
        assert_eq!(b["timestamp"], "2024-05-01T06:12:00Z");
    }

    #[test]
    fn a_cancelled_order_becomes_a_cancelled_task() {
        use crate::test_support::order;
        let mut c = started(vec![order("sr-cbc", "CBC")]);
        let now = t("2024-05-01T08:10:00+02:00");
        c.record_not_collected(
            Scope::Visit,
            NotCollectedReason::Cancelled,
            None,
            &nurse(),
            now,
        )
        .unwrap();
        let f = c.finalize(&nurse(), now).unwrap();
        let tasks = not_collected_tasks(&f, &FhirExport::default());
        assert_eq!(tasks[0]["status"], "cancelled");
        assert!(specimens(&f, &SiteConfig::default_site(), &FhirExport::default()).is_empty());
    }

    #[test]
    fn a_time_corrected_specimen_says_so_in_a_note() {
        let mut c = complete();
        let now = t("2024-05-01T08:11:00+02:00");
        c.correct_draw_time(
            1,
            t("2024-05-01T08:09:00+02:00"),
            "clock read late",
            &nurse(),
            now,
        )
        .unwrap();
        let f = c.finalize(&nurse(), now).unwrap();
        let s = &specimens(&f, &SiteConfig::default_site(), &FhirExport::default())[0];
        assert_eq!(
            s["collection"]["collectedDateTime"],
            "2024-05-01T08:09:00+02:00"
        );
        assert!(s["note"][0]["text"]
            .as_str()
            .unwrap()
            .contains("clock read late"));
    }

    #[test]
    fn fhir_datetimes_are_recognised() {
        assert!(is_fhir_datetime("2024"));
        assert!(is_fhir_datetime("2024-05"));
        assert!(is_fhir_datetime("2024-05-01"));
        assert!(is_fhir_datetime("2024-05-01T08:10:00+02:00"));
        assert!(is_fhir_datetime("2011-05-30T06:15:00Z"));
        assert!(!is_fhir_datetime("2024-05-01T08:10"));
        assert!(!is_fhir_datetime("2024-13"));
        assert!(!is_fhir_datetime("01/05/2024"));
    }
}
