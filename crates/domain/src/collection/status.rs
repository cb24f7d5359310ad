//! Where a collection record is in its life, from draft to finalized.

use crate::wire::wire_enum;

wire_enum! {
    /// Where the record is in its life.
    pub enum Status {
        /// Started, patient not yet identified.
        Draft = "draft",
        /// Patient positively identified.
        Identified = "identified",
        /// Every tube to collect is drawn (or excepted).
        TubesDrawn = "tubes-drawn",
        /// Every drawn tube is labelled.
        Labelled = "labelled",
        /// Locked; only a new version can change it.
        Finalized = "finalized",
    }
}
