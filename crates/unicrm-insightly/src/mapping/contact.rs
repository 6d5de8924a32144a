//! Contact ↔ `/Contacts` (docs/vendors/insightly-v3.1.md §11.3).
//!
//! | unified | Insightly |
//! |---|---|
//! | `prefix`, `first_name`, `last_name`, `job_title` | `SALUTATION`, `FIRST_NAME`, `LAST_NAME`, `TITLE` |
//! | `description` | `BACKGROUND` |
//! | `birthday` | `DATE_OF_BIRTH` |
//! | `emails` | `EMAIL_ADDRESS` (one address; the primary or first is written) |
//! | `phones` | `PHONE` (work), `PHONE_MOBILE`, `PHONE_HOME`, `PHONE_FAX`, `PHONE_ASSISTANT`, `PHONE_OTHER` |
//! | `addresses` | `ADDRESS_MAIL_*` (postal), `ADDRESS_OTHER_*` (other) |
//! | `websites` | `SOCIAL_LINKEDIN`, `SOCIAL_FACEBOOK`, `SOCIAL_TWITTER` |
//! | `account_id`, `owner_id`, `picture_url` | `ORGANISATION_ID`, `OWNER_USER_ID`, `IMAGE_URL` (read-only) |
//! | `last_activity_at`, `created_at`, `updated_at` | `LAST_ACTIVITY_DATE_UTC`, `DATE_CREATED_UTC`, `DATE_UPDATED_UTC` |
//! | `tags`, `custom_fields`, `links` | `TAGS`, `CUSTOMFIELDS`, `LINKS` |
//!
//! Kept in `raw` only: `EMAIL_OPTED_OUT`, `ASSISTANT_NAME`, `VISIBLE_TO`, `DATES`, … and any
//! unknown key.

use serde_json::value::RawValue;
use unicrm_core::{
    AddressKind, Contact, ContactPatch, NewContact, Patch, Phone, PhoneKind, Result,
};

use super::addresses::{self, Group};
use super::{
    Mode, assign_slots, custom_fields, dates, id, links, list_patch, phone, primary_email, put,
    put_id, put_socials, put_str, read_socials, sole_email, tags, text,
};
use crate::wire::{Body, ContactWire};

