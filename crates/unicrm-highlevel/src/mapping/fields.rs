//! Shared conversions: HighLevel times, dates and custom-field values
//! (docs/vendors/highlevel-v2.md, "Base URL and Version header" (times), "Contact custom
//! field values").

use chrono::{DateTime, NaiveDate, TimeZone, Utc};
use serde_json::Value;
use unicrm_core::{CustomFieldValue, FieldValue};

use crate::wire::contact::{WireFieldValue, WireFieldWrite};

/// An ISO 8601 time (with `Z` or an offset), or `YYYY-MM-DD HH:MM:SS` (some spec examples,
/// taken as UTC); anything else is `None`.
pub(crate) fn time(s: Option<&str>) -> Option<DateTime<Utc>> {
    let s = s?.trim();
    DateTime::parse_from_rfc3339(s)
        .map(|t| t.with_timezone(&Utc))
        .ok()
        .or_else(|| {
            chrono::NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M:%S")
                .ok()
                .map(|n| n.and_utc())
        })
}

/// A time given as ISO text or as epoch milliseconds (`lastActivity` in v1 data).
pub(crate) fn time_value(v: Option<&Value>) -> Option<DateTime<Utc>> {
    match v? {
        Value::String(s) => time(Some(s)),
        Value::Number(n) => n
            .as_i64()
            .and_then(|ms| Utc.timestamp_millis_opt(ms).single()),
        _ => None,
    }
}

/// The ISO form HighLevel writes: milliseconds and `Z`.
pub(crate) fn iso(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}

/// A date of birth: `1990-01-01` (search) or `2000-01-05T00:00:00.000Z` (GET, webhooks).
pub(crate) fn date(s: Option<&str>) -> Option<NaiveDate> {
    let s = s?.trim();
    NaiveDate::parse_from_str(s, "%Y-%m-%d")
        .ok()
        .or_else(|| time(Some(s)).map(|t| t.date_naive()))
}

/// A custom field value as read, kept as HighLevel's JSON ("Uncertain" 7: the type follows
/// the definition's `dataType`, which the contact does not carry): strings stay text, string
/// arrays become a multi-choice, integers numbers, anything else raw JSON.
pub(crate) fn field_value(w: WireFieldValue) -> CustomFieldValue {
    let value = match w.value {
        Value::Null => None,
        Value::String(s) => Some(FieldValue::Text(s)),
        Value::Bool(b) => Some(FieldValue::Boolean(b)),
        Value::Number(n) if n.is_i64() => n.as_i64().map(FieldValue::Number),
        Value::Array(a) if a.iter().all(Value::is_string) => Some(FieldValue::MultiChoice(
            a.into_iter()
                .filter_map(|v| v.as_str().map(str::to_string))
                .collect(),
        )),
        other => Some(FieldValue::Raw(other)),
    };
    CustomFieldValue {
        definition_id: w.id.into(),
        name: None,
        value,
        row_id: None,
    }
}

/// A unified value as written: `{id, field_value}`; `None` clears (empty string).
pub(crate) fn field_write(v: &CustomFieldValue) -> WireFieldWrite {
    let field_value = match &v.value {
        None => Value::String(String::new()),
        Some(FieldValue::Text(s) | FieldValue::SingleChoice(s) | FieldValue::Url(s)) => {
            Value::String(s.clone())
        }
        Some(FieldValue::Number(n)) => Value::from(*n),
        Some(FieldValue::Decimal(d)) => Value::String(d.to_string()),
        Some(FieldValue::Date(d)) => Value::String(d.format("%Y-%m-%d").to_string()),
        Some(FieldValue::DateTime(t)) => Value::String(iso(*t)),
        Some(FieldValue::Boolean(b)) => Value::Bool(*b),
        Some(FieldValue::MultiChoice(a)) => {
            Value::Array(a.iter().cloned().map(Value::String).collect())
        }
        Some(FieldValue::Raw(v)) => v.clone(),
        Some(other) => serde_json::to_value(other).unwrap_or(Value::Null),
    };
    WireFieldWrite {
        id: v.definition_id.as_str().to_string(),
        field_value,
    }
}
