//! A HighLevel task (docs/vendors/highlevel-v2.md, "Tasks"): `{tasks}` lists, `{task}` for one.

use serde::{Deserialize, Serialize};
use serde_json::Value;
use serde_json::value::RawValue;

/// A task as read.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct WireTask {
    pub id: String,
    pub title: Option<String>,
    pub body: Option<String>,
    pub assigned_to: Option<String>,
    pub due_date: Option<String>,
    pub completed: Option<bool>,
    pub contact_id: Option<String>,
    pub business_id: Option<String>,
}

/// `GET /contacts/{contactId}/tasks`.
#[derive(Debug, Deserialize)]
pub(crate) struct WireTasks<'a> {
    #[serde(borrow, default, deserialize_with = "super::raw_list")]
    pub tasks: Vec<&'a RawValue>,
}

/// `{task}` (create, get, update, completed).
#[derive(Debug, Deserialize)]
pub(crate) struct WireTaskOne {
    pub task: Value,
}

/// A task body as written (`title`, `dueDate`, `completed` required on create).
#[derive(Debug, Default, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct WireTaskWrite {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub body: Option<Option<String>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub due_date: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub completed: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub assigned_to: Option<Option<String>>,
    #[serde(flatten)]
    pub vendor_fields: serde_json::Map<String, Value>,
}
