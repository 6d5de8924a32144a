//! A custom field definition (docs/vendors/highlevel-v2.md, "Custom fields, tags and
//! location metadata").

use serde::Deserialize;
use serde_json::Value;

/// `GET /locations/{locationId}/customFields` → `{customFields}`.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct WireFields {
    #[serde(default)]
    pub custom_fields: Vec<Value>,
}

/// One definition.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct WireField {
    pub id: String,
    pub name: Option<String>,
    pub field_key: Option<String>,
    pub placeholder: Option<String>,
    pub data_type: Option<String>,
    #[serde(default, deserialize_with = "super::contact::nullable_vec")]
    pub picklist_options: Vec<Value>,
    pub model: Option<String>,
}
