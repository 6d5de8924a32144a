//! Opportunity ↔ `/Opportunities` (docs/vendors/insightly-v3.1.md §11.5).
//!
//! | unified | Insightly |
//! |---|---|
//! | `name`, `description` | `OPPORTUNITY_NAME`, `OPPORTUNITY_DETAILS` |
//! | `amount` ([`Money`], exact) | `BID_AMOUNT` (JSON number text → `Decimal`, never `f64`) + `BID_CURRENCY` |
//! | `bid_type`, `bid_duration` | `BID_TYPE` (`Fixed Bid`, `Per Hour`, …), `BID_DURATION` |
//! | `status` | `OPPORTUNITY_STATE` (`OPEN`, `WON`, `LOST`, `SUSPENDED`, `ABANDONED`; any case in, upper-case out) |
//! | `probability` | `PROBABILITY` (0–100, written as an integer) |
//! | `pipeline_id`, `stage_id` | `PIPELINE_ID`, `STAGE_ID` |
//! | `account_id`, `owner_id` | `ORGANISATION_ID`, `OWNER_USER_ID` |
//! | `expected_close_date`, `closed_date` | `FORECAST_CLOSE_DATE`, `ACTUAL_CLOSE_DATE` |
//! | `contact_id`, `contact_ids` | the first / the other `LINKS` to a `Contact` |
//! | `tags`, `custom_fields`, `links` | `TAGS`, `CUSTOMFIELDS`, `LINKS` |
//!
//! `OPPORTUNITY_VALUE` is computed by the vendor: read from `raw`, never written.
//! `RESPONSIBLE_USER_ID`, `CATEGORY_ID`, `PRICEBOOK_ID` are kept in `raw`.

use rust_decimal::Decimal;
use serde_json::value::RawValue;
use unicrm_core::{
    BidType, Currency, Money, NewOpportunity, Opportunity, OpportunityPatch, OpportunityStatus,
    Patch, ResourceKind, Result,
};

use super::{Mode, custom_fields, dates, id, links, put, put_id, put_str, tags, text};
use crate::wire::{Body, OpportunityWire};

/// Reads `BID_TYPE`.
pub fn bid_type(s: &str) -> BidType {
    let norm: String = s
        .chars()
        .filter(|c| c.is_ascii_alphanumeric())
        .collect::<String>()
        .to_ascii_lowercase();
    match norm.as_str() {
        "fixedbid" | "fixed" => BidType::Fixed,
        "perhour" => BidType::PerHour,
        "perday" => BidType::PerDay,
        "perweek" => BidType::PerWeek,
        "permonth" => BidType::PerMonth,
        "perquarter" => BidType::PerQuarter,
        "peryear" => BidType::PerYear,
        _ => BidType::parse(s),
    }
}

/// Writes `BID_TYPE`.
pub fn bid_type_wire(b: &BidType) -> String {
    match b {
        BidType::Fixed => "Fixed Bid".into(),
        BidType::PerHour => "Per Hour".into(),
        BidType::PerDay => "Per Day".into(),
        BidType::PerWeek => "Per Week".into(),
        BidType::PerMonth => "Per Month".into(),
        BidType::PerQuarter => "Per Quarter".into(),
        BidType::PerYear => "Per Year".into(),
        other => other.as_str().to_string(),
    }
}

/// Writes `OPPORTUNITY_STATE` (upper-case for known states).
pub fn state_wire(s: &OpportunityStatus) -> String {
    match s {
        OpportunityStatus::Other(v) => v.clone(),
        known => known.as_str().to_ascii_uppercase(),
    }
}

/// Reads an opportunity from its JSON text.
pub fn from_json(text: &RawValue, defs: &custom_fields::Definitions) -> Result<Opportunity> {
    from_json_at(text, defs, "")
}

/// [`from_json`], with `prefix` prepended to decode error paths.
pub fn from_json_at(
    text: &RawValue,
    defs: &custom_fields::Definitions,
    prefix: &str,
) -> Result<Opportunity> {
    super::read_json(text, prefix, |w: OpportunityWire, raw| {
        from_wire(w, raw, defs)
    })
}

