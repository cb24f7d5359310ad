//! FHIR `Flag` and `AllergyIntolerance` resources read as the patient alerts shown at the bedside.

use serde_json::Value;

use super::error::FhirError;
use super::read::{array_at, label, str_at};
use crate::collection::{AlertKind, PatientAlert, Side, MAX_ALERT_TEXT};

/// The resource types read as alerts.
pub const ALERT_RESOURCES: [&str; 2] = ["Flag", "AllergyIntolerance"];

/// An alert read from a resource, and the reference to the patient it is about.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FhirAlert {
    /// `Flag.subject.reference` or `AllergyIntolerance.patient.reference`, as written.
    pub reference: String,
    /// The alert.
    pub alert: PatientAlert,
}

/// Reads a `Flag` or an `AllergyIntolerance` as an alert. `Ok(None)` for one that no longer
/// applies: a Flag whose status is not `active`; an AllergyIntolerance whose clinicalStatus is
/// not `active` (none given counts as active: an allergy is shown rather than hidden) or whose
/// verificationStatus is `refuted` or `entered-in-error`.
pub fn alert_from_fhir(resource: &Value) -> Result<Option<FhirAlert>, FhirError> {
    match str_at(resource, &["resourceType"]) {
        Some("Flag") => alert_from_flag(resource),
        Some("AllergyIntolerance") => alert_from_allergy(resource),
        other => Err(FhirError::invalid(
            &label(resource),
            "resourceType",
            other.unwrap_or(""),
            "only Flag and AllergyIntolerance are alerts",
        )),
    }
}

/// The words of a CodeableConcept at `path`: its text, else its first coding's display, on one
/// line; refused when longer than an alert may be.
fn concept_text(resource: &Value, path: &str, who: &str) -> Result<String, FhirError> {
    let concept = resource.get(path);
    let text = concept
        .and_then(|c| str_at(c, &["text"]))
        .filter(|t| !t.trim().is_empty())
        .or_else(|| {
            concept.and_then(|c| {
                array_at(c, &["coding"])
                    .iter()
                    .filter_map(|x| str_at(x, &["display"]))
                    .find(|t| !t.trim().is_empty())
            })
        })
        .ok_or_else(|| FhirError::missing(who, &format!("{path}.text (or a coding's display)")))?;
    let text = text.split_whitespace().collect::<Vec<_>>().join(" ");
    if text.chars().count() > MAX_ALERT_TEXT {
        return Err(FhirError::invalid(
            who,
            &format!("{path}.text"),
            &text,
            &format!("an alert is at most {MAX_ALERT_TEXT} characters"),
        ));
    }
    Ok(text)
}

fn reference(resource: &Value, element: &str, who: &str) -> Result<String, FhirError> {
    str_at(resource, &[element, "reference"])
        .map(str::to_owned)
        .ok_or_else(|| FhirError::missing(who, &format!("{element}.reference")))
}

/// The side an arm restriction's words name: exactly one of `left` and `right`, as a word.
fn side_named(text: &str) -> Option<Side> {
    let words: Vec<String> = text
        .split(|c: char| !c.is_alphanumeric())
        .map(str::to_lowercase)
        .collect();
    let left = words.iter().any(|w| w == "left");
    let right = words.iter().any(|w| w == "right");
    match (left, right) {
        (true, false) => Some(Side::Left),
        (false, true) => Some(Side::Right),
        _ => None,
    }
}

/// A Flag: its kind is the first coding of `code` or `category` whose code is an alert kind
/// (`arm-restriction`, `allergy`, `isolation`, `bleeding-risk`), else `other`; an arm
/// restriction's text must name its side (left or right).
fn alert_from_flag(resource: &Value) -> Result<Option<FhirAlert>, FhirError> {
    let who = label(resource);
    let status = str_at(resource, &["status"]).ok_or_else(|| FhirError::missing(&who, "status"))?;
    if status != "active" {
        return Ok(None);
    }
    let reference = reference(resource, "subject", &who)?;
    let text = concept_text(resource, "code", &who)?;
    let codings = array_at(resource, &["code", "coding"]).iter().chain(
        array_at(resource, &["category"])
            .iter()
            .flat_map(|c| array_at(c, &["coding"])),
    );
    let kind = codings
        .filter_map(|c| str_at(c, &["code"]))
        .find_map(|code| AlertKind::parse(&code.to_ascii_lowercase()))
        .unwrap_or(AlertKind::Other);
    let side = match kind {
        AlertKind::ArmRestriction => Some(side_named(&text).ok_or_else(|| {
            FhirError::invalid(
                &who,
                "code.text",
                &text,
                "an arm restriction names one side, left or right, in its text",
            )
        })?),
        _ => None,
    };
    Ok(Some(FhirAlert {
        reference,
        alert: PatientAlert { kind, text, side },
    }))
}

