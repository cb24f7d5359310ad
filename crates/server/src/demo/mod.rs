//! The demo site seeded by `drawline serve --demo`, so a new user sees a real draw list at once.

use chrono::{DateTime, Duration, NaiveDate, Timelike, Utc};
use drawline_domain::collection::PatientAlert;
use drawline_domain::{
    AccessionNumber, Mrn, Order, OrderId, Patient, PatientId, PatientIdentity, PersonName,
    Priority, SiteConfig, TestCode,
};

use crate::accounts::{self, AccountError};
use crate::api::{Role, UserView};
use crate::auth;
use crate::store::{Assignment, NewOrder, Store};

/// Name of the seeded demo site.
pub const DEMO_SITE: &str = "Demo General Hospital";
/// Name of the seeded demo device.
pub const DEMO_DEVICE: &str = "Demo tablet";
/// The ward round (drawn by the first collector on the demo device).
pub const WARD_ROUND: &str = "Ward 5 morning round";
/// The home-visit round (second collector, same device).
pub const HOME_ROUND: &str = "Home visits";

/// A demo person and the PIN printed at start (demo only: never do this with real people).
#[derive(Debug, Clone, Copy)]
pub struct DemoUser {
    /// Sign-in name.
    pub username: &'static str,
    /// Display name.
    pub display_name: &'static str,
    /// Role.
    pub role: Role,
    /// PIN.
    pub pin: &'static str,
}

/// The demo people.
pub const DEMO_USERS: [DemoUser; 3] = [
    DemoUser {
        username: "amara",
        display_name: "Amara Okafor",
        role: Role::Collector,
        pin: "1234",
    },
    DemoUser {
        username: "ben",
        display_name: "Ben Kowalski",
        role: Role::Collector,
        pin: "2345",
    },
    DemoUser {
        username: "sam",
        display_name: "Sam Rivera",
        role: Role::Supervisor,
        pin: "9876",
    },
];

/// What `serve --demo` prints so a person can start at once.
#[derive(Debug, Clone)]
pub struct DemoAccess {
    /// True when this start seeded the site (false: it already existed).
    pub seeded: bool,
    /// A fresh one-time code for the demo device, while it is not enrolled yet.
    pub enrollment_code: Option<String>,
}

impl DemoAccess {
    /// The lines printed at start.
    pub fn banner(&self) -> String {
        let mut out = format!("Demo site: {DEMO_SITE}\n");
        for u in DEMO_USERS {
            out.push_str(&format!(
                "Demo {:<10} user {:<6} PIN {}  ({})\n",
                u.role.as_str(),
                u.username,
                u.pin,
                u.display_name
            ));
        }
        match &self.enrollment_code {
            Some(code) => out.push_str(&format!(
                "Demo device \"{DEMO_DEVICE}\" enrollment code: {code}\n"
            )),
            None => out.push_str(&format!(
                "Demo device \"{DEMO_DEVICE}\" is already enrolled (revoke it and enroll another to start over)\n"
            )),
        }
        out
    }
}

/// Seeds the demo site into an empty database; leaves a database with data untouched.
pub async fn seed_if_empty(store: &dyn Store) -> Result<bool, AccountError> {
    if !store.is_empty().await? {
        return Ok(false);
    }
    seed(store, Utc::now()).await?;
    Ok(true)
}

/// Seeds when empty, then issues a new enrollment code for the demo device if it is still pending.
pub async fn prepare(store: &dyn Store) -> Result<DemoAccess, AccountError> {
    let seeded = seed_if_empty(store).await?;
    let pending = match store.device_by_name(DEMO_DEVICE).await? {
        None => true,
        Some(d) => {
            d.revoked_at.is_none()
                && store
                    .list_devices()
                    .await?
                    .iter()
                    .any(|v| v.id == d.id && v.status == crate::api::DeviceStatus::Pending)
        }
    };
    let enrollment_code = if pending {
        Some(
            accounts::register_device(store, DEMO_DEVICE, "demo", Utc::now())
                .await?
                .code,
        )
    } else {
        None
    };
    Ok(DemoAccess {
        seeded,
        enrollment_code,
    })
}

