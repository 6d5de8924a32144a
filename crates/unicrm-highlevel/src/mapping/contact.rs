//! HighLevel contact ↔ unified `Contact` (docs/vendors/highlevel-v2.md, "Contact object",
//! "Contact writes").
//!
//! Read: `email` is the primary email and `additionalEmails` (objects live, strings in the
//! docs: both read) the others, likewise phones; the one address is `address1` (`address` in
//! search hits) with city, state, postal code and country; `businessId` is the account;
//! `companyName` (free text) the account name when no `businessName` is given. A missing
//! `name` is not needed: first and last names are kept as they are ("Uncertain" 6).
//!
//! Write: HighLevel holds one email, one phone, one address and one website, and its
//! `additionalEmails`/`additionalPhones` are in no write DTO: more is `Unsupported`, never
//! dropped. `tags` replaces the whole list.

use serde_json::Value;
use unicrm_core::{
    Address, Contact, ContactPatch, Email, Error, NewContact, Patch, Phone, RawPayload, Result,
    Tag, Website,
};

use super::fields;
use crate::wire::contact::{ExtraEmail, ExtraPhone, WireContact, WireContactWrite};

/// A contact from its JSON (a GET body's `contact` or a search hit), keeping the JSON raw.
pub(crate) fn from_wire(value: Value) -> Result<Contact> {
    let (w, raw) = crate::wire::record_value::<WireContact>(&value)?;
    Ok(from_parsed(w, raw))
}

/// A decoded contact and its raw payload, mapped.
pub(crate) fn from_parsed(w: WireContact, raw: RawPayload) -> Contact {
    let mut emails: Vec<Email> = w
        .email
        .into_iter()
        .filter(|e| !e.is_empty())
        .map(|address| Email {
            address,
            primary: true,
            ..Default::default()
        })
        .collect();
    emails.extend(w.additional_emails.into_iter().filter_map(|e| {
        let address = match e {
            ExtraEmail::Object { email } => email?,
            ExtraEmail::Text(s) => s,
        };
        Some(Email {
            address,
            ..Default::default()
        })
    }));
    let mut phones: Vec<Phone> = w
        .phone
        .into_iter()
        .filter(|p| !p.is_empty())
        .map(|number| Phone {
            number,
            primary: true,
            ..Default::default()
        })
        .collect();
    phones.extend(w.additional_phones.into_iter().filter_map(|p| {
        let number = match p {
            ExtraPhone::Object { phone, .. } => phone?,
            ExtraPhone::Text(s) => s,
        };
        Some(Phone {
            number,
            ..Default::default()
        })
    }));
    let address = Address {
        street_1: w.address1.or(w.address),
        city: w.city,
        state: w.state,
        postal_code: w.postal_code,
        country: w.country,
        ..Default::default()
    };
    let has_address = address.street_1.is_some()
        || address.city.is_some()
        || address.state.is_some()
        || address.postal_code.is_some()
        || address.country.is_some();
    let (first_name, last_name) = match (w.first_name, w.last_name) {
        (None, None) => (None, w.name.or(w.contact_name)),
        names => names,
    };
    Contact {
        id: w.id.into(),
        first_name,
        last_name,
        account_id: w.business_id.filter(|b| !b.is_empty()).map(Into::into),
        account_name: w.business_name.or(w.company_name),
        birthday: fields::date(w.date_of_birth.as_deref()),
        lead_source: w.source,
        owner_id: w.assigned_to.map(Into::into),
        last_activity_at: fields::time_value(w.last_activity.as_ref()),
        emails,
        phones,
        addresses: if has_address { vec![address] } else { vec![] },
        websites: w
            .website
            .into_iter()
            .filter(|u| !u.is_empty())
            .map(|url| Website {
                url,
                ..Default::default()
            })
            .collect(),
        tags: w.tags.into_iter().map(Tag::named).collect(),
        custom_fields: w
            .custom_fields
            .into_iter()
            .map(fields::field_value)
            .collect(),
        created_at: fields::time(w.date_added.as_deref()),
        updated_at: fields::time(w.date_updated.as_deref()),
        raw: Some(raw),
        ..Default::default()
    }
}

