//! Container types the site stocks: id, additive, volumes and the specimen type they yield.

use serde::{Deserialize, Serialize};

use crate::newtype::text_newtype;
use crate::wire::wire_enum;

/// Identifier of a container type in the site configuration, e.g. `gold-sst`.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct ContainerId(String);

/// Why a text is not a container id.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("'{0}' is not a container id: use 1 to 40 lower-case letters, digits and '-'")]
pub struct ContainerIdError(pub String);

impl ContainerId {
    /// Parses a container id (lower-case letters, digits and `-`, 1 to 40 characters).
    pub fn parse(text: &str) -> Result<Self, ContainerIdError> {
        let ok = !text.is_empty()
            && text.len() <= 40
            && text
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-');
        Self::checked(text.to_owned(), ok, text)
    }
}

wire_enum! {
    /// The kind of additive, which decides the discard-tube rule and the label wording.
    pub enum AdditiveClass {
        /// No additive (glass red, trace-element tubes).
        None = "none",
        /// Blood culture media or SPS.
        CultureMedium = "culture-medium",
        /// Sodium citrate: the coagulation tube.
        Citrate = "citrate",
        /// Clot activator, with or without gel.
        ClotActivator = "clot-activator",
        /// Lithium or sodium heparin.
        Heparin = "heparin",
        /// K2/K3 EDTA.
        Edta = "edta",
        /// Sodium fluoride / potassium oxalate.
        GlycolyticInhibitor = "glycolytic-inhibitor",
        /// Anything else (ACD, special tubes).
        Other = "other",
    }
}

/// Coded specimen type (HL7 table 0487) a container yields, used for FHIR `Specimen.type`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SpecimenType {
    /// Code in HL7 v2 table 0487, e.g. `SER`.
    pub code: String,
    /// Human display, e.g. `Serum`.
    pub display: String,
}

/// One container type the site stocks.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ContainerType {
    /// Stable id referenced by the catalog.
    pub id: ContainerId,
    /// Name shown to the collector and on labels.
    pub name: String,
    /// Cap colour as the collector sees it.
    pub cap: String,
    /// Additive as printed on the tube.
    pub additive: String,
    /// Additive kind; citrate marks a coagulation tube.
    pub additive_class: AdditiveClass,
    /// HL7 v2 table 0371 additive code when one is known.
    #[serde(default)]
    pub additive_code: Option<String>,
    /// Gentle inversions right after drawing.
    pub inversions: u8,
    /// Nominal draw volume of the tube.
    pub draw_volume_ml: f64,
    /// Blood volume that tests may share out of one tube.
    pub usable_volume_ml: f64,
    /// Citrate tubes must be filled to the line for the 1:9 ratio.
    #[serde(default)]
    pub fill_to_line: bool,
    /// Specimen type the container yields.
    pub specimen_type: SpecimenType,
}

impl ContainerType {
    /// True for a coagulation (citrate) tube.
    pub fn is_coagulation(&self) -> bool {
        self.additive_class == AdditiveClass::Citrate
    }
}

text_newtype!(ContainerId, ContainerIdError);