/// A flat phone field and the kind it stands for.
type PhoneSlot = (&'static str, fn() -> PhoneKind);

const PHONE_SLOTS: [PhoneSlot; 6] = [
    ("PHONE", || PhoneKind::Work),
    ("PHONE_MOBILE", || PhoneKind::Mobile),
    ("PHONE_HOME", || PhoneKind::Home),
    ("PHONE_FAX", || PhoneKind::Fax),
    ("PHONE_ASSISTANT", || PhoneKind::Assistant),
    ("PHONE_OTHER", || PhoneKind::Other("other".into())),
];

fn phone_slot(p: &Phone) -> usize {
    match &p.kind {
        Some(PhoneKind::Mobile) => 1,
        Some(PhoneKind::Home) => 2,
        Some(PhoneKind::Fax) => 3,
        Some(PhoneKind::Assistant) => 4,
        Some(PhoneKind::Other(_)) => 5,
        _ => 0,
    }
}

const ADDRESS_GROUPS: [&str; 2] = ["ADDRESS_MAIL", "ADDRESS_OTHER"];

fn address_slot(a: &unicrm_core::Address) -> usize {
    match &a.kind {
        Some(AddressKind::Home | AddressKind::Shipping | AddressKind::Other(_)) => 1,
        _ => 0,
    }
}

/// Reads a contact from its JSON text.
pub fn from_json(text: &RawValue, defs: &custom_fields::Definitions) -> Result<Contact> {
    from_json_at(text, defs, "")
}

/// [`from_json`], with `prefix` prepended to decode error paths.
pub fn from_json_at(
    text: &RawValue,
    defs: &custom_fields::Definitions,
    prefix: &str,
) -> Result<Contact> {
    super::read_json(text, prefix, |w: ContactWire, raw| from_wire(w, raw, defs))
}

/// Maps a decoded contact.
pub fn from_wire(
    w: ContactWire,
    raw: unicrm_core::RawPayload,
    defs: &custom_fields::Definitions,
) -> Contact {
    let phones = [
        (&w.phone, PHONE_SLOTS[0]),
        (&w.phone_mobile, PHONE_SLOTS[1]),
        (&w.phone_home, PHONE_SLOTS[2]),
        (&w.phone_fax, PHONE_SLOTS[3]),
        (&w.phone_assistant, PHONE_SLOTS[4]),
        (&w.phone_other, PHONE_SLOTS[5]),
    ]
    .into_iter()
    .filter_map(|(v, (key, kind))| phone(v, kind(), key == "PHONE"))
    .collect();
    let websites =
        read_socials(&w.social_linkedin, &w.social_facebook, &w.social_twitter).collect();
    let addresses = [
        addresses::read(
            Group {
                street: &w.address_mail_street,
                city: &w.address_mail_city,
                state: &w.address_mail_state,
                postcode: &w.address_mail_postcode,
                country: &w.address_mail_country,
            },
            AddressKind::Postal,
        ),
        addresses::read(
            Group {
                street: &w.address_other_street,
                city: &w.address_other_city,
                state: &w.address_other_state,
                postcode: &w.address_other_postcode,
                country: &w.address_other_country,
            },
            AddressKind::Other("other".into()),
        ),
    ]
    .into_iter()
    .flatten()
    .collect();
    Contact {
        id: w.contact_id.map(Into::into).unwrap_or_default(),
        prefix: text(&w.salutation),
        first_name: text(&w.first_name),
        last_name: text(&w.last_name),
        job_title: text(&w.title),
        department: None,
        account_id: id(w.organisation_id),
        account_name: None,
        description: text(&w.background),
        birthday: dates::date(w.date_of_birth.as_ref()),
        lead_source: None,
        owner_id: id(w.owner_user_id),
        picture_url: text(&w.image_url),
        last_activity_at: dates::datetime(w.last_activity_date_utc.as_ref()),
        emails: sole_email(&w.email_address),
        phones,
        addresses,
        websites,
        tags: tags::read(&w.tags),
        custom_fields: custom_fields::read(&w.customfields, defs),
        links: links::read(&w.links),
        created_at: dates::datetime(w.date_created_utc.as_ref()),
        updated_at: dates::datetime(w.date_updated_utc.as_ref()),
        raw: Some(raw),
    }
}

/// The POST body for a new contact.
pub fn create_body(new: &NewContact, defs: &custom_fields::Definitions) -> Result<Body> {
    // The organisation link follows from ORGANISATION_ID; sending both could duplicate it.
    let links = links::without(
        links::dedup(new.links.clone()),
        &unicrm_core::ResourceKind::Account,
        new.account_id.as_ref().map(|a| a.as_str()),
    );
    let body = patch_body(&ContactPatch::from(new.clone()), defs, Mode::Create)?;
    super::with_links(body, &links)
}

/// The fields of a patch. For an update this is exactly what the PUT sends (plus the id):
/// untouched fields are absent, so the vendor keeps them.
pub fn patch_body(p: &ContactPatch, defs: &custom_fields::Definitions, mode: Mode) -> Result<Body> {
    let mut b = Body::new();
    put_str(&mut b, "SALUTATION", &p.prefix)?;
    put_str(&mut b, "FIRST_NAME", &p.first_name)?;
    put_str(&mut b, "LAST_NAME", &p.last_name)?;
    put_str(&mut b, "TITLE", &p.job_title)?;
    put_str(&mut b, "BACKGROUND", &p.description)?;
    put(&mut b, "DATE_OF_BIRTH", &p.birthday, |d| {
        Ok(dates::format_date(d))
    })?;
    put_id(&mut b, "ORGANISATION_ID", &p.account_id)?;
    put_id(&mut b, "OWNER_USER_ID", &p.owner_id)?;
    match &p.emails {
        Patch::Unchanged => {}
        Patch::Clear => b.null("EMAIL_ADDRESS"),
        Patch::Set(list) => b.set_opt("EMAIL_ADDRESS", primary_email(list))?,
    }
    if let Some(list) = list_patch(&p.phones) {
        let slots = assign_slots(list, PHONE_SLOTS.len(), phone_slot);
        for ((key, _), v) in PHONE_SLOTS.iter().zip(slots) {
            b.set_opt(key, v.map(|p| &p.number))?;
        }
    }
    if let Some(list) = list_patch(&p.addresses) {
        let slots = assign_slots(list, ADDRESS_GROUPS.len(), address_slot);
        for (prefix, a) in ADDRESS_GROUPS.iter().zip(slots) {
            addresses::write(&mut b, prefix, a)?;
        }
    }
    if let Some(list) = list_patch(&p.websites) {
        put_socials(&mut b, list)?;
    }
    super::finish_tagged(b, &p.tags, &p.custom_fields, defs, mode, &p.vendor_fields)
}
