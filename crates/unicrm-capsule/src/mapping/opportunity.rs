//! Capsule opportunity ↔ unified [`Opportunity`].
//!
//! | Capsule | unified |
//! |---|---|
//! | `value` `{amount, currency}` | `amount` — the JSON number's text parsed into an exact decimal |
//! | `milestone` | `stage_id`, `stage_name`; `pipeline_id` from the milestone's pipeline |
//! | `probability` | `probability` |
//! | closed (`closedOn`) + probability 100 / 0 | `status` won / lost, else open |
//! | `closedOn`, `expectedCloseOn` | `closed_date`, `expected_close_date` |
//! | `lostReason` | `lost_reason` (its name; written by id, looked up by name) |
//! | `durationBasis`, `duration` | `bid_type`, `bid_duration` |
//! | `party` | `account_id` (organisation) or `contact_id` (person) |
//! | `owner`, `lastStageChangedAt`, `lastContactedAt` | `owner_id`, `stage_changed_at`, `last_activity_at` |
//! | `tags`, `fields` | `tags`, `custom_fields` |
//!
//! `probability` is not written together with a won/lost `status` (the closing milestone sets
//! it; Capsule refuses both in one write).
//!
//! Not mapped: `contact_ids` (additional parties need a request per opportunity),
//! `won_reason`; `team` and `lastOpenMilestone` stay in `raw`.

use rust_decimal::Decimal;
use serde::Serialize;
use serde_json::value::RawValue;
use unicrm_core::error::{Error, Result};
use unicrm_core::{
    AccountId, BidType, ContactId, Currency, Money, NewOpportunity, Opportunity, OpportunityId,
    OpportunityPatch, OpportunityStatus, Patch, StageId, UserId,
};

use super::party_rows::{tag_to_wire, tags_from_wire};
use super::pipeline::StageIndex;
use super::{
    Body, FieldDefs, IdRef, id_patch, non_empty, numeric_id, patch_ref, patch_scalar, set_ref,
};
use crate::wire::{Decoded, WireMoney, WireOpportunity, decimal_from_raw, decimal_to_raw};

/// `value` → money (exact); `None` without an amount or a valid currency.
pub fn money_from_wire(v: &WireMoney) -> Option<Money> {
    let amount = decimal_from_raw(v.amount.as_deref()?)?;
    let currency = Currency::new(v.currency.as_deref()?)?;
    Some(Money { amount, currency })
}

#[derive(Serialize)]
struct MoneyOut<'a> {
    amount: Box<RawValue>,
    currency: &'a str,
}

/// Money → `{"amount": <exact number>, "currency": "EUR"}` as JSON text.
pub fn money_to_wire(m: &Money) -> Result<Box<RawValue>> {
    serde_json::value::to_raw_value(&MoneyOut {
        amount: decimal_to_raw(&m.amount)?,
        currency: m.currency.as_str(),
    })
    .map_err(|e| Error::config(format!("cannot serialize money: {e}")))
}

/// `durationBasis` → bid type.
pub fn bid_type_from_wire(s: &str) -> BidType {
    match s.trim().to_ascii_uppercase().as_str() {
        "FIXED" => BidType::Fixed,
        "HOUR" => BidType::PerHour,
        "DAY" => BidType::PerDay,
        "WEEK" => BidType::PerWeek,
        "MONTH" => BidType::PerMonth,
        "QUARTER" => BidType::PerQuarter,
        "YEAR" => BidType::PerYear,
        _ => BidType::Other(s.to_string()),
    }
}

/// Bid type → `durationBasis`.
pub fn bid_type_to_wire(b: &BidType) -> String {
    match b {
        BidType::Fixed => "FIXED".into(),
        BidType::PerHour => "HOUR".into(),
        BidType::PerDay => "DAY".into(),
        BidType::PerWeek => "WEEK".into(),
        BidType::PerMonth => "MONTH".into(),
        BidType::PerQuarter => "QUARTER".into(),
        BidType::PerYear => "YEAR".into(),
        other => other.as_str().to_string(),
    }
}

