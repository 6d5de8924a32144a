//! HighLevel appointment ↔ unified `Engagement` (docs/vendors/highlevel-v2.md, "Calendars and
//! appointments").
//!
//! | HighLevel | unified |
//! | --- | --- |
//! | `id` | `id` |
//! | (an event with `meetingLocationType`) | `kind` `meeting`, else `appointment` |
//! | `title` | `subject` |
//! | `description`, else `notes` | `body` |
//! | `startTime`, `endTime` (ISO with an offset) | `start_at`, `end_at` (UTC) |
//! | `appointmentStatus` (or the live `appoinmentStatus`) | `status`: new → scheduled, confirmed, cancelled, showed, noshow → no_show, invalid, completed; others kept |
//! | `address` | `location` |
//! | `assignedUserId` | `owner_id` |
//! | `users` (secondary owners) | `participants` (attendees, read only) |
//! | `contactId`, `calendarId` | `contact_id`, `calendar_id` |
//! | `dateAdded`, `dateUpdated` | `created_at`, `updated_at` |
//!
//! Writes: a `meeting` is written with `meetingLocationType: "custom"` (so it reads back a
//! meeting); calls and emails are not calendar events (`Validation`). `completed` and
//! `active` are read-only statuses. Times are written as ISO with a `+00:00` offset.

use chrono::{DateTime, Utc};
use serde_json::Value;
use unicrm_core::{
    Engagement, EngagementKind, EngagementPatch, EngagementStatus, Error, NewEngagement,
    Participant, ParticipantRole, Patch, RawPayload, Result,
};

use super::fields;
use crate::wire::appointment::{WireAppointment, WireAppointmentWrite};

fn status_of(s: &str) -> EngagementStatus {
    match s {
        "new" | "active" => EngagementStatus::Scheduled,
        "confirmed" => EngagementStatus::Confirmed,
        "cancelled" => EngagementStatus::Cancelled,
        "showed" => EngagementStatus::Showed,
        "noshow" => EngagementStatus::NoShow,
        "invalid" => EngagementStatus::Invalid,
        "completed" => EngagementStatus::Completed,
        other => EngagementStatus::Other(other.to_string()),
    }
}

fn status_to(s: &EngagementStatus) -> Result<&'static str> {
    Ok(match s {
        EngagementStatus::Scheduled => "new",
        EngagementStatus::Confirmed => "confirmed",
        EngagementStatus::Cancelled => "cancelled",
        EngagementStatus::Showed => "showed",
        EngagementStatus::NoShow => "noshow",
        EngagementStatus::Invalid => "invalid",
        other => {
            // A status the calendar cannot hold (docs/vendors/highlevel-v2.md, Calendars and
            // appointments): not the caller's mistake, something the target cannot store.
            return Err(Error::unsupported(
                format!("engagements with status {other}"),
                crate::VENDOR,
            ));
        }
    })
}

/// An appointment from its JSON (the inner object).
pub(crate) fn from_wire(value: Value) -> Result<Engagement> {
    let (w, raw) = crate::wire::record_value::<WireAppointment>(&value)?;
    Ok(from_parsed(w, raw))
}

/// A decoded appointment and its raw payload, mapped.
pub(crate) fn from_parsed(w: WireAppointment, raw: RawPayload) -> Engagement {
    let kind = if w
        .meeting_location_type
        .as_deref()
        .is_some_and(|t| !t.is_empty())
    {
        EngagementKind::Meeting
    } else {
        EngagementKind::Appointment
    };
    let nonempty = |s: Option<String>| s.filter(|s| !s.is_empty());
    Engagement {
        id: w.id.into(),
        kind,
        subject: nonempty(w.title),
        body: nonempty(w.description).or(nonempty(w.notes)),
        start_at: fields::time(w.start_time.as_deref()),
        end_at: fields::time(w.end_time.as_deref()),
        status: w
            .appointment_status
            .or(w.appoinment_status)
            .as_deref()
            .map(status_of),
        location: nonempty(w.address),
        owner_id: w.assigned_user_id.map(Into::into),
        contact_id: w.contact_id.map(Into::into),
        calendar_id: w.calendar_id,
        participants: w
            .users
            .into_iter()
            .map(|u| Participant {
                user_id: Some(u.into()),
                role: Some(ParticipantRole::Attendee),
                ..Default::default()
            })
            .collect(),
        created_at: fields::time(w.date_added.as_deref()),
        updated_at: fields::time(w.date_updated.as_deref()),
        raw: Some(raw),
        ..Default::default()
    }
}

