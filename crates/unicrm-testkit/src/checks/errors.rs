//! The error taxonomy: bad credentials → `Unauthenticated`, a missing record → `NotFound`, a
//! refused write → `Validation` naming the field, 429 answers waited out.

use unicrm_core::{Crm, Error, Record};

use super::{id_from, res};
use crate::gate::{Gate, Operation};
use crate::harness::{Harness, InvalidWrite};
use crate::report::{CheckRecord, Ctx, Failure};
use crate::samples::Sample;

/// A client with refused credentials gets `Error::Unauthenticated` (401), for the current user
/// and for a listing.
pub async fn check_unauthenticated(
    crm: &dyn Crm,
    harness: &dyn Harness,
) -> Result<CheckRecord, Failure> {
    let ctx = Ctx::new(crm.vendor(), "crm", "401 → Unauthenticated");
    let bad = harness
        .connect_with_bad_credentials()
        .await
        .map_err(|e| ctx.fail(e.to_string()))?;
    let Some(bad) = bad else {
        return Ok(ctx.skip("the harness has no client with bad credentials", "nothing"));
    };
    let expect = |what: &str, r: Result<String, Error>| match r {
        Err(Error::Unauthenticated { .. }) => Ok(()),
        Err(other) => Err(ctx.fail(format!(
            "{what} with bad credentials must answer Unauthenticated, answered {other:?}"
        ))),
        Ok(v) => Err(ctx.fail(format!(
            "{what} with bad credentials must answer Unauthenticated, succeeded with {v}"
        ))),
    };
    expect(
        "current_user",
        bad.current_user().await.map(|u| u.id.to_string()),
    )?;
    let gate = Gate::of(bad.as_ref());
    let mut asserted = "current_user answers Unauthenticated".to_string();
    if gate.supports(&unicrm_core::ResourceKind::Contact, Operation::List) {
        let r = bad
            .contacts()
            .list(&unicrm_core::ListParams::new().page_size(1))
            .await
            .map(|p| format!("{} contacts", p.items.len()));
        expect("contacts.list", r)?;
        asserted.push_str("; contacts.list answers Unauthenticated");
    }
    Ok(ctx.pass(asserted))
}

/// `get` of an id no record has answers `Error::NotFound` (404).
pub async fn check_not_found<R: Record>(
    crm: &dyn Crm,
    harness: &dyn Harness,
) -> Result<CheckRecord, Failure> {
    let ctx = Ctx::new(crm.vendor(), R::KIND, "404 → NotFound");
    if !Gate::of(crm).supports(&R::KIND, Operation::Get) {
        return Ok(ctx.skip(
            "get is false",
            "get answers Unsupported (unsupported check)",
        ));
    }
    let missing = harness.missing_id(&R::KIND);
    let id = id_from::<R>(&missing)
        .ok_or_else(|| ctx.fail(format!("the harness's missing id {missing:?} is not an id")))?;
    match res::<R>(crm).get(&id).await {
        Err(Error::NotFound { .. }) => Ok(ctx.pass(format!("get {missing} answers NotFound"))),
        Err(other) => Err(ctx.fail(format!(
            "get {missing} (no such record) must answer NotFound, answered {other:?}"
        ))),
        Ok(r) => Err(ctx.fail(format!(
            "get {missing} (no such record) must answer NotFound, answered {}",
            super::short(&format!("{r:?}"))
        ))),
    }
}

/// The harness's invalid create answers `Error::Validation` naming one of the expected fields.
pub async fn check_validation(
    crm: &dyn Crm,
    harness: &dyn Harness,
) -> Result<CheckRecord, Failure> {
    let Some(invalid) = harness.invalid_write() else {
        let ctx = Ctx::new(crm.vendor(), "crm", "422 → Validation with field names");
        return Ok(ctx.skip("the harness names no invalid write", "nothing"));
    };
    crate::with_kind!(invalid.kind.clone(), R => validation_of::<R>(crm, &invalid).await)
}

async fn validation_of<R: Sample>(
    crm: &dyn Crm,
    invalid: &InvalidWrite,
) -> Result<CheckRecord, Failure>
where
    R::New: Default,
{
    let ctx = Ctx::new(crm.vendor(), R::KIND, "422 → Validation with field names");
    let new: R::New = serde_json::from_value(invalid.new.clone()).map_err(|e| {
        ctx.fail(format!(
            "the harness's invalid write is not a new {}: {e}",
            R::KIND
        ))
    })?;
    match res::<R>(crm).create(&new).await {
        Err(Error::Validation { fields, message }) => {
            let named: Vec<String> = fields.iter().filter_map(|f| f.field.clone()).collect();
            let hit = named
                .iter()
                .any(|n| invalid.fields.iter().any(|e| e.eq_ignore_ascii_case(n)));
            ctx.ensure(hit, || {
                format!(
                    "Validation ({message}) names the fields {named:?}; expected one of {:?}",
                    invalid.fields
                )
            })?;
            Ok(ctx.pass(format!("create answers Validation naming {named:?}")))
        }
        Err(other) => Err(ctx.fail(format!(
            "an invalid create must answer Validation with field names, answered {other:?}"
        ))),
        Ok(r) => Err(ctx.fail(format!(
            "an invalid create must answer Validation with field names, created {}",
            r.id()
        ))),
    }
}

/// Most calls the kit makes while waiting for a 429.
const RATE_LIMIT_ATTEMPTS: usize = 20;

/// With the harness's 429 answers on, calls keep succeeding (the client waits and retries) and
/// the client's stats count the 429s.
pub async fn check_rate_limited(
    crm: &dyn Crm,
    harness: &dyn Harness,
) -> Result<CheckRecord, Failure> {
    let ctx = Ctx::new(crm.vendor(), "crm", "429 honoured");
    let before = crm.stats();
    let on = harness
        .set_rate_limiting(true)
        .await
        .map_err(|e| ctx.fail(e.to_string()))?;
    if !on {
        return Ok(ctx.skip("the harness cannot inject 429 answers", "nothing"));
    }
    let mut result = Ok(0);
    for i in 1..=RATE_LIMIT_ATTEMPTS {
        if let Err(e) = crm.current_user().await {
            result = Err(ctx.fail(format!(
                "call {i} with 429 answers on failed instead of waiting: {e}"
            )));
            break;
        }
        if crm.stats().rate_limited > before.rate_limited {
            result = Ok(i);
            break;
        }
    }
    harness
        .set_rate_limiting(false)
        .await
        .map_err(|e| ctx.fail(e.to_string()))?;
    let calls = result?;
    let after = crm.stats();
    ctx.ensure(after.rate_limited > before.rate_limited, || {
        format!(
            "{RATE_LIMIT_ATTEMPTS} calls with 429 answers on, yet the client's stats count no 429 ({after:?})"
        )
    })?;
    ctx.ensure(after.retries > before.retries, || {
        format!("a 429 was counted but no retry ({after:?})")
    })?;
    Ok(ctx.pass(format!(
        "{} 429(s) waited out within {calls} successful call(s); stats count them",
        after.rate_limited - before.rate_limited
    )))
}