/// Maps a decoded opportunity.
pub fn from_wire(
    w: OpportunityWire,
    raw: unicrm_core::RawPayload,
    defs: &custom_fields::Definitions,
) -> Opportunity {
    let all_links = links::read(&w.links);
    let contacts = links::all_of(&all_links, &ResourceKind::Contact);
    let amount = match (
        w.bid_amount.as_deref().and_then(custom_fields::decimal),
        w.bid_currency.as_deref().and_then(Currency::new),
    ) {
        (Some(amount), Some(currency)) => Some(Money { amount, currency }),
        _ => None,
    };
    Opportunity {
        id: w.opportunity_id.map(Into::into).unwrap_or_default(),
        name: text(&w.opportunity_name).unwrap_or_default(),
        description: text(&w.opportunity_details),
        amount,
        bid_type: text(&w.bid_type).map(|s| bid_type(&s)),
        bid_duration: w.bid_duration.and_then(|d| u32::try_from(d).ok()),
        status: text(&w.opportunity_state).map(|s| OpportunityStatus::parse(&s)),
        probability: w.probability.as_deref().and_then(custom_fields::decimal),
        pipeline_id: id(w.pipeline_id),
        stage_id: id(w.stage_id),
        stage_name: None,
        account_id: id(w.organisation_id),
        contact_id: contacts.first().map(|c| c.as_str().into()),
        expected_close_date: dates::date(w.forecast_close_date.as_ref()),
        closed_date: dates::date(w.actual_close_date.as_ref()),
        lost_reason: None,
        won_reason: None,
        owner_id: id(w.owner_user_id),
        stage_changed_at: None,
        last_activity_at: dates::datetime(w.last_activity_date_utc.as_ref()),
        contact_ids: contacts.iter().skip(1).map(|c| c.as_str().into()).collect(),
        tags: tags::read(&w.tags),
        custom_fields: custom_fields::read(&w.customfields, defs),
        links: all_links,
        created_at: dates::datetime(w.date_created_utc.as_ref()),
        updated_at: dates::datetime(w.date_updated_utc.as_ref()),
        raw: Some(raw),
    }
}

/// Every link a new opportunity asks for: `links`, `contact_id` and `contact_ids`.
pub fn wanted_links(new: &NewOpportunity) -> Vec<unicrm_core::RecordLink> {
    let mut all = new.links.clone();
    all.extend(
        new.contact_id
            .iter()
            .chain(new.contact_ids.iter())
            .map(|c| links::link(ResourceKind::Contact, c.as_str())),
    );
    // The organisation link follows from ORGANISATION_ID; sending both could duplicate it.
    links::without(
        links::dedup(all),
        &ResourceKind::Account,
        new.account_id.as_ref().map(|a| a.as_str()),
    )
}

/// The POST body for a new opportunity.
pub fn create_body(new: &NewOpportunity, defs: &custom_fields::Definitions) -> Result<Body> {
    let links = wanted_links(new);
    let body = patch_body(&OpportunityPatch::from(new.clone()), defs, Mode::Create)?;
    super::with_links(body, &links)
}

/// The fields of a patch (see [`super::contact::patch_body`]).
pub fn patch_body(
    p: &OpportunityPatch,
    defs: &custom_fields::Definitions,
    mode: Mode,
) -> Result<Body> {
    let mut b = Body::new();
    put_str(&mut b, "OPPORTUNITY_NAME", &p.name)?;
    put_str(&mut b, "OPPORTUNITY_DETAILS", &p.description)?;
    match &p.amount {
        Patch::Unchanged => {}
        Patch::Clear => b.null("BID_AMOUNT"),
        Patch::Set(m) => {
            b.set_number_text("BID_AMOUNT", &m.amount.to_string())?;
            b.set("BID_CURRENCY", m.currency.as_str())?;
        }
    }
    put(&mut b, "BID_TYPE", &p.bid_type, |t| Ok(bid_type_wire(t)))?;
    put(&mut b, "BID_DURATION", &p.bid_duration, |d| Ok(*d))?;
    put(&mut b, "OPPORTUNITY_STATE", &p.status, |s| {
        Ok(state_wire(s))
    })?;
    match &p.probability {
        Patch::Unchanged => {}
        Patch::Clear => b.null("PROBABILITY"),
        Patch::Set(d) => {
            let whole: Decimal = d.round();
            b.set_number_text("PROBABILITY", &whole.normalize().to_string())?;
        }
    }
    put_id(&mut b, "PIPELINE_ID", &p.pipeline_id)?;
    put_id(&mut b, "STAGE_ID", &p.stage_id)?;
    put_id(&mut b, "ORGANISATION_ID", &p.account_id)?;
    put_id(&mut b, "OWNER_USER_ID", &p.owner_id)?;
    put(&mut b, "FORECAST_CLOSE_DATE", &p.expected_close_date, |d| {
        Ok(dates::format_date(d))
    })?;
    put(&mut b, "ACTUAL_CLOSE_DATE", &p.closed_date, |d| {
        Ok(dates::format_date(d))
    })?;
    super::finish_tagged(b, &p.tags, &p.custom_fields, defs, mode, &p.vendor_fields)
}
