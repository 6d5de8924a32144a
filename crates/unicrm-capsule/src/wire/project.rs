//! Projects (`kases`), boards and stages (docs/vendors/capsule-v2-addendum.md, "Projects").

use chrono::{DateTime, NaiveDate, Utc};
use serde::Deserialize;

use super::{FieldRow, NestedParty, NestedRef, NestedUser, TagRow};

/// A project as `GET /kases/{id}` returns it. The project has no `board` key: its board is
/// its stage's board.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct WireKase {
    /// Id.
    pub id: u64,
    /// Name.
    #[serde(default)]
    pub name: Option<String>,
    /// Description.
    #[serde(default)]
    pub description: Option<String>,
    /// `OPEN` or `CLOSED` (open).
    #[serde(default)]
    pub status: Option<String>,
    /// Main party.
    #[serde(default)]
    pub party: Option<NestedParty>,
    /// The opportunity the project supports.
    #[serde(default)]
    pub opportunity: Option<NestedRef>,
    /// Owner.
    #[serde(default)]
    pub owner: Option<NestedUser>,
    /// Team.
    #[serde(default)]
    pub team: Option<NestedRef>,
    /// Board column.
    #[serde(default)]
    pub stage: Option<NestedRef>,
    /// Expected close.
    #[serde(default)]
    pub expected_close_on: Option<NaiveDate>,
    /// Closed (read-only).
    #[serde(default)]
    pub closed_on: Option<NaiveDate>,
    /// Undocumented start date (seen as `null`).
    #[serde(default)]
    pub start_on: Option<NaiveDate>,
    /// Last contact.
    #[serde(default)]
    pub last_contacted_at: Option<DateTime<Utc>>,
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

/// A board (`GET /boards`).
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct WireBoard {
    /// Id.
    pub id: u64,
    /// Name.
    #[serde(default)]
    pub name: Option<String>,
    /// Description (may be missing).
    #[serde(default)]
    pub description: Option<String>,
    /// Created.
    #[serde(default)]
    pub created_at: Option<DateTime<Utc>>,
    /// Updated.
    #[serde(default)]
    pub updated_at: Option<DateTime<Utc>>,
}

/// A stage of a board (`GET /boards/{id}/stages`, `GET /stages`).
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct WireStage {
    /// Id.
    pub id: u64,
    /// Name.
    #[serde(default)]
    pub name: Option<String>,
    /// Description (optional).
    #[serde(default)]
    pub description: Option<String>,
    /// Its board.
    #[serde(default)]
    pub board: Option<NestedRef>,
    /// Position, from 1.
    #[serde(default)]
    pub display_order: Option<u32>,
    /// Created.
    #[serde(default)]
    pub created_at: Option<DateTime<Utc>>,
    /// Updated.
    #[serde(default)]
    pub updated_at: Option<DateTime<Utc>>,
}
