//! Projects' own rules and endpoints (docs/vendors/insightly-v3.1-addendum.md, "Projects",
//! "Milestones"): required fields and the project pipeline on writes, milestones
//! (`/Projects/{id}/Milestones`, the global read-only `/Milestones`) and the mail-drop
//! address. The pipeline operations are shared with opportunities (`opportunities.rs`).
//!
//! A project has either milestones or a pipeline, never both (Uncertain #4: the simulator
//! answers 400 to a milestone on a project with a pipeline, and to a pipeline on a project
//! with milestones). Milestone answers are arrays with status 201, as the swagger literally
//! says (Uncertain #5).

use super::*;
use crate::insightly::projects::Milestone;

const K: Kind = Kind::Project;

/// Whether `p` is a pipeline for projects (`FOR_PROJECTS: true`).
pub(super) fn is_project_pipeline(db: &Db, p: u64) -> bool {
    db.reference("Pipelines").is_some_and(|t| {
        t.rows.iter().any(|r| {
            r.id("PIPELINE_ID") == Some(p) && r.get("FOR_PROJECTS") == Some(&Value::Bool(true))
        })
    })
}

/// The first stage (by `STAGE_ORDER`) of pipeline `p`.
pub(super) fn first_stage(db: &Db, p: u64) -> Option<u64> {
    db.reference("PipelineStages").and_then(|t| {
        t.rows
            .iter()
            .filter(|r| r.id("PIPELINE_ID") == Some(p))
            .min_by_key(|r| r.id("STAGE_ORDER"))
            .and_then(|r| r.id("STAGE_ID"))
    })
}

/// Whether project `id` has milestones.
pub(super) fn has_milestones(db: &Db, id: u64) -> bool {
    db.milestones.values().any(|m| m.project_id == id)
}

/// The project rules of a create or an update (items 10–12): `PROJECT_NAME` and `STATUS`
/// required, `CATEGORY_ID` a project category, `PIPELINE_ID` a project pipeline and
/// `STAGE_ID` one of its stages (the first when none is given).
pub(super) fn finalize_project(db: &Db, rec: &mut Rec) -> Result<(), ApiErr> {
    if rec.str(K, "PROJECT_NAME").is_none() {
        return Err(bad("Validation failed: PROJECT_NAME is required."));
    }
    if rec.str(K, "STATUS").is_none() {
        return Err(bad("Validation failed: STATUS is required."));
    }
    if let Some(name) = rec.str(K, "PROJECT_NAME") {
        if name.chars().count() > 255 {
            return Err(bad("PROJECT_NAME is longer than 255 characters."));
        }
    }
    if let Some(c) = rec.int(K, "CATEGORY_ID") {
        require_fk(db.ref_exists("ProjectCategories", c), "CATEGORY_ID", c)?;
    }
    match (rec.int(K, "PIPELINE_ID"), rec.int(K, "STAGE_ID")) {
        (Some(p), _) if !is_project_pipeline(db, p) => {
            return Err(bad(format!(
                "PIPELINE_ID {p} is not a pipeline for projects."
            )));
        }
        (Some(p), Some(s)) if db.stage_pipeline.get(&s) != Some(&p) => {
            return Err(bad(format!(
                "STAGE_ID {s} does not belong to PIPELINE_ID {p}."
            )));
        }
        (Some(p), None) => {
            let s = first_stage(db, p).ok_or_else(|| bad("The pipeline has no stages."))?;
            rec.set(K, "STAGE_ID", s);
        }
        (None, Some(s)) => {
            return Err(bad(format!("STAGE_ID {s} requires a PIPELINE_ID.")));
        }
        _ => {}
    }
    Ok(())
}

fn milestones_reply(list: Vec<Ordered>) -> Res {
    let mut r = ok_json(&list)?;
    r.status = StatusCode::CREATED;
    Ok(r)
}

