//! Capsule's wire format: serde structs for what the API sends, and the envelope decoding.
//!
//! Reading rules (vendor doc, top): unknown keys are ignored, a missing key and `null` are the
//! same for every optional field (lists and flags included), enums are plain strings (open).
//! Numbers that must stay exact (money, probabilities, custom field values) are kept as their
//! JSON text ([`RawValue`]) and parsed into decimals by the mappings.
//!
//! Records are decoded one by one from their own JSON text, so each keeps its exact payload
//! (the unified record's `raw`) and a decoding error names the full JSON path
//! (`parties[3].createdAt`).

mod activity_type;
mod entry;
mod field;
mod hook;
mod opportunity;
mod party;
mod pipeline;
mod project;
mod task;
mod user;

use std::collections::HashMap;

use serde::de::DeserializeOwned;
use serde::{Deserialize, Deserializer};
use serde_json::value::RawValue;
use unicrm_core::RawPayload;
use unicrm_core::error::{Error, Result};

pub use activity_type::*;
pub use entry::*;
pub use field::*;
pub use hook::*;
pub use opportunity::*;
pub use party::*;
pub use pipeline::*;
pub use project::*;
pub use task::*;
pub use user::*;

/// `null` and absent both give the default (for lists and flags).
pub(crate) fn nullable<'de, D, T>(d: D) -> std::result::Result<T, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de> + Default,
{
    Ok(Option::<T>::deserialize(d)?.unwrap_or_default())
}

/// A reference to another record: `{"id": 3, "name": "Call"}` (teams, milestones, lost reasons,
/// categories, activity types, kases). Activity type ids can be negative.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct NestedRef {
    /// Id.
    pub id: Option<i64>,
    /// Name, when sent.
    pub name: Option<String>,
}

/// A nested party: `{id, type, name | firstName/lastName, pictureURL}`.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct NestedParty {
    /// Id.
    pub id: Option<u64>,
    /// `person` or `organisation`.
    #[serde(rename = "type")]
    pub kind: Option<String>,
    /// Organisation name.
    pub name: Option<String>,
    /// Person's first name.
    pub first_name: Option<String>,
    /// Person's last name.
    pub last_name: Option<String>,
    /// Avatar.
    #[serde(rename = "pictureURL")]
    pub picture_url: Option<String>,
}

impl NestedParty {
    /// A display name: the organisation name or the person's full name.
    pub fn display_name(&self) -> Option<String> {
        if let Some(n) = &self.name {
            return Some(n.clone());
        }
        let parts: Vec<&str> = [&self.first_name, &self.last_name]
            .into_iter()
            .filter_map(|p| p.as_deref())
            .filter(|p| !p.is_empty())
            .collect();
        (!parts.is_empty()).then(|| parts.join(" "))
    }
}

/// A nested user: `{id, username, name, pictureURL, deleted}`.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct NestedUser {
    /// Id.
    pub id: Option<u64>,
    /// Login name.
    pub username: Option<String>,
    /// Display name.
    pub name: Option<String>,
}

/// A tag on a record: `{id, name, dataTag}`.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct TagRow {
    /// Tag definition id.
    pub id: Option<u64>,
    /// Name.
    pub name: Option<String>,
    /// Whether the tag groups custom fields.
    #[serde(deserialize_with = "nullable")]
    pub data_tag: bool,
}

/// One entry of a deleted-records feed: `{id, deletedAt}`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DeletedRecord {
    /// Id of the deleted record.
    pub id: u64,
    /// When it was deleted.
    #[serde(default)]
    pub deleted_at: Option<chrono::DateTime<chrono::Utc>>,
}

/// A record decoded from the wire with its exact JSON payload.
#[derive(Debug, Clone)]
pub struct Decoded<T> {
    /// The typed record.
    pub wire: T,
    /// The payload it was decoded from: the record's JSON text, kept verbatim.
    pub raw: RawPayload,
}

/// Decodes `text`; on error, names the JSON path of the bad value after the prefix (core's
/// lazy decoder: the path is tracked only on a second pass after a failure).
fn decode_text_lazy<'a, T: Deserialize<'a>>(
    text: &'a str,
    prefix: impl FnOnce() -> String,
) -> Result<T> {
    unicrm_core::error::decode_lazy(text, prefix)
}

fn decode_text<'a, T: Deserialize<'a>>(text: &'a str, prefix: &str) -> Result<T> {
    decode_text_lazy(text, || prefix.to_string())
}

/// Decodes one JSON document into `T` (no payload kept); errors carry `prefix` before the path.
pub fn decode_at<T: DeserializeOwned>(text: &str, prefix: &str) -> Result<T> {
    decode_text(text, prefix)
}

