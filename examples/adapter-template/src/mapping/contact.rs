//! Tinycrm contact ↔ unified `Contact`: `title` is the job title, the one `email` is the
//! contact's only email row.

use serde_json::Value;
use unicrm_core::{Contact, ContactPatch, Email, Error, NewContact, Patch, RawPayload, Result};

use crate::errors::refuse_unheld;
use crate::wire::contact::{WireContact, WireWrite};

/// The unified fields a Tinycrm contact holds.
const HELD: &[&str] = &["first_name", "last_name", "job_title", "emails"];

/// A contact from its JSON, keeping the JSON as the record's raw payload.
pub(crate) fn from_wire(value: Value) -> Result<Contact> {
    let w: WireContact = unicrm_core::error::decode_value(value.clone())?;
    Ok(Contact {
        id: w.id.into(),
        first_name: w.first_name,
        last_name: w.last_name,
        job_title: w.title,
        emails: w
            .email
            .into_iter()
            .map(|address| Email {
                address,
                ..Default::default()
            })
            .collect(),
        created_at: w.created_at,
        updated_at: w.updated_at,
        raw: Some(RawPayload::from_value(&value)),
        ..Default::default()
    })
}

/// The one email Tinycrm can hold.
fn one_email(emails: &[Email]) -> Result<Option<String>> {
    match emails {
        [] => Ok(None),
        [e] => Ok(Some(e.address.clone())),
        _ => Err(Error::unsupported(
            "contact.emails (more than one)",
            crate::VENDOR,
        )),
    }
}

fn json<T: serde::Serialize>(v: &T) -> Value {
    serde_json::to_value(v).unwrap_or(Value::Null)
}

/// The body of a create; `Unsupported` for a field Tinycrm cannot hold.
pub(crate) fn to_create(new: &NewContact) -> Result<WireWrite> {
    refuse_unheld("contact", &json(new), HELD)?;
    Ok(WireWrite {
        first_name: Some(new.first_name.clone()),
        last_name: Some(new.last_name.clone()),
        title: Some(new.job_title.clone()),
        email: Some(one_email(&new.emails)?),
    })
}

/// A unified patch field as a wire one: unchanged → absent, clear → `null`.
fn field(p: &Patch<String>) -> Option<Option<String>> {
    match p {
        Patch::Unchanged => None,
        Patch::Set(v) => Some(Some(v.clone())),
        Patch::Clear => Some(None),
    }
}

/// The body of a patch; `Unsupported` for a field Tinycrm cannot hold.
pub(crate) fn to_patch(patch: &ContactPatch) -> Result<WireWrite> {
    refuse_unheld("contact", &json(patch), HELD)?;
    let email = match &patch.emails {
        Patch::Unchanged => None,
        Patch::Set(e) => Some(one_email(e)?),
        Patch::Clear => Some(None),
    };
    Ok(WireWrite {
        first_name: field(&patch.first_name),
        last_name: field(&patch.last_name),
        title: field(&patch.job_title),
        email,
    })
}
