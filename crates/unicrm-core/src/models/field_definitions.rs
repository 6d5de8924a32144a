//! Custom field definitions as a resource: what fields each record type carries.

use serde::{Deserialize, Serialize};

use super::values::*;

/// One allowed value of a choice field.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct FieldChoice {
    /// The vendor's id of the choice, when it has one.
    #[serde(default)]
    pub id: Option<String>,
    /// The value as users see and write it.
    pub value: String,
    /// Selected by default.
    #[serde(default)]
    pub is_default: bool,
}

unified_record! {
    /// The definition of a custom field of one or more record types.
    record FieldDefinition / NewFieldDefinition / FieldDefinitionPatch, id CustomFieldId, kind FieldDefinition, accessor field_definitions;
    required {
        /// Display name.
        name: String,
        /// Type of its values.
        kind: CustomFieldKind,
    }
    optional {
        /// The vendor's key for the field, where it differs from the id (Insightly `Region__c`).
        key: String,
        /// Description or help text.
        description: String,
        /// A value is required.
        required: bool,
        /// Values can be written (false for auto-numbers and calculated fields).
        editable: bool,
        /// Shown to users.
        visible: bool,
        /// Position among the record type's fields.
        order: u32,
        /// Default value, as the vendor states it.
        default_value: String,
        /// For lookups: the kind of record a value points at.
        lookup_kind: ResourceKind,
        /// Group or data tag the field belongs to (Capsule data tags).
        group: String,
    }
    lists {
        /// Allowed values of choice fields, in display order.
        choices: FieldChoice,
        /// Record types that carry it.
        applies_to: ResourceKind,
    }
}

impl From<CustomFieldDefinition> for FieldDefinition {
    /// The resource form of a definition read through [`crate::Crm::custom_field_definitions`].
    fn from(d: CustomFieldDefinition) -> Self {
        FieldDefinition {
            id: d.id,
            name: d.name,
            kind: d.kind,
            key: d.key,
            description: d.description,
            choices: d
                .options
                .into_iter()
                .map(|value| FieldChoice {
                    value,
                    ..Default::default()
                })
                .collect(),
            applies_to: d.applies_to,
            raw: d.raw,
            ..Default::default()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_legacy_definition_keeps_its_options_and_record_types() {
        let d = CustomFieldDefinition {
            id: "7".into(),
            name: "Region".into(),
            key: Some("Region__c".into()),
            kind: CustomFieldKind::SingleChoice,
            options: vec!["North".into(), "South".into()],
            applies_to: vec![ResourceKind::Contact, ResourceKind::Account],
            description: Some("where".into()),
            raw: None,
        };
        let f = FieldDefinition::from(d);
        assert_eq!(f.id.as_str(), "7");
        assert_eq!(f.key.as_deref(), Some("Region__c"));
        assert_eq!(f.kind, CustomFieldKind::SingleChoice);
        let values: Vec<_> = f.choices.iter().map(|c| c.value.as_str()).collect();
        assert_eq!(values, ["North", "South"]);
        assert!(f.choices.iter().all(|c| c.id.is_none() && !c.is_default));
        assert_eq!(f.applies_to, [ResourceKind::Contact, ResourceKind::Account]);
        assert_eq!(f.description.as_deref(), Some("where"));
    }
}
