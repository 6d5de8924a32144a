//! Entries (notes, engagements, emails, completed-task records):
//! docs/vendors/capsule-v2-addendum.md, "Entries as engagements".

use chrono::{DateTime, Utc};
use serde::Deserialize;

use super::{NestedParty, NestedRef, NestedUser, nullable};

/// The built-in activity type of plain notes (also what an entry without one is).
pub const NOTE_ACTIVITY: i64 = -1;
/// The built-in activity type of meetings.
pub const MEETING_ACTIVITY: i64 = -2;
/// The built-in activity type of calls.
pub const CALL_ACTIVITY: i64 = -3;
/// The activity type of completed-task entries.
pub const TASK_COMPLETED_ACTIVITY: i64 = -4;
/// The activity type of sent emails (undocumented feed; seen on email entries).
pub const EMAIL_SENT_ACTIVITY: i64 = -5;
/// The activity type of received emails (same).
pub const EMAIL_RECEIVED_ACTIVITY: i64 = -6;

/// Someone an email entry was sent from or to. The shape is undocumented
/// (docs/vendors/capsule-v2-addendum.md, "Uncertain" #6): read leniently, `address` or `email`,
/// `role` or `type`.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct WireParticipant {
    /// Id of the participant row.
    pub id: Option<u64>,
    /// Display name.
    pub name: Option<String>,
    /// Email address.
    #[serde(alias = "email")]
    pub address: Option<String>,
    /// `FROM`, `TO`, `CC`, `BCC` (open).
    #[serde(alias = "type")]
    pub role: Option<String>,
}

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
    /// Everyone an email was filed against (emails only).
    #[serde(default, deserialize_with = "nullable")]
    pub parties: Vec<NestedParty>,
    /// Sender and recipients (emails only).
    #[serde(default, deserialize_with = "nullable")]
    pub participants: Vec<WireParticipant>,
}

/// What an entry is to the unified model.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EntryClass {
    /// A plain note (`type: note`, activity type Note or none): the Notes resource.
    Note,
    /// A logged call, meeting or custom activity (`type: note` with another activity type).
    Activity,
    /// A filed email (`type: email`): a read-only engagement.
    Email,
    /// A completed-task record or an unknown type: neither a note nor an engagement.
    Other,
}

impl WireEntry {
    /// The activity type's id (`None` when the entry carries none).
    pub fn activity_id(&self) -> Option<i64> {
        self.activity_type.as_ref().and_then(|a| a.id)
    }

    /// What this entry is (see [`EntryClass`]). An entry without a type counts as a note.
    pub fn class(&self) -> EntryClass {
        let kind = self.kind.as_deref().unwrap_or("note");
        if kind.eq_ignore_ascii_case("note") {
            match self.activity_id() {
                None | Some(NOTE_ACTIVITY) => EntryClass::Note,
                Some(_) => EntryClass::Activity,
            }
        } else if kind.eq_ignore_ascii_case("email") {
            EntryClass::Email
        } else {
            EntryClass::Other
        }
    }

    /// `true` for plain notes (the Notes resource).
    pub fn is_note(&self) -> bool {
        self.class() == EntryClass::Note
    }

    /// `true` for engagements: logged activities and emails.
    pub fn is_engagement(&self) -> bool {
        matches!(self.class(), EntryClass::Activity | EntryClass::Email)
    }
}
