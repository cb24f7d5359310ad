//! Fasting status at collection and the words the collector picks it by.

use crate::wire::wire_enum;

wire_enum! {
    /// Fasting status at collection (HL7 table 0916).
    #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
    pub enum FastingStatus {
        /// The patient fasted.
        Fasting = "fasting",
        /// The patient did not fast.
        NotFasting = "not-fasting",
        /// Not asked.
        NotGiven = "not-given",
    }
}

impl FastingStatus {
    /// The choice as the collector reads it.
    pub fn display(self) -> &'static str {
        match self {
            FastingStatus::Fasting => "Fasting",
            FastingStatus::NotFasting => "Not fasting (recorded on the specimen)",
            FastingStatus::NotGiven => "Not asked / unknown",
        }
    }
}