/// The code of the first coding of the CodeableConcept at `element`, if any.
fn status_code<'a>(resource: &'a Value, element: &str) -> Option<&'a str> {
    array_at(resource, &[element, "coding"])
        .iter()
        .find_map(|c| str_at(c, &["code"]))
}

/// An AllergyIntolerance: an allergy alert whose text is the substance (`code`).
fn alert_from_allergy(resource: &Value) -> Result<Option<FhirAlert>, FhirError> {
    let who = label(resource);
    if status_code(resource, "clinicalStatus").is_some_and(|s| s != "active")
        || status_code(resource, "verificationStatus")
            .is_some_and(|s| s == "refuted" || s == "entered-in-error")
    {
        return Ok(None);
    }
    let reference = reference(resource, "patient", &who)?;
    let text = concept_text(resource, "code", &who)?;
    Ok(Some(FhirAlert {
        reference,
        alert: PatientAlert {
            kind: AlertKind::Allergy,
            text,
            side: None,
        },
    }))
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn flag(code: Value) -> Value {
        json!({
            "resourceType": "Flag", "id": "f1", "status": "active",
            "subject": {"reference": "Patient/p1"}, "code": code
        })
    }

    #[test]
    fn an_active_flag_coded_as_an_arm_restriction_takes_its_side_from_its_text() {
        let read = alert_from_fhir(&flag(json!({
            "coding": [{"system": "https://drawline.example/alert-kind", "code": "arm-restriction"}],
            "text": "No blood draw or BP, left arm (AV fistula)"
        })))
        .unwrap()
        .unwrap();
        assert_eq!(read.reference, "Patient/p1");
        assert_eq!(read.alert.kind, AlertKind::ArmRestriction);
        assert_eq!(read.alert.side, Some(Side::Left));
        assert_eq!(
            read.alert.text,
            "No blood draw or BP, left arm (AV fistula)"
        );
    }

    #[test]
    fn an_arm_restriction_flag_that_names_no_side_or_both_is_refused() {
        for text in [
            "No draw from the arm with the IV",
            "No draw left or right arm",
        ] {
            let err = alert_from_fhir(&flag(
                json!({"coding": [{"code": "arm-restriction"}], "text": text}),
            ))
            .unwrap_err();
            assert!(err.to_string().contains("names one side"), "{err}");
            assert!(err.to_string().contains("Flag/f1"), "{err}");
        }
    }

    #[test]
    fn a_flags_kind_comes_from_its_category_when_its_code_has_none() {
        let mut f = flag(json!({"coding": [{"code": "123", "display": "Contact precautions"}]}));
        f["category"] = json!([{"coding": [{"code": "isolation"}]}]);
        let read = alert_from_fhir(&f).unwrap().unwrap();
        assert_eq!(read.alert.kind, AlertKind::Isolation);
        assert_eq!(read.alert.text, "Contact precautions");
    }

    #[test]
    fn a_flag_of_no_known_kind_is_shown_as_an_alert_and_an_inactive_one_is_not() {
        let f = flag(json!({"text": "Patient is hard of hearing"}));
        assert_eq!(
            alert_from_fhir(&f).unwrap().unwrap().alert.kind,
            AlertKind::Other
        );
        let mut inactive = f.clone();
        inactive["status"] = json!("inactive");
        assert_eq!(alert_from_fhir(&inactive).unwrap(), None);
    }

    #[test]
    fn a_flag_without_words_or_subject_is_refused_naming_the_element() {
        let err = alert_from_fhir(&flag(json!({"coding": [{"code": "allergy"}]}))).unwrap_err();
        assert!(err.to_string().contains("code.text"), "{err}");
        let mut f = flag(json!({"text": "Latex"}));
        f.as_object_mut().unwrap().remove("subject");
        let err = alert_from_fhir(&f).unwrap_err();
        assert!(err.to_string().contains("subject.reference"), "{err}");
    }

    fn allergy(clinical: Option<&str>, verification: Option<&str>) -> Value {
        let mut a = json!({
            "resourceType": "AllergyIntolerance", "id": "a1",
            "patient": {"reference": "urn:uuid:p1"},
            "code": {"coding": [{"system": "http://snomed.info/sct", "code": "111088007", "display": "Latex"}]}
        });
        if let Some(c) = clinical {
            a["clinicalStatus"] = json!({"coding": [{"code": c}]});
        }
        if let Some(v) = verification {
            a["verificationStatus"] = json!({"coding": [{"code": v}]});
        }
        a
    }

    #[test]
    fn an_active_allergy_is_an_allergy_alert_named_by_its_substance() {
        let read = alert_from_fhir(&allergy(Some("active"), Some("confirmed")))
            .unwrap()
            .unwrap();
        assert_eq!(read.reference, "urn:uuid:p1");
        assert_eq!(
            read.alert,
            PatientAlert {
                kind: AlertKind::Allergy,
                text: "Latex".into(),
                side: None
            }
        );
        assert!(alert_from_fhir(&allergy(None, None)).unwrap().is_some());
    }

    #[test]
    fn a_resolved_refuted_or_mistaken_allergy_is_no_alert() {
        for (c, v) in [
            (Some("resolved"), None),
            (Some("inactive"), None),
            (None, Some("refuted")),
            (Some("active"), Some("entered-in-error")),
        ] {
            assert_eq!(
                alert_from_fhir(&allergy(c, v)).unwrap(),
                None,
                "{c:?} {v:?}"
            );
        }
    }

    fn order_bundle() -> Value {
        serde_json::from_str(include_str!("../../tests/fixtures/fhir/order-bundle.json")).unwrap()
    }

    fn with_entries(mut bundle: Value, more: Vec<Value>) -> Value {
        let entries = bundle["entry"].as_array_mut().unwrap();
        entries.extend(more.into_iter().map(|r| json!({ "resource": r })));
        bundle
    }

    fn read(bundle: &Value) -> crate::fhir::BundleEntries {
        let site = crate::site::SiteConfig::default_site();
        crate::fhir::read_bundle(bundle, site.catalog(), chrono::Utc::now()).unwrap()
    }

    #[test]
    fn a_bundles_flags_and_allergies_become_the_alerts_its_orders_carry() {
        let mut arm = flag(json!({
            "coding": [{"code": "arm-restriction"}], "text": "No draw from left arm (fistula)"
        }));
        arm["subject"]["reference"] = json!("Patient/example");
        let mut latex = allergy(Some("active"), None);
        latex["patient"]["reference"] = json!("Patient/example");
        let twice = latex.clone();
        let bundle = with_entries(order_bundle(), vec![arm, latex, twice]);
        let read = read(&bundle);
        assert!(read.problems.is_empty(), "{:?}", read.problems);
        let vanc = read
            .orders
            .iter()
            .find(|o| o.patient.id.as_str() == "example")
            .unwrap();
        let texts: Vec<&str> = vanc
            .patient
            .alerts
            .iter()
            .map(|a| a.text.as_str())
            .collect();
        assert_eq!(texts, ["No draw from left arm (fistula)", "Latex"]);
        let other = read
            .orders
            .iter()
            .find(|o| o.patient.id.as_str() != "example")
            .unwrap();
        assert!(other.patient.alerts.is_empty());
    }

    #[test]
    fn a_flag_for_a_patient_outside_the_bundle_is_reported_with_its_entry() {
        let mut stray = flag(json!({"text": "Latex"}));
        stray["subject"]["reference"] = json!("Patient/nobody");
        let bundle = with_entries(order_bundle(), vec![stray]);
        let n = bundle["entry"].as_array().unwrap().len() - 1;
        let read = read(&bundle);
        assert_eq!(read.problems.len(), 1);
        assert_eq!(read.problems[0].entry, n);
        assert_eq!(
            read.problems[0].problem.to_string(),
            "Flag/f1: 'Patient/nobody' is not a Patient in this bundle, so its alert is not imported"
        );
        assert_eq!(read.orders.len(), 2, "the orders still import");
    }

    #[test]
    fn a_bad_flag_is_reported_and_an_inactive_one_is_left_out_quietly() {
        let mut bad = flag(json!({"coding": [{"code": "arm-restriction"}], "text": "IV in situ"}));
        bad["subject"]["reference"] = json!("Patient/example");
        let mut old = flag(json!({"text": "Contact precautions"}));
        old["status"] = json!("inactive");
        let read = read(&with_entries(order_bundle(), vec![bad, old]));
        assert_eq!(read.problems.len(), 1, "{:?}", read.problems);
        assert!(read.problems[0]
            .problem
            .to_string()
            .contains("names one side"));
        assert!(read.orders.iter().all(|o| o.patient.alerts.is_empty()));
        assert_eq!(
            read.unread_alerts
                .iter()
                .map(|p| p.as_str())
                .collect::<Vec<_>>(),
            ["example"],
            "the patient whose alert could not be read is named"
        );
    }

    #[test]
    fn every_note_of_a_request_becomes_the_orders_note() {
        let mut bundle = order_bundle();
        bundle["entry"][2]["resource"]["note"] = json!([{"text": "Hard stick: use the right hand"}, {"text": " "}, {"text": "Call ward first"}]);
        let read = read(&bundle);
        let notes: Vec<Option<&str>> = read
            .orders
            .iter()
            .map(|o| o.order.note.as_deref())
            .collect();
        assert_eq!(
            notes,
            [
                Some("Hard stick: use the right hand\nCall ward first"),
                None
            ]
        );
    }
}
