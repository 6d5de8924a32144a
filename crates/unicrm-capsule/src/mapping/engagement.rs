//! Capsule entry (a logged activity or a filed email) ↔ unified [`Engagement`]
//! (docs/vendors/capsule-v2-addendum.md, "Entries as engagements", "Mapping to the unified
//! Engagement").
//!
//! | Capsule | unified |
//! |---|---|
//! | `activityType` -2 / -3 | `kind` meeting / call |
//! | `activityType` of a custom type | `kind` `Other(<type name>)` (the type's own kind is on the engagement type) |
//! | `type: email` | `kind` email (read-only) |
//! | `activityType.id`, `.name` | `engagement_type_id`, `engagement_type_name` |
//! | `subject` (emails) | `subject` |
//! | `content` | `body` |
//! | `entryAt` | `start_at` (`end_at` is always `None`: entries have no end or duration) |
//! | `creator` | `owner_id` (read-only: always the token's user) |
//! | `party` | `contact_id` (person) or `account_id` (organisation) |
//! | `opportunity`, `kase` | `opportunity_id`, `project_id` |
//! | `participants` (emails) | `participants` (`FROM`/`TO`/`CC`/`BCC` roles) |
//! | email activity -5 / -6 | `direction` outbound / inbound |
//!
//! Which entries are engagements: `type: note` entries whose activity type is **not** the
//! built-in Note (-1; those stay notes), and `type: email` entries. Entries of `type: task`
//! (the "Task completed" records a completed task leaves behind) are neither: the task
//! itself is in the Tasks resource, and reporting its trace again would count it twice.
//!
//! `status` is `completed` for logged activities (they took place) and absent for emails.
//! A non-email subject is not derived from the body: it would change with every body edit.
//! Not stored by Capsule (the capability table leaves them out): `subject` on activities,
//! `end_at`, `all_day`, `status`, `direction`, `location`, `reminder_at`, `assignee_id`,
//! `lead_id`, `calendar_id`, `participants`, `custom_fields`, `links`.

use unicrm_core::error::{Error, Result};
use unicrm_core::{
    AccountId, ContactId, Direction, Engagement, EngagementId, EngagementKind, EngagementPatch,
    EngagementStatus, EngagementTypeId, FieldError, NewEngagement, OpportunityId, Participant,
    ParticipantRole, Patch, ProjectId, UserId,
};

use super::{Body, IdRef, format_datetime, non_empty, numeric_id};
use crate::wire::{
    CALL_ACTIVITY, Decoded, EMAIL_RECEIVED_ACTIVITY, EMAIL_SENT_ACTIVITY, EntryClass,
    MEETING_ACTIVITY, NOTE_ACTIVITY, WireEntry,
};

/// The unified kind of an engagement entry.
pub fn engagement_kind(e: &WireEntry) -> EngagementKind {
    if e.class() == EntryClass::Email {
        return EngagementKind::Email;
    }
    match e.activity_id() {
        Some(MEETING_ACTIVITY) => EngagementKind::Meeting,
        Some(CALL_ACTIVITY) => EngagementKind::Call,
        Some(EMAIL_SENT_ACTIVITY | EMAIL_RECEIVED_ACTIVITY) => EngagementKind::Email,
        id => {
            let name = e.activity_type.as_ref().and_then(|a| non_empty(&a.name));
            EngagementKind::Other(
                name.unwrap_or_else(|| format!("activity {}", id.unwrap_or_default())),
            )
        }
    }
}

fn participant(p: &crate::wire::WireParticipant) -> Participant {
    Participant {
        name: non_empty(&p.name),
        email: non_empty(&p.address),
        role: p.role.as_deref().map(ParticipantRole::parse),
        contact_id: None,
        user_id: None,
    }
}

