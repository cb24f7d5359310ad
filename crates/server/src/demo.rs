//! The demo site seeded by `drawline serve --demo`, so a new user sees a real draw list at once.

use chrono::{DateTime, Duration, NaiveDate, Timelike, Utc};
use drawline_domain::{
    Mrn, Order, OrderId, Patient, PatientId, PatientIdentity, PersonName, Priority, SiteConfig,
    TestCode,
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
    for u in DEMO_USERS {
        users.push(
            accounts::add_user(store, u.username, u.display_name, u.role, u.pin, "demo").await?,
        );
    }
    let code = auth::new_enrollment_code();
    let device = store
        .create_device(
            DEMO_DEVICE,
            &auth::code_hash(&code),
            now + auth::ENROLLMENT_CODE_LIFETIME,
        )
        .await?;
    store
        .upsert_round(
            WARD_ROUND,
            Assignment {
                device_id: Some(device.id),
                collector_id: Some(users[0].id),
            },
        )
        .await?;
    store
        .upsert_round(
            HOME_ROUND,
            Assignment {
                device_id: Some(device.id),
                collector_id: Some(users[1].id),
            },
        )
        .await?;
    store.import_orders(demo_orders(&site, now), now).await?;
    Ok(())
}

/// (MRN, family, given, birth date, location, round, tests as (code, priority, due in minutes))
type DemoPatient = (
    &'static str,
    &'static str,
    &'static str,
    (i32, u32, u32),
    &'static str,
    &'static str,
    &'static [(&'static str, Priority, Option<i64>)],
);

const R: Priority = Priority::Routine;
const S: Priority = Priority::Stat;
const U: Priority = Priority::Urgent;

const PATIENTS: &[DemoPatient] = &[
    (
        "MRN100231",
        "Nakamura",
        "Hiro",
        (1948, 3, 12),
        "Ward 5, room 3, bed A",
        WARD_ROUND,
        &[("TROP", S, None), ("CBC", S, None), ("BMP", S, None)],
    ),
    (
        "MRN100232",
        "Okonkwo",
        "Grace Adaeze",
        (1961, 11, 2),
        "Ward 5, room 3, bed B",
        WARD_ROUND,
        &[("VANCT", R, Some(45))],
    ),
    (
        "MRN100233",
        "Lindqvist",
        "Erik",
        (1937, 6, 30),
        "Ward 5, room 4",
        WARD_ROUND,
        &[("PT", R, None), ("APTT", R, None), ("CBC", R, None)],
    ),
    (
        "MRN100234",
        "Haddad",
        "Layla",
        (1985, 1, 19),
        "Ward 5, room 5",
        WARD_ROUND,
        &[("LACT", S, None), ("BCX", S, None)],
    ),
    (
        "MRN100235",
        "Brennan",
        "Patrick Joseph",
        (1952, 8, 8),
        "Ward 5, room 6, bed A",
        WARD_ROUND,
        &[("GLUF", R, None), ("LIPID", R, None)],
    ),
    (
        "MRN100236",
        "Santos",
        "Maria",
        (1990, 4, 25),
        "Ward 5, room 6, bed B",
        WARD_ROUND,
        &[("TS", U, None), ("CBC", U, None)],
    ),
    (
        "MRN100237",
        "Kowalczyk",
        "Zofia",
        (1944, 12, 1),
        "Ward 5, room 7",
        WARD_ROUND,
        &[("NH3", S, None), ("CMP", S, None)],
    ),
    (
        "MRN100238",
        "Abebe",
        "Dawit",
        (1979, 9, 14),
        "Ward 5, room 8",
        WARD_ROUND,
        &[("CORT", R, Some(120))],
    ),
    (
        "MRN100239",
        "Murphy",
        "Siobhan",
        (2001, 2, 28),
        "Ward 5, room 9",
        WARD_ROUND,
        &[("TBIL", R, None), ("CMP", R, None)],
    ),
    (
        "MRN100240",
        "Chen",
        "Wei",
        (1968, 7, 7),
        "Ward 5, room 10",
        WARD_ROUND,
        &[("HBA1C", R, None), ("GLU", R, None), ("MG", R, None)],
    ),
    (
        "MRN100241",
        "Fischer",
        "Anna",
        (1955, 5, 16),
        "Ward 5, room 11",
        WARD_ROUND,
        &[("VANCT", R, Some(90)), ("BMP", R, None)],
    ),
    (
        "MRN100242",
        "Dubois",
        "Jean-Luc",
        (1940, 10, 21),
        "Ward 5, room 12",
        WARD_ROUND,
        &[("DDIM", U, None), ("PT", U, None)],
    ),
    (
        "MRN200101",
        "Walker",
        "Edith",
        (1933, 1, 5),
        "14 Mill Lane, Ashford",
        HOME_ROUND,
        &[("PT", R, None)],
    ),
    (
        "MRN200102",
        "Ibrahim",
        "Yusuf",
        (1958, 3, 3),
        "2 Orchard Close, Ashford",
        HOME_ROUND,
        &[("GLUF", R, None), ("HBA1C", R, None), ("LIPID", R, None)],
    ),
    (
        "MRN200103",
        "Novak",
        "Petra",
        (1972, 12, 24),
        "Flat 5, 88 High Street, Bexley",
        HOME_ROUND,
        &[("CBC", R, None), ("FERR", R, None), ("B12", R, None)],
    ),
    (
        "MRN200104",
        "O'Brien",
        "Mary Catherine",
        (1946, 6, 17),
        "The Old Forge, Chart Road",
        HOME_ROUND,
        &[("TSH", R, None), ("FT4", R, None)],
    ),
    (
        "MRN200105",
        "Gupta",
        "Ravi",
        (1964, 8, 29),
        "31 Station Road, Bexley",
        HOME_ROUND,
        &[("BMP", R, None), ("MG", R, None), ("PHOS", R, None)],
    ),
    (
        "MRN200106",
        "Andersen",
        "Ingrid",
        (1950, 11, 11),
        "7 Church Walk, Chart",
        HOME_ROUND,
        &[("PT", R, None)],
    ),
    (
        "MRN200107",
        "Mensah",
        "Kwame",
        (1982, 4, 4),
        "19 Quarry Hill, Ashford",
        HOME_ROUND,
        &[("CRP", R, None), ("ESR", R, None)],
    ),
    (
        "MRN200108",
        "Rossi",
        "Giulia",
        (1939, 9, 9),
        "Rosemary Cottage, Bexley",
        HOME_ROUND,
        &[("CBC", R, None), ("CMP", R, None)],
    ),
];

