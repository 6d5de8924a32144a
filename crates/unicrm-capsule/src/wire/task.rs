//! Tasks and task categories.

use chrono::{DateTime, NaiveDate, Utc};
use serde::Deserialize;

use super::{NestedParty, NestedRef, NestedUser};

/// A task as `GET /tasks/{id}` returns it.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct WireTask {
    /// Id.
    pub id: u64,
    /// The task's title.
    #[serde(default)]
    pub description: Option<String>,
    /// Longer text.
    #[serde(default)]
    pub detail: Option<String>,
    /// Category.
    #[serde(default)]
    pub category: Option<NestedRef>,
    /// Due date.
    #[serde(default)]
    pub due_on: Option<NaiveDate>,
    /// Due time, user's local time (`HH:MM:SS` or `HH:MM`).
    #[serde(default)]
    pub due_time: Option<String>,
    /// `OPEN`, `COMPLETED`, `PENDING` (open).
    #[serde(default)]
    pub status: Option<String>,
    /// Linked party.
    #[serde(default)]
    pub party: Option<NestedParty>,
    /// Linked opportunity.
    #[serde(default)]
    pub opportunity: Option<NestedRef>,
    /// Linked project.
    #[serde(default)]
    pub kase: Option<NestedRef>,
    /// Owner.
    #[serde(default)]
    pub owner: Option<NestedUser>,
    /// Completion time.
    #[serde(default)]
    pub completed_at: Option<DateTime<Utc>>,
    /// Created.
    #[serde(default)]
    pub created_at: Option<DateTime<Utc>>,
    /// Updated.
    #[serde(default)]
    pub updated_at: Option<DateTime<Utc>>,
}