/// An entry → engagement (the caller checked [`WireEntry::is_engagement`]).
pub fn engagement_from_wire(d: &Decoded<WireEntry>) -> Engagement {
    let e = &d.wire;
    let (contact_id, account_id) = match &e.party {
        Some(p) => match (p.id, p.kind.as_deref()) {
            (Some(id), Some(k)) if k.eq_ignore_ascii_case("organisation") => {
                (None, Some(AccountId::from(id)))
            }
            (Some(id), _) => (Some(ContactId::from(id)), None),
            _ => (None, None),
        },
        None => (None, None),
    };
    let email = e.class() == EntryClass::Email;
    let direction = match e.activity_id() {
        Some(EMAIL_SENT_ACTIVITY) => Some(Direction::Outbound),
        Some(EMAIL_RECEIVED_ACTIVITY) => Some(Direction::Inbound),
        _ => None,
    };
    Engagement {
        id: EngagementId::from(e.id),
        kind: engagement_kind(e),
        engagement_type_id: e
            .activity_id()
            .map(|id| EngagementTypeId::from(id.to_string())),
        engagement_type_name: e.activity_type.as_ref().and_then(|a| non_empty(&a.name)),
        subject: if email { non_empty(&e.subject) } else { None },
        body: e.content.clone(),
        start_at: e.entry_at,
        end_at: None,
        all_day: None,
        status: (!email).then_some(EngagementStatus::Completed),
        direction,
        location: None,
        reminder_at: None,
        owner_id: e.creator.as_ref().and_then(|c| c.id).map(UserId::from),
        assignee_id: None,
        contact_id,
        account_id,
        opportunity_id: e
            .opportunity
            .as_ref()
            .and_then(|o| o.id)
            .map(|id| OpportunityId::from(id.to_string())),
        project_id: e
            .kase
            .as_ref()
            .and_then(|k| k.id)
            .map(|id| ProjectId::from(id.to_string())),
        lead_id: None,
        calendar_id: None,
        participants: e.participants.iter().map(participant).collect(),
        custom_fields: Vec::new(),
        links: Vec::new(),
        created_at: e.created_at,
        updated_at: e.updated_at,
        raw: Some(d.raw.clone()),
    }
}

/// How the activity type of a write is chosen.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ActivityChoice {
    /// This id (a built-in, or the caller's `engagement_type_id`).
    Id(i64),
    /// A custom type to look up by name.
    Named(String),
}

fn kind_field_error(message: String) -> Error {
    Error::Validation {
        message,
        fields: vec![FieldError {
            field: Some("kind".into()),
            resource: None,
            message: "call, meeting or a custom activity type".into(),
        }],
    }
}

/// The activity type for `kind` / `type_id` (a write). Email and appointment engagements
/// cannot be created in Capsule (`Error::Unsupported`); a Note is a note (the Notes resource).
pub fn activity_choice(
    kind: &EngagementKind,
    type_id: Option<&EngagementTypeId>,
) -> Result<ActivityChoice> {
    match kind {
        EngagementKind::Email => {
            return Err(Error::unsupported(
                "engagement.create (email: Capsule files emails, the API cannot write them)",
                "capsule",
            ));
        }
        EngagementKind::Appointment => {
            return Err(Error::unsupported(
                "engagement.create (appointment: Capsule has no calendar)",
                "capsule",
            ));
        }
        _ => {}
    }
    if let Some(id) = type_id {
        let id: i64 = id.as_str().trim().parse().map_err(|_| Error::Validation {
            message: format!("engagement_type_id must be a Capsule activity type id, got {id:?}"),
            fields: vec![FieldError {
                field: Some("engagement_type_id".into()),
                resource: None,
                message: "not a Capsule id".into(),
            }],
        })?;
        return match id {
            NOTE_ACTIVITY => Err(kind_field_error(
                "activity type -1 (Note) makes a note: use the notes resource".into(),
            )),
            EMAIL_SENT_ACTIVITY | EMAIL_RECEIVED_ACTIVITY => Err(Error::unsupported(
                "engagement.create (email activity types)",
                "capsule",
            )),
            id => Ok(ActivityChoice::Id(id)),
        };
    }
    match kind {
        EngagementKind::Meeting => Ok(ActivityChoice::Id(MEETING_ACTIVITY)),
        EngagementKind::Call => Ok(ActivityChoice::Id(CALL_ACTIVITY)),
        EngagementKind::Other(name) if name.trim().eq_ignore_ascii_case("note") => Err(
            kind_field_error("a Note entry is a note: use the notes resource".into()),
        ),
        EngagementKind::Other(name) if !name.trim().is_empty() => {
            Ok(ActivityChoice::Named(name.trim().to_string()))
        }
        other => Err(kind_field_error(format!(
            "capsule cannot write an engagement of kind {other:?}"
        ))),
    }
}