async fn seed(store: &dyn Store, now: DateTime<Utc>) -> Result<(), AccountError> {
    store.set_site_name(DEMO_SITE).await?;
    let site = SiteConfig::default_site();
    let json = serde_json::to_string(&site).map_err(|e| {
        crate::store::StoreError::Corrupt(format!("the default site does not serialise: {e}"))
    })?;
    store.put_site_config("site", &json).await?;
    let mut users: Vec<UserView> = Vec::new();
    // Seeding runs alone, before serving: its PINs are hashed one at a time, in a pool of its own.
    let pins = crate::pin_pool::PinPool::for_limits(&crate::Limits::default());
    for u in DEMO_USERS {
        let person = accounts::NewPerson {
            username: u.username,
            display_name: u.display_name,
            role: u.role,
            pin: u.pin,
        };
        // The demo's PINs are short on purpose (they are printed); the floor still applies.
        users.push(accounts::add_user(store, &pins, person, 4, "demo").await?);
    }
    let code = auth::new_enrollment_code();
    let device = store
        .create_device(
            DEMO_DEVICE,
            &auth::code_hash(&code),
            now + auth::ENROLLMENT_CODE_LIFETIME,
        )
        .await?;
    // Both rounds on the one demo tablet, each with its own collector.
    for (round, collector) in [(WARD_ROUND, &users[0]), (HOME_ROUND, &users[1])] {
        let assignment = Assignment {
            device_id: Some(device.id),
            collector_id: Some(collector.id),
        };
        store.upsert_round(round, assignment).await?;
    }
    store.import_orders(demo_orders(&site, now), now).await?;
    Ok(())
}

/// The demo's patients and their orders, one row per order.
const ORDERS_CSV: &str = include_str!("orders.csv");

/// A row of `orders.csv`: an order and its patient.
#[derive(Debug, serde::Deserialize)]
struct DemoRow {
    mrn: String,
    family: String,
    given: String,
    birth_date: NaiveDate,
    location: String,
    round: String,
    test: String,
    priority: Priority,
    due_in_minutes: Option<i64>,
    /// The lab's accession of the order's pre-labelled tube, for the few demo orders that have one.
    accession: Option<String>,
}

/// Demo patients' alerts by MRN, in the CSV `alerts` format, so the bedside screens show them.
const DEMO_ALERTS: [(&str, &str); 3] = [
    (
        "MRN100233",
        "arm-restriction left: No draw from left arm (AV fistula for dialysis); allergy: Latex",
    ),
    ("MRN100234", "isolation: Contact precautions (MRSA)"),
    (
        "MRN200101",
        "bleeding-risk: On warfarin: hold pressure 5 minutes",
    ),
];

/// Demo placers' notes by MRN and test.
const DEMO_NOTES: [(&str, &str, &str); 1] = [(
    "MRN100233",
    "CBC",
    "Hard stick: use a butterfly on the right hand",
)];

/// The demo alerts of a patient (an unreadable list is left out rather than failing the demo).
fn demo_alerts(mrn: &str) -> Vec<PatientAlert> {
    DEMO_ALERTS
        .iter()
        .find(|(m, _)| *m == mrn)
        .and_then(|(_, list)| PatientAlert::parse_list(list).ok())
        .unwrap_or_default()
}

/// The rows of `orders.csv` (an unreadable row is left out rather than failing the demo).
fn demo_rows() -> Vec<DemoRow> {
    csv::Reader::from_reader(ORDERS_CSV.as_bytes())
        .deserialize()
        .filter_map(Result::ok)
        .collect()
}

