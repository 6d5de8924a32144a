//! HighLevel business ↔ unified `Account` (docs/vendors/highlevel-v2.md, "Businesses").
//!
//! | unified | HighLevel |
//! | --- | --- |
//! | `name`, `description` | `name`, `description` |
//! | `emails[0]`, `phones[0]`, `websites[0]` | `email`, `phone`, `website` (one of each) |
//! | `addresses[0]` | `address` (one street line), `city`, `state`, `postalCode`, `country` |
//! | `created_at`, `updated_at` | `createdAt`, `updatedAt` |
//!
//! A business holds one email, phone, website and address: a write of more is
//! `Unsupported`, never cut short. Businesses carry no tags, owner or custom field values in
//! the v2 API (their custom fields are custom-object fields, out of scope).

use serde_json::Value;
use unicrm_core::{
    Account, AccountPatch, Address, Email, NewAccount, Phone, RawPayload, Result, Website,
};

use super::contact::{at_most_one, list, set};
use super::fields;
use crate::wire::business::{WireBusiness, WireBusinessWrite};

fn nonempty(s: Option<String>) -> Option<String> {
    s.filter(|s| !s.trim().is_empty())
}

/// An account from a business's JSON, keeping the JSON raw.
pub(crate) fn from_wire(value: Value) -> Result<Account> {
    let (w, raw) = crate::wire::record_value::<WireBusiness>(&value)?;
    Ok(from_parsed(w, raw))
}

/// A decoded business and its raw payload, mapped.
pub(crate) fn from_parsed(w: WireBusiness, raw: RawPayload) -> Account {
    let address = Address {
        street_1: nonempty(w.address),
        city: nonempty(w.city),
        state: nonempty(w.state),
        postal_code: nonempty(w.postal_code),
        country: nonempty(w.country),
        ..Default::default()
    };
    let has_address = address.street_1.is_some()
        || address.city.is_some()
        || address.state.is_some()
        || address.postal_code.is_some()
        || address.country.is_some();
    Account {
        id: w.id.into(),
        name: w.name.unwrap_or_default(),
        description: nonempty(w.description),
        emails: nonempty(w.email)
            .map(|address| Email {
                address,
                primary: true,
                ..Default::default()
            })
            .into_iter()
            .collect(),
        phones: nonempty(w.phone)
            .map(|number| Phone {
                number,
                primary: true,
                ..Default::default()
            })
            .into_iter()
            .collect(),
        websites: nonempty(w.website)
            .map(|url| Website {
                url,
                ..Default::default()
            })
            .into_iter()
            .collect(),
        addresses: if has_address { vec![address] } else { vec![] },
        created_at: fields::time(w.created_at.as_deref()),
        updated_at: fields::time(w.updated_at.as_deref()),
        raw: Some(raw),
        ..Default::default()
    }
}

fn address_into(w: &mut WireBusinessWrite, a: Option<&Address>, create: bool) {
    let f = |v: Option<&String>| {
        if create {
            v.cloned().map(Some)
        } else {
            Some(v.cloned())
        }
    };
    w.address = f(a.and_then(|a| a.street_1.as_ref()));
    w.city = f(a.and_then(|a| a.city.as_ref()));
    w.state = f(a.and_then(|a| a.state.as_ref()));
    w.postal_code = f(a.and_then(|a| a.postal_code.as_ref()));
    w.country = f(a.and_then(|a| a.country.as_ref()));
}

/// The body of `POST /businesses/` (with `locationId`; unset fields left out).
pub(crate) fn to_create(new: &NewAccount, location_id: &str) -> Result<WireBusinessWrite> {
    let mut w = WireBusinessWrite {
        location_id: Some(location_id.to_string()),
        name: Some(new.name.clone()),
        description: new.description.clone().map(Some),
        email: at_most_one(&new.emails, "emails")?.map(|e| Some(e.address.clone())),
        phone: at_most_one(&new.phones, "phones")?.map(|p| Some(p.number.clone())),
        website: at_most_one(&new.websites, "websites")?.map(|u| Some(u.url.clone())),
        ..Default::default()
    };
    if let Some(a) = at_most_one(&new.addresses, "addresses")? {
        address_into(&mut w, Some(a), true);
    }
    Ok(w)
}

/// The body of `PUT /businesses/{id}` (no `locationId`: the vendor refuses it there).
pub(crate) fn to_patch(p: &AccountPatch) -> Result<WireBusinessWrite> {
    let mut w = WireBusinessWrite {
        description: set(&p.description),
        ..Default::default()
    };
    if let unicrm_core::Patch::Set(n) = &p.name {
        w.name = Some(n.clone());
    }
    if let Some(e) = list(&p.emails) {
        w.email = Some(at_most_one(&e, "emails")?.map(|e| e.address.clone()));
    }
    if let Some(ph) = list(&p.phones) {
        w.phone = Some(at_most_one(&ph, "phones")?.map(|p| p.number.clone()));
    }
    if let Some(u) = list(&p.websites) {
        w.website = Some(at_most_one(&u, "websites")?.map(|u| u.url.clone()));
    }
    if let Some(a) = list(&p.addresses) {
        address_into(&mut w, at_most_one(&a, "addresses")?, false);
    }
    Ok(w)
}
