//! The opportunity's own operations: `PUT /Opportunities/{id}/StateChange`,
//! `PUT|DELETE /Opportunities/{id}/Pipeline` and `PUT /Opportunities/{id}/PipelineStage`;
//! projects share the pipeline ones (`/Projects/{id}/Pipeline`, `/PipelineStage`: a pipeline
//! for projects, and none on a project with milestones).
//! The record is looked up before the method is judged, so another method on a missing
//! record answers 404 (see [`missing_or_not_allowed`]).

use super::*;

const K: Kind = Kind::Opportunity;

/// The record `{id}` of `kind` (404 when the id is not a number or no such record exists).
fn load_of(db: &Db, ctx: &Ctx, kind: Kind) -> Result<(u64, Rec), ApiErr> {
    let id = ctx.id("id")?;
    let rec = db
        .table(kind)
        .rows
        .get(&id)
        .cloned()
        .ok_or_else(|| not_found(format!("{} with ID {id} was not found.", kind.singular())))?;
    Ok((id, rec))
}

fn load(db: &Db, ctx: &Ctx) -> Result<(u64, Rec), ApiErr> {
    load_of(db, ctx, K)
}

/// Stores `rec` as updated now and answers the record.
fn save(db: &mut Db, kind: Kind, id: u64, mut rec: Rec) -> Res {
    rec.set(kind, "DATE_UPDATED_UTC", db.now_str());
    db.insert(kind, id, rec);
    record_view(db, kind, id)
}

/// A change of the record `{id}` of `kind` by `change` from the request's JSON body, saved
/// as updated now.
fn edit_of(
    sim: &Sim,
    ctx: &Ctx,
    kind: Kind,
    change: impl FnOnce(&Db, u64, &mut Rec, &Map<String, Value>) -> Result<(), ApiErr>,
) -> Res {
    let mut db = sim.write();
    let (id, mut rec) = load_of(&db, ctx, kind)?;
    let body = ctx.json_object()?;
    change(&db, id, &mut rec, &body)?;
    save(&mut db, kind, id, rec)
}

fn edit(
    sim: &Sim,
    ctx: &Ctx,
    change: impl FnOnce(&Db, &mut Rec, &Map<String, Value>) -> Result<(), ApiErr>,
) -> Res {
    edit_of(sim, ctx, K, |db, _, rec, body| change(db, rec, body))
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

/// [`missing_or_not_allowed`] for projects.
pub(crate) fn missing_project_or_not_allowed(sim: &Sim, ctx: &Ctx) -> Res {
    load_of(&sim.read(), ctx, Kind::Project)?;
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

/// `PUT /{Object}/{id}/PipelineStage {"STAGE_ID"}`: a stage of the current pipeline.
pub(crate) fn change_stage(sim: &Sim, ctx: &Ctx, kind: Kind) -> Res {
    edit_of(sim, ctx, kind, |db, _, rec, body| {
        let s = required_id(body, "STAGE_ID")?;
        let p = rec.int(kind, "PIPELINE_ID").ok_or_else(|| {
            bad(format!(
                "The {} is not in a pipeline.",
                kind.singular().to_lowercase()
            ))
        })?;
        rec.set(kind, "STAGE_ID", stage_of(db, p, s)?);
        Ok(())
    })
}

/// `PUT /{Object}/{id}/Pipeline {"PIPELINE_ID", "PIPELINE_STAGE_CHANGE": {"STAGE_ID"}}`:
/// without a stage, the pipeline's first. A project needs a pipeline for projects, and no
/// milestones.
pub(crate) fn change_pipeline(sim: &Sim, ctx: &Ctx, kind: Kind) -> Res {
    edit_of(sim, ctx, kind, |db, id, rec, body| {
        let p = required_id(body, "PIPELINE_ID")?;
        require_fk(db.ref_exists("Pipelines", p), "PIPELINE_ID", p)?;
        if kind == Kind::Project {
            if !super::projects::is_project_pipeline(db, p) {
                return Err(bad(format!(
                    "PIPELINE_ID {p} is not a pipeline for projects."
                )));
            }
            if super::projects::has_milestones(db, id) {
                return Err(bad("A project with milestones cannot have a pipeline."));
            }
        }
        let stage = match body.get("PIPELINE_STAGE_CHANGE") {
            Some(Value::Object(o)) => obj_get(o, "STAGE_ID").as_u64(),
            _ => None,
        };
        let stage = match stage {
            Some(s) => stage_of(db, p, s)?,
            None => super::projects::first_stage(db, p)
                .ok_or_else(|| bad("The pipeline has no stages."))?,
        };
        rec.set(kind, "PIPELINE_ID", p);
        rec.set(kind, "STAGE_ID", stage);
        Ok(())
    })
}

/// `DELETE /{Object}/{id}/Pipeline`: out of any pipeline.
pub(crate) fn leave_pipeline(sim: &Sim, ctx: &Ctx, kind: Kind) -> Res {
    let mut db = sim.write();
    let (id, mut rec) = load_of(&db, ctx, kind)?;
    rec.set(kind, "PIPELINE_ID", Value::Null);
    rec.set(kind, "STAGE_ID", Value::Null);
    rec.set(kind, "DATE_UPDATED_UTC", db.now_str());
    db.insert(kind, id, rec);
    empty(sim.delete_status)
}
