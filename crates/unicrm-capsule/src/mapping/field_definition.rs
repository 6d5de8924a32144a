//! Capsule custom-field definitions ↔ unified [`FieldDefinition`] (the resource form;
//! docs/vendors/capsule-v2.md, "Custom fields", and docs/vendors/capsule-v2-addendum.md,
//! "Custom fields on projects, entries and tasks").
//!
//! **Ids.** Capsule numbers definitions per entity ("the same number can occur in another
//! type"), so the resource's id is `<entity>-<id>`: `parties-45`, `opportunities-45`,
//! `kases-31`. The bare vendor id — what custom field *values* reference as their
//! `definition_id` — is the definition's `key`.
//!
//! | Capsule | unified |
//! |---|---|
//! | `name`, `description`, `type` | `name`, `description`, `kind` (as for values) |
//! | `options` | `choices` (no ids, none default) |
//! | `displayOrder` | `order` |
//! | `tag` (data tag) | `group` (the tag's name) |
//! | `captureRule` (parties) | `applies_to`: `person` → contact, `organisation` → account, none → both |
//! | entity `opportunities` / `kases` | `applies_to`: opportunity / project |
//!
//! `important` stays in `raw` (it drives `missingImportantFields`, it does not make a value
//! required). Creating writes `POST /{entity}/fields/definitions` (administrators only);
//! updates and deletes are not confirmed by the vendor and are `Unsupported`.

use unicrm_core::error::{Error, Result};
use unicrm_core::{
    CustomFieldId, CustomFieldKind, FieldChoice, FieldDefinition, NewFieldDefinition, ResourceKind,
};

use super::custom_fields::{FieldEntity, kind_from_wire};
use super::{Body, non_empty};
use crate::wire::{Decoded, FieldDefinition as WireDefinition};

/// The resource id of a definition: `<entity>-<id>`.
pub fn definition_id(entity: FieldEntity, id: u64) -> CustomFieldId {
    CustomFieldId::from(format!("{}-{id}", entity.path()))
}

/// The entity and vendor id of a resource id.
pub fn parse_definition_id(id: &str) -> Option<(FieldEntity, u64)> {
    let (entity, num) = id.trim().rsplit_once('-')?;
    let entity = match entity {
        "parties" => FieldEntity::Parties,
        "opportunities" => FieldEntity::Opportunities,
        "kases" => FieldEntity::Kases,
        _ => return None,
    };
    Some((entity, num.parse().ok()?))
}

/// The entities whose definitions a listing `of` a kind reads (`None`: every entity).
pub fn entities_of(of: Option<&ResourceKind>) -> Vec<FieldEntity> {
    match of {
        None => vec![
            FieldEntity::Parties,
            FieldEntity::Opportunities,
            FieldEntity::Kases,
        ],
        Some(ResourceKind::Contact | ResourceKind::Account) => vec![FieldEntity::Parties],
        Some(ResourceKind::Opportunity) => vec![FieldEntity::Opportunities],
        Some(ResourceKind::Project) => vec![FieldEntity::Kases],
        // Entries, tasks, users and the rest carry no custom fields in Capsule.
        Some(_) => Vec::new(),
    }
}

/// A definition → the unified resource record.
pub fn field_definition_from_wire(
    d: &Decoded<WireDefinition>,
    entity: FieldEntity,
) -> FieldDefinition {
    let w = &d.wire;
    let legacy = super::custom_fields::definition_from_wire(d, entity);
    FieldDefinition {
        id: definition_id(entity, w.id),
        name: w.name.clone().unwrap_or_default(),
        kind: kind_from_wire(w.kind.as_deref()),
        key: Some(w.id.to_string()),
        description: non_empty(&w.description),
        required: None,
        editable: Some(true),
        visible: None,
        order: w.display_order.and_then(|o| u32::try_from(o).ok()),
        default_value: None,
        lookup_kind: None,
        group: w.tag.as_ref().and_then(|t| non_empty(&t.name)),
        choices: w
            .options
            .iter()
            .map(|value| FieldChoice {
                id: None,
                value: value.clone(),
                is_default: false,
            })
            .collect(),
        applies_to: legacy.applies_to,
        created_at: None,
        updated_at: None,
        raw: Some(d.raw.clone()),
    }
}

