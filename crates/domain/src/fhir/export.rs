//! Finalized collections written as FHIR R4: one Specimen per drawn tube, one Task per order not collected.

use serde_json::{json, Map, Value};

use crate::catalog::{Handling, TestCode};
use crate::collection::{
    Collection, DeviceTime, FastingStatus, FinalizedCollection, NotCollectedReason,
    BODY_SITE_SYSTEM,
};
use crate::site::SiteConfig;

const V2_0487: &str = "http://terminology.hl7.org/CodeSystem/v2-0487";
const V2_0488: &str = "http://terminology.hl7.org/CodeSystem/v2-0488";
const V2_0371: &str = "http://terminology.hl7.org/CodeSystem/v2-0371";
const V2_0493: &str = "http://terminology.hl7.org/CodeSystem/v2-0493";
const V2_0916: &str = "http://terminology.hl7.org/CodeSystem/v2-0916";
const UCUM: &str = "http://unitsofmeasure.org";
const TASK_CODE: &str = "http://hl7.org/fhir/CodeSystem/task-code";

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

/// The id of a resource made from a collection: the collection id and what the resource stands
/// for (a tube, an order not collected), never the version, so every version of a collection
/// updates the same resources at the receiver.
fn resource_id(c: &Collection, suffix: &str) -> String {
    format!("{}-{suffix}", c.id())
}

/// `meta.versionId`: the collection's version that wrote the resource.
fn meta(c: &Collection) -> Value {
    json!({"versionId": c.version().to_string()})
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
        let served = c.orders_for_tube(t);
        let collected: Vec<&TestCode> = served
            .iter()
            .filter(|o| c.exception_for_order(o).is_none())
            .map(|o| &o.test)
            .collect();
        let mut s = Map::new();
        s.insert("resourceType".into(), json!("Specimen"));
        s.insert("id".into(), json!(resource_id(c, &format!("t{}", t.index))));
        s.insert("meta".into(), meta(c));
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
            json!(if c.voided().is_some() {
                "entered-in-error"
            } else if collected.is_empty() {
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
        let requests: Vec<Value> = served
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
        if let Some(site) = drawn.body_site {
            collection["bodySite"] = json!({
                "coding": [{"system": BODY_SITE_SYSTEM, "code": site.code(), "display": site.display()}],
                "text": site.display(),
            });
        }
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
        if let Some(dose) = &t.last_dose {
            notes.push(format!(
                "Last dose given at {}",
                dose.format("%Y-%m-%dT%H:%M:%SZ")
            ));
        }
        if let Some(set) = t.tube.set {
            notes.push(format!("Blood culture set {set}"));
        }
        if c.failed_attempts() > 0 {
            notes.push(format!(
                "{} venipuncture attempts, {} failed",
                c.attempts(),
                c.failed_attempts()
            ));
        }
        if let Some(w) = &t.window_override {
            notes.push(w.summary());
        }
        if t.tube.fasting && c.fasting() == Some(FastingStatus::NotFasting) {
            notes.push("Patient NOT fasting; fasting was required".into());
        }
        for o in &served {
            if let Some(e) = c.exception_for_order(o) {
                notes.push(format!(
                    "{} (order {}) not collected: {}",
                    o.test,
                    o.id,
                    e.reason.display()
                ));
            }
        }
        for h in c.history() {
            if let crate::collection::Event::DrawTimeCorrected { tube, reason, .. } = &h.event {
                if *tube == t.index {
                    notes.push(format!("Collection time corrected: {reason}"));
                }
            }
        }
        if let Some(v) = c.voided() {
            notes.push(format!("Entered in error: {}", v.reason));
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
            let e = c.exception_for_order(o)?;
            let status = if c.voided().is_some() {
                "entered-in-error"
            } else if e.reason == NotCollectedReason::Cancelled {
                "cancelled"
            } else {
                "failed"
            };
            let modified = c.voided().map_or(e.at, |v| v.at);
            let mut task = json!({
                "resourceType": "Task",
                "id": resource_id(c, &format!("nc{}", i + 1)),
                "meta": meta(c),
                "basedOn": [{"reference": format!("ServiceRequest/{}", o.id)}],
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
                "lastModified": fhir_datetime(&modified),
                "owner": {"identifier": {"system": ctx.collector_system, "value": e.by.as_str()}},
            });
            let mut notes: Vec<Value> = e.note.iter().map(|n| json!({"text": n})).collect();
            if let Some(v) = c.voided() {
                notes.push(json!({"text": format!("Entered in error: {}", v.reason)}));
            }
            if !notes.is_empty() {
                task["note"] = Value::Array(notes);
            }
            Some(task)
        })
        .collect()
}

/// A `transaction` Bundle of the Specimens and Tasks of a finalized collection, each entry an
/// update (`PUT Specimen/{id}`): ids do not change between versions, so the receiver replaces
/// what an earlier version sent, and a void marks it `entered-in-error`.
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
            let local = format!(
                "{}/{}",
                r["resourceType"].as_str().unwrap_or(""),
                r["id"].as_str().unwrap_or("")
            );
            json!({"fullUrl": url, "resource": r, "request": {"method": "PUT", "url": local}})
        })
        .collect();
    let mut b = json!({
        "resourceType": "Bundle",
        "id": format!("{}-v{}", c.id(), c.version()),
        "identifier": {"system": ctx.tube_identifier_system, "value": format!("{}/v{}/{}", c.id(), c.version(), finalized.hash())},
        "type": "transaction",
    });
    if let Some(t) = c.finalized_at() {
        b["timestamp"] = json!(t.utc.format("%Y-%m-%dT%H:%M:%SZ").to_string());
    }
    if !entries.is_empty() {
        b["entry"] = Value::Array(entries);
    }
    b
}
