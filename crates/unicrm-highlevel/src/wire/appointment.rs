//! A HighLevel calendar event / appointment (docs/vendors/highlevel-v2.md, "Calendars and
//! appointments"): `{"appointment": {…}}` live (`{"event": {…}}` in the spec, a bare object
//! from create and update), `{events}` lists, `{calendars}`.

use serde::{Deserialize, Serialize};
use serde_json::Value;

/// An appointment as read.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct WireAppointment {
    pub id: String,
    pub calendar_id: Option<String>,
    pub contact_id: Option<String>,
    pub title: Option<String>,
    pub appointment_status: Option<String>,
    /// The live misspelling, read when the right spelling is absent.
    pub appoinment_status: Option<String>,
    pub assigned_user_id: Option<String>,
    #[serde(default)]
    pub users: Vec<String>,
    pub notes: Option<String>,
    pub description: Option<String>,
    pub address: Option<String>,
    pub meeting_location_type: Option<String>,
    pub start_time: Option<String>,
    pub end_time: Option<String>,
    pub date_added: Option<String>,
    pub date_updated: Option<String>,
}

/// `{events}` (`GET /contacts/{id}/appointments`, `GET /calendars/events`).
#[derive(Debug, Deserialize)]
pub(crate) struct WireEvents {
    #[serde(default)]
    pub events: Vec<Value>,
}

/// A calendar (`GET /calendars/`).
#[derive(Debug, Clone, Deserialize)]
pub(crate) struct WireCalendar {
    pub id: String,
}

/// `{calendars}`.
#[derive(Debug, Deserialize)]
pub(crate) struct WireCalendars {
    #[serde(default)]
    pub calendars: Vec<WireCalendar>,
}

/// An appointment body as written.
#[derive(Debug, Default, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct WireAppointmentWrite {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub calendar_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub location_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub contact_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub start_time: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub end_time: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub appointment_status: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub assigned_user_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub address: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub meeting_location_type: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    #[serde(flatten)]
    pub vendor_fields: serde_json::Map<String, Value>,
}
