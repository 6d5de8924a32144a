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
