//! `CUSTOMFIELDS`, typed by their definitions from `GET /CustomFields/{Object}`.
//!
//! A value is read by its definition's `FIELD_TYPE` (docs/vendors/insightly-v3.1.md §11.1, §11.11): TEXT,
//! MULTILINETEXT → text; DROPDOWN → single choice (the option text); MULTISELECT →
//! `;`-joined choices; NUMERIC, CURRENCY, PERCENT → exact decimal (JSON number or numeric
//! string, parsed from its text, never through `f64`); DATE / DATETIME → date / date-time;
//! BIT → boolean; URL → URL; LOOKUP → record id (number); AUTONUMBER → text or number.
//! AUTONUMBER (like CALCULATED) is a field the vendor computes and ignores on write
//! (docs/vendors/insightly-v3.1-addendum.md, "Field types and value shapes"): its definition
//! has the open kind `Other("AUTONUMBER")`, not `Text`, so that nothing takes it for a text
//! field it can write; its values are typed from their JSON (a string → text, an integer →
//! number).
//! A value that does not fit its type, or has no definition, is inferred from its JSON type
//! or kept as [`FieldValue::Raw`]. On write, values go out by `FIELD_NAME`; on a PUT the
//! vendor merges them by name (`null` clears one).

use std::collections::HashMap;

use rust_decimal::Decimal;
use serde::Serialize;
use serde_json::value::RawValue;
use unicrm_core::{
    CustomFieldDefinition, CustomFieldId, CustomFieldKind, CustomFieldValue, FieldValue, Patch,
    ResourceKind, Result,
};

use super::dates;
use crate::wire::{Body, CustomFieldDefinitionWire, CustomFieldWire};

/// The custom field definitions of one object, by `FIELD_NAME` (case-insensitive).
#[derive(Debug, Clone, Default)]
pub struct Definitions {
    by_name: HashMap<String, CustomFieldDefinition>,
    editable: Vec<String>,
    read_only: Vec<String>,
}

impl Definitions {
    /// No definitions: values are typed from their JSON alone.
    pub fn empty() -> Self {
        Self::default()
    }

    /// From the vendor's definitions for records of `kind`.
    pub fn from_wire(defs: Vec<CustomFieldDefinitionWire>, kind: &ResourceKind) -> Self {
        let mut out = Definitions::default();
        for d in defs {
            let editable = d.editable.unwrap_or(true);
            if let Some(def) = definition(d, kind) {
                let name = def.id.as_str().to_string();
                if editable {
                    out.editable.push(name.clone());
                } else {
                    out.read_only.push(name.to_ascii_lowercase());
                }
                out.by_name.insert(name.to_ascii_lowercase(), def);
            }
        }
        out
    }

    /// The definition of `field_name`.
    pub fn get(&self, field_name: &str) -> Option<&CustomFieldDefinition> {
        self.by_name.get(&field_name.to_ascii_lowercase())
    }

    /// Names of the writable fields.
    pub fn editable(&self) -> &[String] {
        &self.editable
    }

    /// Whether the definition says the field cannot be written (AUTONUMBER, CALCULATED).
    pub fn is_read_only(&self, field_name: &str) -> bool {
        self.read_only.contains(&field_name.to_ascii_lowercase())
    }

    /// Number of definitions.
    pub fn len(&self) -> usize {
        self.by_name.len()
    }

    /// `true` when there are none.
    pub fn is_empty(&self) -> bool {
        self.by_name.is_empty()
    }
}

/// The unified kind of an Insightly `FIELD_TYPE`.
pub fn kind_of(field_type: &str) -> CustomFieldKind {
    match field_type.trim().to_ascii_uppercase().as_str() {
        "TEXT" => CustomFieldKind::Text,
        "MULTILINETEXT" => CustomFieldKind::LongText,
        "DROPDOWN" => CustomFieldKind::SingleChoice,
        "MULTISELECT" => CustomFieldKind::MultiChoice,
        "NUMERIC" | "CURRENCY" | "PERCENT" => CustomFieldKind::Decimal,
        "DATE" => CustomFieldKind::Date,
        "DATETIME" => CustomFieldKind::DateTime,
        "BIT" => CustomFieldKind::Boolean,
        "URL" => CustomFieldKind::Url,
        "LOOKUP" => CustomFieldKind::Lookup,
        _ => CustomFieldKind::Other(field_type.to_string()),
    }
}

