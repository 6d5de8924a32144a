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
mod event;
mod objects;
mod project;
mod sub;

pub use body::Body;
pub use event::*;
pub use objects::*;
pub use project::*;
pub use sub::*;

use serde::de::DeserializeOwned;
use serde_json::value::RawValue;
use unicrm_core::{Error, Result};

/// Decodes one JSON document, reporting the JSON path of a bad value; `prefix` is prepended
/// to the path (the record's position in a page, `[3]`).
pub fn decode_at<T: DeserializeOwned>(text: &str, prefix: &str) -> Result<T> {
    decode_at_lazy(text, || prefix.to_string())
}

/// [`decode_at`] with the prefix built only when there is an error to report (core's
/// [`unicrm_core::error::decode_lazy`]: the path is tracked only on a second pass after a
/// failure).
pub fn decode_at_lazy<T: DeserializeOwned>(
    text: &str,
    prefix: impl FnOnce() -> String,
) -> Result<T> {
    unicrm_core::error::decode_lazy(text, prefix)
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decode_errors_name_the_path_after_the_prefix() {
        let text = r#"{"CONTACT_ID": 1, "TAGS": [{"TAG_NAME": 5}]}"#;
        let de = &mut serde_json::Deserializer::from_str(text);
        let expected = serde_path_to_error::deserialize::<_, ContactWire>(de).unwrap_err();
        for (prefix, want) in [("", "TAGS[0].TAG_NAME"), ("[3]", "[3].TAGS[0].TAG_NAME")] {
            match decode_at::<ContactWire>(text, prefix) {
                Err(Error::Decode { path, message }) => {
                    assert_eq!(path, want);
                    assert_eq!(message, expected.inner().to_string());
                }
                other => panic!("expected a decode error, got {other:?}"),
            }
        }
        match decode_at_lazy::<ContactWire>("5", || "[0]".into()) {
            Err(Error::Decode { path, .. }) => assert_eq!(path, "[0]"),
            other => panic!("expected a decode error, got {other:?}"),
        }
        let ok: ContactWire = decode_at_lazy(r#"{"CONTACT_ID": 7}"#, || unreachable!()).unwrap();
        assert_eq!(ok.contact_id, Some(7));
    }
}
