//! Drawline's clinical rules and shared protocol types, pure Rust for the app (wasm) and the lab server (native).

pub mod accession;
pub mod api;
pub mod catalog;
pub mod clock_text;
pub mod collection;
pub mod config_error;
pub mod container;
pub mod fhir;
#[cfg(any(test, feature = "test-support"))]
pub mod fhir_validator;
pub mod hash;
pub mod identification;
mod ids;
pub mod instant_range;
pub mod instructions;
pub mod label;
mod newtype;
pub mod order_of_draw;
pub mod planner;
pub mod safety;
pub mod scanned;
pub mod site;
#[cfg(any(test, feature = "test-support"))]
pub mod test_support;
pub mod wire;

pub use catalog::{Catalog, Handling, Labelling, TestCode, TestDefinition, Timing};
pub use collection::{
    sort_draw_list, AccessionNumber, Collection, CollectionError, CollectionId, CollectorId,
    DeviceTime, FinalizedCollection, NotCollectedReason, Order, OrderId, Patient, PatientId,
    Priority, ReceivedCollectionError, Scope, Status,
};
pub use hash::ContentHash;
pub use identification::{
    identify, look_alikes, CaptureMethod, Evidence, IdentificationError, IdentifyContext, Mrn,
    PatientIdentity, PersonName, WristbandError,
};
pub use label::{label_for, LabelContent, SecondIdentifier};
pub use order_of_draw::{ContainerId, ContainerType, OrderOfDraw};
pub use planner::{render_table, Device, PlanError, PlannedTube, Planner, TubePlan};
pub use site::{ConfigError, ConfigProblem, SiteConfig};
