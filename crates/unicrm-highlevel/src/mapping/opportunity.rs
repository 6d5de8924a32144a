//! HighLevel opportunity ↔ unified `Opportunity` (docs/vendors/highlevel-v2.md,
//! "Opportunities and pipelines", "Opportunity object").
//!
//! | unified | HighLevel |
//! | --- | --- |
//! | `name`, `status` | `name`, `status` (`open`, `won`, `lost`, `abandoned`) |
//! | `amount` | `monetaryValue` in the location's currency (the builder's `currency`) |
//! | `pipeline_id`, `stage_id` | `pipelineId`, `pipelineStageId` |
//! | `contact_id`, `owner_id` | `contactId` (required on create, fixed after), `assignedTo` |
//! | `stage_changed_at`, `last_activity_at` | `lastStageChangeAt`, `lastActionDate` |
//! | `created_at`, `updated_at` | `createdAt`, `updatedAt` |
//! | `custom_fields` | read `{id, fieldValue}` or live `{id, type, fieldValueString}` (any `fieldValue*`, then `value`), under `customFields` or `custom_fields`; written `{id, field_value}` |
//!
//! Not held: description, account, other contacts, tags, close dates, reasons as text. An
//! amount in another currency than the location's is `Unsupported` (HighLevel stores a bare
//! number), and so is a new opportunity without `contact_id` (every HighLevel opportunity
//! hangs on a contact); one without `pipeline_id` is a `Validation` error naming it; `status`
//! defaults to `open`.

use rust_decimal::Decimal;
use serde_json::{Map, Value};
use unicrm_core::{
    Currency, CustomFieldValue, Error, FieldError, Money, NewOpportunity, Opportunity,
    OpportunityPatch, OpportunityStatus, Patch, RawPayload, Result,
};

use super::contact::list;
use super::fields;
use crate::wire::contact::WireFieldValue;
use crate::wire::opportunity::{WireOpportunity, WireOpportunityWrite};

/// A status as HighLevel spells it (open set).
fn status_from(s: &str) -> OpportunityStatus {
    match s.to_ascii_lowercase().as_str() {
        "open" => OpportunityStatus::Open,
        "won" => OpportunityStatus::Won,
        "lost" => OpportunityStatus::Lost,
        "abandoned" => OpportunityStatus::Abandoned,
        other => OpportunityStatus::Other(other.to_string()),
    }
}

/// The status HighLevel writes; `Suspended` has no counterpart.
pub(crate) fn status_to(s: &OpportunityStatus) -> Result<&'static str> {
    match s {
        OpportunityStatus::Open => Ok("open"),
        OpportunityStatus::Won => Ok("won"),
        OpportunityStatus::Lost => Ok("lost"),
        OpportunityStatus::Abandoned => Ok("abandoned"),
        other => Err(Error::unsupported(
            format!("opportunity.status {other}"),
            crate::VENDOR,
        )),
    }
}

/// A custom field value in any of its read spellings: `fieldValue`, then any other
/// `fieldValue*` key (`fieldValueString`, …), then `value` ("Uncertain": opportunity custom
/// fields).
pub(crate) fn custom_value(m: &Map<String, Value>) -> Option<CustomFieldValue> {
    let id = m.get("id").and_then(Value::as_str)?.to_string();
    let value = m
        .get("fieldValue")
        .or_else(|| {
            m.iter()
                .filter(|(k, _)| k.starts_with("fieldValue"))
                .map(|(_, v)| v)
                .find(|v| !v.is_null())
        })
        .or_else(|| m.get("value"))
        .cloned()
        .unwrap_or(Value::Null);
    Some(fields::field_value(WireFieldValue { id, value }))
}

fn amount(v: Option<&Value>, currency: &Currency) -> Option<Money> {
    let text = match v? {
        Value::Number(n) => n.to_string(),
        Value::String(s) => s.clone(),
        _ => return None,
    };
    let amount: Decimal = text
        .parse()
        .ok()
        .or_else(|| Decimal::from_scientific(&text).ok())?;
    Some(Money {
        amount: amount.normalize(),
        currency: currency.clone(),
    })
}

/// An opportunity from its JSON, keeping the JSON raw.
pub(crate) fn from_wire(value: Value, currency: &Currency) -> Result<Opportunity> {
    let (w, raw) = crate::wire::record_value::<WireOpportunity>(&value)?;
    Ok(from_parsed(w, raw, currency))
}

