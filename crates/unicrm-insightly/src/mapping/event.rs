//! Engagement of kind `meeting` ↔ `/Events` (docs/vendors/insightly-v3.1-addendum.md, "Events").
//!
//! | unified | Insightly |
//! |---|---|
//! | `id` | `event-` + `EVENT_ID` (see [`crate::resources::engagements`] for the id scheme) |
//! | `kind` | always `meeting` |
//! | `subject`, `body`, `location` | `TITLE`, `DETAILS`, `LOCATION` |
//! | `start_at`, `end_at`, `reminder_at` | `START_DATE_UTC`, `END_DATE_UTC`, `REMINDER_DATE_UTC` (body form `yyyy-MM-dd HH:mm:ss`, UTC) |
//! | `all_day` | `ALL_DAY` |
//! | `owner_id` | `OWNER_USER_ID` |
//! | `contact_id`, `account_id`, `opportunity_id`, `project_id`, `lead_id` | the first `LINKS` to a `Contact`, `Organisation`, `Opportunity`, `Project`, `Lead` |
//! | `participants` | one per `Contact` link (read-only): `ROLE` "Host"/"Organizer" → organizer, "Attendee" → attendee, other roles stay in `links[].role` |
//! | `links` | `LINKS` (with `ROLE`) |
//! | `custom_fields` | `CUSTOMFIELDS`, typed by `GET /CustomFields/Events` |
//!
//! Events have no `TAGS`, status, direction, attendee list, recurrence or time zone ("Event
//! fields"). `START_DATE_UTC` and `END_DATE_UTC` are required: a create without them is
//! refused with a `Validation` error before anything is sent, and so is a patch that clears
//! one. An end before the start is refused the same way (the simulator answers 400; the
//! vendor's behaviour is undocumented, "Uncertain" #6).

use serde_json::value::RawValue;
use unicrm_core::{
    Engagement, EngagementKind, EngagementPatch, Error, NewEngagement, Participant,
    ParticipantRole, Patch, RecordLink, ResourceKind, Result,
};

use super::{Definitions, Mode, custom_fields, dates, id, links, put, put_id, put_str, text};
use crate::wire::{Body, EventWire};

/// The prefix of an event's unified id.
pub const ID_PREFIX: &str = "event-";

/// The unified id of event `n`.
pub fn engagement_id(n: u64) -> unicrm_core::EngagementId {
    unicrm_core::EngagementId::new(format!("{ID_PREFIX}{n}"))
}

/// Reads an event from its JSON text.
pub fn from_json(text: &RawValue, defs: &Definitions) -> Result<Engagement> {
    from_json_at(text, defs, "")
}

/// [`from_json`], with `prefix` prepended to decode error paths.
pub fn from_json_at(text: &RawValue, defs: &Definitions, prefix: &str) -> Result<Engagement> {
    super::read_json(text, prefix, |w: EventWire, raw| from_wire(w, raw, defs))
}

fn participant_role(role: Option<&str>) -> Option<ParticipantRole> {
    match role?.trim().to_ascii_lowercase().as_str() {
        "host" | "organizer" | "organiser" => Some(ParticipantRole::Organizer),
        "attendee" => Some(ParticipantRole::Attendee),
        _ => None,
    }
}

/// The participants an event's links describe (its `Contact` links).
pub fn participants(all: &[RecordLink]) -> Vec<Participant> {
    all.iter()
        .filter(|l| l.kind.as_ref() == Some(&ResourceKind::Contact))
        .map(|l| Participant {
            contact_id: Some(l.id.as_str().into()),
            role: participant_role(l.role.as_deref()),
            ..Participant::default()
        })
        .collect()
}

/// Maps a decoded event.
pub fn from_wire(w: EventWire, raw: unicrm_core::RawPayload, defs: &Definitions) -> Engagement {
    let all = links::read(&w.links);
    let first = |k: ResourceKind| links::first_of(&all, &k);
    Engagement {
        id: w.event_id.map(engagement_id).unwrap_or_default(),
        kind: EngagementKind::Meeting,
        subject: text(&w.title),
        body: text(&w.details),
        start_at: dates::datetime(w.start_date_utc.as_ref()),
        end_at: dates::datetime(w.end_date_utc.as_ref()),
        all_day: w.all_day,
        location: text(&w.location),
        reminder_at: dates::datetime(w.reminder_date_utc.as_ref()),
        owner_id: id(w.owner_user_id),
        contact_id: first(ResourceKind::Contact).map(Into::into),
        account_id: first(ResourceKind::Account).map(Into::into),
        opportunity_id: first(ResourceKind::Opportunity).map(Into::into),
        project_id: first(ResourceKind::Project).map(Into::into),
        lead_id: first(ResourceKind::Lead).map(Into::into),
        participants: participants(&all),
        custom_fields: custom_fields::read(&w.customfields, defs),
        links: all,
        created_at: dates::datetime(w.date_created_utc.as_ref()),
        updated_at: dates::datetime(w.date_updated_utc.as_ref()),
        raw: Some(raw),
        ..Engagement::default()
    }
}