fn project_milestones(db: &Db, id: u64) -> Vec<Ordered> {
    db.milestones
        .values()
        .filter(|m| m.project_id == id)
        .map(Milestone::to_json)
        .collect()
}

/// Applies the fields of a milestone body (`TITLE`, `COMPLETED`, `DUE_DATE`,
/// `OWNER_USER_ID`, `RESPONSIBLE_USER`).
fn apply_milestone(db: &Db, m: &mut Milestone, body: &Map<String, Value>) -> Result<(), ApiErr> {
    if let Some(v) = body.get("TITLE") {
        let t = v.as_str().map(str::to_string);
        if t.as_deref().is_some_and(|t| t.chars().count() > 500) {
            return Err(bad("TITLE is longer than 500 characters."));
        }
        m.title = t;
    }
    if let Some(v) = body.get("COMPLETED") {
        let done = v
            .as_bool()
            .ok_or_else(|| bad("The value of COMPLETED is not a valid boolean."))?;
        if done && !m.completed {
            m.completed_at = Some(db.now_str());
        } else if !done {
            m.completed_at = None;
        }
        m.completed = done;
    }
    if let Some(v) = body.get("DUE_DATE") {
        let due = coerce("DUE_DATE", Ty::Date, v).map_err(bad)?;
        m.due_date = due
            .as_str()
            .ok_or_else(|| bad("DUE_DATE is required."))?
            .to_string();
    }
    for (key, slot) in [
        ("OWNER_USER_ID", &mut m.owner),
        ("RESPONSIBLE_USER", &mut m.responsible),
    ] {
        if let Some(v) = body.get(key) {
            *slot = match v {
                Value::Null => None,
                v => {
                    let u = v
                        .as_u64()
                        .ok_or_else(|| bad(format!("The value of {key} is not valid.")))?;
                    require_fk(db.user_ids.contains(&u), key, u)?;
                    Some(u)
                }
            };
        }
    }
    Ok(())
}

/// `GET /Projects/{id}/Milestones` → 201 and an array.
pub(crate) fn list_milestones(sim: &Sim, ctx: &Ctx, _: Kind) -> Res {
    let id = ctx.id("id")?;
    let db = sim.read();
    require_record(&db, K, id)?;
    milestones_reply(project_milestones(&db, id))
}

/// `POST /Projects/{id}/Milestones` (item 14): `DUE_DATE` and `COMPLETED` required; 400 on a
/// project with a pipeline.
pub(crate) fn add_milestone(sim: &Sim, ctx: &Ctx, _: Kind) -> Res {
    let id = ctx.id("id")?;
    let body = ctx.json_object()?;
    let mut db = sim.write();
    require_record(&db, K, id)?;
    let rec = db.table(K).rows.get(&id).cloned().unwrap_or_default();
    if rec.int(K, "PIPELINE_ID").is_some() {
        return Err(bad(
            "A project with a pipeline cannot have milestones.".to_string()
        ));
    }
    for key in ["DUE_DATE", "COMPLETED"] {
        if body.get(key).is_none_or(Value::is_null) {
            return Err(bad(format!("Validation failed: {key} is required.")));
        }
    }
    let now = db.now_str();
    db.next_milestone_id = db.next_milestone_id.max(3_500_000) + 1;
    let mut m = Milestone {
        id: db.next_milestone_id,
        project_id: id,
        owner: Some(ctx.user),
        created: now.clone(),
        updated: now,
        ..Milestone::default()
    };
    apply_milestone(&db, &mut m, &body)?;
    let mid = m.id;
    db.milestones.insert(mid, m.clone());
    touch(&mut db, K, id);
    milestones_reply(vec![m.to_json()])
}

