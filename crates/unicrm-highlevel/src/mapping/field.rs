//! HighLevel custom field definition → unified `CustomFieldDefinition`
//! (docs/vendors/highlevel-v2.md, "Custom fields, tags and location metadata"). `dataType` is
//! an open set: unknown ones are `Other`.

use serde_json::Value;
use unicrm_core::{CustomFieldDefinition, CustomFieldKind, RawPayload, ResourceKind, Result};

use crate::wire::field::WireField;

/// The unified kind of a `dataType`.
pub(crate) fn kind(data_type: &str) -> CustomFieldKind {
    match data_type {
        "TEXT" | "PHONE" | "EMAIL" => CustomFieldKind::Text,
        "LARGE_TEXT" => CustomFieldKind::LongText,
        "NUMERICAL" => CustomFieldKind::Number,
        "MONETORY" => CustomFieldKind::Decimal,
        "DATE" => CustomFieldKind::Date,
        "CHECKBOX" => CustomFieldKind::Boolean,
        "SINGLE_OPTIONS" | "RADIO" => CustomFieldKind::SingleChoice,
        "MULTIPLE_OPTIONS" | "TEXTBOX_LIST" => CustomFieldKind::MultiChoice,
        other => CustomFieldKind::Other(other.to_string()),
    }
}

/// The record kind of a definition's `model`.
pub(crate) fn applies_to(model: Option<&str>) -> Vec<ResourceKind> {
    match model {
        Some("contact") => vec![ResourceKind::Contact],
        Some("opportunity") => vec![ResourceKind::Opportunity],
        Some("business") => vec![ResourceKind::Account],
        _ => vec![],
    }
}

/// A definition from its JSON.
pub(crate) fn from_wire(value: Value) -> Result<CustomFieldDefinition> {
    let w: WireField = unicrm_core::error::decode_value(value.clone())?;
    Ok(CustomFieldDefinition {
        id: w.id.clone().into(),
        name: w.name.unwrap_or(w.id),
        key: w.field_key,
        kind: kind(w.data_type.as_deref().unwrap_or("TEXT")),
        options: w
            .picklist_options
            .into_iter()
            .filter_map(|o| match o {
                Value::String(s) => Some(s),
                // Some spec examples give objects; keep their label.
                Value::Object(m) => m
                    .get("label")
                    .or_else(|| m.get("value"))
                    .and_then(Value::as_str)
                    .map(str::to_string),
                _ => None,
            })
            .collect(),
        applies_to: applies_to(w.model.as_deref()),
        description: w.placeholder,
        raw: Some(RawPayload::from_value(&value)),
    })
}