/// A decoded opportunity and its raw payload, mapped (bare amounts in `currency`).
pub(crate) fn from_parsed(w: WireOpportunity, raw: RawPayload, currency: &Currency) -> Opportunity {
    Opportunity {
        id: w.id.into(),
        name: w.name.unwrap_or_default(),
        amount: amount(w.monetary_value.as_ref(), currency),
        status: w.status.as_deref().map(status_from),
        pipeline_id: w.pipeline_id.filter(|p| !p.is_empty()).map(Into::into),
        stage_id: w
            .pipeline_stage_id
            .filter(|p| !p.is_empty())
            .map(Into::into),
        contact_id: w.contact_id.filter(|c| !c.is_empty()).map(Into::into),
        owner_id: w.assigned_to.filter(|a| !a.is_empty()).map(Into::into),
        stage_changed_at: fields::time(w.last_stage_change_at.as_deref()),
        last_activity_at: fields::time(w.last_action_date.as_deref()),
        custom_fields: w.custom_fields.iter().filter_map(custom_value).collect(),
        created_at: fields::time(w.created_at.as_deref()),
        updated_at: fields::time(w.updated_at.as_deref()),
        raw: Some(raw),
        ..Default::default()
    }
}

/// `monetaryValue` for `m`: a JSON number (exact decimal text), in the location's currency.
fn monetary(m: &Money, currency: &Currency) -> Result<Value> {
    if &m.currency != currency {
        return Err(Error::unsupported(
            format!(
                "opportunity.amount in {} (HighLevel holds amounts in the location's {currency})",
                m.currency
            ),
            crate::VENDOR,
        ));
    }
    let text = m.amount.normalize().to_string();
    serde_json::from_str::<serde_json::Number>(&text)
        .map(Value::Number)
        .map_err(|_| Error::validation(format!("amount {text} is not a number")))
}

fn required(field: &str) -> Error {
    Error::Validation {
        message: format!("a HighLevel opportunity needs {field}"),
        fields: vec![FieldError {
            field: Some(field.to_string()),
            resource: Some("opportunity".into()),
            message: format!("{field} is required"),
        }],
    }
}

/// The body of `POST /opportunities/`.
pub(crate) fn to_create(
    new: &NewOpportunity,
    location_id: &str,
    currency: &Currency,
) -> Result<WireOpportunityWrite> {
    // Every HighLevel opportunity hangs on a contact: one without is a record the vendor
    // cannot hold (`Unsupported`), not a bad value.
    let contact = new
        .contact_id
        .as_ref()
        .ok_or_else(|| Error::unsupported("opportunity without contact_id", crate::VENDOR))?;
    let pipeline = new
        .pipeline_id
        .as_ref()
        .ok_or_else(|| required("pipeline_id"))?;
    Ok(WireOpportunityWrite {
        location_id: Some(location_id.to_string()),
        pipeline_id: Some(pipeline.as_str().to_string()),
        name: Some(new.name.clone()),
        status: Some(status_to(new.status.as_ref().unwrap_or(&OpportunityStatus::Open))?.into()),
        contact_id: Some(contact.as_str().to_string()),
        pipeline_stage_id: new.stage_id.as_ref().map(|s| Some(s.as_str().to_string())),
        monetary_value: new
            .amount
            .as_ref()
            .map(|m| monetary(m, currency))
            .transpose()?,
        assigned_to: new.owner_id.as_ref().map(|o| Some(o.as_str().to_string())),
        source: None,
        custom_fields: (!new.custom_fields.is_empty())
            .then(|| new.custom_fields.iter().map(fields::field_write).collect()),
    })
}

/// The body of `PUT /opportunities/{id}` (no `locationId`, no `contactId`: a patch of the
/// contact is `Unsupported`). The status goes in the body too (the vendor also has
/// `PUT …/status`, which the update does not need).
pub(crate) fn to_patch(p: &OpportunityPatch, currency: &Currency) -> Result<WireOpportunityWrite> {
    if !p.contact_id.is_unchanged() {
        return Err(Error::unsupported(
            "opportunity.contact_id (fixed once created)",
            crate::VENDOR,
        ));
    }
    let mut w = WireOpportunityWrite::default();
    if let Patch::Set(n) = &p.name {
        w.name = Some(n.clone());
    }
    match &p.status {
        Patch::Set(s) => w.status = Some(status_to(s)?.into()),
        Patch::Clear => w.status = Some("open".into()),
        Patch::Unchanged => {}
    }
    match &p.pipeline_id {
        Patch::Set(s) => w.pipeline_id = Some(s.as_str().to_string()),
        Patch::Clear => {
            return Err(Error::unsupported(
                "opportunity.pipeline_id (cleared)",
                crate::VENDOR,
            ));
        }
        Patch::Unchanged => {}
    }
    w.pipeline_stage_id = match &p.stage_id {
        Patch::Unchanged => None,
        Patch::Set(s) => Some(Some(s.as_str().to_string())),
        Patch::Clear => Some(None),
    };
    w.monetary_value = match &p.amount {
        Patch::Unchanged => None,
        Patch::Set(m) => Some(monetary(m, currency)?),
        Patch::Clear => Some(Value::from(0)),
    };
    w.assigned_to = match &p.owner_id {
        Patch::Unchanged => None,
        Patch::Set(o) => Some(Some(o.as_str().to_string())),
        Patch::Clear => Some(None),
    };
    w.custom_fields = list(&p.custom_fields).map(|c| c.iter().map(fields::field_write).collect());
    Ok(w)
}
