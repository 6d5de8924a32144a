//! REST hooks.

use chrono::{DateTime, Utc};
use serde::Deserialize;

use super::nullable;

/// A REST hook subscription.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct WireRestHook {
    /// Id.
    pub id: u64,
    /// Event name (`party/updated`).
    #[serde(default)]
    pub event: Option<String>,
    /// Where deliveries go.
    #[serde(default)]
    pub target_url: Option<String>,
    /// Description.
    #[serde(default)]
    pub description: Option<String>,
    /// Extra data in deliveries (`tags,fields`).
    #[serde(default)]
    pub embed: Option<String>,
    /// Batched deliveries.
    #[serde(default, deserialize_with = "nullable")]
    pub batched: bool,
    /// Created.
    #[serde(default)]
    pub created_at: Option<DateTime<Utc>>,
    /// Updated.
    #[serde(default)]
    pub updated_at: Option<DateTime<Utc>>,
}
