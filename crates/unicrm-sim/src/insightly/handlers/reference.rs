//! The read-only lists of the instance — `Pipelines`, `PipelineStages`,
//! `OpportunityCategories`, `TaskCategories`, `ProjectCategories`,
//! `OpportunityStateReasons`, `LeadStatuses`, `LeadSources`, `Currencies`, `Countries`,
//! `Relationships`, `Teams` (`GET /{List}`, `GET /{List}/{id}`) — and `GET /Instance`.

use super::*;

/// `GET /{List}`.
pub(crate) fn list_reference(sim: &Sim, ctx: &Ctx, name: &str) -> Res {
    let db = sim.read();
    let Some(table) = db.reference(name) else {
        return Err(no_route(&ctx.path));
    };
    let p = page(ctx)?;
    // docs/vendors/insightly-v3.1-addendum.md, "Leads": the converted status only on request.
    let converted = crate::insightly::store::CONVERTED_LEAD_STATUS.0;
    let hidden = |r: &&Ordered| {
        table.path == "LeadStatuses"
            && !ctx.flag("include_converted")
            && r.id(table.id_key) == Some(converted)
    };
    let (items, total) = paged(table.rows.iter().filter(|r| !hidden(r)), &p);
    list_reply(&items, total)
}

/// `GET /{List}/{id}`.
pub(crate) fn show_reference(sim: &Sim, ctx: &Ctx, name: &str) -> Res {
    let db = sim.read();
    let Some(table) = db.reference(name) else {
        return Err(no_route(&ctx.path));
    };
    let id = ctx.id("id")?;
    table
        .rows
        .iter()
        .find(|r| r.id(table.id_key) == Some(id))
        .map_or_else(
            || Err(not_found(format!("Record with ID {id} was not found."))),
            ok_json,
        )
}

/// `GET /Instance`: name, plan and pod.
pub(crate) fn instance(sim: &Sim, _ctx: &Ctx) -> Res {
    ok_json(&Ordered(vec![
        ("INSTANCE_NAME", "unicrm simulator".into()),
        ("PLAN", "Enterprise".into()),
        ("POD", sim.pod.clone().into()),
        ("LATEST_VERSION", true.into()),
    ]))
}

/// The category lists that take writes (docs/vendors/insightly-v3.1-addendum.md, "Simulator
/// must reproduce" item 17), with the object whose `CATEGORY_ID` uses them.
pub(crate) fn category_owner(list: &str) -> Option<Kind> {
    match list {
        "ProjectCategories" => Some(Kind::Project),
        "TaskCategories" => Some(Kind::Task),
        _ => None,
    }
}

/// Whether the caller is an administrator (`ADMINISTRATOR` of its `/Users` row).
fn is_admin(db: &Db, user: u64) -> bool {
    db.users.iter().any(|u| {
        u.id("USER_ID") == Some(user) && u.get("ADMINISTRATOR") == Some(&Value::Bool(true))
    })
}

/// `POST /ProjectCategories`, `/TaskCategories`: administrators only (403); `CATEGORY_NAME`
/// required and `BACKGROUND_COLOR` at most 6 characters (400); the new category, active.
pub(crate) fn create_category(sim: &Sim, ctx: &Ctx, name: &str) -> Res {
    if category_owner(name).is_none() {
        return Err(method_not_allowed(&ctx.method));
    }
    let body = ctx.json_object()?;
    let mut db = sim.write();
    if !is_admin(&db, ctx.user) {
        return Err(ApiErr(
            StatusCode::FORBIDDEN,
            "Only administrators can change categories.".into(),
        ));
    }
    let text = |k: &str| {
        obj_get(&body, k)
            .as_str()
            .map(str::trim)
            .filter(|s| !s.is_empty())
    };
    let label = text("CATEGORY_NAME").ok_or_else(|| bad("CATEGORY_NAME is required."))?;
    let colour = text("BACKGROUND_COLOR").unwrap_or("000000");
    if colour.chars().count() > 6 {
        return Err(bad("BACKGROUND_COLOR must be at most 6 characters."));
    }
    let row = {
        let Some(table) = db.refs.iter_mut().find(|r| r.path == name) else {
            return Err(no_route(&ctx.path));
        };
        let id = table
            .rows
            .iter()
            .filter_map(|r| r.id(table.id_key))
            .max()
            .unwrap_or(0)
            + 1;
        table.rows.push(Ordered(vec![
            ("CATEGORY_ID", id.into()),
            ("CATEGORY_NAME", label.into()),
            ("ACTIVE", true.into()),
            ("BACKGROUND_COLOR", colour.into()),
        ]));
        table
            .rows
            .last()
            .map(|r| serde_json::to_value(r).unwrap_or_default())
    };
    let mut r = ok_json(&row)?;
    r.status = sim.create_status;
    Ok(r)
}

/// `DELETE /ProjectCategories/{id}`, `/TaskCategories/{id}`: administrators only (403); 409
/// while a record uses it; else it is deactivated (`ACTIVE: false`, still listed) → 202.
pub(crate) fn delete_category(sim: &Sim, ctx: &Ctx, name: &str) -> Res {
    let Some(owner) = category_owner(name) else {
        return Err(method_not_allowed(&ctx.method));
    };
    let id = ctx.id("id")?;
    let mut db = sim.write();
    if !is_admin(&db, ctx.user) {
        return Err(ApiErr(
            StatusCode::FORBIDDEN,
            "Only administrators can change categories.".into(),
        ));
    }
    if !db.ref_exists(name, id) {
        return Err(not_found(format!("Record with ID {id} was not found.")));
    }
    let in_use = db
        .table(owner)
        .rows
        .values()
        .any(|r| r.int(owner, "CATEGORY_ID") == Some(id));
    if in_use {
        return Err(ApiErr(
            StatusCode::CONFLICT,
            "The category is in use and cannot be deleted.".into(),
        ));
    }
    if let Some(t) = db.refs.iter_mut().find(|r| r.path == name) {
        for row in t
            .rows
            .iter_mut()
            .filter(|r| r.id("CATEGORY_ID") == Some(id))
        {
            for (k, v) in row.0.iter_mut() {
                if *k == "ACTIVE" {
                    *v = false.into();
                }
            }
        }
    }
    Ok(Reply {
        status: sim.delete_status,
        body: Vec::new(),
        total: None,
    })
}
