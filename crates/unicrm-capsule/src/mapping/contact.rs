//! Capsule person party ↔ unified [`Contact`].
//!
//! | Capsule | unified |
//! |---|---|
//! | `title` | `prefix` |
//! | `firstName`, `lastName`, `jobTitle` | `first_name`, `last_name`, `job_title` |
//! | `organisation` | `account_id`, `account_name` (write `{"id"}`, or `{"name"}` to link or create by name) |
//! | `about` | `description` |
//! | `owner` | `owner_id` |
//! | `pictureURL`, `lastContactedAt` | `picture_url`, `last_activity_at` (read-only) |
//! | `emailAddresses`, `phoneNumbers`, `addresses`, `websites`, `tags`, `fields` | the lists |
//!
//! Not stored by Capsule (ignored on write): `department`, `birthday`, `lead_source`, `links`.
//! `team` and everything else stay in `raw`.

use unicrm_core::error::{Error, Result};
use unicrm_core::{AccountId, Contact, ContactId, ContactPatch, NewContact, Patch, UserId};

use super::party_rows::*;
use super::{Body, FieldDefs, id_patch, non_empty, patch_ref, patch_scalar, set_ref};
use crate::wire::{Decoded, Party};

/// A person party → contact.
pub fn contact_from_wire(d: &Decoded<Party>, defs: &FieldDefs) -> Contact {
    let p = &d.wire;
    Contact {
        id: ContactId::from(p.id),
        prefix: non_empty(&p.title),
        first_name: non_empty(&p.first_name),
        last_name: non_empty(&p.last_name),
        job_title: non_empty(&p.job_title),
        department: None,
        account_id: p
            .organisation
            .as_ref()
            .and_then(|o| o.id)
            .map(AccountId::from),
        account_name: p.organisation.as_ref().and_then(|o| o.display_name()),
        description: non_empty(&p.about),
        birthday: None,
        lead_source: None,
        owner_id: p.owner.as_ref().and_then(|o| o.id).map(UserId::from),
        picture_url: non_empty(&p.picture_url),
        last_activity_at: p.last_contacted_at,
        emails: emails_from_wire(&p.email_addresses),
        phones: phones_from_wire(&p.phone_numbers),
        addresses: addresses_from_wire(&p.addresses),
        websites: websites_from_wire(&p.websites),
        tags: tags_from_wire(p.tags.as_deref().unwrap_or_default()),
        custom_fields: super::custom_fields::values_from_wire(
            p.fields.as_deref().unwrap_or_default(),
            defs,
        ),
        links: Vec::new(),
        created_at: p.created_at,
        updated_at: p.updated_at,
        raw: Some(d.raw.clone()),
    }
}

/// The body of `POST /parties` for a new contact (without the `party` wrapper).
pub fn new_contact_to_wire(n: &NewContact) -> Result<Body> {
    if non_empty(&n.first_name).is_none() && non_empty(&n.last_name).is_none() {
        return Err(Error::Validation {
            message: "a Capsule person needs a first or last name".into(),
            fields: vec![unicrm_core::FieldError {
                field: Some("last_name".into()),
                resource: Some("contact".into()),
                message: "first_name or last_name is required".into(),
            }],
        });
    }
    let mut b = Body::new();
    b.set("type", "person")?;
    let opt = |b: &mut Body, k: &str, v: &Option<String>| match v {
        Some(v) => b.set(k, v),
        None => Ok(()),
    };
    opt(&mut b, "title", &n.prefix)?;
    opt(&mut b, "firstName", &n.first_name)?;
    opt(&mut b, "lastName", &n.last_name)?;
    opt(&mut b, "jobTitle", &n.job_title)?;
    opt(&mut b, "about", &n.description)?;
    if let Some(id) = &n.account_id {
        set_ref(&mut b, "organisation", id.as_str(), "account_id")?;
    } else if let Some(name) = non_empty(&n.account_name) {
        b.set("organisation", &serde_json::json!({ "name": name }))?;
    }
    if let Some(id) = &n.owner_id {
        set_ref(&mut b, "owner", id.as_str(), "owner_id")?;
    }
    write_new_lists(
        &mut b,
        &n.emails,
        &n.phones,
        &n.addresses,
        &n.websites,
        &n.tags,
        &n.custom_fields,
    )?;
    b.merge_vendor_fields(&n.vendor_fields)?;
    Ok(b)
}

/// The list fields of a contact patch.
pub fn contact_list_patches(p: &ContactPatch) -> ListPatches<'_> {
    ListPatches {
        emails: &p.emails,
        phones: &p.phones,
        addresses: &p.addresses,
        websites: &p.websites,
        tags: &p.tags,
        custom_fields: &p.custom_fields,
    }
}

/// The stored lists of a contact.
pub fn contact_stored_lists(c: &Contact) -> StoredLists<'_> {
    StoredLists {
        emails: &c.emails,
        phones: &c.phones,
        addresses: &c.addresses,
        websites: &c.websites,
        tags: &c.tags,
        custom_fields: &c.custom_fields,
    }
}

/// The body of `PUT /parties/{id}` for a contact patch. `stored` is the current record; it is
/// needed (and only read) when the patch touches a list.
pub fn contact_patch_to_wire(p: &ContactPatch, stored: Option<&Contact>) -> Result<Body> {
    let mut b = Body::new();
    patch_scalar(&mut b, "title", &p.prefix)?;
    patch_scalar(&mut b, "firstName", &p.first_name)?;
    patch_scalar(&mut b, "lastName", &p.last_name)?;
    patch_scalar(&mut b, "jobTitle", &p.job_title)?;
    patch_scalar(&mut b, "about", &p.description)?;
    match (&p.account_id, &p.account_name) {
        (Patch::Unchanged, Patch::Set(name)) => {
            b.set("organisation", &serde_json::json!({ "name": name }))?
        }
        (Patch::Unchanged, Patch::Clear) => b.set_null("organisation")?,
        (account, _) => patch_ref(&mut b, "organisation", &id_patch(account))?,
    }
    patch_ref(&mut b, "owner", &id_patch(&p.owner_id))?;
    let lists = contact_list_patches(p);
    if lists.any() {
        let stored = stored.map(contact_stored_lists).unwrap_or_default();
        write_list_patches(&mut b, lists, stored)?;
    }
    b.merge_vendor_fields(&p.vendor_fields)?;
    Ok(b)
}
