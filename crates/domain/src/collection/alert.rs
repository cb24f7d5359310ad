//! Patient alerts the collector must see before and during the draw: arm restrictions, allergies, isolation, bleeding risk.

use serde::{Deserialize, Serialize};

use crate::wire::wire_enum;

wire_enum! {
    /// What kind of alert, which decides how it is shown and what it restricts.
    pub enum AlertKind {
        /// No draw from one arm (IV line, fistula, mastectomy side, lymphoedema).
        ArmRestriction = "arm-restriction" => "Arm restriction",
        /// An allergy that matters at the draw (latex, chlorhexidine, adhesive).
        Allergy = "allergy" => "Allergy",
        /// Isolation precautions (contact, droplet, airborne).
        Isolation = "isolation" => "Isolation",
        /// Bleeding risk (anticoagulated, low platelets, haemophilia).
        BleedingRisk = "bleeding-risk" => "Bleeding risk",
        /// Anything else the lab or ward wants the collector to read.
        Other = "other" => "Alert",
    }
}

wire_enum! {
    /// The patient's side of the body.
    pub enum Side {
        /// Left.
        Left = "left" => "Left",
        /// Right.
        Right = "right" => "Right",
    }
}

/// One alert about the patient, as the lab or the ward recorded it.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct PatientAlert {
    /// What kind of alert.
    pub kind: AlertKind,
    /// The words to show, e.g. `No draw from left arm: fistula` or `Latex allergy`.
    pub text: String,
    /// The side an arm restriction applies to; absent for other alerts.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub side: Option<Side>,
}

/// The longest alert text accepted: it is read at the bedside, not a chart note.
pub const MAX_ALERT_TEXT: usize = 200;

/// An alert entry that cannot be read, and why: the entry is quoted as it was given.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("alert '{entry}' is not valid: {why}")]
pub struct AlertError {
    /// The entry as given (trimmed).
    pub entry: String,
    /// What is wrong with it.
    pub why: String,
}

impl AlertError {
    fn new(entry: &str, why: impl Into<String>) -> Self {
        Self {
            entry: entry.to_owned(),
            why: why.into(),
        }
    }
}

/// The entry format, for messages.
const FORMAT_HINT: &str = "write 'kind: text', e.g. 'allergy: Latex' or \
     'arm-restriction left: No draw from left arm (fistula)'";

impl PatientAlert {
    /// Reads a list of alerts as a CSV cell or a form gives them.
    ///
    /// Entries are separated by `;` (blank entries between separators are skipped). Each entry
    /// is `kind: text`, where kind is a wire code (`arm-restriction`, `allergy`, `isolation`,
    /// `bleeding-risk`, `other`; case does not matter) and text is what the collector reads; an
    /// arm restriction names its side after the kind: `arm-restriction left: No draw from left
    /// arm (fistula)`. A repeated entry is kept once. The first bad entry refuses the whole
    /// list, so no alert is silently dropped.
    pub fn parse_list(text: &str) -> Result<Vec<PatientAlert>, AlertError> {
        let mut out = Vec::new();
        for entry in text.split(';').map(str::trim).filter(|e| !e.is_empty()) {
            merge_alerts(&mut out, [PatientAlert::parse(entry)?]);
        }
        Ok(out)
    }

