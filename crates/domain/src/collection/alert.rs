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
