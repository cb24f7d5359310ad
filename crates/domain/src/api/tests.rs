use super::*;

#[test]
fn health_round_trips_through_json_as_the_server_sends_it() {
    let json = r#"{"status":"ok","site":"Demo General Hospital","version":"0.1.0"}"#;
    let health: Health = serde_json::from_str(json).unwrap();
    assert!(health.is_ok());
    assert_eq!(health.site, "Demo General Hospital");
    assert_eq!(serde_json::to_string(&health).unwrap(), json);
}

#[test]
fn a_degraded_health_is_not_ok() {
    let health = Health {
        status: "degraded".into(),
        site: "x".into(),
        version: "0".into(),
    };
    assert!(!health.is_ok());
}

#[test]
fn a_push_record_made_from_a_finalized_collection_carries_its_id_version_and_hash() {
    let f = crate::test_support::finalized();
    let r = PushRecord::from_finalized(&f);
    assert_eq!(r.id, f.record().id().0);
    assert_eq!(r.version, 1);
    assert_eq!(r.supersedes, None);
    assert_eq!(r.content_hash, f.hash().as_str());
    let back =
        crate::collection::FinalizedCollection::from_json_value(r.collection.clone()).unwrap();
    assert_eq!(back, f);
    let json = serde_json::to_value(&r).unwrap();
    assert_eq!(json["content_hash"], f.hash().as_str());
}

#[test]
fn outcomes_and_statuses_use_their_documented_spellings() {
    assert_eq!(
        serde_json::to_value(RecordOutcome::Duplicate).unwrap(),
        "duplicate"
    );
    assert!(RecordOutcome::Duplicate.is_synced());
    assert!(!RecordOutcome::Conflict.is_synced());
    for s in [
        OrderStatus::Open,
        OrderStatus::Collected,
        OrderStatus::NotCollected,
        OrderStatus::Cancelled,
    ] {
        assert_eq!(serde_json::to_value(s).unwrap(), s.as_str());
        assert_eq!(OrderStatus::parse(s.as_str()), Some(s));
    }
}

#[test]
fn the_site_version_is_stable_and_changes_with_the_site() {
    let site = crate::site::SiteConfig::default_site();
    let a = SiteVersion::of(&site);
    assert_eq!(a, SiteVersion::of(&site.clone()));
    assert_eq!(a.hash.len(), 64);
    assert_ne!(a.catalog_hash, a.order_of_draw_hash);
    let on = SiteVersion::of(&site.clone().with_discard_before_any_coagulation(true));
    let off = SiteVersion::of(&site.with_discard_before_any_coagulation(false));
    assert_ne!(on.hash, off.hash);
    assert_eq!(on.catalog_hash, off.catalog_hash);
}

#[test]
fn risk_levels_have_wire_codes_and_words() {
    assert_eq!(
        crate::test_support::codes_and_words(RiskLevel::ALL, RiskLevel::as_str, RiskLevel::display),
        [
            ("inactive", "Inactive"),
            ("ok", "OK"),
            ("warning", "Watch"),
            ("critical", "At risk"),
        ]
    );
    assert_eq!(Role::parse("supervisor"), Some(Role::Supervisor));
    assert_eq!(Role::Admin.as_str(), "admin");
    assert_eq!(
        ReviewAction::parse("conflict_resolved"),
        Some(ReviewAction::ConflictResolved)
    );
    assert_eq!(
        serde_json::to_value(QueueFlag::SyncedLate).unwrap(),
        "synced_late"
    );
}