    /// Reads one entry, `kind: text` or `arm-restriction <side>: text` (see [`Self::parse_list`]).
    pub fn parse(entry: &str) -> Result<PatientAlert, AlertError> {
        let entry = entry.trim();
        let Some((head, text)) = entry.split_once(':') else {
            return Err(AlertError::new(
                entry,
                format!("no ':' after the kind; {FORMAT_HINT}"),
            ));
        };
        let text = text.trim();
        let mut words = head.split_whitespace();
        let kind_text = words.next().unwrap_or("").to_ascii_lowercase();
        let side_text = words.next().map(str::to_ascii_lowercase);
        if let Some(extra) = words.next() {
            return Err(AlertError::new(
                entry,
                format!("unexpected '{extra}' before the ':'; {FORMAT_HINT}"),
            ));
        }
        let kind = AlertKind::parse(&kind_text).ok_or_else(|| {
            let kinds: Vec<&str> = AlertKind::ALL.iter().map(|k| k.as_str()).collect();
            AlertError::new(
                entry,
                format!("'{kind_text}' is not an alert kind ({})", kinds.join(", ")),
            )
        })?;
        let side = match (kind, side_text) {
            (AlertKind::ArmRestriction, None) => {
                return Err(AlertError::new(
                    entry,
                    "an arm restriction names its side: 'arm-restriction left: …' or 'arm-restriction right: …'",
                ))
            }
            (AlertKind::ArmRestriction, Some(s)) => Some(Side::parse(&s).ok_or_else(|| {
                AlertError::new(entry, format!("side '{s}' is not left or right"))
            })?),
            (_, Some(s)) => {
                return Err(AlertError::new(
                    entry,
                    format!("only an arm restriction names a side, not '{s}'"),
                ))
            }
            (_, None) => None,
        };
        if text.is_empty() {
            return Err(AlertError::new(entry, "the text after the ':' is empty"));
        }
        if text.chars().count() > MAX_ALERT_TEXT {
            return Err(AlertError::new(
                entry,
                format!("the text is longer than {MAX_ALERT_TEXT} characters"),
            ));
        }
        if text.chars().any(char::is_control) {
            return Err(AlertError::new(entry, "the text holds a control character"));
        }
        Ok(PatientAlert {
            kind,
            text: text.to_owned(),
            side,
        })
    }

    /// The heading the collector reads before the text: the kind in words, and for an arm
    /// restriction the side in words (`Arm restriction: left arm`), never only a colour or icon.
    pub fn heading(&self) -> String {
        match (self.kind, self.side) {
            (AlertKind::ArmRestriction, Some(side)) => {
                format!("Arm restriction: {} arm", side.display().to_lowercase())
            }
            (kind, _) => kind.display().to_owned(),
        }
    }
}

/// The entry format of [`PatientAlert::parse_list`], so a list written with `; ` between
/// entries reads back as the same alerts.
impl std::fmt::Display for PatientAlert {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.side {
            Some(side) => write!(f, "{} {}: {}", self.kind, side, self.text),
            None => write!(f, "{}: {}", self.kind, self.text),
        }
    }
}

/// Adds `more` to `alerts`, each alert once: rows of one patient merged, or a second source
/// saying the same thing.
pub fn merge_alerts(alerts: &mut Vec<PatientAlert>, more: impl IntoIterator<Item = PatientAlert>) {
    for alert in more {
        if !alerts.contains(&alert) {
            alerts.push(alert);
        }
    }
}

/// How early a kind of alert is shown: what changes where and how the needle goes in first.
fn display_rank(kind: AlertKind) -> u8 {
    match kind {
        AlertKind::ArmRestriction => 0,
        AlertKind::Allergy => 1,
        AlertKind::Isolation => 2,
        AlertKind::BleedingRisk => 3,
        AlertKind::Other => 4,
    }
}

