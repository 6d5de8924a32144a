//! Custom fields: definitions and values.

use serde::Deserialize;
use serde_json::value::RawValue;

use super::{NestedRef, TagRow, nullable};

/// A custom field value on a record (`fields[]`).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct FieldRow {
    /// Row id.
    pub id: Option<u64>,
    /// The definition (`id`, maybe `name`).
    pub definition: Option<NestedRef>,
    /// The value as sent: string, number, boolean or null.
    pub value: Option<Box<RawValue>>,
    /// The data tag the field belongs to.
    pub tag_id: Option<u64>,
}

impl PartialEq for FieldRow {
    fn eq(&self, other: &Self) -> bool {
        self.id == other.id
            && self.definition == other.definition
            && self.value.as_ref().map(|v| v.get()) == other.value.as_ref().map(|v| v.get())
            && self.tag_id == other.tag_id
    }
}

/// A custom field definition (`GET /{entity}/fields/definitions`).
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct FieldDefinition {
    /// Id (per entity type).
    pub id: u64,
    /// Name.
    #[serde(default)]
    pub name: Option<String>,
    /// `text`, `number`, `date`, `boolean`, `list`, `link` (open).
    #[serde(default, rename = "type")]
    pub kind: Option<String>,
    /// Description.
    #[serde(default)]
    pub description: Option<String>,
    /// Options of a `list` field.
    #[serde(default, deserialize_with = "nullable")]
    pub options: Vec<String>,
    /// Data tag the field belongs to.
    #[serde(default)]
    pub tag: Option<TagRow>,
    /// Parties only: `person`, `organisation`, or null (both).
    #[serde(default)]
    pub capture_rule: Option<String>,
    /// Drives `missingImportantFields`.
    #[serde(default, deserialize_with = "nullable")]
    pub important: bool,
    /// Display order.
    #[serde(default)]
    pub display_order: Option<i64>,
}
