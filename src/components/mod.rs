//! Reusable pieces of the screens, one module per component.

pub mod acknowledge_stop;
pub mod barcode;
pub mod camera_scan;
pub mod collection_frame;
pub mod dead_end;
pub mod error_note;
pub mod field;
pub mod hard_stop;
pub mod lab_info;
pub mod label_preview;
pub mod last_dose_entry;
pub mod next_step;
pub mod patient_banner;
pub mod scan_field;
pub mod screen;
pub mod second_scan;
pub mod status_bar;
pub mod step_bar;
pub mod supervisor_frame;
pub mod tube_card;
pub mod update_banner;
pub mod wrong_patient_stop;
