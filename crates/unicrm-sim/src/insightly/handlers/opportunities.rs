//! The opportunity's own operations: `PUT /Opportunities/{id}/StateChange`,
//! `PUT|DELETE /Opportunities/{id}/Pipeline` and `PUT /Opportunities/{id}/PipelineStage`.
//! The opportunity is looked up before the method is judged, so another method on a missing
//! opportunity answers 404 (see [`missing_or_not_allowed`]).

use super::*;

const K: Kind = Kind::Opportunity;

/// The opportunity `{id}` (404 when the id is not a number or no such opportunity exists).
fn load(db: &Db, ctx: &Ctx) -> Result<(u64, Rec), ApiErr> {
    let id = ctx.id("id")?;
    let rec = db
        .table(K)
        .rows
        .get(&id)
        .cloned()
        .ok_or_else(|| not_found(format!("Opportunity with ID {id} was not found.")))?;
    Ok((id, rec))
}

/// Stores `rec` as updated now and answers the opportunity.
fn save(db: &mut Db, id: u64, mut rec: Rec) -> Res {
    rec.set(K, "DATE_UPDATED_UTC", db.now_str());
    db.insert(K, id, rec);
    record_view(db, K, id)
}

/// A change of the opportunity `{id}` by `change` from the request's JSON body, saved as
/// updated now.
fn edit(
    sim: &Sim,
    ctx: &Ctx,
    change: impl FnOnce(&Db, &mut Rec, &Map<String, Value>) -> Result<(), ApiErr>,
) -> Res {
    let mut db = sim.write();
    let (id, mut rec) = load(&db, ctx)?;
    let body = ctx.json_object()?;
    change(&db, &mut rec, &body)?;
    save(&mut db, id, rec)
}

/// 400 unless the stage `s` belongs to the pipeline `p`.
fn stage_of(db: &Db, p: u64, s: u64) -> Result<u64, ApiErr> {
    if db.stage_pipeline.get(&s) == Some(&p) {
        Ok(s)
    } else {
        Err(bad(format!(
            "STAGE_ID {s} does not belong to PIPELINE_ID {p}."
        )))
    }
}

/// Any other method on an operation: 404 for a missing opportunity, else 405.
pub(crate) fn missing_or_not_allowed(sim: &Sim, ctx: &Ctx) -> Res {
    load(&sim.read(), ctx)?;
    Err(method_not_allowed(&ctx.method))
}

/// `PUT /Opportunities/{id}/StateChange {"FOR_OPPORTUNITY_STATE", "STATE_REASON_ID"}`.
pub(crate) fn change_state(sim: &Sim, ctx: &Ctx, _: Kind) -> Res {
    edit(sim, ctx, |db, rec, body| {
        let state = coerce(
            "FOR_OPPORTUNITY_STATE",
            Ty::Enum(OPP_STATES),
            body.get("FOR_OPPORTUNITY_STATE").unwrap_or(&Value::Null),
        )
        .map_err(bad)?;
        let state = state
            .as_str()
            .ok_or_else(|| bad("FOR_OPPORTUNITY_STATE is required."))?
            .to_string();
        if let Some(reason) = body.get("STATE_REASON_ID").filter(|v| !v.is_null()) {
            let r = reason
                .as_u64()
                .ok_or_else(|| bad("STATE_REASON_ID is not valid."))?;
            require_fk(
                db.ref_exists("OpportunityStateReasons", r),
                "STATE_REASON_ID",
                r,
            )?;
        }
        rec.set(K, "OPPORTUNITY_STATE", state.clone());
        if state == "WON" || state == "LOST" {
            rec.set(K, "ACTUAL_CLOSE_DATE", db.today_str());
        }
        Ok(())
    })
}

/// `PUT /Opportunities/{id}/PipelineStage {"STAGE_ID"}`: a stage of the current pipeline.
pub(crate) fn change_stage(sim: &Sim, ctx: &Ctx, _: Kind) -> Res {
    edit(sim, ctx, |db, rec, body| {
        let s = required_id(body, "STAGE_ID")?;
        let p = rec
            .int(K, "PIPELINE_ID")
            .ok_or_else(|| bad("The opportunity is not in a pipeline."))?;
        rec.set(K, "STAGE_ID", stage_of(db, p, s)?);
        Ok(())
    })
}

/// `PUT /Opportunities/{id}/Pipeline {"PIPELINE_ID", "PIPELINE_STAGE_CHANGE": {"STAGE_ID"}}`:
/// without a stage, the pipeline's first.
pub(crate) fn change_pipeline(sim: &Sim, ctx: &Ctx, _: Kind) -> Res {
    edit(sim, ctx, |db, rec, body| {
        let p = required_id(body, "PIPELINE_ID")?;
        require_fk(db.ref_exists("Pipelines", p), "PIPELINE_ID", p)?;
        let stage = match body.get("PIPELINE_STAGE_CHANGE") {
            Some(Value::Object(o)) => obj_get(o, "STAGE_ID").as_u64(),
            _ => None,
        };
        let stage = match stage {
            Some(s) => stage_of(db, p, s)?,
            None => db
                .reference("PipelineStages")
                .and_then(|t| {
                    t.rows
                        .iter()
                        .filter(|r| r.id("PIPELINE_ID") == Some(p))
                        .min_by_key(|r| r.id("STAGE_ORDER"))
                        .and_then(|r| r.id("STAGE_ID"))
                })
                .ok_or_else(|| bad("The pipeline has no stages."))?,
        };
        rec.set(K, "PIPELINE_ID", p);
        rec.set(K, "STAGE_ID", stage);
        Ok(())
    })
}

/// `DELETE /Opportunities/{id}/Pipeline`: out of any pipeline.
pub(crate) fn leave_pipeline(sim: &Sim, ctx: &Ctx, _: Kind) -> Res {
    let mut db = sim.write();
    let (id, mut rec) = load(&db, ctx)?;
    rec.set(K, "PIPELINE_ID", Value::Null);
    rec.set(K, "STAGE_ID", Value::Null);
    rec.set(K, "DATE_UPDATED_UTC", db.now_str());
    db.insert(K, id, rec);
    empty(sim.delete_status)
}
