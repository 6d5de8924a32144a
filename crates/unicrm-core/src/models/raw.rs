//! The vendor's JSON text of a record, kept verbatim ([`RawPayload`]).

use std::fmt;

use serde::{Deserialize, Serialize};

/// The vendor's JSON text of one record, kept verbatim (the unified record's `raw`).
///
/// Adapters decode each record once into their typed wire struct and keep the record's text
/// here instead of parsing it a second time into a [`serde_json::Value`]; the value is parsed
/// on demand ([`to_value`](Self::to_value), [`get`](Self::get)). Cloning is cheap (the text is
/// shared).
///
/// Serializing parses the text and serializes the resulting [`serde_json::Value`], so the
/// output is exactly what a `Value` payload gives. Deserializing accepts any JSON value and
/// stores its compact text. Equality compares the parsed values: whitespace and key order do
/// not matter.
#[derive(Clone)]
pub struct RawPayload(std::sync::Arc<str>);

impl RawPayload {
    /// Keeps `text` as it is. The caller guarantees it is valid JSON (for example the text of
    /// a [`serde_json::value::RawValue`] or a wire record that just decoded from it).
    pub fn from_json_text(text: &str) -> Self {
        RawPayload(std::sync::Arc::from(text))
    }

    /// The compact JSON text of `value`.
    pub fn from_value(value: &serde_json::Value) -> Self {
        RawPayload(std::sync::Arc::from(value.to_string()))
    }

    /// The JSON text, as the vendor sent it.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Parses the text into a [`serde_json::Value`]. The text is valid JSON by construction;
    /// should it not be, this gives [`serde_json::Value::Null`].
    pub fn to_value(&self) -> serde_json::Value {
        serde_json::from_str(&self.0).unwrap_or(serde_json::Value::Null)
    }

    /// The value of `key` when the payload is an object that has it.
    pub fn get(&self, key: &str) -> Option<serde_json::Value> {
        match self.to_value() {
            serde_json::Value::Object(mut map) => map.remove(key),
            _ => None,
        }
    }
}

impl From<serde_json::Value> for RawPayload {
    fn from(value: serde_json::Value) -> Self {
        RawPayload::from_value(&value)
    }
}

impl From<&serde_json::Value> for RawPayload {
    fn from(value: &serde_json::Value) -> Self {
        RawPayload::from_value(value)
    }
}

impl PartialEq for RawPayload {
    fn eq(&self, other: &Self) -> bool {
        self.0 == other.0 || self.to_value() == other.to_value()
    }
}

impl PartialEq<serde_json::Value> for RawPayload {
    fn eq(&self, other: &serde_json::Value) -> bool {
        self.to_value() == *other
    }
}

impl fmt::Debug for RawPayload {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl Serialize for RawPayload {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        self.to_value().serialize(serializer)
    }
}

impl<'de> Deserialize<'de> for RawPayload {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let value = serde_json::Value::deserialize(deserializer)?;
        Ok(RawPayload::from_value(&value))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::models::{CustomFieldDefinition, CustomFieldId, CustomFieldKind};

    #[test]
    fn raw_payload_round_trips_and_compares_by_value() {
        let text = "{ \"b\": [1, 2.5, \"x\"],\n  \"a\": {\"n\": null, \"t\": true} }";
        let raw = RawPayload::from_json_text(text);
        assert_eq!(raw.as_str(), text);
        let value: serde_json::Value = serde_json::from_str(text).unwrap();
        assert_eq!(raw.to_value(), value);
        assert_eq!(raw.get("b"), Some(serde_json::json!([1, 2.5, "x"])));
        assert_eq!(raw.get("missing"), None);

        // Serializes exactly as the parsed value does (JSON and YAML alike).
        assert_eq!(
            serde_json::to_string(&raw).unwrap(),
            serde_json::to_string(&value).unwrap()
        );
        assert_eq!(
            serde_json::to_string_pretty(&raw).unwrap(),
            serde_json::to_string_pretty(&value).unwrap()
        );

        // Equal to the same value written differently (whitespace, key order).
        let compact = RawPayload::from_json_text(r#"{"a":{"t":true,"n":null},"b":[1,2.5,"x"]}"#);
        assert_eq!(raw, compact);
        assert_eq!(raw, RawPayload::from_value(&value));
        assert_ne!(raw, RawPayload::from_json_text(r#"{"a":1}"#));

        // Round trip through JSON: deserializing keeps the compact text.
        let json = serde_json::to_string(&raw).unwrap();
        let back: RawPayload = serde_json::from_str(&json).unwrap();
        assert_eq!(back, raw);
        assert_eq!(back.as_str(), value.to_string());
        assert_eq!(format!("{back:?}"), back.as_str());

        // Inside a record's optional `raw` field.
        let def = CustomFieldDefinition {
            id: CustomFieldId::from("1"),
            name: "Region".into(),
            key: None,
            kind: CustomFieldKind::Text,
            options: Vec::new(),
            applies_to: Vec::new(),
            description: None,
            raw: Some(raw.clone()),
        };
        let json = serde_json::to_value(&def).unwrap();
        assert_eq!(json["raw"], value);
        let back: CustomFieldDefinition = serde_json::from_value(json).unwrap();
        assert_eq!(back, def);
    }

    #[test]
    fn raw_payload_of_invalid_text_is_null() {
        let raw = RawPayload::from_json_text("{not json");
        assert_eq!(raw.to_value(), serde_json::Value::Null);
        assert_eq!(raw.get("a"), None);
    }
}
