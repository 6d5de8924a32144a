//! Opportunities.

use chrono::{DateTime, NaiveDate, Utc};
use serde::Deserialize;
use serde_json::value::RawValue;

use super::{FieldRow, NestedParty, NestedRef, NestedUser, TagRow};

/// `{amount, currency}`; the amount is kept as its JSON text.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct WireMoney {
    /// The JSON number, exactly as sent.
    pub amount: Option<Box<RawValue>>,
    /// ISO 4217 code.
    pub currency: Option<String>,
}

/// An opportunity as `GET /opportunities/{id}` returns it.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct WireOpportunity {
    /// Id.
    pub id: u64,
    /// Name.
    #[serde(default)]
    pub name: Option<String>,
    /// Description.
    #[serde(default)]
    pub description: Option<String>,
    /// Main party.
    #[serde(default)]
    pub party: Option<NestedParty>,
    /// Current milestone.
    #[serde(default)]
    pub milestone: Option<NestedRef>,
    /// Open milestone before closing.
    #[serde(default)]
    pub last_open_milestone: Option<NestedRef>,
    /// Why it was lost.
    #[serde(default)]
    pub lost_reason: Option<NestedRef>,
    /// Value.
    #[serde(default)]
    pub value: Option<WireMoney>,
    /// Expected close.
    #[serde(default)]
    pub expected_close_on: Option<NaiveDate>,
    /// Probability, 0..100, as JSON text.
    #[serde(default)]
    pub probability: Option<Box<RawValue>>,
    /// `FIXED`, `HOUR`, `DAY`, `WEEK`, `MONTH`, `QUARTER`, `YEAR`.
    #[serde(default)]
    pub duration_basis: Option<String>,
    /// Number of periods.
    #[serde(default)]
    pub duration: Option<i64>,
    /// Closed.
    #[serde(default)]
    pub closed_on: Option<NaiveDate>,
    /// Owner.
    #[serde(default)]
    pub owner: Option<NestedUser>,
    /// Team.
    #[serde(default)]
    pub team: Option<NestedRef>,
    /// Last contact.
    #[serde(default)]
    pub last_contacted_at: Option<DateTime<Utc>>,
    /// Last milestone change.
    #[serde(default)]
    pub last_stage_changed_at: Option<DateTime<Utc>>,
    /// Created.
    #[serde(default)]
    pub created_at: Option<DateTime<Utc>>,
    /// Updated.
    #[serde(default)]
    pub updated_at: Option<DateTime<Utc>>,
    /// Tags (embed).
    #[serde(default)]
    pub tags: Option<Vec<TagRow>>,
    /// Custom fields (embed).
    #[serde(default)]
    pub fields: Option<Vec<FieldRow>>,
}