/// Whether a read appointment is deleted (`deleted: true`).
pub(crate) fn is_deleted(value: &Value) -> bool {
    value.get("deleted") == Some(&Value::Bool(true))
}

/// ISO with an offset, as the create body wants it.
pub(crate) fn offset_time(t: &DateTime<Utc>) -> String {
    t.format("%Y-%m-%dT%H:%M:%S+00:00").to_string()
}

fn location_type(kind: &EngagementKind) -> Result<Option<String>> {
    match kind {
        EngagementKind::Meeting => Ok(Some("custom".into())),
        EngagementKind::Appointment => Ok(None),
        // A calendar holds appointments and meetings only (same section).
        other => Err(Error::unsupported(
            format!("engagements of kind {other}"),
            crate::VENDOR,
        )),
    }
}

/// The body of `POST /calendars/events/appointments` (`calendar` already chosen).
pub(crate) fn to_create(
    e: &NewEngagement,
    location_id: &str,
    calendar: &str,
) -> Result<WireAppointmentWrite> {
    let Some(contact) = &e.contact_id else {
        // Every appointment belongs to a contact (same section).
        return Err(Error::unsupported(
            "engagements without contact_id",
            crate::VENDOR,
        ));
    };
    let Some(start) = &e.start_at else {
        return Err(Error::validation(
            "a HighLevel appointment needs a start_at",
        ));
    };
    Ok(WireAppointmentWrite {
        calendar_id: Some(calendar.to_string()),
        location_id: Some(location_id.to_string()),
        contact_id: Some(contact.to_string()),
        start_time: Some(offset_time(start)),
        end_time: e.end_at.as_ref().map(offset_time),
        title: e.subject.clone(),
        appointment_status: e
            .status
            .as_ref()
            .map(status_to)
            .transpose()?
            .map(str::to_string),
        assigned_user_id: e.owner_id.as_ref().map(|u| u.to_string()),
        address: e.location.clone(),
        meeting_location_type: location_type(&e.kind)?,
        description: e.body.clone(),
        vendor_fields: e.vendor_fields.clone(),
    })
}

/// The body of `PUT /calendars/events/appointments/{id}` (partial). Clearing a text field
/// writes it empty; clearing a time, the contact or the calendar is refused.
pub(crate) fn to_patch(p: &EngagementPatch) -> Result<WireAppointmentWrite> {
    let text = |p: &Patch<String>| match p {
        Patch::Unchanged => None,
        Patch::Set(v) => Some(v.clone()),
        Patch::Clear => Some(String::new()),
    };
    let required = |name: &str, cleared: bool| {
        if cleared {
            Err(Error::validation(format!(
                "a HighLevel appointment cannot lose its {name}"
            )))
        } else {
            Ok(())
        }
    };
    required("start_at", matches!(p.start_at, Patch::Clear))?;
    required("end_at", matches!(p.end_at, Patch::Clear))?;
    required("contact_id", matches!(p.contact_id, Patch::Clear))?;
    required("calendar_id", matches!(p.calendar_id, Patch::Clear))?;
    required("status", matches!(p.status, Patch::Clear))?;
    Ok(WireAppointmentWrite {
        calendar_id: p.calendar_id.as_set().cloned(),
        contact_id: p.contact_id.as_set().map(|c| c.to_string()),
        start_time: p.start_at.as_set().map(offset_time),
        end_time: p.end_at.as_set().map(offset_time),
        title: text(&p.subject),
        appointment_status: p
            .status
            .as_set()
            .map(status_to)
            .transpose()?
            .map(str::to_string),
        assigned_user_id: text(&p.owner_id.as_ref().map(|u| u.to_string())),
        address: text(&p.location),
        meeting_location_type: match &p.kind {
            Patch::Set(k) => location_type(k)?,
            _ => None,
        },
        description: text(&p.body),
        vendor_fields: p.vendor_fields.clone(),
        ..Default::default()
    })
}
