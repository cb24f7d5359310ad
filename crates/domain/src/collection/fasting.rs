//! Fasting status at collection and the words the collector picks it by.

use crate::wire::wire_enum;

wire_enum! {
    /// Fasting status at collection (HL7 table 0916).
    pub enum FastingStatus {
        /// The patient fasted.
        Fasting = "fasting" => "Fasting",
        /// The patient did not fast.
        NotFasting = "not-fasting" => "Not fasting (recorded on the specimen)",
        /// Not asked.
        NotGiven = "not-given" => "Not asked / unknown",
    }
}
