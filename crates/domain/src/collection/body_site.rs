//! Where the needle went in: the venipuncture sites a collector picks, coded by HL7 v2 table 0163.

use super::alert::Side;
use crate::wire::wire_enum;

/// The code system of [`BodySite`] codes in FHIR (`Specimen.collection.bodySite`).
pub const BODY_SITE_SYSTEM: &str = "http://terminology.hl7.org/CodeSystem/v2-0163";

wire_enum! {
    /// A venipuncture site; the wire spelling is the HL7 v2 table 0163 code (also SPM-8).
    pub enum BodySite {
        /// Left antecubital fossa.
        LeftAntecubital = "LACF" => "Left antecubital fossa",
        /// Right antecubital fossa.
        RightAntecubital = "RACF" => "Right antecubital fossa",
        /// Left forearm.
        LeftForearm = "LMFA" => "Left forearm",
        /// Right forearm.
        RightForearm = "RMFA" => "Right forearm",
        /// Back of the left hand.
        LeftHand = "LH" => "Left hand",
        /// Back of the right hand.
        RightHand = "RH" => "Right hand",
        /// Left foot.
        LeftFoot = "LF" => "Left foot",
        /// Right foot.
        RightFoot = "RF" => "Right foot",
    }
}

impl BodySite {
    /// The HL7 v2 table 0163 code.
    pub fn code(self) -> &'static str {
        self.as_str()
    }

    /// The side of the body the site is on.
    pub fn side(self) -> Side {
        match self {
            BodySite::LeftAntecubital
            | BodySite::LeftForearm
            | BodySite::LeftHand
            | BodySite::LeftFoot => Side::Left,
            _ => Side::Right,
        }
    }

    /// True for a site on an arm or hand (an arm restriction applies to it).
    pub fn on_arm(self) -> bool {
        !matches!(self, BodySite::LeftFoot | BodySite::RightFoot)
    }
}
