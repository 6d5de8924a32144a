//! HighLevel's JSON, as serde types. Unknown keys are skipped; an absent key and `null` mean
//! the same (docs/vendors/highlevel-v2.md, reading rules in the preamble).

pub(crate) mod appointment;
pub(crate) mod business;
pub(crate) mod calendar;
pub(crate) mod contact;
pub(crate) mod field;
pub(crate) mod note;
pub(crate) mod opportunity;
pub(crate) mod task;
pub(crate) mod user;

use serde::Deserialize;
use serde_json::value::RawValue;
use unicrm_core::{Error, RawPayload, Result};

/// A list answer's envelope, its records left as JSON text borrowed from `body` (no copy and
/// no `Value` tree per record: each is decoded once, by `record`).
pub(crate) fn envelope<'a, T: Deserialize<'a>>(body: &'a [u8]) -> Result<T> {
    let text = std::str::from_utf8(body).map_err(|e| Error::decode(".", e.to_string()))?;
    unicrm_core::error::decode_lazy(text, String::new)
}

/// One record's wire type and its raw payload (the record's text as HighLevel sent it,
/// unknown keys included); a decode error names `<key>[<i>]` and the path inside.
pub(crate) fn record<W: serde::de::DeserializeOwned>(
    text: &RawValue,
    key: &str,
    i: usize,
) -> Result<(W, RawPayload)> {
    record_at(text, || format!("{key}[{i}]"))
}

/// As `record`, a decode error naming the path under `prefix()`.
pub(crate) fn record_at<W: serde::de::DeserializeOwned>(
    text: &RawValue,
    prefix: impl FnOnce() -> String,
) -> Result<(W, RawPayload)> {
    let w = unicrm_core::error::decode_lazy(text.get(), prefix)?;
    Ok((w, RawPayload::from_json_text(text.get())))
}

/// One record's wire type and raw payload from an already parsed `Value` (single-record
/// answers and webhook bodies): decoded by reference, no clone unless it fails (then again
/// with path tracking, to name where).
pub(crate) fn record_value<W: serde::de::DeserializeOwned>(
    value: &serde_json::Value,
) -> Result<(W, RawPayload)> {
    match W::deserialize(value) {
        Ok(w) => Ok((w, RawPayload::from_value(value))),
        Err(_) => unicrm_core::error::decode_value::<W>(value.clone())
            .map(|w| (w, RawPayload::from_value(value))),
    }
}

/// `[]` for an absent key or `null`, the items borrowed.
pub(crate) fn raw_list<'de: 'a, 'a, D>(d: D) -> std::result::Result<Vec<&'a RawValue>, D::Error>
where
    D: serde::Deserializer<'de>,
{
    Ok(Option::<Vec<&'a RawValue>>::deserialize(d)?.unwrap_or_default())
}
