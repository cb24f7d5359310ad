//! What the collector must know at the bedside: patient alerts and order notes imported (CSV and FHIR), sent to the tablet, and a recollection's reason.

use drawline_domain::collection::{AlertKind, PatientAlert, Side};
use drawline_server::api::{ImportReport, PullResponse, RecollectResponse, Role, Worklist};
use serde_json::{json, Value};
use uuid::Uuid;

use crate::fixtures;
use crate::helpers::{spawn_app, TestApp};

/// A lab with a supervisor and an enrolled tablet that draws round `Ward 3`.
struct Lab {
    app: TestApp,
    supervisor: String,
    tablet: Uuid,
    tablet_token: String,
}

async fn lab() -> Lab {
    let app = spawn_app().await;
    let (_, supervisor) = app.supervisor().await;
    let tablet = app.enroll("Ward 3 tablet").await;
    Lab {
        app,
        supervisor,
        tablet: tablet.device_id,
        tablet_token: tablet.token,
    }
}

impl Lab {
    /// Imports a file into round `Ward 3` (assigned to the tablet); the import must be answered
    /// with a report.
    async fn import(&self, content_type: &str, body: String) -> ImportReport {
        let res = self
            .app
            .post("/orders?round=Ward%203", &self.supervisor)
            .header("content-type", content_type)
            .body(body)
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 200, "{}", res.text().await.unwrap());
        self.app.assign_round("Ward 3", self.tablet).await;
        res.json().await.unwrap()
    }

    async fn worklist(&self) -> Worklist {
        let reader = self.app.collector_on(&self.tablet_token).await;
        self.app.get_ok("/worklist", &reader).await
    }

    /// The alerts the worklist sends for the patient with this MRN.
    async fn alerts_of(&self, mrn: &str) -> Vec<PatientAlert> {
        self.worklist()
            .await
            .patients
            .into_iter()
            .find(|p| p.identity.mrn.as_str() == mrn)
            .expect("the patient is on the worklist")
            .alerts
    }
}

fn alert(kind: AlertKind, text: &str, side: Option<Side>) -> PatientAlert {
    PatientAlert {
        kind,
        text: text.into(),
        side,
    }
}

const HEADER: &str = "order_id,mrn,family,given,birth_date,test,note,alerts";

#[tokio::test]
async fn csv_alerts_of_a_patients_rows_are_merged_and_sent_with_the_orders_note_to_the_tablet() {
    let lab = lab().await;
    let csv = format!(
        "{HEADER}\n\
         a-1,MRN801,Lindqvist,Erik,1937-06-30,CBC,Hard stick: use a butterfly,\"arm-restriction left: No draw from left arm (fistula); allergy: Latex\"\n\
         a-2,MRN801,Lindqvist,Erik,1937-06-30,PT,,allergy: Latex; isolation: Contact precautions\n\
         a-3,MRN802,Santos,Maria,1990-04-25,CBC,,\n"
    );
    let report = lab.import("text/csv", csv).await;
    assert_eq!(report.created, 3, "{report:?}");
    assert!(report.rejected.is_empty(), "{report:?}");

    let expected = vec![
        alert(
            AlertKind::ArmRestriction,
            "No draw from left arm (fistula)",
            Some(Side::Left),
        ),
        alert(AlertKind::Allergy, "Latex", None),
        alert(AlertKind::Isolation, "Contact precautions", None),
    ];
    assert_eq!(lab.alerts_of("MRN801").await, expected);
    assert!(lab.alerts_of("MRN802").await.is_empty());
    let worklist = lab.worklist().await;
    let note = |id: &str| {
        worklist
            .orders
            .iter()
            .find(|o| o.order.id.as_str() == id)
            .unwrap()
            .order
            .note
            .clone()
    };
    assert_eq!(note("a-1").as_deref(), Some("Hard stick: use a butterfly"));
    assert_eq!(note("a-2"), None);

    // The sync pull carries the same patient alerts.
    let reader = lab.app.collector_on(&lab.tablet_token).await;
    let pull: PullResponse = lab.app.pull(&reader, None).await;
    let patient = pull
        .patients
        .iter()
        .find(|p| p.identity.mrn.as_str() == "MRN801")
        .unwrap();
    assert_eq!(patient.alerts, expected);
}

