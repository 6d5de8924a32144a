//! Custom fields: definitions (`/{entity}/fields/definitions`) and typed values (`fields[]`),
//! both directions.
//!
//! Values are typed by their definition: Capsule sends `number` values as strings
//! (`"250000.50"`), so without the definition a number would look like text. When a value's
//! definition is unknown, the type is inferred from the JSON (string → text, boolean →
//! boolean, number → decimal).

use std::collections::HashMap;

use chrono::{DateTime, NaiveDate, Utc};
use serde::Serialize;
use serde_json::Value;
use serde_json::value::RawValue;
use unicrm_core::error::{Error, Result};
use unicrm_core::{
    CustomFieldDefinition, CustomFieldId, CustomFieldKind, CustomFieldValue, FieldValue,
    ResourceKind, RowId,
};

use super::{IdRef, format_datetime, numeric_id};
use crate::wire::{Decoded, FieldDefinition, FieldRow, decimal_from_raw, decimal_to_raw};

/// Which Capsule entity a definition belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum FieldEntity {
    /// `parties` (people and organisations).
    Parties,
    /// `opportunities`.
    Opportunities,
    /// `kases` (projects).
    Kases,
}

impl FieldEntity {
    /// The path segment.
    pub fn path(self) -> &'static str {
        match self {
            FieldEntity::Parties => "parties",
            FieldEntity::Opportunities => "opportunities",
            FieldEntity::Kases => "kases",
        }
    }
}

/// The definitions of one entity, by id.
#[derive(Debug, Clone, Default)]
pub struct FieldDefs {
    by_id: HashMap<String, CustomFieldDefinition>,
}

impl FieldDefs {
    /// From a list of definitions.
    pub fn new(defs: impl IntoIterator<Item = CustomFieldDefinition>) -> Self {
        FieldDefs {
            by_id: defs.into_iter().map(|d| (d.id.0.clone(), d)).collect(),
        }
    }

    /// The definition with this id.
    pub fn get(&self, id: &str) -> Option<&CustomFieldDefinition> {
        self.by_id.get(id)
    }

    /// `true` when every id is known.
    pub fn knows_all<'a>(&self, mut ids: impl Iterator<Item = &'a str>) -> bool {
        ids.all(|id| self.by_id.contains_key(id))
    }
}

/// Capsule's definition `type` → unified kind.
pub fn kind_from_wire(t: Option<&str>) -> CustomFieldKind {
    match t.map(|t| t.trim().to_ascii_lowercase()).as_deref() {
        Some("text") => CustomFieldKind::Text,
        Some("number") => CustomFieldKind::Decimal,
        Some("date") => CustomFieldKind::Date,
        Some("boolean") => CustomFieldKind::Boolean,
        Some("list") => CustomFieldKind::SingleChoice,
        Some("link") => CustomFieldKind::Url,
        Some("longtext" | "long_text" | "long text" | "textarea") => CustomFieldKind::LongText,
        Some(other) => CustomFieldKind::Other(other.to_string()),
        None => CustomFieldKind::Other(String::new()),
    }
}

/// A definition → unified definition. `captureRule` decides whether a party field applies to
/// contacts, accounts or both.
pub fn definition_from_wire(
    d: &Decoded<FieldDefinition>,
    entity: FieldEntity,
) -> CustomFieldDefinition {
    let w = &d.wire;
    let applies_to = match entity {
        FieldEntity::Opportunities => vec![ResourceKind::Opportunity],
        FieldEntity::Kases => vec![ResourceKind::Project],
        FieldEntity::Parties => match w.capture_rule.as_deref().map(str::to_ascii_lowercase) {
            Some(r) if r == "person" => vec![ResourceKind::Contact],
            Some(r) if r == "organisation" || r == "organization" => vec![ResourceKind::Account],
            _ => vec![ResourceKind::Contact, ResourceKind::Account],
        },
    };
    CustomFieldDefinition {
        id: CustomFieldId::from(w.id),
        name: w.name.clone().unwrap_or_default(),
        key: None,
        kind: kind_from_wire(w.kind.as_deref()),
        options: w.options.clone(),
        applies_to,
        description: w.description.clone().filter(|s| !s.is_empty()),
        raw: Some(d.raw.clone()),
    }
}

