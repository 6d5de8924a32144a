//! Lead ↔ `/Leads` (docs/vendors/insightly-v3.1.md §11.6).
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
//! | `lead_source_id`, `status_id` | `LEAD_SOURCE_ID`, `LEAD_STATUS_ID` (configurable lists, [`LeadPicklists`]) |
//! | `lead_source`, `status` | the labels of those ids in `/LeadSources`, `/LeadStatuses`; on write a label is resolved to its id case-insensitively when the id is not set (the id wins) |
//! | `owner_id`, `assignee_id` | `OWNER_USER_ID`, `RESPONSIBLE_USER_ID` |
//! | `converted*` | `CONVERTED`, `CONVERTED_DATE_UTC`, `CONVERTED_*_ID` (read-only) |
//! | `tags`, `custom_fields`, `links` | `TAGS`, `CUSTOMFIELDS`, `LINKS` |

use serde_json::value::RawValue;
use unicrm_core::{
    AddressKind, Error, FieldError, Lead, LeadPatch, NewLead, Patch, PhoneKind, Result, WebsiteKind,
};

use super::addresses::{self, Group};
use super::{
    Mode, assign_slots, custom_fields, dates, id, links, list_patch, phone, primary_email, put,
    put_id, put_str, sole_email, tags, text, website,
};
use crate::wire::{Body, LeadSourceWire, LeadStatusWire, LeadWire};

/// The instance's lead statuses and lead sources (`GET /LeadStatuses`, `GET /LeadSources`):
/// configurable lists of `(id, label)`. Reading a lead fills `status` / `lead_source` with the
/// labels of its ids; writing resolves a label to its id.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LeadPicklists {
    statuses: Vec<(u64, String)>,
    sources: Vec<(u64, String)>,
}

impl LeadPicklists {
    /// No statuses and no sources (labels are then left unset, and label writes refused).
    pub fn empty() -> Self {
        Self::default()
    }

    /// From `(id, label)` pairs.
    pub fn new(
        statuses: impl IntoIterator<Item = (u64, String)>,
        sources: impl IntoIterator<Item = (u64, String)>,
    ) -> Self {
        LeadPicklists {
            statuses: statuses.into_iter().collect(),
            sources: sources.into_iter().collect(),
        }
    }

    /// From the vendor's lists (items without an id or a label are skipped).
    pub fn from_wire(statuses: Vec<LeadStatusWire>, sources: Vec<LeadSourceWire>) -> Self {
        Self::new(
            statuses
                .into_iter()
                .filter_map(|s| Some((s.lead_status_id?, s.lead_status?))),
            sources
                .into_iter()
                .filter_map(|s| Some((s.lead_source_id?, s.lead_source?))),
        )
    }

    /// The label of lead status `id`.
    pub fn status_label(&self, id: u64) -> Option<&str> {
        label(&self.statuses, id)
    }

    /// The label of lead source `id`.
    pub fn source_label(&self, id: u64) -> Option<&str> {
        label(&self.sources, id)
    }

    /// The id of the lead status labelled `name` (case-insensitive, trimmed).
    pub fn status_id(&self, name: &str) -> Option<u64> {
        find(&self.statuses, name)
    }

    /// The id of the lead source labelled `name` (case-insensitive, trimmed).
    pub fn source_id(&self, name: &str) -> Option<u64> {
        find(&self.sources, name)
    }
}

fn label(list: &[(u64, String)], id: u64) -> Option<&str> {
    list.iter().find(|(i, _)| *i == id).map(|(_, l)| l.as_str())
}

fn find(list: &[(u64, String)], name: &str) -> Option<u64> {
    let name = name.trim().to_lowercase();
    list.iter()
        .find(|(_, l)| l.trim().to_lowercase() == name)
        .map(|(i, _)| *i)
}

/// Writes `key` from the id patch, or — when the id is untouched — from the label patch
/// resolved through `list` (`Clear` clears the id; an unknown label is a validation error
/// naming `label_field`).
fn put_picklist(
    b: &mut Body,
    key: &str,
    id: &Patch<String>,
    label_patch: &Patch<String>,
    list: &[(u64, String)],
    label_field: &str,
    what: &str,
) -> Result<()> {
    if !id.is_unchanged() {
        return put(b, key, id, |s| super::wire_id(key, s));
    }
    put(b, key, label_patch, |name| {
        find(list, name).ok_or_else(|| {
            let known: Vec<&str> = list.iter().map(|(_, l)| l.as_str()).collect();
            Error::Validation {
                message: format!(
                    "{label_field}: {name:?} is not an Insightly {what} (known: {})",
                    if known.is_empty() {
                        "none".to_string()
                    } else {
                        known.join(", ")
                    }
                ),
                fields: vec![FieldError {
                    field: Some(label_field.into()),
                    resource: Some("lead".into()),
                    message: format!("unknown {what}"),
                }],
            }
        })
    })
}

/// Reads a lead from its JSON text.
pub fn from_json(
    text: &RawValue,
    defs: &custom_fields::Definitions,
    lists: &LeadPicklists,
) -> Result<Lead> {
    from_json_at(text, defs, lists, "")
}

/// [`from_json`], with `prefix` prepended to decode error paths.
pub fn from_json_at(
    text: &RawValue,
    defs: &custom_fields::Definitions,
    lists: &LeadPicklists,
    prefix: &str,
) -> Result<Lead> {
    super::read_json(text, prefix, |w: LeadWire, raw| {
        from_wire(w, raw, defs, lists)
    })
}

/// Maps a decoded lead.
pub fn from_wire(
    w: LeadWire,
    raw: unicrm_core::RawPayload,
    defs: &custom_fields::Definitions,
    lists: &LeadPicklists,
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
        lead_source: w
            .lead_source_id
            .and_then(|i| lists.source_label(i))
            .map(str::to_string),
        lead_source_id: w.lead_source_id.map(|i| i.to_string()),
        status: w
            .lead_status_id
            .and_then(|i| lists.status_label(i))
            .map(str::to_string),
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

/// The POST body for a new lead. Insightly requires `LAST_NAME` (docs/vendors/insightly-v3.1.md §13 item 13), so a
/// lead without one is refused before anything is sent. `status` / `lead_source` labels are
/// resolved through `lists` when the id is not set.
pub fn create_body(
    new: &NewLead,
    defs: &custom_fields::Definitions,
    lists: &LeadPicklists,
) -> Result<Body> {
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
    let body = patch_body(&LeadPatch::from(new.clone()), defs, lists, Mode::Create)?;
    super::with_links(body, &links)
}

/// The fields of a patch (see [`super::contact::patch_body`]). Conversion fields are
/// read-only and never written. `status_id` / `lead_source_id` win over the `status` /
/// `lead_source` labels; a label alone is resolved through `lists` (case-insensitive; an
/// unknown label is an [`Error::Validation`] naming the field), and clearing a label alone
/// clears the id.
pub fn patch_body(
    p: &LeadPatch,
    defs: &custom_fields::Definitions,
    lists: &LeadPicklists,
    mode: Mode,
) -> Result<Body> {
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
    put_picklist(
        &mut b,
        "LEAD_SOURCE_ID",
        &p.lead_source_id,
        &p.lead_source,
        &lists.sources,
        "lead_source",
        "lead source",
    )?;
    put_picklist(
        &mut b,
        "LEAD_STATUS_ID",
        &p.status_id,
        &p.status,
        &lists.statuses,
        "status",
        "lead status",
    )?;
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
