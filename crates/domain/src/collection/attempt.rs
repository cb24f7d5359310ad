//! A venipuncture attempt as the record keeps it: site, device, when, by whom, and whether it failed.

use serde::{Deserialize, Serialize};

use super::body_site::BodySite;
use super::time::DeviceTime;
use crate::ids::CollectorId;
use crate::planner::Device;

/// One venipuncture: where the needle went in, with what, and whether the attempt failed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Venipuncture {
    /// 1-based, in the order they were made.
    pub number: u32,
    /// Where.
    pub site: BodySite,
    /// Needle (evacuated tube holder) or butterfly.
    pub device: Device,
    /// When it began.
    pub at: DeviceTime,
    /// Who.
    pub by: CollectorId,
    /// Set when the attempt failed (no blood, vein lost, haematoma).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub failed: Option<FailedAttempt>,
}

/// A failed venipuncture attempt.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FailedAttempt {
    /// When it was given up.
    pub at: DeviceTime,
    /// What happened, in the collector's words.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}