/// The alerts in the order they are shown: arm restrictions, then allergies, isolation,
/// bleeding risk and the rest; alerts of one kind keep the order they were given in.
pub fn alerts_for_display(alerts: &[PatientAlert]) -> Vec<&PatientAlert> {
    let mut shown: Vec<&PatientAlert> = alerts.iter().collect();
    shown.sort_by_key(|a| display_rank(a.kind));
    shown
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    fn alert(kind: AlertKind, text: &str, side: Option<Side>) -> PatientAlert {
        PatientAlert {
            kind,
            text: text.into(),
            side,
        }
    }

    #[test]
    fn a_list_of_entries_reads_as_alerts_with_the_arm_restrictions_side() {
        let alerts = PatientAlert::parse_list(
            "arm-restriction left: No draw from left arm (fistula); allergy: Latex; \
             isolation: Contact precautions",
        )
        .unwrap();
        assert_eq!(
            alerts,
            vec![
                alert(
                    AlertKind::ArmRestriction,
                    "No draw from left arm (fistula)",
                    Some(Side::Left)
                ),
                alert(AlertKind::Allergy, "Latex", None),
                alert(AlertKind::Isolation, "Contact precautions", None),
            ]
        );
    }

    #[test]
    fn kinds_and_sides_are_read_whatever_their_case_and_the_text_may_hold_a_colon() {
        let alerts =
            PatientAlert::parse_list("ARM-RESTRICTION Right : IV line; Other: note: call ward")
                .unwrap();
        assert_eq!(alerts[0].side, Some(Side::Right));
        assert_eq!(alerts[0].text, "IV line");
        assert_eq!(alerts[1], alert(AlertKind::Other, "note: call ward", None));
    }

    #[test]
    fn an_empty_cell_or_stray_separators_are_no_alerts() {
        assert_eq!(PatientAlert::parse_list("").unwrap(), vec![]);
        assert_eq!(PatientAlert::parse_list(" ; ;").unwrap(), vec![]);
        assert_eq!(
            PatientAlert::parse_list("allergy: Latex;").unwrap().len(),
            1
        );
    }

    #[test]
    fn a_repeated_entry_is_kept_once() {
        let alerts = PatientAlert::parse_list("allergy: Latex; allergy:Latex").unwrap();
        assert_eq!(alerts, vec![alert(AlertKind::Allergy, "Latex", None)]);
    }

    #[test]
    fn a_bad_entry_refuses_the_list_and_is_named_in_the_message() {
        let cases = [
            ("allergy: Latex; latex allergy", "latex allergy", "no ':'"),
            (
                "alergy: Latex",
                "alergy: Latex",
                "'alergy' is not an alert kind",
            ),
            (
                "arm-restriction: fistula",
                "arm-restriction: fistula",
                "names its side",
            ),
            (
                "arm-restriction up: fistula",
                "arm-restriction up: fistula",
                "side 'up' is not left or right",
            ),
            (
                "allergy left: Latex",
                "allergy left: Latex",
                "only an arm restriction names a side",
            ),
            ("isolation:  ", "isolation:", "empty"),
            (
                "arm-restriction left arm: IV",
                "arm-restriction left arm: IV",
                "unexpected 'arm'",
            ),
        ];
        for (list, entry, why) in cases {
            let err = PatientAlert::parse_list(list).unwrap_err();
            assert_eq!(err.entry, entry, "{list}");
            let message = err.to_string();
            assert!(message.contains(&format!("'{entry}'")), "{message}");
            assert!(message.contains(why), "{list}: {message}");
        }
    }

    #[test]
    fn an_overlong_text_or_a_control_character_is_refused() {
        let long = format!("other: {}", "x".repeat(MAX_ALERT_TEXT + 1));
        assert!(PatientAlert::parse(&long)
            .unwrap_err()
            .why
            .contains("longer than"));
        assert!(PatientAlert::parse("other: a\u{7}b")
            .unwrap_err()
            .why
            .contains("control"));
    }

    #[test]
    fn the_heading_names_an_arm_restrictions_side_in_words() {
        let arm = alert(AlertKind::ArmRestriction, "Fistula", Some(Side::Left));
        assert_eq!(arm.heading(), "Arm restriction: left arm");
        let allergy = alert(AlertKind::Allergy, "Latex", None);
        assert_eq!(allergy.heading(), "Allergy");
    }

    #[test]
    fn arm_restrictions_and_allergies_are_shown_first_and_each_kind_keeps_its_order() {
        let alerts = PatientAlert::parse_list(
            "other: Hard of hearing; isolation: Droplet; allergy: Latex; \
             bleeding-risk: On warfarin; arm-restriction right: Mastectomy side; \
             allergy: Chlorhexidine",
        )
        .unwrap();
        let shown: Vec<&str> = alerts_for_display(&alerts)
            .into_iter()
            .map(|a| a.text.as_str())
            .collect();
        assert_eq!(
            shown,
            [
                "Mastectomy side",
                "Latex",
                "Chlorhexidine",
                "Droplet",
                "On warfarin",
                "Hard of hearing"
            ]
        );
    }

    #[test]
    fn merging_adds_only_alerts_not_already_there() {
        let mut alerts = PatientAlert::parse_list("allergy: Latex").unwrap();
        merge_alerts(
            &mut alerts,
            PatientAlert::parse_list("allergy: Latex; isolation: Contact").unwrap(),
        );
        assert_eq!(alerts.len(), 2);
    }

    #[test]
    fn alerts_without_a_side_serialise_without_one() {
        let json = serde_json::to_string(&alert(AlertKind::Allergy, "Latex", None)).unwrap();
        assert_eq!(json, r#"{"kind":"allergy","text":"Latex"}"#);
    }

    #[test]
    fn a_finalized_record_keeps_the_alerts_the_note_and_the_reason_and_still_verifies_when_read() {
        use crate::collection::{Collection, CollectionId, FinalizedCollection, Order};
        use crate::planner::Device;
        use crate::test_support::{label, nurse, order, peter, t, venipuncture, wristband};

        let mut patient = peter();
        patient.alerts =
            PatientAlert::parse_list("arm-restriction left: Fistula; allergy: Latex").unwrap();
        let cbc = Order {
            note: Some("Hard stick".into()),
            recollection_reason: Some("Haemolysed".into()),
            ..order("sr-cbc-R1", "CBC")
        };
        let mut c = Collection::start(
            CollectionId(uuid::Uuid::from_u128(0x5f0c_6a3e)),
            patient.clone(),
            vec![cbc],
            &crate::site::SiteConfig::default_site(),
            Device::EvacuatedHolder,
            &nurse(),
            t("2024-05-01T08:00:00+02:00"),
        )
        .unwrap();
        let now = t("2024-05-01T08:10:00+02:00");
        c.identify(&wristband(), &Default::default(), &nurse(), now)
            .unwrap();
        venipuncture(&mut c, crate::collection::BodySite::RightAntecubital);
        c.record_draw(1, now, None, &nurse(), now).unwrap();
        label(&mut c, 1, "A0001", now);
        let f = c.finalize(&nurse(), now).unwrap();
        let json = serde_json::to_string(&f).unwrap();
        let read: FinalizedCollection = serde_json::from_str(&json).unwrap();
        assert!(read.verify());
        assert_eq!(read.record().patient().alerts, patient.alerts);
        let o = &read.record().orders()[0];
        assert_eq!(o.note.as_deref(), Some("Hard stick"));
        assert_eq!(o.recollection_reason.as_deref(), Some("Haemolysed"));
    }

    fn any_alert() -> impl Strategy<Value = PatientAlert> {
        (
            proptest::sample::select(AlertKind::ALL),
            proptest::sample::select(Side::ALL),
            "[A-Za-z0-9(),.:' -]{0,40}[A-Za-z0-9)]",
        )
            .prop_map(|(kind, side, text)| PatientAlert {
                kind,
                side: (kind == AlertKind::ArmRestriction).then_some(side),
                text: text.trim().to_owned(),
            })
    }

    proptest! {
        #[test]
        fn a_list_written_in_the_entry_format_reads_back_as_the_same_alerts(
            alerts in proptest::collection::vec(any_alert(), 0..6)
        ) {
            let mut unique = Vec::new();
            merge_alerts(&mut unique, alerts);
            let text = unique.iter().map(ToString::to_string).collect::<Vec<_>>().join("; ");
            prop_assert_eq!(PatientAlert::parse_list(&text).unwrap(), unique);
        }
    }
}
