//! Note ↔ `/Notes` (docs/vendors/insightly-v3.1.md §11.8).
//!
//! | unified | Insightly |
//! |---|---|
//! | `content` | `BODY` (HTML, kept as is) |
//! | `title` | `TITLE` (required by Insightly: when absent, the first line of the content, cut to 100 characters) |
//! | `owner_id` | `OWNER_USER_ID` |
//! | `contact_id`, `account_id`, `opportunity_id`, `lead_id` | the first `LINKS` to a `Contact`, `Organisation`, `Opportunity`, `Lead` |
//! | `links` | `LINKS` |
//!
//! A note is created under its parent: `POST /{Parent}/{id}/Notes`, the parent being the
//! first of `contact_id`, `account_id`, `opportunity_id`, `lead_id` that is set.

use serde_json::value::RawValue;
use unicrm_core::{NewNote, Note, NotePatch, Patch, ResourceKind, Result};

use super::{Mode, dates, id, links, put_id, put_str, text};
use crate::wire::{Body, NoteWire};

/// Reads a note from its JSON text.
pub fn from_json(text: &RawValue) -> Result<Note> {
    from_json_at(text, "")
}

/// [`from_json`], with `prefix` prepended to decode error paths.
pub fn from_json_at(text: &RawValue, prefix: &str) -> Result<Note> {
    let (w, raw) = super::decode_wire::<NoteWire>(text.get(), prefix)?;
    Ok(from_wire(w, raw))
}

/// Maps a decoded note.
pub fn from_wire(w: NoteWire, raw: unicrm_core::RawPayload) -> Note {
    let all_links = links::read(&w.links);
    Note {
        id: w.note_id.map(Into::into).unwrap_or_default(),
        content: w.body.clone().unwrap_or_default(),
        title: text(&w.title),
        owner_id: id(w.owner_user_id),
        contact_id: links::first_of(&all_links, &ResourceKind::Contact).map(Into::into),
        account_id: links::first_of(&all_links, &ResourceKind::Account).map(Into::into),
        opportunity_id: links::first_of(&all_links, &ResourceKind::Opportunity).map(Into::into),
        lead_id: links::first_of(&all_links, &ResourceKind::Lead).map(Into::into),
        occurred_at: None,
        links: all_links,
        created_at: dates::datetime(w.date_created_utc.as_ref()),
        updated_at: dates::datetime(w.date_updated_utc.as_ref()),
        raw: Some(raw),
    }
}

/// The parent a new note is created under: (`Contacts`, id), …
pub fn parent(new: &NewNote) -> Result<(&'static str, u64)> {
    let candidates = [
        ("Contacts", new.contact_id.as_ref().map(|i| i.as_str())),
        ("Organisations", new.account_id.as_ref().map(|i| i.as_str())),
        (
            "Opportunities",
            new.opportunity_id.as_ref().map(|i| i.as_str()),
        ),
        ("Leads", new.lead_id.as_ref().map(|i| i.as_str())),
    ];
    for (path, id) in candidates {
        if let Some(id) = id {
            return Ok((path, super::wire_id("parent id", id)?));
        }
    }
    // Fall back on a link to a parent-capable record.
    for l in &new.links {
        let path = match l.kind {
            Some(ResourceKind::Contact) => "Contacts",
            Some(ResourceKind::Account) => "Organisations",
            Some(ResourceKind::Opportunity) => "Opportunities",
            Some(ResourceKind::Lead) => "Leads",
            _ => continue,
        };
        return Ok((path, super::wire_id("parent id", &l.id)?));
    }
    Err(unicrm_core::Error::validation(
        "an Insightly note is created under a contact, account, opportunity or lead: set one of their ids",
    ))
}

/// A title derived from the content: its first non-empty line without HTML tags, at most
/// 100 characters, or `Note`.
pub fn derived_title(content: &str) -> String {
    let mut plain = String::new();
    let mut in_tag = false;
    for c in content.chars() {
        match c {
            '<' => {
                in_tag = true;
                plain.push(' ');
            }
            '>' => in_tag = false,
            c if !in_tag => plain.push(c),
            _ => {}
        }
    }
    let line = plain
        .lines()
        .map(|l| l.split_whitespace().collect::<Vec<_>>().join(" "))
        .find(|l| !l.is_empty())
        .unwrap_or_default();
    let cut: String = line.chars().take(100).collect();
    if cut.is_empty() { "Note".into() } else { cut }
}

/// The POST body for a new note (sent to the parent's `/Notes`).
pub fn create_body(new: &NewNote) -> Result<Body> {
    let mut p = NotePatch::from(new.clone());
    if new.title.as_deref().is_none_or(|t| t.trim().is_empty()) {
        p.title = Patch::Set(derived_title(&new.content));
    }
    patch_body(&p, Mode::Create)
}

/// The PUT fields of an update. Insightly requires a title, so clearing it (or setting it
/// blank) sets the title derived from the patch's content, as a create does; without content
/// in the same patch there is nothing to derive it from, and the update is refused before
/// anything is sent.
pub fn update_body(p: &NotePatch) -> Result<Body> {
    let blank = match &p.title {
        Patch::Clear => true,
        Patch::Set(t) => t.trim().is_empty(),
        Patch::Unchanged => false,
    };
    if !blank {
        return patch_body(p, Mode::Update);
    }
    let Patch::Set(content) = &p.content else {
        return Err(unicrm_core::Error::validation(
            "an Insightly note needs a TITLE: clearing the title needs the content in the same \
             update, to derive the title from",
        ));
    };
    let mut p = p.clone();
    p.title = Patch::Set(derived_title(content));
    patch_body(&p, Mode::Update)
}

/// The fields of a patch (see [`super::contact::patch_body`]). Parents are not changed by
/// an update.
pub fn patch_body(p: &NotePatch, mode: Mode) -> Result<Body> {
    let mut b = Body::new();
    put_str(&mut b, "TITLE", &p.title)?;
    put_str(&mut b, "BODY", &p.content)?;
    put_id(&mut b, "OWNER_USER_ID", &p.owner_id)?;
    super::finish(b, mode, &p.vendor_fields)
}