/// `PUT /Projects/{id}/Milestones` with `MILESTONE_ID` in the body.
pub(crate) fn update_milestone(sim: &Sim, ctx: &Ctx, _: Kind) -> Res {
    let id = ctx.id("id")?;
    let body = ctx.json_object()?;
    let mut db = sim.write();
    require_record(&db, K, id)?;
    let mid = required_id(&body, "MILESTONE_ID")?;
    let mut m = db
        .milestones
        .get(&mid)
        .filter(|m| m.project_id == id)
        .cloned()
        .ok_or_else(|| not_found(format!("Milestone with ID {mid} was not found.")))?;
    apply_milestone(&db, &mut m, &body)?;
    m.updated = db.now_str();
    db.milestones.insert(mid, m.clone());
    touch(&mut db, K, id);
    milestones_reply(vec![m.to_json()])
}

/// `DELETE /Projects/{id}/Milestones/{milestone}` → 202.
pub(crate) fn delete_milestone(sim: &Sim, ctx: &Ctx, _: Kind) -> Res {
    let id = ctx.id("id")?;
    let mid = ctx.id("milestone")?;
    let mut db = sim.write();
    require_record(&db, K, id)?;
    match db.milestones.get(&mid) {
        Some(m) if m.project_id == id => {
            db.milestones.remove(&mid);
        }
        _ => return Err(not_found(format!("Milestone with ID {mid} was not found."))),
    }
    touch(&mut db, K, id);
    empty(sim.delete_status)
}

/// `GET /Milestones` (global, read-only).
pub(crate) fn all_milestones(sim: &Sim, ctx: &Ctx) -> Res {
    let db = sim.read();
    let p = page(ctx)?;
    let (items, total) = paged(db.milestones.values().map(Milestone::to_json), &p);
    list_reply(&items, total)
}

/// `GET /Milestones/Search?field_name=&field_value=` (item 15; `field_name` without
/// `field_value` → 400) and `updated_after_utc`.
pub(crate) fn search_milestones(sim: &Sim, ctx: &Ctx) -> Res {
    let db = sim.read();
    let p = page(ctx)?;
    let field = ctx.q("field_name").map(str::trim).filter(|s| !s.is_empty());
    let value = ctx.q("field_value");
    if field.is_some() && value.is_none() {
        return Err(bad("field_value is required with field_name."));
    }
    let after = match ctx.q("updated_after_utc") {
        Some(t) => Some(
            parse_dt(t)
                .map_err(|()| {
                    bad(format!(
                        "The value '{t}' of 'updated_after_utc' is not valid."
                    ))
                })?
                .map(|d| d.format(crate::insightly::schema::DT_FORMAT).to_string()),
        )
        .flatten(),
        None => None,
    };
    let items = db
        .milestones
        .values()
        .map(Milestone::to_json)
        .filter(|m| match (field, value) {
            (Some(f), Some(v)) => m.get(f).is_some_and(|x| value_matches(x, v)),
            _ => true,
        })
        .filter(|m| match &after {
            Some(a) => m
                .get("DATE_UPDATED_UTC")
                .and_then(Value::as_str)
                .is_some_and(|u| u > a.as_str()),
            None => true,
        });
    let (items, total) = paged(items, &p);
    list_reply(&items, total)
}

/// `GET /Milestones/{id}`.
pub(crate) fn show_milestone(sim: &Sim, ctx: &Ctx) -> Res {
    let mid = ctx.id("id")?;
    let db = sim.read();
    db.milestones.get(&mid).map_or_else(
        || Err(not_found(format!("Milestone with ID {mid} was not found."))),
        |m| ok_json(&m.to_json()),
    )
}

/// `GET /Projects/{id}/LinkEmailAddress` → `{"EMAIL": …}` (item 20).
pub(crate) fn link_email_address(sim: &Sim, ctx: &Ctx, _: Kind) -> Res {
    let id = ctx.id("id")?;
    let db = sim.read();
    require_record(&db, K, id)?;
    let rec = &db.table(K).rows[&id];
    ok_json(&json!({ "EMAIL": rec.get(K, "LINKED_EMAIL_ADDRESS") }))
}
