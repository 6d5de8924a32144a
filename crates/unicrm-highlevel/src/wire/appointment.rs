//! A HighLevel calendar event / appointment (docs/vendors/highlevel-v2.md, "Calendars and
//! appointments"): `{"appointment": {…}}` live (`{"event": {…}}` in the spec, a bare object
//! from create and update), `{events}` lists (calendars themselves: `calendar.rs`).

use serde::{Deserialize, Serialize};
use serde_json::Value;
use serde_json::value::RawValue;

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
    /// `true` on a deleted appointment (it still reads back, and lists in the event feed);
    /// any other value, as `mapping::engagement::is_deleted` reads it, is not a deletion.
    pub deleted: Option<Value>,
}

/// `{events}` (`GET /contacts/{id}/appointments`, `GET /calendars/events`).
#[derive(Debug, Deserialize)]
pub(crate) struct WireEvents<'a> {
    #[serde(borrow, default, deserialize_with = "super::raw_list")]
    pub events: Vec<&'a RawValue>,
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