/// The demo orders, timed relative to `now` so timed draws are due during the demo.
fn demo_orders(site: &SiteConfig, now: DateTime<Utc>) -> Vec<NewOrder> {
    let placed_at = (now - Duration::hours(2)).with_nanosecond(0).unwrap_or(now);
    let mut out = Vec::new();
    for (i, (mrn, family, given, (y, m, d), location, round, tests)) in PATIENTS.iter().enumerate()
    {
        let (Ok(mrn), Ok(name), Some(birth_date)) = (
            Mrn::parse(mrn),
            PersonName::new(family, &[given]),
            NaiveDate::from_ymd_opt(*y, *m, *d),
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
                birth_date,
            },
        };
        for (j, (code, priority, due_in)) in tests.iter().enumerate() {
            // Codes missing from a replaced catalog are left out rather than failing the demo.
            let Ok(test) = TestCode::parse(code) else {
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
                patient: patient.clone(),
                order: Order {
                    id,
                    patient: patient_id.clone(),
                    test,
                    priority: *priority,
                    placed_at,
                    due_at: due_in.map(|m| {
                        (now + Duration::minutes(m))
                            .with_nanosecond(0)
                            .unwrap_or(now)
                    }),
                    requisition: Some(format!("REQ-{:05}", 40000 + i)),
                },
                fasting: definition.fasting,
                location: Some((*location).to_owned()),
                note: None,
                round: Some((*round).to_owned()),
            });
        }
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
        let listed: usize = PATIENTS.iter().map(|p| p.6.len()).sum();
        assert_eq!(orders.len(), listed, "every demo test is a catalog code");
        assert!(PATIENTS.len() >= 20);
        assert!(orders.iter().any(|o| o.order.due_at.is_some()));
        assert!(orders.iter().any(|o| o.order.priority == Priority::Stat));
        assert!(orders.iter().any(|o| o.fasting));
    }
}
