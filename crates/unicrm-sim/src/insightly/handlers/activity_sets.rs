//! `POST /{Contacts|Leads|Opportunities|Organisations|Projects}/{id}/ActivitySetAssignment`:
//! applies an activity set to a record (docs/vendors/insightly-v3.1-addendum.md, "Activity
//! sets"); `/ActivitySets` itself is a read-only list (`reference`).

use super::*;
use crate::insightly::activity_sets;

/// The objects an activity set can be applied to.
pub(crate) fn assignable(k: Kind) -> bool {
    matches!(
        k,
        Kind::Contact | Kind::Lead | Kind::Opportunity | Kind::Organisation | Kind::Project
    )
}

/// Creates the set's tasks and events, each linked to the record, and echoes the body (the
/// configured success status, docs/vendors/insightly-v3.1-addendum.md item 29).
pub(crate) fn assign(sim: &Sim, ctx: &Ctx, kind: Kind) -> Res {
    let id = ctx.id("id")?;
    let body = ctx.json_object()?;
    let mut db = sim.write();
    let set = body.get("ACTIVITYSET_ID").and_then(Value::as_u64);
    if !db.exists(kind, id) || !set.is_some_and(|s| db.ref_exists("ActivitySets", s)) {
        return Err(not_found("Record, Activity Set or Activities not found"));
    }
    let planned = activity_sets::plan(&db, &body)
        .ok_or_else(|| bad("START_DATE is required and must be a date."))?;
    for p in planned {
        let of = if p.event { Kind::Event } else { Kind::Task };
        let nid = create(&mut db, of, ctx, &p.body)?;
        db.add_link((of, nid), (kind, id), None, None);
    }
    let mut r = ok_json(&body)?;
    r.status = sim.create_status;
    Ok(r)
}
