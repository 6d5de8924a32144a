//! [`Body`]: the JSON object a POST or PUT sends.

use std::collections::BTreeMap;

use serde::Serialize;
use serde_json::value::RawValue;
use unicrm_core::{Error, Result};

/// A request body: field name → raw JSON value, serialized in key order (deterministic).
///
/// Values are raw JSON so exact decimals (`BID_AMOUNT`) are written digit for digit.
#[derive(Debug, Clone, Default, Serialize)]
#[serde(transparent)]
pub struct Body(BTreeMap<String, Box<RawValue>>);

fn raw<T: Serialize + ?Sized>(v: &T) -> Result<Box<RawValue>> {
    serde_json::value::to_raw_value(v)
        .map_err(|e| Error::config(format!("cannot serialize a request field: {e}")))
}

impl Body {
    /// An empty body.
    pub fn new() -> Self {
        Self::default()
    }

    /// Sets `key` to `value`.
    pub fn set<T: Serialize + ?Sized>(&mut self, key: &str, value: &T) -> Result<()> {
        self.0.insert(key.to_string(), raw(value)?);
        Ok(())
    }

    /// Sets `key` to JSON `null` (clears the field on a PUT).
    pub fn null(&mut self, key: &str) {
        // `null` is always valid JSON.
        if let Ok(v) = RawValue::from_string("null".to_string()) {
            self.0.insert(key.to_string(), v);
        }
    }

    /// Sets `key` to `value`, or to `null` when `value` is `None`.
    pub fn set_opt<T: Serialize + ?Sized>(&mut self, key: &str, value: Option<&T>) -> Result<()> {
        match value {
            Some(v) => self.set(key, v),
            None => {
                self.null(key);
                Ok(())
            }
        }
    }

    /// Sets `key` to an already-encoded JSON value.
    pub fn set_raw(&mut self, key: &str, value: Box<RawValue>) {
        self.0.insert(key.to_string(), value);
    }

    /// Sets `key` to a JSON number written exactly as `text` (a decimal's digits).
    pub fn set_number_text(&mut self, key: &str, text: &str) -> Result<()> {
        let v = RawValue::from_string(text.to_string())
            .map_err(|e| Error::validation(format!("{key}: {text:?} is not a number: {e}")))?;
        self.0.insert(key.to_string(), v);
        Ok(())
    }

    /// Whether `key` is present.
    pub fn contains(&self, key: &str) -> bool {
        self.0.contains_key(key)
    }

    /// The raw JSON of `key`.
    pub fn get(&self, key: &str) -> Option<&RawValue> {
        self.0.get(key).map(|b| &**b)
    }

    /// Removes `key`.
    pub fn remove(&mut self, key: &str) {
        self.0.remove(key);
    }

    /// Drops every `null` field (a create has nothing to clear).
    pub fn strip_nulls(&mut self) {
        self.0.retain(|_, v| v.get().trim() != "null");
    }

    /// Merges caller-supplied vendor fields (the `vendor_fields` escape hatch); they win over
    /// mapped fields of the same name.
    pub fn merge_vendor_fields(
        &mut self,
        fields: &serde_json::Map<String, serde_json::Value>,
    ) -> Result<()> {
        for (k, v) in fields {
            self.set(k, v)?;
        }
        Ok(())
    }

    /// Number of fields.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// `true` when no field is set.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Field names, in order.
    pub fn keys(&self) -> impl Iterator<Item = &str> {
        self.0.keys().map(String::as_str)
    }

    /// Compact JSON text.
    pub fn to_json(&self) -> String {
        serde_json::to_string(self).unwrap_or_else(|_| "{}".to_string())
    }

    /// Indented JSON text (for snapshots and debugging).
    pub fn to_json_pretty(&self) -> String {
        // Re-indent through a Value only for display; exact digits are kept because the
        // values are written as raw text first.
        let mut out = String::from("{\n");
        let n = self.0.len();
        for (i, (k, v)) in self.0.iter().enumerate() {
            let key = serde_json::to_string(k).unwrap_or_default();
            out.push_str("  ");
            out.push_str(&key);
            out.push_str(": ");
            out.push_str(v.get());
            if i + 1 < n {
                out.push(',');
            }
            out.push('\n');
        }
        out.push('}');
        out
    }
}