fn link_error() -> Error {
    let field = |f: &str| FieldError {
        field: Some(f.into()),
        resource: None,
        message: "exactly one of these must be set".into(),
    };
    Error::Validation {
        message: "a Capsule engagement belongs to exactly one record: set one of contact_id, \
                  account_id, opportunity_id or project_id"
            .into(),
        fields: ["contact_id", "account_id", "opportunity_id", "project_id"]
            .into_iter()
            .map(field)
            .collect(),
    }
}

/// The `(key, id)` of the one record a new engagement belongs to.
pub fn related_record(n: &NewEngagement) -> Result<(&'static str, u64)> {
    let mut found = Vec::new();
    if let Some(c) = &n.contact_id {
        found.push(("party", numeric_id(c.as_str(), "contact_id")?));
    }
    if let Some(a) = &n.account_id {
        found.push(("party", numeric_id(a.as_str(), "account_id")?));
    }
    if let Some(o) = &n.opportunity_id {
        found.push(("opportunity", numeric_id(o.as_str(), "opportunity_id")?));
    }
    if let Some(p) = &n.project_id {
        found.push(("kase", numeric_id(p.as_str(), "project_id")?));
    }
    match found.as_slice() {
        [one] => Ok(*one),
        _ => Err(link_error()),
    }
}

/// `{"id": -3}`.
#[derive(serde::Serialize)]
struct ActivityRef {
    id: i64,
}

/// Checks what a create can be refused for without the activity type: the body and the one
/// related record (typed validation errors, before any request).
pub fn check_new(n: &NewEngagement) -> Result<(&'static str, u64)> {
    if n.body.as_deref().is_none_or(|b| b.trim().is_empty()) {
        return Err(Error::Validation {
            message: "a Capsule engagement needs a body (the entry's content)".into(),
            fields: vec![FieldError {
                field: Some("body".into()),
                resource: None,
                message: "required".into(),
            }],
        });
    }
    related_record(n)
}

/// The body of `POST /entries` for an engagement of activity type `activity`.
pub fn new_engagement_to_wire(n: &NewEngagement, activity: i64) -> Result<Body> {
    let (key, id) = check_new(n)?;
    let mut b = Body::new();
    b.set("type", "note")?;
    b.set("content", n.body.as_deref().unwrap_or_default())?;
    b.set(key, &IdRef { id })?;
    b.set("activityType", &ActivityRef { id: activity })?;
    if let Some(at) = &n.start_at {
        b.set("entryAt", &format_datetime(at))?;
    }
    b.merge_vendor_fields(&n.vendor_fields)?;
    Ok(b)
}

/// Whether a patch changes the activity type (`kind` or `engagement_type_id`).
pub fn patch_changes_type(p: &EngagementPatch) -> bool {
    !p.kind.is_unchanged() || !p.engagement_type_id.is_unchanged()
}

/// The body of `PUT /entries/{id}`: `content`, `entryAt` and `activityType` (when
/// `activity` is given). Moving an engagement to another record is unsupported.
pub fn engagement_patch_to_wire(p: &EngagementPatch, activity: Option<i64>) -> Result<Body> {
    let mut b = Body::new();
    match &p.body {
        Patch::Unchanged => {}
        Patch::Set(c) if !c.trim().is_empty() => b.set("content", c)?,
        _ => return Err(Error::validation("a Capsule engagement needs a body")),
    }
    match &p.start_at {
        Patch::Unchanged => {}
        Patch::Set(at) => b.set("entryAt", &format_datetime(at))?,
        Patch::Clear => {
            return Err(Error::validation(
                "a Capsule engagement always has a start (entryAt)",
            ));
        }
    }
    if let Some(a) = activity {
        b.set("activityType", &ActivityRef { id: a })?;
    }
    let relinks = [
        !p.contact_id.is_unchanged(),
        !p.account_id.is_unchanged(),
        !p.opportunity_id.is_unchanged(),
        !p.project_id.is_unchanged(),
    ];
    if relinks.iter().any(|r| *r) {
        return Err(Error::unsupported(
            "engagement.update (moving an engagement to another record)",
            "capsule",
        ));
    }
    b.merge_vendor_fields(&p.vendor_fields)?;
    Ok(b)
}
