//! Capsule organisation party ↔ unified [`Account`].
//!
//! | Capsule | unified |
//! |---|---|
//! | `name` | `name` |
//! | `about` | `description` |
//! | `owner` | `owner_id` |
//! | `pictureURL`, `lastContactedAt` | `picture_url`, `last_activity_at` (read-only) |
//! | `emailAddresses`, `phoneNumbers`, `addresses`, `websites`, `tags`, `fields` | the lists |
//!
//! Not stored by Capsule (ignored on write): `industry`, `number_of_employees`,
//! `annual_revenue`, `parent_id`, `links` (use custom fields). `team` stays in `raw`.

use unicrm_core::error::{Error, Result};
use unicrm_core::{Account, AccountId, AccountPatch, NewAccount, Patch, UserId};

use super::party_rows::*;
use super::{Body, FieldDefs, id_patch, non_empty, patch_ref, patch_scalar, set_ref};
use crate::wire::{Decoded, Party};

/// An organisation party → account.
pub fn account_from_wire(d: &Decoded<Party>, defs: &FieldDefs) -> Account {
    let p = &d.wire;
    Account {
        id: AccountId::from(p.id),
        name: p.name.clone().unwrap_or_default(),
        description: non_empty(&p.about),
        industry: None,
        number_of_employees: None,
        annual_revenue: None,
        parent_id: None,
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

fn name_required() -> Error {
    Error::Validation {
        message: "a Capsule organisation needs a name".into(),
        fields: vec![unicrm_core::FieldError {
            field: Some("name".into()),
            resource: Some("account".into()),
            message: "name is required".into(),
        }],
    }
}

/// The body of `POST /parties` for a new account (without the `party` wrapper).
pub fn new_account_to_wire(n: &NewAccount) -> Result<Body> {
    if n.name.trim().is_empty() {
        return Err(name_required());
    }
    let mut b = Body::new();
    b.set("type", "organisation")?;
    b.set("name", &n.name)?;
    if let Some(d) = &n.description {
        b.set("about", d)?;
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

/// The list fields of an account patch.
pub fn account_list_patches(p: &AccountPatch) -> ListPatches<'_> {
    ListPatches {
        emails: &p.emails,
        phones: &p.phones,
        addresses: &p.addresses,
        websites: &p.websites,
        tags: &p.tags,
        custom_fields: &p.custom_fields,
    }
}

/// The body of `PUT /parties/{id}` for an account patch (`stored` needed when a list is
/// touched).
pub fn account_patch_to_wire(p: &AccountPatch, stored: Option<&Account>) -> Result<Body> {
    let mut b = Body::new();
    match &p.name {
        Patch::Unchanged => {}
        Patch::Set(n) if !n.trim().is_empty() => b.set("name", n)?,
        _ => return Err(name_required()),
    }
    patch_scalar(&mut b, "about", &p.description)?;
    patch_ref(&mut b, "owner", &id_patch(&p.owner_id))?;
    let lists = account_list_patches(p);
    if lists.any() {
        let stored = stored
            .map(|c| StoredLists {
                emails: &c.emails,
                phones: &c.phones,
                addresses: &c.addresses,
                websites: &c.websites,
                tags: &c.tags,
                custom_fields: &c.custom_fields,
            })
            .unwrap_or_default();
        write_list_patches(&mut b, lists, stored)?;
    }
    b.merge_vendor_fields(&p.vendor_fields)?;
    Ok(b)
}