pub(crate) fn at_most_one<'a, T>(items: &'a [T], what: &str) -> Result<Option<&'a T>> {
    match items {
        [] => Ok(None),
        [one] => Ok(Some(one)),
        _ => Err(Error::unsupported(
            format!("contact.{what} (more than one)"),
            crate::VENDOR,
        )),
    }
}

pub(crate) fn set(p: &Patch<String>) -> Option<Option<String>> {
    match p {
        Patch::Unchanged => None,
        Patch::Set(v) => Some(Some(v.clone())),
        Patch::Clear => Some(None),
    }
}

pub(crate) fn list<T: Clone>(p: &Patch<Vec<T>>) -> Option<Vec<T>> {
    match p {
        Patch::Unchanged => None,
        Patch::Set(v) => Some(v.clone()),
        Patch::Clear => Some(vec![]),
    }
}

fn address_into(w: &mut WireContactWrite, a: Option<&Address>) {
    let f = |v: Option<&String>| Some(v.cloned());
    w.address1 = f(a.and_then(|a| a.street_1.as_ref()));
    w.city = f(a.and_then(|a| a.city.as_ref()));
    w.state = f(a.and_then(|a| a.state.as_ref()));
    w.postal_code = f(a.and_then(|a| a.postal_code.as_ref()));
    w.country = f(a.and_then(|a| a.country.as_ref()));
}

/// The body of `POST /contacts/` (with `locationId`).
pub(crate) fn to_create(new: &NewContact, location_id: &str) -> Result<WireContactWrite> {
    let mut w = WireContactWrite {
        location_id: Some(location_id.to_string()),
        first_name: new.first_name.clone().map(Some),
        last_name: new.last_name.clone().map(Some),
        email: at_most_one(&new.emails, "emails")?.map(|e| Some(e.address.clone())),
        phone: at_most_one(&new.phones, "phones")?.map(|p| Some(p.number.clone())),
        company_name: new.account_name.clone().map(Some),
        website: at_most_one(&new.websites, "websites")?.map(|u| Some(u.url.clone())),
        date_of_birth: new.birthday.map(|d| Some(d.format("%Y-%m-%d").to_string())),
        source: new.lead_source.clone().map(Some),
        assigned_to: new.owner_id.as_ref().map(|o| Some(o.as_str().to_string())),
        tags: (!new.tags.is_empty()).then(|| new.tags.iter().map(|t| t.name.clone()).collect()),
        custom_fields: (!new.custom_fields.is_empty())
            .then(|| new.custom_fields.iter().map(fields::field_write).collect()),
        ..Default::default()
    };
    if let Some(a) = at_most_one(&new.addresses, "addresses")? {
        address_into(&mut w, Some(a));
        // A create leaves out what is not set rather than sending `null`s.
        for f in [
            &mut w.address1,
            &mut w.city,
            &mut w.state,
            &mut w.postal_code,
            &mut w.country,
        ] {
            if matches!(f, Some(None)) {
                *f = None;
            }
        }
    }
    Ok(w)
}

/// The body of `PUT /contacts/{id}` (without `locationId`: HighLevel refuses it there).
pub(crate) fn to_patch(p: &ContactPatch) -> Result<WireContactWrite> {
    let mut w = WireContactWrite {
        first_name: set(&p.first_name),
        last_name: set(&p.last_name),
        company_name: set(&p.account_name),
        source: set(&p.lead_source),
        ..Default::default()
    };
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
        address_into(&mut w, at_most_one(&a, "addresses")?);
    }
    w.date_of_birth = match &p.birthday {
        Patch::Unchanged => None,
        Patch::Set(d) => Some(Some(d.format("%Y-%m-%d").to_string())),
        Patch::Clear => Some(None),
    };
    w.assigned_to = match &p.owner_id {
        Patch::Unchanged => None,
        Patch::Set(o) => Some(Some(o.as_str().to_string())),
        Patch::Clear => Some(None),
    };
    w.tags = list(&p.tags).map(|t| t.into_iter().map(|t| t.name).collect());
    w.custom_fields = list(&p.custom_fields).map(|c| c.iter().map(fields::field_write).collect());
    Ok(w)
}
