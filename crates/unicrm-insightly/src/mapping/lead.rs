//! Lead ↔ `/Leads` (vendor doc §11.6).
//!
//! | unified | Insightly |
//! |---|---|
//! | `prefix`, `first_name`, `last_name`, `job_title` | `SALUTATION`, `FIRST_NAME`, `LAST_NAME`, `TITLE` |
//! | `emails` | `EMAIL` (**not** `EMAIL_ADDRESS`) |
//! | `phones` | `PHONE` (work), `MOBILE`, `FAX` |
//! | `websites` | `WEBSITE` |
//! | `addresses` | `ADDRESS_*` (one group) |
//! | `company_name`, `industry`, `number_of_employees` | `ORGANISATION_NAME`, `INDUSTRY`, `EMPLOYEE_COUNT` |
//! | `description`, `rating` | `LEAD_DESCRIPTION`, `LEAD_RATING` |
//! | `lead_source_id`, `status_id` | `LEAD_SOURCE_ID`, `LEAD_STATUS_ID` (configurable lists; labels via `/LeadSources`, `/LeadStatuses`, not resolved here) |
//! | `owner_id`, `assignee_id` | `OWNER_USER_ID`, `RESPONSIBLE_USER_ID` |
//! | `converted*` | `CONVERTED`, `CONVERTED_DATE_UTC`, `CONVERTED_*_ID` (read-only) |
//! | `tags`, `custom_fields`, `links` | `TAGS`, `CUSTOMFIELDS`, `LINKS` |

use serde_json::value::RawValue;
use unicrm_core::{AddressKind, Lead, LeadPatch, NewLead, PhoneKind, Result, WebsiteKind};

use super::addresses::{self, Group};
use super::{
    Mode, assign_slots, custom_fields, dates, id, links, list_patch, phone, primary_email, put,
    put_id, put_str, sole_email, tags, text, website,
};
use crate::wire::{Body, LeadWire};

/// Reads a lead from its JSON text.
pub fn from_json(text: &RawValue, defs: &custom_fields::Definitions) -> Result<Lead> {
    from_json_at(text, defs, "")
}

/// [`from_json`], with `prefix` prepended to decode error paths.
pub fn from_json_at(
    text: &RawValue,
    defs: &custom_fields::Definitions,
    prefix: &str,
) -> Result<Lead> {
    super::read_json(text, prefix, |w: LeadWire, raw| from_wire(w, raw, defs))
}

/// Maps a decoded lead.
pub fn from_wire(
    w: LeadWire,
    raw: unicrm_core::RawPayload,
    defs: &custom_fields::Definitions,
) -> Lead {
    let phones = [
        (&w.phone, PhoneKind::Work, true),
        (&w.mobile, PhoneKind::Mobile, false),
        (&w.fax, PhoneKind::Fax, false),
    ]
    .into_iter()
    .filter_map(|(v, kind, primary)| phone(v, kind, primary))
    .collect();
    Lead {
        id: w.lead_id.map(Into::into).unwrap_or_default(),
        prefix: text(&w.salutation),
        first_name: text(&w.first_name),
        last_name: text(&w.last_name),
        job_title: text(&w.title),
        company_name: text(&w.organisation_name),
        industry: text(&w.industry),
        number_of_employees: w.employee_count.and_then(|n| u64::try_from(n).ok()),
        lead_source: None,
        lead_source_id: w.lead_source_id.map(|i| i.to_string()),
        status: None,
        status_id: w.lead_status_id.map(|i| i.to_string()),
        rating: w.lead_rating.and_then(|n| u32::try_from(n).ok()),
        description: text(&w.lead_description),
        owner_id: id(w.owner_user_id),
        assignee_id: id(w.responsible_user_id),
        converted: w.converted,
        converted_at: dates::datetime(w.converted_date_utc.as_ref()),
        converted_contact_id: id(w.converted_contact_id),
        converted_account_id: id(w.converted_organisation_id),
        converted_opportunity_id: id(w.converted_opportunity_id),
        emails: sole_email(&w.email),
        phones,
        addresses: addresses::read(
            Group {
                street: &w.address_street,
                city: &w.address_city,
                state: &w.address_state,
                postcode: &w.address_postcode,
                country: &w.address_country,
            },
            AddressKind::Primary,
        )
        .into_iter()
        .collect(),
        websites: website(&w.website, WebsiteKind::Url).into_iter().collect(),
        tags: tags::read(&w.tags),
        custom_fields: custom_fields::read(&w.customfields, defs),
        links: links::read(&w.links),
        created_at: dates::datetime(w.date_created_utc.as_ref()),
        updated_at: dates::datetime(w.date_updated_utc.as_ref()),
        raw: Some(raw),
    }
}