/// The demo orders, timed relative to `now` so timed draws are due during the demo.
fn demo_orders(site: &SiteConfig, now: DateTime<Utc>) -> Vec<NewOrder> {
    let placed_at = (now - Duration::hours(2)).with_nanosecond(0).unwrap_or(now);
    let rows = demo_rows();
    let mut patients: Vec<&str> = Vec::new();
    let mut out = Vec::new();
    for (n, row) in rows.iter().enumerate() {
        // Patients are numbered in order of first appearance, their orders within each patient.
        let i = patients
            .iter()
            .position(|m| *m == row.mrn)
            .unwrap_or_else(|| {
                patients.push(&row.mrn);
                patients.len() - 1
            });
        let j = rows[..n].iter().filter(|r| r.mrn == row.mrn).count();
        let (Ok(mrn), Ok(name)) = (
            Mrn::parse(&row.mrn),
            PersonName::new(&row.family, &[row.given.as_str()]),
        ) else {
            continue;
        };
        let Ok(patient_id) = PatientId::parse(&format!("demo-patient-{}", i + 1)) else {
            continue;
        };
        let patient = Patient {
            id: patient_id.clone(),
            identity: PatientIdentity {
                mrn,
                name,
                birth_date: row.birth_date,
            },
            alerts: demo_alerts(&row.mrn),
        };
        // Codes missing from a replaced catalog are left out rather than failing the demo.
        let Ok(test) = TestCode::parse(&row.test) else {
            continue;
        };
        let Some(definition) = site.test(&test) else {
            continue;
        };
        let Ok(id) = OrderId::parse(&format!("demo-order-{}-{}", i + 1, j + 1)) else {
            continue;
        };
        out.push(NewOrder {
            position: out.len(),
            location_in_source: format!("demo order {}", out.len()),
            patient,
            order: Order {
                id,
                patient: patient_id,
                test,
                priority: row.priority,
                placed_at,
                due_at: row.due_in_minutes.map(|m| {
                    (now + Duration::minutes(m))
                        .with_nanosecond(0)
                        .unwrap_or(now)
                }),
                requisition: Some(format!("REQ-{:05}", 40000 + i)),
                accessions: row
                    .accession
                    .as_deref()
                    .and_then(|a| AccessionNumber::parse(a).ok())
                    .into_iter()
                    .collect(),
                note: DEMO_NOTES
                    .iter()
                    .find(|(m, t, _)| *m == row.mrn && *t == row.test)
                    .map(|(_, _, note)| (*note).to_owned()),
                recollection_reason: None,
            },
            fasting: definition.fasting,
            location: Some(row.location.clone()),
            replaces_alerts: true,
            round: Some(row.round.clone()),
        });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_demo_order_is_in_the_default_catalog() {
        let site = SiteConfig::default_site();
        let orders = demo_orders(&site, Utc::now());
        let rows = demo_rows();
        let listed = ORDERS_CSV.lines().count() - 1;
        assert_eq!(rows.len(), listed, "every row of orders.csv reads");
        assert_eq!(orders.len(), listed, "every demo test is a catalog code");
        let patients: std::collections::HashSet<_> = rows.iter().map(|r| &r.mrn).collect();
        assert!(patients.len() >= 20);
        assert!(rows
            .iter()
            .all(|r| r.round == WARD_ROUND || r.round == HOME_ROUND));
        assert!(orders.iter().any(|o| o.order.due_at.is_some()));
        assert!(orders.iter().any(|o| o.order.priority == Priority::Stat));
        assert!(orders.iter().any(|o| o.fasting));
        let prelabelled = orders
            .iter()
            .filter(|o| !o.order.accessions.is_empty())
            .count();
        assert_eq!(
            prelabelled, 7,
            "a few demo orders carry the lab's accessions"
        );
    }

    #[test]
    fn a_few_demo_patients_carry_alerts_and_one_order_a_note() {
        let orders = demo_orders(&SiteConfig::default_site(), Utc::now());
        for (mrn, list) in DEMO_ALERTS {
            let alerts = PatientAlert::parse_list(list).expect("every demo alert list reads");
            assert!(
                orders
                    .iter()
                    .filter(|o| o.patient.identity.mrn.as_str() == mrn)
                    .all(|o| o.patient.alerts == alerts),
                "{mrn} is a demo patient with its alerts"
            );
            assert!(orders
                .iter()
                .any(|o| o.patient.identity.mrn.as_str() == mrn));
        }
        let noted: Vec<&str> = orders
            .iter()
            .filter_map(|o| o.order.note.as_deref())
            .collect();
        assert_eq!(noted.len(), DEMO_NOTES.len());
    }
}
