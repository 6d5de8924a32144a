//! FieldDefinition ↔ `/CustomFields/{Object}` (docs/vendors/insightly-v3.1-addendum.md,
//! "Custom field definitions"), read-only.
//!
//! | unified | Insightly |
//! |---|---|
//! | `id` | `{kind}.{FIELD_NAME}` (`project.Go_Live__c`): a name is unique only within its object |
//! | `key` | `FIELD_NAME` (what `CUSTOMFIELDS` items and `CustomFieldValue::definition_id` carry) |
//! | `name`, `description` | `FIELD_LABEL`, `FIELD_HELP_TEXT` |
//! | `kind` | `FIELD_TYPE` (open: see [`super::custom_fields::kind_of`]) |
//! | `editable`, `visible`, `order` | `EDITABLE`, `VISIBLE`, `FIELD_ORDER` |
//! | `default_value` | `DEFAULT_VALUE` (always a string at the vendor: `"False"`, `"0"`) |
//! | `choices` | `CUSTOM_FIELD_OPTIONS` (`OPTION_ID`, `OPTION_VALUE`, `OPTION_DEFAULT`), in the vendor's order |
//! | `lookup_kind` | `JOIN_OBJECT` |
//! | `applies_to` | `FIELD_FOR` (`CONTACT`, `ORGANISATION`, `PROJECT`, …; a custom object stays `Other`) |
//!
//! `DEPENDENCY` is kept in `raw`. The vendor does not say whether a field is required.

use unicrm_core::{FieldChoice, FieldDefinition, ResourceKind};

use super::{custom_fields, links, text};
use crate::wire::CustomFieldDefinitionWire;

/// The unified kind of a `FIELD_FOR` or `JOIN_OBJECT` name, singular or plural, any case
/// (`EVENT` → engagement).
pub fn kind_of_object(name: &str) -> ResourceKind {
    let n = name.trim();
    let lower = n.to_ascii_lowercase();
    let singular = match lower.as_str() {
        "opportunities" => "opportunity",
        s if s.ends_with("s") && !s.ends_with("__c") => &s[..s.len() - 1],
        s => s,
    };
    match singular {
        "event" => ResourceKind::Engagement,
        "contact" | "organisation" | "organization" | "opportunity" | "lead" | "task" | "note"
        | "user" | "project" => links::kind_of(singular),
        _ => ResourceKind::Other(lower),
    }
}

/// The prefix of a definition id for records of `kind` (`project`).
pub fn id_prefix(kind: &ResourceKind) -> String {
    kind.as_str().to_string()
}

/// Maps one definition; `None` without a `FIELD_NAME`. `kind` is the record type the
/// definitions were asked for (used when `FIELD_FOR` is missing).
pub fn from_wire(d: CustomFieldDefinitionWire, kind: &ResourceKind) -> Option<FieldDefinition> {
    let raw = serde_json::to_string(&d)
        .ok()
        .map(|t| unicrm_core::RawPayload::from_json_text(&t));
    let name = text(&d.field_name)?;
    let applies_to = text(&d.field_for)
        .map(|f| kind_of_object(&f))
        .unwrap_or_else(|| kind.clone());
    Some(FieldDefinition {
        id: format!("{}.{name}", id_prefix(&applies_to)).into(),
        name: text(&d.field_label).unwrap_or_else(|| name.clone()),
        kind: d
            .field_type
            .as_deref()
            .map(custom_fields::kind_of)
            .unwrap_or(unicrm_core::CustomFieldKind::Other(String::new())),
        key: Some(name),
        description: text(&d.field_help_text),
        required: None,
        editable: d.editable,
        visible: d.visible,
        order: d.field_order.and_then(|o| u32::try_from(o).ok()),
        default_value: d.default_value.clone(),
        lookup_kind: text(&d.join_object).map(|j| kind_of_object(&j)),
        group: None,
        choices: d
            .custom_field_options
            .iter()
            .flatten()
            .filter_map(|o| {
                Some(FieldChoice {
                    id: o.option_id.map(|i| i.to_string()),
                    value: o.option_value.clone()?,
                    is_default: o.option_default.unwrap_or(false),
                })
            })
            .collect(),
        applies_to: vec![applies_to],
        created_at: None,
        updated_at: None,
        raw,
    })
}