/// Refuses a kind an event cannot hold.
pub fn check_kind(kind: &EngagementKind) -> Result<()> {
    match kind {
        EngagementKind::Meeting => Ok(()),
        other => Err(Error::unsupported(
            format!("engagements.create (kind {})", other.as_str()),
            crate::VENDOR,
        )),
    }
}

fn required(field: &str, unified: &str) -> Error {
    Error::Validation {
        message: format!(
            "an Insightly event needs {field} (unified `{unified}`); nothing was sent"
        ),
        fields: vec![unicrm_core::FieldError {
            field: Some(unified.to_string()),
            resource: Some("engagements".into()),
            message: format!("{field} is required"),
        }],
    }
}

/// Every link a new event asks for: `links`, then `contact_id`, `account_id`,
/// `opportunity_id`, `project_id`, `lead_id`, without repeats.
pub fn wanted_links(new: &NewEngagement) -> Vec<RecordLink> {
    let mut all = new.links.clone();
    let singles: [(ResourceKind, Option<String>); 5] = [
        (
            ResourceKind::Contact,
            new.contact_id.as_ref().map(|v| v.to_string()),
        ),
        (
            ResourceKind::Account,
            new.account_id.as_ref().map(|v| v.to_string()),
        ),
        (
            ResourceKind::Opportunity,
            new.opportunity_id.as_ref().map(|v| v.to_string()),
        ),
        (
            ResourceKind::Project,
            new.project_id.as_ref().map(|v| v.to_string()),
        ),
        (
            ResourceKind::Lead,
            new.lead_id.as_ref().map(|v| v.to_string()),
        ),
    ];
    for (kind, v) in singles {
        if let Some(v) = v {
            all.push(links::link(kind, &v));
        }
    }
    links::dedup(all)
}

/// The POST body for a new event; refuses a kind other than `meeting` (`Unsupported`) and a
/// missing start or end (`Validation`) before anything is sent.
pub fn create_body(new: &NewEngagement, defs: &Definitions) -> Result<Body> {
    check_kind(&new.kind)?;
    let start = new
        .start_at
        .ok_or_else(|| required("START_DATE_UTC", "start_at"))?;
    let end = new
        .end_at
        .ok_or_else(|| required("END_DATE_UTC", "end_at"))?;
    check_order(Some(start), Some(end))?;
    let wanted = wanted_links(new);
    let mut patch = EngagementPatch::from(new.clone());
    // Links travel in the body's LINKS; the single-link fields are not body fields.
    patch.links = Patch::Unchanged;
    let body = patch_body(&patch, defs, Mode::Create)?;
    super::with_links(body, &wanted)
}

fn check_order(
    start: Option<chrono::DateTime<chrono::Utc>>,
    end: Option<chrono::DateTime<chrono::Utc>>,
) -> Result<()> {
    match (start, end) {
        (Some(s), Some(e)) if e < s => Err(Error::Validation {
            message: "an Insightly event cannot end before it starts".into(),
            fields: vec![unicrm_core::FieldError {
                field: Some("end_at".into()),
                resource: Some("engagements".into()),
                message: "END_DATE_UTC is before START_DATE_UTC".into(),
            }],
        }),
        _ => Ok(()),
    }
}

/// The fields of a patch: exactly those it touches. Clearing `start_at` or `end_at` is
/// refused (both are required); changing `kind` to anything but `meeting` is `Unsupported`.
pub fn patch_body(p: &EngagementPatch, defs: &Definitions, mode: Mode) -> Result<Body> {
    match &p.kind {
        Patch::Set(k) => check_kind(k)?,
        Patch::Clear => check_kind(&EngagementKind::Other(String::new()))?,
        Patch::Unchanged => {}
    }
    if matches!(p.start_at, Patch::Clear) {
        return Err(required("START_DATE_UTC", "start_at"));
    }
    if matches!(p.end_at, Patch::Clear) {
        return Err(required("END_DATE_UTC", "end_at"));
    }
    if let (Patch::Set(s), Patch::Set(e)) = (&p.start_at, &p.end_at) {
        check_order(Some(*s), Some(*e))?;
    }
    let mut b = Body::new();
    put_str(&mut b, "TITLE", &p.subject)?;
    put_str(&mut b, "DETAILS", &p.body)?;
    put_str(&mut b, "LOCATION", &p.location)?;
    let dt = |d: &chrono::DateTime<chrono::Utc>| Ok(dates::format_datetime(d));
    put(&mut b, "START_DATE_UTC", &p.start_at, dt)?;
    put(&mut b, "END_DATE_UTC", &p.end_at, dt)?;
    put(&mut b, "REMINDER_DATE_UTC", &p.reminder_at, dt)?;
    put(&mut b, "ALL_DAY", &p.all_day, |v| Ok(*v))?;
    put_id(&mut b, "OWNER_USER_ID", &p.owner_id)?;
    custom_fields::put(&mut b, &p.custom_fields, defs)?;
    super::finish(b, mode, &p.vendor_fields)
}