fn infer(v: &Value) -> FieldValue {
    match v {
        Value::String(s) => FieldValue::Text(s.clone()),
        Value::Bool(b) => FieldValue::Boolean(*b),
        other => FieldValue::Raw(other.clone()),
    }
}

fn typed_value(raw: &RawValue, kind: Option<&CustomFieldKind>) -> Option<FieldValue> {
    let v: Value = serde_json::from_str(raw.get()).ok()?;
    let text = v.as_str().map(str::trim);
    if v.is_null() || text == Some("") {
        return None;
    }
    let as_decimal = || decimal_from_raw(raw).map(FieldValue::Decimal);
    let fallback = || match &v {
        Value::Number(_) => as_decimal().unwrap_or_else(|| infer(&v)),
        _ => infer(&v),
    };
    Some(match kind {
        Some(CustomFieldKind::Text | CustomFieldKind::LongText) => match &v {
            Value::String(s) => FieldValue::Text(s.clone()),
            Value::Number(_) => FieldValue::Text(raw.get().trim().to_string()),
            _ => FieldValue::Raw(v.clone()),
        },
        Some(CustomFieldKind::Decimal) => {
            as_decimal().unwrap_or_else(|| FieldValue::Raw(v.clone()))
        }
        Some(CustomFieldKind::Number) => match decimal_from_raw(raw) {
            Some(d) if d.fract().is_zero() => i64::try_from(d)
                .map(FieldValue::Number)
                .unwrap_or(FieldValue::Decimal(d)),
            Some(d) => FieldValue::Decimal(d),
            None => FieldValue::Raw(v.clone()),
        },
        Some(CustomFieldKind::Date) => text
            .and_then(|t| NaiveDate::parse_from_str(t, "%Y-%m-%d").ok())
            .map(FieldValue::Date)
            .unwrap_or_else(|| FieldValue::Raw(v.clone())),
        Some(CustomFieldKind::DateTime) => text
            .and_then(|t| DateTime::parse_from_rfc3339(t).ok())
            .map(|t| FieldValue::DateTime(t.with_timezone(&Utc)))
            .unwrap_or_else(|| FieldValue::Raw(v.clone())),
        Some(CustomFieldKind::Boolean) => match (&v, text) {
            (Value::Bool(b), _) => FieldValue::Boolean(*b),
            (_, Some(t)) if t.eq_ignore_ascii_case("true") => FieldValue::Boolean(true),
            (_, Some(t)) if t.eq_ignore_ascii_case("false") => FieldValue::Boolean(false),
            _ => FieldValue::Raw(v.clone()),
        },
        Some(CustomFieldKind::SingleChoice) => match text {
            Some(t) => FieldValue::SingleChoice(t.to_string()),
            None => FieldValue::Raw(v.clone()),
        },
        Some(CustomFieldKind::MultiChoice) => match &v {
            Value::String(s) => FieldValue::MultiChoice(vec![s.clone()]),
            Value::Array(items) if items.iter().all(Value::is_string) => FieldValue::MultiChoice(
                items
                    .iter()
                    .filter_map(|i| i.as_str().map(str::to_string))
                    .collect(),
            ),
            _ => FieldValue::Raw(v.clone()),
        },
        Some(CustomFieldKind::Url) => match text {
            Some(_) => FieldValue::Url(v.as_str().unwrap_or_default().to_string()),
            None => FieldValue::Raw(v.clone()),
        },
        _ => fallback(),
    })
}

/// `fields[]` → custom field values, typed by `defs` (rows without a definition id are
/// skipped; they stay in `raw`).
pub fn values_from_wire(rows: &[FieldRow], defs: &FieldDefs) -> Vec<CustomFieldValue> {
    rows.iter()
        .filter_map(|r| {
            let def_id = r.definition.as_ref()?.id?;
            let def = defs.get(&def_id.to_string());
            Some(CustomFieldValue {
                definition_id: CustomFieldId::from(def_id.to_string()),
                name: r
                    .definition
                    .as_ref()
                    .and_then(|d| d.name.clone())
                    .or_else(|| def.map(|d| d.name.clone())),
                value: r
                    .value
                    .as_deref()
                    .and_then(|raw| typed_value(raw, def.map(|d| &d.kind))),
                row_id: r.id.map(RowId::from),
            })
        })
        .collect()
}

