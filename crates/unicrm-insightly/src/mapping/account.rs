//! Account ↔ `/Organisations` (docs/vendors/insightly-v3.1.md §11.4).
//!
//! | unified | Insightly |
//! |---|---|
//! | `name`, `description` | `ORGANISATION_NAME`, `BACKGROUND` |
//! | `phones` | `PHONE` (work), `PHONE_FAX` |
//! | `websites` | `WEBSITE` (url), `SOCIAL_LINKEDIN`, `SOCIAL_FACEBOOK`, `SOCIAL_TWITTER` |
//! | `addresses` | `ADDRESS_BILLING_*` (billing), `ADDRESS_SHIP_*` (shipping) |
//! | `owner_id`, `picture_url`, `last_activity_at` | `OWNER_USER_ID`, `IMAGE_URL`, `LAST_ACTIVITY_DATE_UTC` |
//! | `tags`, `custom_fields`, `links` | `TAGS`, `CUSTOMFIELDS`, `LINKS` |
//!
//! Insightly has no organisation email, industry, headcount, revenue or parent: those stay
//! empty (`EMAILDOMAINS`, `DATES`, `VISIBLE_TO` are kept in `raw`).

use serde_json::value::RawValue;
use unicrm_core::{Account, AccountPatch, AddressKind, NewAccount, PhoneKind, Result, WebsiteKind};

use super::addresses::{self, Group};
use super::{
    Mode, assign_slots, custom_fields, dates, id, links, list_patch, phone, put_id, put_socials,
    put_str, read_socials, tags, text, website,
};
use crate::wire::{Body, OrganisationWire};

/// Reads an account from its JSON text.
pub fn from_json(text: &RawValue, defs: &custom_fields::Definitions) -> Result<Account> {
    from_json_at(text, defs, "")
}

/// [`from_json`], with `prefix` prepended to decode error paths.
pub fn from_json_at(
    text: &RawValue,
    defs: &custom_fields::Definitions,
    prefix: &str,
) -> Result<Account> {
    super::read_json(text, prefix, |w: OrganisationWire, raw| {
        from_wire(w, raw, defs)
    })
}

/// Maps a decoded organisation.
pub fn from_wire(
    w: OrganisationWire,
    raw: unicrm_core::RawPayload,
    defs: &custom_fields::Definitions,
) -> Account {
    let phones = [
        (&w.phone, PhoneKind::Work, true),
        (&w.phone_fax, PhoneKind::Fax, false),
    ]
    .into_iter()
    .filter_map(|(v, kind, primary)| phone(v, kind, primary))
    .collect();
    let websites = website(&w.website, WebsiteKind::Url)
        .into_iter()
        .chain(read_socials(
            &w.social_linkedin,
            &w.social_facebook,
            &w.social_twitter,
        ))
        .collect();
    let addresses = [
        addresses::read(
            Group {
                street: &w.address_billing_street,
                city: &w.address_billing_city,
                state: &w.address_billing_state,
                postcode: &w.address_billing_postcode,
                country: &w.address_billing_country,
            },
            AddressKind::Billing,
        ),
        addresses::read(
            Group {
                street: &w.address_ship_street,
                city: &w.address_ship_city,
                state: &w.address_ship_state,
                postcode: &w.address_ship_postcode,
                country: &w.address_ship_country,
            },
            AddressKind::Shipping,
        ),
    ]
    .into_iter()
    .flatten()
    .collect();
    Account {
        id: w.organisation_id.map(Into::into).unwrap_or_default(),
        name: text(&w.organisation_name).unwrap_or_default(),
        description: text(&w.background),
        industry: None,
        number_of_employees: None,
        annual_revenue: None,
        parent_id: None,
        owner_id: id(w.owner_user_id),
        picture_url: text(&w.image_url),
        last_activity_at: dates::datetime(w.last_activity_date_utc.as_ref()),
        emails: Vec::new(),
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

/// The POST body for a new account.
pub fn create_body(new: &NewAccount, defs: &custom_fields::Definitions) -> Result<Body> {
    let links = links::dedup(new.links.clone());
    let body = patch_body(&AccountPatch::from(new.clone()), defs, Mode::Create)?;
    super::with_links(body, &links)
}

/// The fields of a patch (see [`super::contact::patch_body`]).
pub fn patch_body(p: &AccountPatch, defs: &custom_fields::Definitions, mode: Mode) -> Result<Body> {
    let mut b = Body::new();
    put_str(&mut b, "ORGANISATION_NAME", &p.name)?;
    put_str(&mut b, "BACKGROUND", &p.description)?;
    put_id(&mut b, "OWNER_USER_ID", &p.owner_id)?;
    if let Some(list) = list_patch(&p.phones) {
        let slots = assign_slots(list, 2, |p| usize::from(p.kind == Some(PhoneKind::Fax)));
        b.set_opt("PHONE", slots[0].map(|p| &p.number))?;
        b.set_opt("PHONE_FAX", slots[1].map(|p| &p.number))?;
    }
    if let Some(list) = list_patch(&p.addresses) {
        let slots = assign_slots(list, 2, |a| {
            usize::from(matches!(
                a.kind,
                Some(AddressKind::Shipping | AddressKind::Home | AddressKind::Other(_))
            ))
        });
        addresses::write(&mut b, "ADDRESS_BILLING", slots[0])?;
        addresses::write(&mut b, "ADDRESS_SHIP", slots[1])?;
    }
    if let Some(list) = list_patch(&p.websites) {
        let url = list
            .iter()
            .find(|w| matches!(w.kind, None | Some(WebsiteKind::Url)));
        b.set_opt("WEBSITE", url.map(|w| &w.url))?;
        put_socials(&mut b, list)?;
    }
    super::finish_tagged(b, &p.tags, &p.custom_fields, defs, mode, &p.vendor_fields)
}
