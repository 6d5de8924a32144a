//! Reading one cell out of a record's unified JSON, and writing it as text.

use std::borrow::Cow;

use serde_json::Value;

use super::CustomField;

/// How a column reads its value from a record's unified JSON.
#[derive(Debug, Clone, PartialEq)]
pub enum Getter {
    /// A path of keys and list indices (`emails`, `0`, `address`).
    Path(Vec<String>),
    /// The first of these paths that has a value.
    FirstOf(Vec<Vec<String>>),
    /// `name` if the record has one, else first and last name (prefix included).
    PersonName,
    /// A list's items (or the item's `key`), joined with `; `.
    Joined {
        /// The list field.
        field: String,
        /// The key read from each item, or the item itself.
        key: Option<String>,
    },
    /// A list of links, as `kind:id`, joined.
    Links(String),
    /// The first postal address, on one line.
    Address(String),
    /// The value of the custom field whose definition id, name or key is one of `names`.
    Custom {
        /// Id, name and key of the definition.
        names: Vec<String>,
    },
    /// Every custom field value as `name=value`, joined (when no definitions are known).
    AllCustom(String),
    /// What a note or task is about: the first of its contact, account, opportunity and lead.
    About,
}

fn present(v: &Value) -> bool {
    match v {
        Value::Null => false,
        Value::String(s) => !s.is_empty(),
        Value::Array(a) => !a.is_empty(),
        _ => true,
    }
}

fn at<'a>(record: &'a Value, path: &[String]) -> Option<&'a Value> {
    let mut v = record;
    for seg in path {
        v = match v {
            Value::Object(m) => m.get(seg)?,
            Value::Array(a) => a.get(seg.parse::<usize>().ok()?)?,
            _ => return None,
        };
    }
    Some(v)
}

/// The value inside a custom field value (`{"type":"text","value":"x"}` → `"x"`).
fn field_value(v: &Value) -> Value {
    v.get("value").cloned().unwrap_or(Value::Null)
}

impl Getter {
    pub(super) fn custom(d: &CustomField) -> Self {
        let mut names = vec![d.id.clone(), d.name.clone()];
        names.extend(d.key.clone());
        Getter::Custom { names }
    }

    /// The value of this column in `record` (`Null` when absent).
    pub fn get<'a>(&self, record: &'a Value) -> Cow<'a, Value> {
        let null = Cow::Owned(Value::Null);
        match self {
            Getter::Path(p) => at(record, p).map_or(null, Cow::Borrowed),
            Getter::FirstOf(paths) => paths
                .iter()
                .find_map(|p| at(record, p).filter(|v| present(v)))
                .map_or(null, Cow::Borrowed),
            Getter::PersonName => {
                if let Some(n) = record.get("name").filter(|v| present(v)) {
                    return Cow::Borrowed(n);
                }
                let parts: Vec<&str> = ["prefix", "first_name", "last_name"]
                    .iter()
                    .filter_map(|k| record.get(*k).and_then(Value::as_str))
                    .filter(|s| !s.trim().is_empty())
                    .collect();
                if parts.is_empty() {
                    null
                } else {
                    Cow::Owned(Value::String(parts.join(" ")))
                }
            }
            Getter::Joined { field, key } => {
                let Some(Value::Array(items)) = record.get(field) else {
                    return null;
                };
                let texts: Vec<String> = items
                    .iter()
                    .map(|i| match key {
                        Some(k) => i.get(k).map(scalar_text).unwrap_or_default(),
                        None => scalar_text(i),
                    })
                    .filter(|s| !s.is_empty())
                    .collect();
                Cow::Owned(Value::String(texts.join("; ")))
            }
            Getter::Links(field) => {
                let Some(Value::Array(items)) = record.get(field) else {
                    return null;
                };
                let texts: Vec<String> = items
                    .iter()
                    .map(|l| {
                        let id = l.get("id").map(scalar_text).unwrap_or_default();
                        match l.get("kind").and_then(Value::as_str) {
                            Some(kind) => format!("{kind}:{id}"),
                            None => id,
                        }
                    })
                    .collect();
                Cow::Owned(Value::String(texts.join("; ")))
            }
            Getter::Address(field) => {
                let Some(a) = record.get(field).and_then(|v| v.get(0)) else {
                    return null;
                };
                let parts: Vec<&str> = [
                    "street_1",
                    "street_2",
                    "city",
                    "state",
                    "postal_code",
                    "country",
                ]
                .iter()
                .filter_map(|k| a.get(*k).and_then(Value::as_str))
                .filter(|s| !s.trim().is_empty())
                .collect();
                Cow::Owned(Value::String(parts.join(", ")))
            }
            Getter::Custom { names } => {
                let Some(Value::Array(items)) = record.get("custom_fields") else {
                    return null;
                };
                // The definition id first (what every value carries), then the name.
                for key in ["definition_id", "name"] {
                    let hit = items.iter().find(|cf| {
                        cf.get(key)
                            .and_then(Value::as_str)
                            .is_some_and(|v| names.iter().any(|n| n == v))
                    });
                    if let Some(cf) = hit {
                        return Cow::Owned(cf.get("value").map(field_value).unwrap_or(Value::Null));
                    }
                }
                null
            }
            Getter::AllCustom(field) => {
                let Some(Value::Array(items)) = record.get(field) else {
                    return null;
                };
                let texts: Vec<String> = items
                    .iter()
                    .map(|cf| {
                        let name = cf
                            .get("name")
                            .filter(|v| present(v))
                            .or_else(|| cf.get("definition_id"))
                            .map(scalar_text)
                            .unwrap_or_default();
                        let value = cf.get("value").map(field_value).unwrap_or(Value::Null);
                        format!("{name}={}", scalar_text(&value))
                    })
                    .collect();
                Cow::Owned(Value::String(texts.join("; ")))
            }
            Getter::About => {
                for (key, kind) in [
                    ("contact_id", "contact"),
                    ("account_id", "account"),
                    ("opportunity_id", "opportunity"),
                    ("lead_id", "lead"),
                    ("project_id", "project"),
                ] {
                    if let Some(id) = record.get(key).filter(|v| present(v)) {
                        return Cow::Owned(Value::String(format!("{kind}:{}", scalar_text(id))));
                    }
                }
                null
            }
        }
    }
}

/// A value as text: strings as they are, null empty, lists joined with `; `, money as
/// `amount currency`, a custom field value by its inner value, other objects as JSON.
pub fn scalar_text(v: &Value) -> String {
    match v {
        Value::Null => String::new(),
        Value::String(s) => s.clone(),
        Value::Bool(b) => b.to_string(),
        Value::Number(n) => n.to_string(),
        Value::Array(items) => items.iter().map(scalar_text).collect::<Vec<_>>().join("; "),
        Value::Object(o) => {
            if let (Some(a), Some(c)) = (o.get("amount"), o.get("currency")) {
                return format!("{} {}", scalar_text(a), scalar_text(c));
            }
            if o.contains_key("type") && o.contains_key("value") && o.len() == 2 {
                return scalar_text(&o["value"]);
            }
            v.to_string()
        }
    }
}

/// A CSV cell: the value as text, exactly (newlines kept; the CSV writer quotes them).
pub fn csv_text(v: &Value) -> String {
    scalar_text(v)
}

/// A table cell: the value as text on one line (newlines and tabs become spaces).
pub fn table_text(v: &Value) -> String {
    let s = scalar_text(v);
    if s.contains(['\n', '\r', '\t']) {
        s.split(['\n', '\r', '\t'])
            .filter(|p| !p.is_empty())
            .collect::<Vec<_>>()
            .join(" ")
    } else {
        s
    }
}