/// Maps one definition; `None` without a `FIELD_NAME`.
pub fn definition(
    d: CustomFieldDefinitionWire,
    kind: &ResourceKind,
) -> Option<CustomFieldDefinition> {
    let raw = serde_json::to_string(&d)
        .ok()
        .map(|text| unicrm_core::RawPayload::from_json_text(&text));
    let name = super::text(&d.field_name)?;
    Some(CustomFieldDefinition {
        id: CustomFieldId::new(name.clone()),
        name: super::text(&d.field_label).unwrap_or_else(|| name.clone()),
        key: Some(name),
        kind: d
            .field_type
            .as_deref()
            .map(kind_of)
            .unwrap_or(CustomFieldKind::Other(String::new())),
        options: d
            .custom_field_options
            .iter()
            .flatten()
            .filter_map(|o| o.option_value.clone())
            .collect(),
        applies_to: vec![kind.clone()],
        description: super::text(&d.field_help_text),
        raw,
    })
}

/// Exact decimal from a JSON number's text or a numeric string.
pub fn decimal(raw: &RawValue) -> Option<Decimal> {
    let t = raw.get().trim();
    let t = if t.starts_with('"') {
        serde_json::from_str::<String>(t).ok()?
    } else {
        t.to_string()
    };
    let t = t.trim();
    t.parse::<Decimal>()
        .ok()
        .or_else(|| Decimal::from_scientific(t).ok())
}

fn value_of(raw: &RawValue) -> serde_json::Value {
    serde_json::from_str(raw.get()).unwrap_or(serde_json::Value::Null)
}

/// The JSON value as text, when it is a string.
fn string_of(raw: &RawValue) -> Option<String> {
    serde_json::from_str::<String>(raw.get()).ok()
}

/// Types a value by its JSON alone.
fn inferred(raw: &RawValue) -> FieldValue {
    match value_of(raw) {
        serde_json::Value::String(s) => FieldValue::Text(s),
        serde_json::Value::Bool(b) => FieldValue::Boolean(b),
        serde_json::Value::Number(n) => match n.as_i64() {
            Some(i) if !raw.get().contains(['.', 'e', 'E']) => FieldValue::Number(i),
            _ => decimal(raw).map_or(
                FieldValue::Raw(serde_json::Value::Number(n)),
                FieldValue::Decimal,
            ),
        },
        other => FieldValue::Raw(other),
    }
}

/// Types a value by its definition's kind; falls back to [`FieldValue::Raw`] when it does not
/// fit.
pub fn typed(kind: Option<&CustomFieldKind>, raw: &RawValue) -> FieldValue {
    let fallback = || FieldValue::Raw(value_of(raw));
    let Some(kind) = kind else {
        return inferred(raw);
    };
    match kind {
        CustomFieldKind::Text | CustomFieldKind::LongText => match value_of(raw) {
            serde_json::Value::String(s) => FieldValue::Text(s),
            serde_json::Value::Number(n) if n.is_i64() => {
                FieldValue::Number(n.as_i64().unwrap_or_default())
            }
            v => FieldValue::Raw(v),
        },
        CustomFieldKind::Url => string_of(raw).map_or_else(fallback, FieldValue::Url),
        CustomFieldKind::SingleChoice => {
            string_of(raw).map_or_else(fallback, FieldValue::SingleChoice)
        }
        CustomFieldKind::MultiChoice => match value_of(raw) {
            serde_json::Value::String(s) => FieldValue::MultiChoice(
                s.split(';')
                    .map(str::trim)
                    .filter(|p| !p.is_empty())
                    .map(str::to_string)
                    .collect(),
            ),
            serde_json::Value::Array(a) if a.iter().all(|v| v.is_string()) => {
                FieldValue::MultiChoice(
                    a.into_iter()
                        .filter_map(|v| v.as_str().map(str::to_string))
                        .collect(),
                )
            }
            v => FieldValue::Raw(v),
        },
        CustomFieldKind::Decimal => decimal(raw).map_or_else(fallback, FieldValue::Decimal),
        CustomFieldKind::Number | CustomFieldKind::Lookup => match value_of(raw) {
            serde_json::Value::Number(n) if n.is_i64() => {
                FieldValue::Number(n.as_i64().unwrap_or_default())
            }
            serde_json::Value::String(s) => s.trim().parse::<i64>().map_or(
                FieldValue::Raw(serde_json::Value::String(s)),
                FieldValue::Number,
            ),
            v => FieldValue::Raw(v),
        },
        CustomFieldKind::Date => string_of(raw)
            .and_then(|s| dates::parse_datetime(&s))
            .map_or_else(fallback, |d| FieldValue::Date(d.date_naive())),
        CustomFieldKind::DateTime => string_of(raw)
            .and_then(|s| dates::parse_datetime(&s))
            .map_or_else(fallback, FieldValue::DateTime),
        CustomFieldKind::Boolean => match value_of(raw) {
            serde_json::Value::Bool(b) => FieldValue::Boolean(b),
            serde_json::Value::String(s) if s.eq_ignore_ascii_case("true") || s == "1" => {
                FieldValue::Boolean(true)
            }
            serde_json::Value::String(s) if s.eq_ignore_ascii_case("false") || s == "0" => {
                FieldValue::Boolean(false)
            }
            serde_json::Value::Number(n) if n.as_i64() == Some(0) => FieldValue::Boolean(false),
            serde_json::Value::Number(n) if n.as_i64() == Some(1) => FieldValue::Boolean(true),
            v => FieldValue::Raw(v),
        },
        _ => inferred(raw),
    }
}

