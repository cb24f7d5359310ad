//! Which patient alerts forbid a venipuncture site: an arm restriction rules out that arm and hand.

use super::alert::{AlertKind, PatientAlert};
use super::body_site::BodySite;

impl PatientAlert {
    /// True when this alert forbids drawing at `site`: an arm restriction forbids every site
    /// on that side's arm and hand (never a foot); other alerts restrict no site. An arm
    /// restriction without a side cannot be read, so it forbids both arms rather than none.
    pub fn forbids(&self, site: BodySite) -> bool {
        self.kind == AlertKind::ArmRestriction
            && site.on_arm()
            && self.side.is_none_or(|side| side == site.side())
    }
}

/// The alerts that forbid drawing at `site`, in the order given; empty when the site is allowed.
pub fn alerts_forbidding(alerts: &[PatientAlert], site: BodySite) -> Vec<&PatientAlert> {
    alerts.iter().filter(|a| a.forbids(site)).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::collection::alert::Side;

    fn arm(side: Option<Side>) -> PatientAlert {
        PatientAlert {
            kind: AlertKind::ArmRestriction,
            text: "Fistula".into(),
            side,
        }
    }

    #[test]
    fn a_left_arm_restriction_forbids_every_left_arm_and_hand_site_and_nothing_else() {
        let left = arm(Some(Side::Left));
        let forbidden: Vec<BodySite> = BodySite::ALL
            .iter()
            .copied()
            .filter(|s| left.forbids(*s))
            .collect();
        assert_eq!(
            forbidden,
            [
                BodySite::LeftAntecubital,
                BodySite::LeftForearm,
                BodySite::LeftHand
            ]
        );
    }

    #[test]
    fn a_right_arm_restriction_leaves_the_left_arm_and_the_right_foot_allowed() {
        let right = arm(Some(Side::Right));
        assert!(right.forbids(BodySite::RightAntecubital));
        assert!(right.forbids(BodySite::RightHand));
        assert!(!right.forbids(BodySite::LeftAntecubital));
        assert!(!right.forbids(BodySite::RightFoot));
    }

    #[test]
    fn an_arm_restriction_with_no_side_forbids_both_arms() {
        let unknown = arm(None);
        assert!(unknown.forbids(BodySite::LeftForearm));
        assert!(unknown.forbids(BodySite::RightForearm));
        assert!(!unknown.forbids(BodySite::LeftFoot));
    }

    #[test]
    fn an_allergy_or_isolation_forbids_no_site() {
        for kind in [
            AlertKind::Allergy,
            AlertKind::Isolation,
            AlertKind::BleedingRisk,
            AlertKind::Other,
        ] {
            let a = PatientAlert {
                kind,
                text: "left arm".into(),
                side: Some(Side::Left),
            };
            assert!(BodySite::ALL.iter().all(|s| !a.forbids(*s)), "{kind}");
        }
    }

    #[test]
    fn the_alerts_forbidding_a_site_are_listed_in_their_order() {
        let alerts = vec![
            arm(Some(Side::Right)),
            PatientAlert {
                kind: AlertKind::Allergy,
                text: "Latex".into(),
                side: None,
            },
            PatientAlert {
                text: "IV line".into(),
                ..arm(Some(Side::Left))
            },
            PatientAlert {
                text: "Mastectomy".into(),
                ..arm(Some(Side::Left))
            },
        ];
        let texts = |site| {
            alerts_forbidding(&alerts, site)
                .into_iter()
                .map(|a| a.text.as_str())
                .collect::<Vec<_>>()
        };
        assert_eq!(texts(BodySite::LeftHand), ["IV line", "Mastectomy"]);
        assert_eq!(texts(BodySite::RightAntecubital), ["Fistula"]);
        assert!(texts(BodySite::LeftFoot).is_empty());
    }
}
