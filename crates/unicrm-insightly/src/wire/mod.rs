//! Insightly v3.1 wire types: what the API sends and accepts, field for field.
//!
//! Reading rules (vendor doc, "Reading rule for all code"): every field may be missing or
//! `null` (so every field is an `Option`), unknown keys are ignored here and kept in the
//! unified record's `raw` payload, enums stay strings and are compared case-insensitively in
//! [`crate::mapping`]. Amounts (`BID_AMOUNT`) and custom field values are kept as raw JSON
//! text ([`RawValue`]) so numbers are parsed exactly, never through `f64`.
//!
//! Writes go through [`Body`]: a JSON object of raw values, so a PUT carries exactly the
//! fields the caller touched.

mod body;
mod objects;
mod sub;

pub use body::Body;
pub use objects::*;
pub use sub::*;

use serde::de::DeserializeOwned;
use serde_json::value::RawValue;
use unicrm_core::{Error, Result};

/// Decodes one JSON document, reporting the JSON path of a bad value; `prefix` is prepended
/// to the path (the record's position in a page, `[3]`).
pub fn decode_at<T: DeserializeOwned>(text: &str, prefix: &str) -> Result<T> {
    let de = &mut serde_json::Deserializer::from_str(text);
    serde_path_to_error::deserialize(de).map_err(|e| {
        let inner = e.path().to_string();
        let path = match (prefix.is_empty(), inner.as_str()) {
            (true, p) => p.to_string(),
            (false, ".") => prefix.to_string(),
            (false, p) if p.starts_with('[') => format!("{prefix}{p}"),
            (false, p) => format!("{prefix}.{p}"),
        };
        Error::Decode {
            path,
            message: e.into_inner().to_string(),
        }
    })
}

/// Splits a bare JSON array (an Insightly page) into its raw records.
pub fn decode_array(bytes: &[u8]) -> Result<Vec<Box<RawValue>>> {
    unicrm_core::error::decode_json(bytes)
}

/// Decodes a single-object body into its raw text.
pub fn decode_object(bytes: &[u8]) -> Result<Box<RawValue>> {
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Err(Error::decode(".", "empty body where a record was expected"));
    }
    let raw: Box<RawValue> = unicrm_core::error::decode_json(bytes)?;
    if !raw.get().trim_start().starts_with('{') {
        return Err(Error::decode(".", "expected a JSON object"));
    }
    Ok(raw)
}