#[tokio::test]
async fn a_newer_import_replaces_the_alerts_and_the_tablet_pulls_the_change_while_a_file_without_alerts_keeps_them(
) {
    let lab = lab().await;
    let row =
        |alerts: &str| format!("{HEADER}\na-1,MRN801,Lindqvist,Erik,1937-06-30,CBC,,{alerts}\n");
    lab.import("text/csv", row("allergy: Latex")).await;
    let reader = lab.app.collector_on(&lab.tablet_token).await;
    let first: PullResponse = lab.app.pull(&reader, None).await;
    assert_eq!(first.patients[0].alerts.len(), 1);

    lab.import("text/csv", row("allergy: Chlorhexidine")).await;
    let next: PullResponse = lab.app.pull(&reader, Some(&first.next_cursor)).await;
    assert_eq!(
        next.patients.first().map(|p| p.alerts.clone()),
        Some(vec![alert(AlertKind::Allergy, "Chlorhexidine", None)]),
        "the changed alerts reach the tablet that holds the patient's orders"
    );

    let without =
        "order_id,mrn,family,given,birth_date,test\na-1,MRN801,Lindqvist,Erik,1937-06-30,CBC\n";
    lab.import("text/csv", without.into()).await;
    assert_eq!(
        lab.alerts_of("MRN801").await,
        [alert(AlertKind::Allergy, "Chlorhexidine", None)]
    );

    lab.import("text/csv", row("")).await;
    assert!(
        lab.alerts_of("MRN801").await.is_empty(),
        "an empty cell clears them"
    );
}

#[tokio::test]
async fn a_patient_whose_new_alert_cannot_be_read_keeps_every_alert_the_lab_holds() {
    let lab = lab().await;
    let first = format!(
        "{HEADER}\na-1,MRN801,Lindqvist,Erik,1937-06-30,CBC,,arm-restriction left: Fistula\n"
    );
    lab.import("text/csv", first).await;
    let next = format!(
        "{HEADER}\n\
         a-1,MRN801,Lindqvist,Erik,1937-06-30,CBC,,allergy: Latex\n\
         a-2,MRN801,Lindqvist,Erik,1937-06-30,PT,,arm restriction left: Fistula\n"
    );
    let report = lab.import("text/csv", next).await;
    assert_eq!(report.rejected.len(), 1, "{report:?}");
    assert_eq!(
        lab.alerts_of("MRN801").await,
        [
            alert(AlertKind::ArmRestriction, "Fistula", Some(Side::Left)),
            alert(AlertKind::Allergy, "Latex", None),
        ],
        "the readable alert is added, none is taken away"
    );

    // The same in a FHIR bundle: an unreadable Flag takes nothing away.
    let mut bundle = bundle("Patient/pat-lq");
    lab.import("application/fhir+json", bundle.to_string())
        .await;
    bundle["entry"][2]["resource"]["code"]["text"] = json!("No blood draw from this arm");
    bundle["entry"][3]["resource"]["code"]["coding"][0]["display"] = json!("Chlorhexidine");
    let report = lab
        .import("application/fhir+json", bundle.to_string())
        .await;
    assert_eq!(report.rejected.len(), 1, "{report:?}");
    assert!(report.rejected[0].reason.contains("names one side"));
    let kept: Vec<String> = lab
        .alerts_of("MRN901")
        .await
        .iter()
        .map(|a| a.text.clone())
        .collect();
    assert_eq!(
        kept,
        [
            "No blood draw from the left arm (AV fistula)",
            "Latex",
            "Chlorhexidine"
        ]
    );
}

#[tokio::test]
async fn a_row_with_a_bad_alert_entry_is_refused_naming_its_line_and_the_entry() {
    let lab = lab().await;
    let csv = format!(
        "{HEADER}\n\
         a-1,MRN801,Lindqvist,Erik,1937-06-30,CBC,,allergy: Latex\n\
         a-2,MRN803,Okafor,Ada,1980-01-02,CBC,,latex allergy\n"
    );
    let report = lab.import("text/csv", csv).await;
    assert_eq!(report.created, 1);
    assert_eq!(report.rejected.len(), 1);
    let refused = &report.rejected[0];
    assert_eq!(refused.location, "line 3");
    assert!(
        refused.reason.contains("'latex allergy'") && refused.reason.contains("kind: text"),
        "{}",
        refused.reason
    );
    assert!(lab
        .worklist()
        .await
        .patients
        .iter()
        .all(|p| p.identity.mrn.as_str() != "MRN803"));
}

