//! Entries (notes, emails, completed-task records).

use chrono::{DateTime, Utc};
use serde::Deserialize;

use super::{NestedParty, NestedRef, NestedUser};

/// An entry as `GET /entries/{id}` returns it.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct WireEntry {
    /// Id.
    pub id: u64,
    /// `note`, `email`, `task` (open).
    #[serde(default, rename = "type")]
    pub kind: Option<String>,
    /// Body.
    #[serde(default)]
    pub content: Option<String>,
    /// Subject (emails).
    #[serde(default)]
    pub subject: Option<String>,
    /// When it happened.
    #[serde(default)]
    pub entry_at: Option<DateTime<Utc>>,
    /// Created.
    #[serde(default)]
    pub created_at: Option<DateTime<Utc>>,
    /// Updated.
    #[serde(default)]
    pub updated_at: Option<DateTime<Utc>>,
    /// Author.
    #[serde(default)]
    pub creator: Option<NestedUser>,
    /// `{id, name}`: Note, Meeting, Call, …
    #[serde(default)]
    pub activity_type: Option<NestedRef>,
    /// Linked party.
    #[serde(default)]
    pub party: Option<NestedParty>,
    /// Linked opportunity.
    #[serde(default)]
    pub opportunity: Option<NestedRef>,
    /// Linked project.
    #[serde(default)]
    pub kase: Option<NestedRef>,
}

impl WireEntry {
    /// `true` for notes (`type: note`; an entry without a type counts as a note).
    pub fn is_note(&self) -> bool {
        self.kind
            .as_deref()
            .is_none_or(|k| k.eq_ignore_ascii_case("note"))
    }
}
