//! Serial and duplicate orders at the lab: two orders of one test are two orders, each collected
//! or not on its own, whatever the other one did.

use chrono::Utc;
use drawline_domain::collection::{BodySite, OrderId, Scope};
use drawline_domain::test_support::{draw_time, identified, label, nurse, order};
use drawline_domain::{NotCollectedReason, SiteConfig};
use drawline_server::api::{OrderStatus, Role};

use crate::fixtures;
use crate::helpers::{assign_round, spawn_app};

const TROPONINS_CSV: &str =
    "order_id,patient_id,mrn,family,given,birth_date,test,round,placed_at\n\
     sr-trop-0h,example,12345,Chalmers,Peter James,1974-12-25,TROP,Ward 3,2024-05-01T06:00:00Z\n\
     sr-trop-3h,example,12345,Chalmers,Peter James,1974-12-25,TROP,Ward 3,2024-05-01T06:00:00Z\n";

#[tokio::test]
async fn one_of_two_troponins_not_collected_leaves_the_other_collected_at_the_lab() {
    let app = spawn_app().await;
    let tablet = app.enroll("Ward 3 tablet").await;
    let report = drawline_server::import::import(
        app.store.as_ref(),
        drawline_server::import::Format::Csv,
        TROPONINS_CSV.as_bytes(),
        &SiteConfig::default_site(),
        None,
        Utc::now(),
    )
    .await
    .unwrap();
    assert!(report.rejected.is_empty(), "{report:?}");
    assign_round(app.store.as_ref(), "Ward 3", tablet.device_id).await;
    app.add_fixture_collectors();
    app.add_user("amara", Role::Collector, "1234").await;
    let collector = app.sign_in(&tablet.token, "amara", "1234").await;
    let first = app.pull(&collector, None).await;

    let mut c = identified(vec![
        order("sr-trop-0h", "TROP"),
        order("sr-trop-3h", "TROP"),
    ]);
    assert_eq!(c.tubes().len(), 2, "two orders, two tubes");
    let now = draw_time();
    c.except(
        Scope::Order(OrderId::parse("sr-trop-3h").unwrap()),
        NotCollectedReason::Unavailable,
        Some("in CT"),
        &SiteConfig::default_site(),
        &nurse(),
        now,
    )
    .unwrap();
    let tube = c.tubes()[0].index;
    c.record_draw(tube, now, None, &nurse(), now).unwrap();
    label(&mut c, tube, "T0001", now);
    assert_eq!(
        c.tubes()[0].drawn.as_ref().unwrap().body_site,
        Some(BodySite::LeftAntecubital)
    );
    let f = fixtures::made_by_lab_user(&c.finalize(&nurse(), now).unwrap());
    let r = app.push(&collector, vec![fixtures::record(&f)]).await;
    assert!(r.results[0].outcome.is_synced(), "{r:?}");

    let after = app.pull(&collector, Some(&first.next_cursor)).await;
    let status = |id: &str| {
        after
            .orders
            .iter()
            .find(|o| o.order.order.id.as_str() == id)
            .map(|o| o.status)
    };
    assert_eq!(status("sr-trop-0h"), Some(OrderStatus::Collected));
    assert_eq!(status("sr-trop-3h"), Some(OrderStatus::NotCollected));
}
