//! Pipelines, milestones, lost reasons.

use chrono::{DateTime, Utc};
use serde::Deserialize;
use serde_json::value::RawValue;

use super::{NestedRef, nullable};

/// A pipeline.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct WirePipeline {
    /// Id.
    pub id: u64,
    /// Name.
    #[serde(default)]
    pub name: Option<String>,
    /// Description.
    #[serde(default)]
    pub description: Option<String>,
    /// Created.
    #[serde(default)]
    pub created_at: Option<DateTime<Utc>>,
    /// Updated.
    #[serde(default)]
    pub updated_at: Option<DateTime<Utc>>,
}

/// A milestone (stage) of a pipeline.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct WireMilestone {
    /// Id.
    pub id: u64,
    /// Name.
    #[serde(default)]
    pub name: Option<String>,
    /// Description.
    #[serde(default)]
    pub description: Option<String>,
    /// Default probability, as JSON text.
    #[serde(default)]
    pub probability: Option<Box<RawValue>>,
    /// Closing milestone.
    #[serde(default, deserialize_with = "nullable")]
    pub complete: bool,
    /// Days before stale (absent on closing milestones).
    #[serde(default)]
    pub days_until_stale: Option<u32>,
    /// Position.
    #[serde(default)]
    pub display_order: Option<u32>,
    /// Its pipeline.
    #[serde(default)]
    pub pipeline: Option<NestedRef>,
}

/// A lost reason (`GET /lostreasons`).
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct WireLostReason {
    /// Id.
    pub id: u64,
    /// Name.
    #[serde(default)]
    pub name: Option<String>,
}