/// Reads `CUSTOMFIELDS`.
pub fn read(fields: &Option<Vec<CustomFieldWire>>, defs: &Definitions) -> Vec<CustomFieldValue> {
    fields
        .iter()
        .flatten()
        .filter_map(|f| {
            let name = super::text(&f.field_name)?;
            let def = defs.get(&name);
            let value = f
                .field_value
                .as_deref()
                .filter(|r| r.get().trim() != "null")
                .map(|r| typed(def.map(|d| &d.kind), r));
            Some(CustomFieldValue {
                definition_id: CustomFieldId::new(name),
                name: def.map(|d| d.name.clone()),
                value,
                row_id: None,
            })
        })
        .collect()
}

/// A `CUSTOMFIELDS` item to send.
#[derive(Debug, Clone, Serialize)]
pub struct CustomFieldOut {
    /// `FIELD_NAME`.
    #[serde(rename = "FIELD_NAME")]
    pub field_name: String,
    /// `FIELD_VALUE`, exact.
    #[serde(rename = "FIELD_VALUE")]
    pub field_value: Box<RawValue>,
}

fn raw_json<T: Serialize + ?Sized>(v: &T) -> Result<Box<RawValue>> {
    serde_json::value::to_raw_value(v)
        .map_err(|e| unicrm_core::Error::config(format!("cannot serialize a custom field: {e}")))
}

/// The wire value of a unified value.
pub fn wire_value(v: Option<&FieldValue>) -> Result<Box<RawValue>> {
    match v {
        None => raw_json(&serde_json::Value::Null),
        Some(FieldValue::Text(s) | FieldValue::SingleChoice(s) | FieldValue::Url(s)) => raw_json(s),
        Some(FieldValue::Number(n)) => raw_json(n),
        Some(FieldValue::Decimal(d)) => RawValue::from_string(d.to_string())
            .map_err(|e| unicrm_core::Error::config(format!("decimal {d}: {e}"))),
        Some(FieldValue::Date(d)) => raw_json(&dates::format_date(d)),
        Some(FieldValue::DateTime(d)) => raw_json(&dates::format_datetime(d)),
        Some(FieldValue::Boolean(b)) => raw_json(b),
        Some(FieldValue::MultiChoice(v)) => raw_json(&v.join(";")),
        Some(FieldValue::Raw(v)) => raw_json(v),
        Some(other) => raw_json(other),
    }
}

/// The wire list for `values`.
pub fn to_wire(values: &[CustomFieldValue]) -> Result<Vec<CustomFieldOut>> {
    values
        .iter()
        .map(|v| {
            Ok(CustomFieldOut {
                field_name: v.definition_id.as_str().to_string(),
                field_value: wire_value(v.value.as_ref())?,
            })
        })
        .collect()
}

/// Writes a custom fields patch. `Set` sends the listed fields (the vendor merges by
/// `FIELD_NAME`, so unlisted fields keep their values) except those the definitions mark
/// read-only; `Clear` sends `null` for every writable field of the definitions.
pub fn put(
    body: &mut Body,
    patch: &Patch<Vec<CustomFieldValue>>,
    defs: &Definitions,
) -> Result<()> {
    match patch {
        Patch::Unchanged => Ok(()),
        Patch::Set(v) => {
            let writable: Vec<CustomFieldValue> = v
                .iter()
                .filter(|f| !defs.is_read_only(f.definition_id.as_str()))
                .cloned()
                .collect();
            body.set("CUSTOMFIELDS", &to_wire(&writable)?)
        }
        Patch::Clear => {
            let cleared: Vec<CustomFieldValue> = defs
                .editable()
                .iter()
                .map(|n| CustomFieldValue {
                    definition_id: CustomFieldId::new(n.clone()),
                    name: None,
                    value: None,
                    row_id: None,
                })
                .collect();
            body.set("CUSTOMFIELDS", &to_wire(&cleared)?)
        }
    }
}