/// The POST body for a new lead. Insightly requires `LAST_NAME` (vendor doc §13 item 13), so a
/// lead without one is refused before anything is sent.
pub fn create_body(new: &NewLead, defs: &custom_fields::Definitions) -> Result<Body> {
    if new.last_name.as_deref().is_none_or(|s| s.trim().is_empty()) {
        return Err(unicrm_core::Error::Validation {
            message: "an Insightly lead needs a last name".into(),
            fields: vec![unicrm_core::FieldError {
                field: Some("last_name".into()),
                resource: Some("lead".into()),
                message: "required".into(),
            }],
        });
    }
    let links = links::dedup(new.links.clone());
    let body = patch_body(&LeadPatch::from(new.clone()), defs, Mode::Create)?;
    super::with_links(body, &links)
}

/// The fields of a patch (see [`super::contact::patch_body`]). Conversion fields are
/// read-only and never written.
pub fn patch_body(p: &LeadPatch, defs: &custom_fields::Definitions, mode: Mode) -> Result<Body> {
    let mut b = Body::new();
    put_str(&mut b, "SALUTATION", &p.prefix)?;
    put_str(&mut b, "FIRST_NAME", &p.first_name)?;
    put_str(&mut b, "LAST_NAME", &p.last_name)?;
    put_str(&mut b, "TITLE", &p.job_title)?;
    put_str(&mut b, "ORGANISATION_NAME", &p.company_name)?;
    put_str(&mut b, "INDUSTRY", &p.industry)?;
    put(&mut b, "EMPLOYEE_COUNT", &p.number_of_employees, |n| Ok(*n))?;
    put_str(&mut b, "LEAD_DESCRIPTION", &p.description)?;
    put(&mut b, "LEAD_RATING", &p.rating, |n| Ok(*n))?;
    put(&mut b, "LEAD_SOURCE_ID", &p.lead_source_id, |s| {
        super::wire_id("LEAD_SOURCE_ID", s)
    })?;
    put(&mut b, "LEAD_STATUS_ID", &p.status_id, |s| {
        super::wire_id("LEAD_STATUS_ID", s)
    })?;
    put_id(&mut b, "OWNER_USER_ID", &p.owner_id)?;
    put_id(&mut b, "RESPONSIBLE_USER_ID", &p.assignee_id)?;
    if let Some(list) = list_patch(&p.emails) {
        b.set_opt("EMAIL", primary_email(list))?;
    }
    if let Some(list) = list_patch(&p.phones) {
        let slots = assign_slots(list, 3, |p| match p.kind {
            Some(PhoneKind::Mobile) => 1,
            Some(PhoneKind::Fax) => 2,
            _ => 0,
        });
        for (key, v) in ["PHONE", "MOBILE", "FAX"].iter().zip(slots) {
            b.set_opt(key, v.map(|p| &p.number))?;
        }
    }
    if let Some(list) = list_patch(&p.addresses) {
        addresses::write(&mut b, "ADDRESS", list.first())?;
    }
    if let Some(list) = list_patch(&p.websites) {
        b.set_opt("WEBSITE", list.first().map(|w| &w.url))?;
    }
    super::finish_tagged(b, &p.tags, &p.custom_fields, defs, mode, &p.vendor_fields)
}
