//! `GET /{Object}/Search` (a standard or custom field, `updated_after_utc`) and
//! `GET /{Object}/SearchByTag`, over the search index (which a search lag may hold back).

use super::*;

/// `GET /{Object}/Search`.
pub(crate) fn search(sim: &Sim, ctx: &Ctx, kind: Kind) -> Res {
    let db = sim.read();
    let f = search_filter(&db, kind, ctx)?;
    search_records(&db, kind, ctx, &*f)
}

/// `GET /{Object}/SearchByTag?tagName=` (objects with tags).
pub(crate) fn search_by_tag(sim: &Sim, ctx: &Ctx, kind: Kind) -> Res {
    let tag = ctx
        .q("tagname")
        .filter(|t| !t.trim().is_empty())
        .ok_or_else(|| bad("tagName is required."))?
        .to_string();
    let db = sim.read();
    search_records(&db, kind, ctx, &|r: &Rec| r.has_tag(&tag))
}
