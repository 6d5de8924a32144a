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
pub mod email;
pub mod event;

pub mod field_definition;
pub mod lead;
pub mod links;
pub mod note;
pub mod opportunity;
pub mod pipeline;
pub mod project;
pub mod tags;
pub mod task;
pub mod user;

pub use custom_fields::Definitions;

use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::value::RawValue;
use unicrm_core::{
    CustomFieldValue, Email, Error, Patch, Phone, PhoneKind, RawPayload, RecordLink, Result, Tag,
    Website, WebsiteKind,
};

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

/// Reads a record from its JSON text: decodes it as `W` (decode error paths under `prefix`) and
/// maps the wire record and its raw payload with `map` (the resource's `from_wire`).
pub(crate) fn read_json<W: DeserializeOwned, R>(
    text: &RawValue,
    prefix: &str,
    map: impl FnOnce(W, RawPayload) -> R,
) -> Result<R> {
    let (w, raw) = decode_wire::<W>(text.get(), prefix)?;
    Ok(map(w, raw))
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

/// The list a list patch leaves: `Set` → the list, `Clear` → empty, `Unchanged` → `None`.
pub(crate) fn list_patch<T>(p: &Patch<Vec<T>>) -> Option<&[T]> {
    match p {
        Patch::Unchanged => None,
        Patch::Clear => Some(&[]),
        Patch::Set(v) => Some(v),
    }
}

/// A phone read from a flat field, if the field holds a number.
pub(crate) fn phone(v: &Option<String>, kind: PhoneKind, primary: bool) -> Option<Phone> {
    text(v).map(|number| Phone {
        number,
        kind: Some(kind),
        primary,
        row_id: None,
    })
}

/// A website read from a flat field, if the field holds a url.
pub(crate) fn website(v: &Option<String>, kind: WebsiteKind) -> Option<Website> {
    text(v).map(|url| Website {
        url,
        kind: Some(kind),
        row_id: None,
    })
}

/// The emails of a single flat email field: its address as the primary email, if any.
pub(crate) fn sole_email(v: &Option<String>) -> Vec<Email> {
    text(v)
        .map(|address| Email {
            address,
            kind: None,
            primary: true,
            row_id: None,
        })
        .into_iter()
        .collect()
}

/// The address written to a single flat email field: the primary email, or else the first.
pub(crate) fn primary_email(list: &[Email]) -> Option<&String> {
    let e = list.iter().find(|e| e.primary).or(list.first());
    e.map(|e| &e.address)
}

/// The social profiles a contact or an organisation keeps in flat fields.
const SOCIAL_FIELDS: [(&str, WebsiteKind); 3] = [
    ("SOCIAL_LINKEDIN", WebsiteKind::LinkedIn),
    ("SOCIAL_FACEBOOK", WebsiteKind::Facebook),
    ("SOCIAL_TWITTER", WebsiteKind::Twitter),
];

/// The social profiles of a record, read from its `SOCIAL_*` fields.
pub(crate) fn read_socials<'a>(
    linkedin: &'a Option<String>,
    facebook: &'a Option<String>,
    twitter: &'a Option<String>,
) -> impl Iterator<Item = Website> + 'a {
    [linkedin, facebook, twitter]
        .into_iter()
        .zip(SOCIAL_FIELDS)
        .filter_map(|(v, (_, kind))| website(v, kind))
}

/// Writes the `SOCIAL_*` fields of a website list (a kind missing from the list is cleared).
pub(crate) fn put_socials(b: &mut Body, list: &[Website]) -> Result<()> {
    for (key, kind) in SOCIAL_FIELDS {
        let w = list.iter().find(|w| w.kind.as_ref() == Some(&kind));
        b.set_opt(key, w.map(|w| &w.url))?;
    }
    Ok(())
}

/// A create body with its `LINKS` added (left out when there are none).
pub(crate) fn with_links(mut body: Body, links: &[RecordLink]) -> Result<Body> {
    if !links.is_empty() {
        body.set(
            "LINKS",
            &links
                .iter()
                .map(links::to_wire)
                .collect::<Result<Vec<_>>>()?,
        )?;
    }
    Ok(body)
}

/// Finishes the body of a tagged record: `TAGS`, `CUSTOMFIELDS`, then [`finish`].
pub(crate) fn finish_tagged(
    mut body: Body,
    tags: &Patch<Vec<Tag>>,
    fields: &Patch<Vec<CustomFieldValue>>,
    defs: &Definitions,
    mode: Mode,
    vendor_fields: &serde_json::Map<String, serde_json::Value>,
) -> Result<Body> {
    tags::put(&mut body, tags)?;
    custom_fields::put(&mut body, fields, defs)?;
    finish(body, mode, vendor_fields)
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
