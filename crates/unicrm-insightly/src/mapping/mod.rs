//! Pure mappings between Insightly wire records and unified records, both directions.
//!
//! One file per resource (`contact`, `account` ← Organisation, `opportunity`, `lead`, `task`,
//! `note`, `user`, `pipeline`) and one per shared concern (`custom_fields`, `tags`, `links`,
//! `addresses`, `dates`). Reading never fails on a value it merely does not understand: such
//! values stay in the record's `raw` payload. Writing builds a [`Body`] holding exactly the
//! fields the caller set — an update never sends (and so never wipes) a field the patch leaves
//! unchanged.

pub mod account;
pub mod addresses;
pub mod contact;
pub mod custom_fields;
pub mod dates;
pub mod lead;
pub mod links;
pub mod note;
pub mod opportunity;
pub mod pipeline;
pub mod tags;
pub mod task;
pub mod user;

pub use custom_fields::Definitions;

use serde::Serialize;
use serde::de::DeserializeOwned;
use unicrm_core::{Error, Patch, RawPayload, Result};

use crate::wire::{Body, decode_at};

/// Whether a body is for a create (POST) or an update (PUT).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// POST: nulls are dropped, `LINKS` are sent in the body.
    Create,
    /// PUT: only touched fields, `null` clears; links go through the `/Links` sub-resource.
    Update,
}

/// Decodes a record's JSON text into its wire type and its raw payload (kept on the unified
/// record, unknown keys included). One parse: the payload is the record's text as it is.
pub fn decode_wire<W: DeserializeOwned>(text: &str, prefix: &str) -> Result<(W, RawPayload)> {
    let wire = decode_at::<W>(text, prefix)?;
    Ok((wire, RawPayload::from_json_text(text)))
}

/// An id from the wire as a typed unified id.
pub(crate) fn id<T: From<u64>>(v: Option<u64>) -> Option<T> {
    v.map(T::from)
}

/// A non-empty trimmed string, or `None`.
pub(crate) fn text(v: &Option<String>) -> Option<String> {
    v.as_ref()
        .map(|s| s.trim_end_matches('\0'))
        .filter(|s| !s.trim().is_empty())
        .map(str::to_string)
}

/// A unified id as Insightly's integer id, or a validation error naming the field.
pub(crate) fn wire_id(field: &str, id: &str) -> Result<u64> {
    id.trim().parse::<u64>().map_err(|_| Error::Validation {
        message: format!("{field}: {id:?} is not an Insightly id (a positive integer)"),
        fields: vec![unicrm_core::FieldError {
            field: Some(field.to_string()),
            resource: None,
            message: "not an integer id".to_string(),
        }],
    })
}

/// Writes a patch of a plain value: `Set` → value, `Clear` → `null`, `Unchanged` → nothing.
pub(crate) fn put<T, U: Serialize>(
    body: &mut Body,
    key: &str,
    patch: &Patch<T>,
    f: impl FnOnce(&T) -> Result<U>,
) -> Result<()> {
    match patch {
        Patch::Unchanged => Ok(()),
        Patch::Clear => {
            body.null(key);
            Ok(())
        }
        Patch::Set(v) => body.set(key, &f(v)?),
    }
}

/// [`put`] for strings.
pub(crate) fn put_str(body: &mut Body, key: &str, patch: &Patch<String>) -> Result<()> {
    put(body, key, patch, |s| Ok(s.clone()))
}

/// [`put`] for typed ids, written as integers.
pub(crate) fn put_id<T: std::fmt::Display>(
    body: &mut Body,
    key: &str,
    patch: &Patch<T>,
) -> Result<()> {
    put(body, key, patch, |v| wire_id(key, &v.to_string()))
}

/// Finishes a body: vendor fields merged in, nulls dropped on create.
pub(crate) fn finish(
    mut body: Body,
    mode: Mode,
    vendor_fields: &serde_json::Map<String, serde_json::Value>,
) -> Result<Body> {
    body.merge_vendor_fields(vendor_fields)?;
    if mode == Mode::Create {
        body.strip_nulls();
    }
    Ok(body)
}

/// Assigns items to named slots (Insightly's flat `PHONE_*` / `ADDRESS_*_*` fields): each item
/// goes to its preferred slot, or the first free one; items beyond the slots are dropped.
pub(crate) fn assign_slots<T>(
    items: &[T],
    slots: usize,
    preferred: impl Fn(&T) -> usize,
) -> Vec<Option<&T>> {
    let mut out: Vec<Option<&T>> = vec![None; slots];
    let mut overflow = Vec::new();
    for item in items {
        let p = preferred(item).min(slots.saturating_sub(1));
        match out.get_mut(p) {
            Some(slot @ None) => *slot = Some(item),
            _ => overflow.push(item),
        }
    }
    for item in overflow {
        match out.iter_mut().find(|s| s.is_none()) {
            Some(slot) => *slot = Some(item),
            None => tracing::debug!("insightly has no field left for a list item; dropped"),
        }
    }
    out
}
