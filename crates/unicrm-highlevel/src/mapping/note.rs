//! HighLevel note ↔ unified `Note` (docs/vendors/highlevel-v2.md, "Notes").
//!
//! | HighLevel | unified |
//! | --- | --- |
//! | `contactId` + `id` | `id` = `<contactId>:<noteId>` (see `resources/sub_id.rs`) |
//! | `body` (may be HTML; `bodyText` is its text) | `content` |
//! | `title` | `title` |
//! | `userId` (`null` for API notes) | `owner_id` |
//! | `contactId` | `contact_id` |
//! | `dateAdded` | `created_at` (there is no `dateUpdated`: `updated_at` stays empty) |
//!
//! Writes: `body`, `title`, `userId` (`color`, `pinned` through `vendor_fields`); never
//! `locationId` (a 422). A note cannot move to another contact.

use serde_json::Value;
use unicrm_core::{Error, NewNote, Note, NotePatch, Patch, RawPayload, Result};

use super::fields;
use crate::resources::sub_id;
use crate::wire::note::{WireNote, WireNoteWrite};

/// A note from its JSON; `contact` is the contact it was listed under (used when the note
/// does not name it).
pub(crate) fn from_wire(value: Value, contact: Option<&str>) -> Result<Note> {
    let (w, raw) = crate::wire::record_value::<WireNote>(&value)?;
    Ok(from_parsed(w, raw, contact))
}

/// A decoded note and its raw payload, mapped.
pub(crate) fn from_parsed(w: WireNote, raw: RawPayload, contact: Option<&str>) -> Note {
    let contact_id = w.contact_id.clone().or(contact.map(str::to_string));
    let id = match &contact_id {
        Some(c) => sub_id::join(c, &w.id),
        None => w.id.clone(),
    };
    Note {
        id: id.into(),
        content: w.body.or(w.body_text).unwrap_or_default(),
        title: w.title.filter(|t| !t.is_empty()),
        owner_id: w.user_id.map(Into::into),
        contact_id: contact_id.map(Into::into),
        created_at: fields::time(w.date_added.as_deref()),
        raw: Some(raw),
        ..Default::default()
    }
}

/// The body of `POST /contacts/{contactId}/notes`.
pub(crate) fn to_create(n: &NewNote) -> Result<WireNoteWrite> {
    if n.content.trim().is_empty() {
        return Err(Error::validation("a HighLevel note needs content"));
    }
    Ok(WireNoteWrite {
        body: Some(n.content.clone()),
        title: n.title.clone().map(Some),
        user_id: n.owner_id.as_ref().map(|u| Some(u.to_string())),
        vendor_fields: n.vendor_fields.clone(),
    })
}

/// The body of `PUT /contacts/{contactId}/notes/{id}`.
pub(crate) fn to_patch(p: &NotePatch) -> Result<WireNoteWrite> {
    if !p.contact_id.is_unchanged() {
        return Err(Error::validation(
            "a HighLevel note cannot move to another contact",
        ));
    }
    let body = match &p.content {
        Patch::Unchanged => None,
        Patch::Set(c) if !c.trim().is_empty() => Some(c.clone()),
        _ => return Err(Error::validation("a HighLevel note needs content")),
    };
    let opt = |p: &Patch<String>| match p {
        Patch::Unchanged => None,
        Patch::Set(v) => Some(Some(v.clone())),
        Patch::Clear => Some(None),
    };
    Ok(WireNoteWrite {
        body,
        title: opt(&p.title),
        user_id: opt(&p.owner_id.as_ref().map(|u| u.to_string())),
        vendor_fields: p.vendor_fields.clone(),
    })
}
