//! Capsule entry of type `note` ↔ unified [`Note`].
//!
//! | Capsule | unified |
//! |---|---|
//! | `content` | `content` |
//! | `subject` | `title` (emails only; ignored on notes when written) |
//! | `entryAt` | `occurred_at` |
//! | `creator` | `owner_id` (read-only: always the token's user) |
//! | `party` | `contact_id` (person) or `account_id` (organisation) |
//! | `opportunity`, `kase` | `opportunity_id`, a `links` entry of kind `kase` |
//!
//! Entries of type `email` and `task` are history, not notes: listings skip them.
//! `activityType` and `attachments` stay in `raw`. A note links to exactly one record.

use unicrm_core::error::{Error, Result};
use unicrm_core::{
    AccountId, ContactId, NewNote, Note, NoteId, NotePatch, OpportunityId, Patch, RecordLink,
    UserId,
};

use super::task::{kase_kind, single_link};
use super::{Body, IdRef, format_datetime, non_empty};
use crate::wire::{Decoded, WireEntry};

/// An entry → note.
pub fn note_from_wire(d: &Decoded<WireEntry>) -> Note {
    let e = &d.wire;
    let (contact_id, account_id) = match &e.party {
        Some(p) => match (p.id, p.kind.as_deref()) {
            (Some(id), Some(k)) if k.eq_ignore_ascii_case("organisation") => {
                (None, Some(AccountId::from(id)))
            }
            (Some(id), _) => (Some(ContactId::from(id)), None),
            _ => (None, None),
        },
        None => (None, None),
    };
    Note {
        id: NoteId::from(e.id),
        content: e.content.clone().unwrap_or_default(),
        title: non_empty(&e.subject),
        owner_id: e.creator.as_ref().and_then(|c| c.id).map(UserId::from),
        contact_id,
        account_id,
        opportunity_id: e
            .opportunity
            .as_ref()
            .and_then(|o| o.id)
            .map(|id| OpportunityId::from(id.to_string())),
        lead_id: None,
        occurred_at: e.entry_at,
        links: e
            .kase
            .as_ref()
            .and_then(|k| k.id)
            .map(|id| RecordLink {
                kind: Some(kase_kind()),
                id: id.to_string(),
                role: None,
            })
            .into_iter()
            .collect(),
        created_at: e.created_at,
        updated_at: e.updated_at,
        raw: Some(d.raw.clone()),
    }
}

fn kase_of(links: &[RecordLink]) -> Option<&str> {
    links
        .iter()
        .find(|l| l.kind.as_ref() == Some(&kase_kind()))
        .map(|l| l.id.as_str())
}

/// The body of `POST /entries` for a note.
pub fn new_note_to_wire(n: &NewNote) -> Result<Body> {
    if n.content.trim().is_empty() {
        return Err(Error::validation("a note needs content"));
    }
    let Some((key, id)) = single_link(
        n.contact_id.as_ref(),
        n.account_id.as_ref(),
        n.opportunity_id.as_ref(),
        kase_of(&n.links),
    )?
    else {
        return Err(Error::validation(
            "a Capsule note must be linked to a contact, an account, an opportunity or a kase",
        ));
    };
    let mut b = Body::new();
    b.set("type", "note")?;
    b.set("content", &n.content)?;
    b.set(key, &IdRef { id })?;
    if let Some(at) = &n.occurred_at {
        b.set("entryAt", &format_datetime(at))?;
    }
    b.merge_vendor_fields(&n.vendor_fields)?;
    Ok(b)
}

/// The body of `PUT /entries/{id}`: Capsule edits `content` and `entryAt` only.
pub fn note_patch_to_wire(p: &NotePatch) -> Result<Body> {
    let mut b = Body::new();
    match &p.content {
        Patch::Unchanged => {}
        Patch::Set(c) if !c.trim().is_empty() => b.set("content", c)?,
        _ => return Err(Error::validation("a note needs content")),
    }
    match &p.occurred_at {
        Patch::Unchanged => {}
        Patch::Set(at) => b.set("entryAt", &format_datetime(at))?,
        Patch::Clear => return Err(Error::validation("a Capsule note always has an entryAt")),
    }
    let relinks = [
        !p.contact_id.is_unchanged(),
        !p.account_id.is_unchanged(),
        !p.opportunity_id.is_unchanged(),
        !p.links.is_unchanged(),
    ];
    if relinks.iter().any(|r| *r) {
        return Err(Error::unsupported(
            "note.update (moving a note to another record)",
            "capsule",
        ));
    }
    b.merge_vendor_fields(&p.vendor_fields)?;
    Ok(b)
}