/// Capsule's `type` for a unified kind; `None` when Capsule has no such type.
pub fn kind_to_wire(k: &CustomFieldKind) -> Option<&'static str> {
    Some(match k {
        CustomFieldKind::Text => "text",
        CustomFieldKind::Decimal | CustomFieldKind::Number => "number",
        CustomFieldKind::Date => "date",
        CustomFieldKind::Boolean => "boolean",
        CustomFieldKind::SingleChoice => "list",
        CustomFieldKind::Url => "link",
        _ => return None,
    })
}

/// The entity a new definition goes to and its body (without the wrapper).
pub fn new_definition_to_wire(n: &NewFieldDefinition) -> Result<(FieldEntity, Body)> {
    let invalid = |field: &str, message: String| Error::Validation {
        message,
        fields: vec![unicrm_core::FieldError {
            field: Some(field.into()),
            resource: Some("definition".into()),
            message: "invalid".into(),
        }],
    };
    if n.name.trim().is_empty() {
        return Err(invalid("name", "a field definition needs a name".into()));
    }
    let kinds = &n.applies_to;
    let people = kinds.contains(&ResourceKind::Contact);
    let orgs = kinds.contains(&ResourceKind::Account);
    let (entity, capture) = match kinds.as_slice() {
        [ResourceKind::Opportunity] => (FieldEntity::Opportunities, None),
        [ResourceKind::Project] => (FieldEntity::Kases, None),
        _ if (people || orgs)
            && kinds
                .iter()
                .all(|k| matches!(k, ResourceKind::Contact | ResourceKind::Account)) =>
        {
            let rule = match (people, orgs) {
                (true, false) => Some("person"),
                (false, true) => Some("organisation"),
                _ => None,
            };
            (FieldEntity::Parties, rule)
        }
        _ => {
            return Err(invalid(
                "applies_to",
                "a Capsule field definition applies to contacts and/or accounts, or to opportunities, or to projects".into(),
            ));
        }
    };
    let kind = kind_to_wire(&n.kind).ok_or_else(|| {
        invalid(
            "kind",
            format!("Capsule has no {:?} custom fields", n.kind.as_str()),
        )
    })?;
    let mut b = Body::new();
    b.set("name", n.name.trim())?;
    b.set("type", kind)?;
    if let Some(d) = &n.description {
        b.set("description", d)?;
    }
    if kind == "list" {
        let options: Vec<&str> = n.choices.iter().map(|c| c.value.as_str()).collect();
        b.set("options", &options)?;
    }
    if let Some(rule) = capture {
        b.set("captureRule", rule)?;
    }
    b.merge_vendor_fields(&n.vendor_fields)?;
    Ok((entity, b))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_carry_their_entity() {
        assert_eq!(definition_id(FieldEntity::Kases, 31).as_str(), "kases-31");
        assert!(matches!(
            parse_definition_id("opportunities-7"),
            Some((FieldEntity::Opportunities, 7))
        ));
        assert!(parse_definition_id("7").is_none());
        assert!(parse_definition_id("tasks-7").is_none());
    }

    #[test]
    fn of_narrows_the_entities() {
        assert_eq!(entities_of(None).len(), 3);
        assert!(matches!(
            entities_of(Some(&ResourceKind::Account)).as_slice(),
            [FieldEntity::Parties]
        ));
        assert!(matches!(
            entities_of(Some(&ResourceKind::Project)).as_slice(),
            [FieldEntity::Kases]
        ));
        assert!(entities_of(Some(&ResourceKind::Task)).is_empty());
    }

    #[test]
    fn a_contact_field_is_a_person_capture_rule() {
        let n = NewFieldDefinition {
            name: "Shoe size".into(),
            kind: CustomFieldKind::Number,
            applies_to: vec![ResourceKind::Contact],
            ..Default::default()
        };
        let (e, b) = new_definition_to_wire(&n).unwrap();
        assert_eq!(e, FieldEntity::Parties);
        assert_eq!(
            b.wrap("definition").unwrap(),
            r#"{"definition":{"captureRule":"person","name":"Shoe size","type":"number"}}"#
        );
        let mixed = NewFieldDefinition {
            applies_to: vec![ResourceKind::Contact, ResourceKind::Opportunity],
            ..n
        };
        assert!(new_definition_to_wire(&mixed).is_err());
    }
}
