//! Value coercion of the Insightly simulator: how a written value of each field type
//! ([`Ty`]) is checked and stored, and how stored values are compared
//! (docs/vendors/insightly-v3.1.md §11).

use chrono::{NaiveDate, NaiveDateTime};
use serde_json::Value;

use super::schema::Ty;

/// Body format of dates.
pub(crate) const DT_FORMAT: &str = "%Y-%m-%d %H:%M:%S";

/// Parses a date-time in the body form or ISO-8601 (`T`, optional `Z`/fraction); `Ok(None)`
/// for the null-like values `""` and `0000-00-00 00:00:00`.
pub(crate) fn parse_dt(s: &str) -> Result<Option<NaiveDateTime>, ()> {
    let s = s.trim();
    if s.is_empty() || s.starts_with("0000-00-00") {
        return Ok(None);
    }
    let t = s
        .strip_suffix('Z')
        .or_else(|| s.strip_suffix("+00:00"))
        .unwrap_or(s);
    for fmt in [
        DT_FORMAT,
        "%Y-%m-%dT%H:%M:%S",
        "%Y-%m-%d %H:%M:%S%.f",
        "%Y-%m-%dT%H:%M:%S%.f",
    ] {
        if let Ok(dt) = NaiveDateTime::parse_from_str(t, fmt) {
            return Ok(Some(dt));
        }
    }
    if let Ok(d) = NaiveDate::parse_from_str(t, "%Y-%m-%d") {
        return Ok(d.and_hms_opt(0, 0, 0));
    }
    Err(())
}

/// Coerces an input JSON value to the stored form of `ty`, or explains why it cannot.
pub(crate) fn coerce(name: &str, ty: Ty, v: &Value) -> Result<Value, String> {
    if v.is_null() {
        return Ok(Value::Null);
    }
    let bad = |what: &str| Err(format!("The value of {name} is not a valid {what}."));
    match ty {
        Ty::Str => match v {
            Value::String(_) => Ok(v.clone()),
            _ => bad("string"),
        },
        Ty::Int => match v {
            Value::Number(n) => {
                if let Some(i) = n.as_i64() {
                    Ok(Value::from(i))
                } else {
                    match n.as_f64() {
                        Some(f) if f.fract() == 0.0 && f.abs() < 9.0e15 => {
                            Ok(Value::from(f as i64))
                        }
                        _ => bad("integer"),
                    }
                }
            }
            _ => bad("integer"),
        },
        Ty::Num => match v {
            Value::Number(n) if n.as_f64().is_some_and(f64::is_finite) => Ok(v.clone()),
            _ => bad("number"),
        },
        Ty::Bool => match v {
            Value::Bool(_) => Ok(v.clone()),
            _ => bad("boolean"),
        },
        Ty::Dt | Ty::Date => match v {
            Value::String(s) => match parse_dt(s) {
                Ok(None) => Ok(Value::Null),
                Ok(Some(dt)) => {
                    let dt = if ty == Ty::Date {
                        dt.date().and_hms_opt(0, 0, 0).unwrap_or(dt)
                    } else {
                        dt
                    };
                    Ok(Value::String(dt.format(DT_FORMAT).to_string()))
                }
                Err(()) => Err(format!(
                    "The value of {name} is not a valid date; expected yyyy-MM-dd HH:mm:ss."
                )),
            },
            _ => bad("date"),
        },
        Ty::Enum(set) => match v {
            Value::String(s) => {
                let up = s.trim().to_uppercase();
                if set.contains(&up.as_str()) {
                    Ok(Value::String(up))
                } else {
                    Err(format!(
                        "The value '{s}' of {name} is not valid; expected one of {}.",
                        set.join(", ")
                    ))
                }
            }
            _ => bad("string"),
        },
    }
}

/// Text form of a value for search comparisons; `None` for null.
pub(crate) fn text_of(v: &Value) -> Option<String> {
    match v {
        Value::Null => None,
        Value::String(s) => Some(s.clone()),
        Value::Bool(b) => Some(b.to_string()),
        Value::Number(n) => Some(n.to_string()),
        other => Some(other.to_string()),
    }
}

/// Search equality: numerically when both sides are numbers, else case-insensitive text.
pub(crate) fn value_matches(v: &Value, wanted: &str) -> bool {
    let Some(text) = text_of(v) else {
        return false;
    };
    if let (Ok(a), Ok(b)) = (text.parse::<f64>(), wanted.trim().parse::<f64>()) {
        return a == b;
    }
    if let Value::String(s) = v {
        if s.contains(';')
            && s.split(';')
                .any(|p| p.trim().to_lowercase() == wanted.trim().to_lowercase())
        {
            return true;
        }
    }
    text.to_lowercase() == wanted.to_lowercase()
}
