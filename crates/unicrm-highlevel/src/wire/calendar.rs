//! A HighLevel calendar (docs/vendors/highlevel-v2.md, "Calendars and appointments"):
//! `GET /calendars/?locationId=…` → `{calendars}`, `GET /calendars/{id}` → `{calendar}`.

use serde::Deserialize;
use serde_json::value::RawValue;

/// A calendar as read: what the mapping uses. The other keys (`description`,
/// `calendarType` — `round_robin`, `event`, `class_booking`, `collective`, `service_booking`,
/// `personal` —, `groupId`, `teamMembers`, …) stay in the raw payload.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct WireCalendar {
    pub id: String,
    pub name: Option<String>,
    pub is_active: Option<bool>,
}

/// `{calendars}` (no paging: the whole list in one answer).
#[derive(Debug, Deserialize)]
pub(crate) struct WireCalendars<'a> {
    #[serde(borrow, default, deserialize_with = "super::raw_list")]
    pub calendars: Vec<&'a RawValue>,
}

/// `{calendar}`.
#[derive(Debug, Deserialize)]
pub(crate) struct WireCalendarOne<'a> {
    #[serde(borrow)]
    pub calendar: &'a RawValue,
}