/// A value as Capsule JSON text (numbers digit for digit).
pub fn value_to_wire(v: &FieldValue) -> Result<Box<RawValue>> {
    match v {
        FieldValue::Text(s) | FieldValue::SingleChoice(s) | FieldValue::Url(s) => json(s),
        FieldValue::Number(n) => json(n),
        FieldValue::Decimal(d) => decimal_to_raw(d),
        FieldValue::Date(d) => json(&d.format("%Y-%m-%d").to_string()),
        FieldValue::DateTime(t) => json(&format_datetime(t)),
        FieldValue::Boolean(b) => json(b),
        FieldValue::MultiChoice(items) => match items.as_slice() {
            [] => json(&Value::Null),
            [one] => json(one),
            _ => Err(Error::validation(
                "Capsule list fields hold one value; got several choices",
            )),
        },
        FieldValue::Raw(v) => json(v),
        _ => Err(Error::validation("unsupported custom field value type")),
    }
}

fn json<T: Serialize + ?Sized>(v: &T) -> Result<Box<RawValue>> {
    serde_json::value::to_raw_value(v)
        .map_err(|e| Error::config(format!("cannot serialize a field value: {e}")))
}

#[derive(Serialize)]
struct FieldOut {
    #[serde(skip_serializing_if = "Option::is_none")]
    id: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    definition: Option<IdRef>,
    #[serde(skip_serializing_if = "Option::is_none")]
    value: Option<Box<RawValue>>,
    #[serde(rename = "_delete", skip_serializing_if = "std::ops::Not::not")]
    delete: bool,
}

fn set_row(def_id: u64, v: &FieldValue) -> Result<FieldOut> {
    Ok(FieldOut {
        id: None,
        definition: Some(IdRef { id: def_id }),
        value: Some(value_to_wire(v)?),
        delete: false,
    })
}

fn delete_row(row: u64) -> FieldOut {
    FieldOut {
        id: Some(row),
        definition: None,
        value: None,
        delete: true,
    }
}

fn to_raw(rows: Vec<FieldOut>) -> Result<Vec<Box<RawValue>>> {
    rows.iter()
        .map(|r| {
            serde_json::value::to_raw_value(r)
                .map_err(|e| Error::config(format!("cannot serialize a field row: {e}")))
        })
        .collect()
}

/// Rows to send on create: one `{"definition": {"id": N}, "value": …}` per value that is set.
pub fn values_to_wire(values: &[CustomFieldValue]) -> Result<Vec<Box<RawValue>>> {
    let mut rows = Vec::new();
    for v in values {
        let def = numeric_id(v.definition_id.as_str(), "custom_fields.definition_id")?;
        if let Some(value) = &v.value {
            rows.push(set_row(def, value)?);
        }
    }
    to_raw(rows)
}

/// Rows to send on update so the stored values (`current`) become `desired`: changed values
/// are set by definition, values set to `None` and stored values not in `desired` are deleted
/// by row id, unchanged values are left out.
pub fn diff_values(
    current: &[CustomFieldValue],
    desired: &[CustomFieldValue],
) -> Result<Vec<Box<RawValue>>> {
    let mut rows = Vec::new();
    for d in desired {
        let def = numeric_id(d.definition_id.as_str(), "custom_fields.definition_id")?;
        let stored = current.iter().find(|c| c.definition_id == d.definition_id);
        let stored_row = stored
            .and_then(|c| c.row_id.as_ref())
            .and_then(RowId::as_u64);
        match (&d.value, stored) {
            (None, Some(_)) => {
                if let Some(row) = stored_row {
                    rows.push(delete_row(row));
                }
            }
            (None, None) => {}
            (Some(v), Some(c)) if c.value.as_ref() == Some(v) => {}
            (Some(v), _) => rows.push(set_row(def, v)?),
        }
    }
    for c in current {
        if !desired.iter().any(|d| d.definition_id == c.definition_id) {
            if let Some(row) = c.row_id.as_ref().and_then(RowId::as_u64) {
                rows.push(delete_row(row));
            }
        }
    }
    to_raw(rows)
}
