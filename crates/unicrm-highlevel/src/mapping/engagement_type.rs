//! HighLevel calendar → unified `EngagementType` (docs/vendors/highlevel-v2.md, "Calendars and
//! appointments"). A calendar is what a HighLevel appointment is booked on, so the location's
//! calendars are its engagement types; `Engagement::calendar_id` names an appointment's.
//!
//! | HighLevel | unified |
//! | --- | --- |
//! | `id` | `id` |
//! | `name` | `name` |
//! | (every calendar books appointments) | `kind`: `appointment` |
//! | `isActive` | `is_active` |
//! | (calendars are the location's own) | `is_system`: `false` |
//! | `description`, `calendarType`, `groupId`, `teamMembers`, … | `raw` only |
//!
//! Read-only here: calendar writes need the `calendars.write` scope and a calendar's booking
//! rules, which the unified model does not hold.

use unicrm_core::{EngagementKind, EngagementType, RawPayload};

use crate::wire::calendar::WireCalendar;

/// A decoded calendar and its raw payload, mapped.
pub(crate) fn from_parsed(w: WireCalendar, raw: RawPayload) -> EngagementType {
    EngagementType {
        id: w.id.into(),
        name: w.name.unwrap_or_default(),
        kind: Some(EngagementKind::Appointment),
        icon: None,
        updates_last_contacted: None,
        is_system: Some(false),
        is_active: w.is_active,
        created_at: None,
        updated_at: None,
        raw: Some(raw),
    }
}
