//! A HighLevel note (docs/vendors/highlevel-v2.md, "Notes"): `{notes}` lists, `{note}` for one.

use serde::{Deserialize, Serialize};
use serde_json::Value;
use serde_json::value::RawValue;

/// A note as read.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct WireNote {
    pub id: String,
    pub body: Option<String>,
    pub body_text: Option<String>,
    pub user_id: Option<String>,
    pub contact_id: Option<String>,
    pub date_added: Option<String>,
    pub title: Option<String>,
}

/// `GET /contacts/{contactId}/notes`.
#[derive(Debug, Deserialize)]
pub(crate) struct WireNotes<'a> {
    #[serde(borrow, default, deserialize_with = "super::raw_list")]
    pub notes: Vec<&'a RawValue>,
}

/// `{note}` (create, get, update).
#[derive(Debug, Deserialize)]
pub(crate) struct WireNoteOne {
    pub note: Value,
}

/// A note body as written: no `locationId`, which the strict whitelist refuses.
#[derive(Debug, Default, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct WireNoteWrite {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub body: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub title: Option<Option<String>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub user_id: Option<Option<String>>,
    #[serde(flatten)]
    pub vendor_fields: serde_json::Map<String, Value>,
}