/// An opportunity → unified. `stages` names the pipeline of the milestone (left `None` when
/// the milestone is unknown).
pub fn opportunity_from_wire(
    d: &Decoded<WireOpportunity>,
    defs: &FieldDefs,
    stages: &StageIndex,
) -> Opportunity {
    let o = &d.wire;
    let probability = o.probability.as_deref().and_then(decimal_from_raw);
    let status = if o.closed_on.is_some() {
        match probability {
            Some(p) if p == Decimal::ONE_HUNDRED => OpportunityStatus::Won,
            Some(p) if p.is_zero() => OpportunityStatus::Lost,
            _ => OpportunityStatus::Other("closed".into()),
        }
    } else {
        OpportunityStatus::Open
    };
    let milestone_id = o.milestone.as_ref().and_then(|m| m.id);
    let (account_id, contact_id) = match &o.party {
        Some(p) => match (p.id, p.kind.as_deref()) {
            (Some(id), Some(k)) if k.eq_ignore_ascii_case("person") => {
                (None, Some(ContactId::from(id)))
            }
            (Some(id), _) => (Some(AccountId::from(id)), None),
            _ => (None, None),
        },
        None => (None, None),
    };
    Opportunity {
        id: OpportunityId::from(o.id),
        name: o.name.clone().unwrap_or_default(),
        description: non_empty(&o.description),
        amount: o.value.as_ref().and_then(money_from_wire),
        bid_type: non_empty(&o.duration_basis).map(|s| bid_type_from_wire(&s)),
        bid_duration: o.duration.and_then(|d| u32::try_from(d).ok()),
        status: Some(status),
        probability,
        pipeline_id: milestone_id
            .and_then(|m| stages.milestone(&m.to_string()))
            .map(|(p, _)| p.clone()),
        stage_id: milestone_id.map(|m| StageId::from(m.to_string())),
        stage_name: o.milestone.as_ref().and_then(|m| non_empty(&m.name)),
        account_id,
        contact_id,
        expected_close_date: o.expected_close_on,
        closed_date: o.closed_on,
        lost_reason: o.lost_reason.as_ref().and_then(|r| non_empty(&r.name)),
        won_reason: None,
        owner_id: o.owner.as_ref().and_then(|u| u.id).map(UserId::from),
        stage_changed_at: o.last_stage_changed_at,
        last_activity_at: o.last_contacted_at,
        contact_ids: Vec::new(),
        tags: tags_from_wire(o.tags.as_deref().unwrap_or_default()),
        custom_fields: super::custom_fields::values_from_wire(
            o.fields.as_deref().unwrap_or_default(),
            defs,
        ),
        links: Vec::new(),
        created_at: o.created_at,
        updated_at: o.updated_at,
        raw: Some(d.raw.clone()),
    }
}

/// Ids the adapter looked up before writing (names and pipelines → Capsule ids).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ResolvedRefs {
    /// The milestone to put the deal in (from `stage_id`, or the pipeline's first / won / lost
    /// milestone).
    pub milestone: Option<u64>,
    /// `lostReason` for a `lost_reason` name: `Some(Some(id))` sets, `Some(None)` clears.
    pub lost_reason: Option<Option<u64>>,
}

fn party_ref(account: Option<&AccountId>, contact: Option<&ContactId>) -> Result<Option<IdRef>> {
    if let Some(a) = account {
        return Ok(Some(IdRef {
            id: numeric_id(a.as_str(), "account_id")?,
        }));
    }
    if let Some(c) = contact {
        return Ok(Some(IdRef {
            id: numeric_id(c.as_str(), "contact_id")?,
        }));
    }
    Ok(None)
}

fn closes(status: Option<&OpportunityStatus>) -> bool {
    matches!(
        status,
        Some(OpportunityStatus::Won | OpportunityStatus::Lost)
    )
}

fn probability_raw(p: &Decimal) -> Result<Box<RawValue>> {
    decimal_to_raw(&p.normalize())
}

/// The body of `POST /opportunities` (without the wrapper).
pub fn new_opportunity_to_wire(n: &NewOpportunity, refs: ResolvedRefs) -> Result<Body> {
    let mut b = Body::new();
    if n.name.trim().is_empty() {
        return Err(Error::validation("an opportunity needs a name"));
    }
    b.set("name", &n.name)?;
    if let Some(d) = &n.description {
        b.set("description", d)?;
    }
    match party_ref(n.account_id.as_ref(), n.contact_id.as_ref())? {
        Some(p) => b.set("party", &p)?,
        None => {
            return Err(Error::Validation {
                message: "a Capsule opportunity needs a party: set account_id or contact_id".into(),
                fields: vec![unicrm_core::FieldError {
                    field: Some("account_id".into()),
                    resource: Some("opportunity".into()),
                    message: "party is required".into(),
                }],
            });
        }
    }
    match refs.milestone {
        Some(m) => b.set("milestone", &IdRef { id: m })?,
        None => {
            return Err(Error::Validation {
                message: "a Capsule opportunity needs a milestone: set stage_id or pipeline_id"
                    .into(),
                fields: vec![unicrm_core::FieldError {
                    field: Some("stage_id".into()),
                    resource: Some("opportunity".into()),
                    message: "milestone is required".into(),
                }],
            });
        }
    }
    if let Some(m) = &n.amount {
        b.set_raw("value", money_to_wire(m)?);
    }
    if let Some(d) = &n.expected_close_date {
        b.set("expectedCloseOn", d)?;
    }
    // A closing milestone sets the probability itself; Capsule refuses both at once.
    if let (Some(p), false) = (&n.probability, closes(n.status.as_ref())) {
        b.set_raw("probability", probability_raw(p)?);
    }
    if let Some(t) = &n.bid_type {
        b.set("durationBasis", &bid_type_to_wire(t))?;
    }
    if let Some(d) = &n.bid_duration {
        b.set("duration", d)?;
    }
    if let Some(id) = &n.owner_id {
        set_ref(&mut b, "owner", id.as_str(), "owner_id")?;
    }
    if let Some(Some(id)) = refs.lost_reason {
        b.set("lostReason", &IdRef { id })?;
    }
    if !n.tags.is_empty() {
        b.set("tags", &n.tags.iter().map(tag_to_wire).collect::<Vec<_>>())?;
    }
    let fields = super::custom_fields::values_to_wire(&n.custom_fields)?;
    if !fields.is_empty() {
        b.set("fields", &fields)?;
    }
    b.merge_vendor_fields(&n.vendor_fields)?;
    Ok(b)
}