/// Decodes one record from its JSON text; errors carry `prefix` before the path.
pub fn decode_record<T: DeserializeOwned>(text: &str, prefix: &str) -> Result<Decoded<T>> {
    decode_record_lazy(text, || prefix.to_string())
}

/// One typed parse; the payload is the text itself (valid JSON: it just decoded).
fn decode_record_lazy<T: DeserializeOwned>(
    text: &str,
    prefix: impl FnOnce() -> String,
) -> Result<Decoded<T>> {
    let wire = decode_text_lazy::<T>(text, prefix)?;
    Ok(Decoded {
        wire,
        raw: RawPayload::from_json_text(text),
    })
}

/// The top-level object; its values borrow `body`.
fn envelope(body: &[u8]) -> Result<HashMap<String, &RawValue>> {
    let text = std::str::from_utf8(body).map_err(|e| Error::decode(".", e.to_string()))?;
    decode_text(text, "")
}

/// Decodes `{"<key>": {...}}`.
pub fn decode_one<T: DeserializeOwned>(body: &[u8], key: &str) -> Result<Decoded<T>> {
    let env = envelope(body)?;
    let raw = env
        .get(key)
        .ok_or_else(|| Error::decode(key, format!("missing `{key}` wrapper")))?;
    decode_record(raw.get(), key)
}

/// Decodes `{"<key>": [{...}, …]}`; a missing key or `null` is an empty list.
pub fn decode_list<T: DeserializeOwned>(body: &[u8], key: &str) -> Result<Vec<Decoded<T>>> {
    let env = envelope(body)?;
    let Some(raw) = env.get(key) else {
        return Ok(Vec::new());
    };
    // The items borrow the envelope's text: no copy per record before the payload's own.
    let items: Option<Vec<&RawValue>> = decode_text(raw.get(), key)?;
    items
        .unwrap_or_default()
        .iter()
        .enumerate()
        .map(|(i, item)| decode_record_lazy(item.get(), || format!("{key}[{i}]")))
        .collect()
}

/// Parses the text of a JSON number (or a string holding one) into an exact decimal.
pub fn decimal_from_raw(raw: &RawValue) -> Option<rust_decimal::Decimal> {
    let text = raw.get().trim();
    let text = text
        .strip_prefix('"')
        .and_then(|t| t.strip_suffix('"'))
        .unwrap_or(text)
        .trim();
    decimal_from_text(text)
}

/// Parses decimal text, also in scientific notation (`1.5e3`).
pub fn decimal_from_text(text: &str) -> Option<rust_decimal::Decimal> {
    use std::str::FromStr;
    if text.is_empty() || text == "null" {
        return None;
    }
    rust_decimal::Decimal::from_str(text)
        .ok()
        .or_else(|| rust_decimal::Decimal::from_scientific(text).ok())
}

/// The JSON text of a decimal as a JSON number, exactly (no float on the way).
pub fn decimal_to_raw(d: &rust_decimal::Decimal) -> Result<Box<RawValue>> {
    // A Decimal's Display is plain decimal digits: a valid JSON number.
    RawValue::from_string(d.to_string())
        .map_err(|e| Error::config(format!("cannot write {d} as a JSON number: {e}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn list_keeps_each_record_text_and_names_the_path_of_a_bad_value() {
        let body =
            br#"{"parties": [ {"id": 1, "type": "person"}, {"id": 2,  "type":"organisation"} ]}"#;
        let items = decode_list::<Party>(body, "parties").unwrap();
        assert_eq!(items.len(), 2);
        assert_eq!(items[0].raw.as_str(), r#"{"id": 1, "type": "person"}"#);
        assert_eq!(
            items[1].raw.as_str(),
            r#"{"id": 2,  "type":"organisation"}"#
        );
        assert_eq!(items[1].wire.id, 2);

        let body = br#"{"parties": [{"id": 1}, {"id": 2, "createdAt": "yesterday"}]}"#;
        let de = &mut serde_json::Deserializer::from_str(r#"{"id": 2, "createdAt": "yesterday"}"#);
        let expected = serde_path_to_error::deserialize::<_, Party>(de).unwrap_err();
        match decode_list::<Party>(body, "parties") {
            Err(Error::Decode { path, message }) => {
                assert_eq!(path, "parties[1].createdAt");
                assert_eq!(message, expected.into_inner().to_string());
            }
            other => panic!("expected a decode error, got {other:?}"),
        }
        match decode_one::<Party>(br#"{"party": {"id": "x"}}"#, "party") {
            Err(Error::Decode { path, .. }) => assert_eq!(path, "party.id"),
            other => panic!("expected a decode error, got {other:?}"),
        }
    }
}