fn bundle(flag_subject: &str) -> Value {
    json!({
        "resourceType": "Bundle",
        "type": "collection",
        "entry": [
            {"fullUrl": "urn:uuid:0d6f8b59-8d43-4a4e-9b0a-5d8f0e1c2a01",
             "resource": {"resourceType": "Patient", "id": "pat-lq",
                "identifier": [{"type": {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/v2-0203", "code": "MR"}]}, "value": "MRN901"}],
                "name": [{"use": "official", "family": "Lindqvist", "given": ["Erik"]}],
                "birthDate": "1937-06-30"}},
            {"resource": {"resourceType": "ServiceRequest", "id": "sr-cbc-9", "status": "active", "intent": "order",
                "code": {"coding": [{"code": "CBC"}]},
                "subject": {"reference": "Patient/pat-lq"},
                "note": [{"text": "Draw after dialysis"}]}},
            {"resource": {"resourceType": "Flag", "id": "flag-arm", "status": "active",
                "category": [{"coding": [{"system": "http://terminology.hl7.org/CodeSystem/flag-category", "code": "clinical"}]}],
                "code": {"coding": [{"system": "https://drawline.example/alert-kind", "code": "arm-restriction"}],
                         "text": "No blood draw from the left arm (AV fistula)"},
                "subject": {"reference": flag_subject}}},
            {"resource": {"resourceType": "AllergyIntolerance", "id": "allergy-latex",
                "clinicalStatus": {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/allergyintolerance-clinical", "code": "active"}]},
                "code": {"coding": [{"system": "http://snomed.info/sct", "code": "111088007", "display": "Latex"}]},
                "patient": {"reference": "urn:uuid:0d6f8b59-8d43-4a4e-9b0a-5d8f0e1c2a01"}}},
            {"resource": {"resourceType": "AllergyIntolerance", "id": "allergy-old",
                "clinicalStatus": {"coding": [{"code": "resolved"}]},
                "code": {"text": "Penicillin"},
                "patient": {"reference": "Patient/pat-lq"}}}
        ]
    })
}

#[tokio::test]
async fn fhir_flags_and_active_allergies_become_the_patients_alerts_and_the_request_note_the_orders_note(
) {
    let lab = lab().await;
    let report = lab
        .import(
            "application/fhir+json",
            bundle("Patient/pat-lq").to_string(),
        )
        .await;
    assert!(report.rejected.is_empty(), "{report:?}");
    assert_eq!(
        lab.alerts_of("MRN901").await,
        [
            alert(
                AlertKind::ArmRestriction,
                "No blood draw from the left arm (AV fistula)",
                Some(Side::Left)
            ),
            alert(AlertKind::Allergy, "Latex", None),
        ]
    );
    let worklist = lab.worklist().await;
    assert_eq!(
        worklist.orders[0].order.note.as_deref(),
        Some("Draw after dialysis")
    );
}

#[tokio::test]
async fn a_fhir_flag_for_a_patient_not_in_the_bundle_is_reported_not_dropped() {
    let lab = lab().await;
    let report = lab
        .import(
            "application/fhir+json",
            bundle("Patient/somebody-else").to_string(),
        )
        .await;
    assert_eq!(report.created, 1, "the order still imports");
    assert_eq!(report.rejected.len(), 1, "{report:?}");
    assert_eq!(report.rejected[0].location, "Bundle.entry[2]");
    assert!(
        report.rejected[0].reason.contains("Flag/flag-arm")
            && report.rejected[0].reason.contains("Patient/somebody-else"),
        "{}",
        report.rejected[0].reason
    );
    assert_eq!(
        lab.alerts_of("MRN901").await,
        [alert(AlertKind::Allergy, "Latex", None)]
    );
}

#[tokio::test]
async fn a_recollection_keeps_the_placers_note_and_carries_the_supervisors_reason() {
    let lab = lab().await;
    // The orders `fixtures::finalized_collection` covers, the PT one with a note.
    let csv = "order_id,patient_id,mrn,family,given,birth_date,test,note\n\
               sr-pt,example,12345,Chalmers,Peter James,1974-12-25,PT,On warfarin: hold pressure 5 minutes\n\
               sr-cbc,example,12345,Chalmers,Peter James,1974-12-25,CBC,\n";
    lab.import("text/csv", csv.into()).await;
    lab.app.add_user("amara", Role::Collector, "1234").await;
    let collector = lab.app.sign_in(&lab.tablet_token, "amara", "1234").await;
    let id = Uuid::new_v4();
    lab.app
        .push(
            &collector,
            vec![fixtures::record(&fixtures::finalized_collection(id))],
        )
        .await;

    let res = lab
        .app
        .post(
            &format!("/supervisor/collections/{id}/recollect"),
            &lab.supervisor,
        )
        .json(&json!({"reason": "Haemolysed", "orders": ["sr-pt", "sr-cbc"]}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 201);
    let made: RecollectResponse = res.json().await.unwrap();
    assert_eq!(made.orders.len(), 2);

    let worklist = lab.worklist().await;
    let order = |id: &str| {
        worklist
            .orders
            .iter()
            .find(|o| o.order.id.as_str() == id)
            .unwrap_or_else(|| panic!("{id} is on the worklist"))
            .order
            .clone()
    };
    let pt = order("sr-pt-R1");
    assert_eq!(
        pt.note.as_deref(),
        Some("On warfarin: hold pressure 5 minutes")
    );
    assert_eq!(pt.recollection_reason.as_deref(), Some("Haemolysed"));
    let cbc = order("sr-cbc-R1");
    assert_eq!(cbc.note, None);
    assert_eq!(cbc.recollection_reason.as_deref(), Some("Haemolysed"));

    let reader = lab.app.collector_on(&lab.tablet_token).await;
    let pull: PullResponse = lab.app.pull(&reader, None).await;
    let pulled = pull
        .orders
        .iter()
        .find(|o| o.order.order.id.as_str() == "sr-pt-R1")
        .unwrap();
    assert_eq!(
        pulled.order.order.recollection_reason.as_deref(),
        Some("Haemolysed")
    );
}