/// The body of `PUT /opportunities/{id}`. `stored` is needed when tags or custom fields are
/// touched.
pub fn opportunity_patch_to_wire(
    p: &OpportunityPatch,
    refs: ResolvedRefs,
    stored: Option<&Opportunity>,
) -> Result<Body> {
    let mut b = Body::new();
    match &p.name {
        Patch::Unchanged => {}
        Patch::Set(n) if !n.trim().is_empty() => b.set("name", n)?,
        _ => return Err(Error::validation("an opportunity needs a name")),
    }
    patch_scalar(&mut b, "description", &p.description)?;
    match &p.amount {
        Patch::Unchanged => {}
        Patch::Set(m) => b.set_raw("value", money_to_wire(m)?),
        Patch::Clear => b.set_null("value")?,
    }
    patch_scalar(&mut b, "expectedCloseOn", &p.expected_close_date)?;
    match &p.probability {
        Patch::Unchanged => {}
        Patch::Set(_) if closes(p.status.as_set()) => {}
        Patch::Set(v) => b.set_raw("probability", probability_raw(v)?),
        Patch::Clear => b.set_null("probability")?,
    }
    match &p.bid_type {
        Patch::Unchanged => {}
        Patch::Set(t) => b.set("durationBasis", &bid_type_to_wire(t))?,
        Patch::Clear => b.set("durationBasis", "FIXED")?,
    }
    patch_scalar(&mut b, "duration", &p.bid_duration)?;
    match (&p.account_id, &p.contact_id) {
        (Patch::Set(a), _) => set_ref(&mut b, "party", a.as_str(), "account_id")?,
        (_, Patch::Set(c)) => set_ref(&mut b, "party", c.as_str(), "contact_id")?,
        (Patch::Clear, _) | (_, Patch::Clear) => b.set_null("party")?,
        _ => {}
    }
    if let Some(m) = refs.milestone {
        b.set("milestone", &IdRef { id: m })?;
    } else if let Patch::Set(s) = &p.stage_id {
        patch_ref(
            &mut b,
            "milestone",
            &id_patch::<StageId>(&Patch::Set(s.clone())),
        )?;
    }
    match refs.lost_reason {
        Some(Some(id)) => b.set("lostReason", &IdRef { id })?,
        Some(None) => b.set_null("lostReason")?,
        None => {}
    }
    patch_ref(&mut b, "owner", &id_patch(&p.owner_id))?;
    let stored_tags = stored.map(|s| s.tags.as_slice()).unwrap_or_default();
    match &p.tags {
        Patch::Unchanged => {}
        Patch::Set(t) => {
            let ops = super::party_rows::diff_tags(stored_tags, t);
            if !ops.is_empty() {
                b.set("tags", &ops)?;
            }
        }
        Patch::Clear => {
            let ops = super::party_rows::diff_tags(stored_tags, &[]);
            if !ops.is_empty() {
                b.set("tags", &ops)?;
            }
        }
    }
    let stored_fields = stored
        .map(|s| s.custom_fields.as_slice())
        .unwrap_or_default();
    let want = match &p.custom_fields {
        Patch::Unchanged => None,
        Patch::Set(v) => Some(v.as_slice()),
        Patch::Clear => Some(&[][..]),
    };
    if let Some(want) = want {
        let rows = super::custom_fields::diff_values(stored_fields, want)?;
        if !rows.is_empty() {
            b.set("fields", &rows)?;
        }
    }
    b.merge_vendor_fields(&p.vendor_fields)?;
    Ok(b)
}
