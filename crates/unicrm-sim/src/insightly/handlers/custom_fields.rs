//! Custom field definitions (read-only): `GET /CustomFields`, `/CustomFields/{Object}` and
//! `/CustomFields/{Object}/Search?field_name=`.

use super::*;

/// `GET /CustomFields`: every object's definitions.
pub(crate) fn all_custom_fields(sim: &Sim, _ctx: &Ctx) -> Res {
    let db = sim.read();
    let all: Vec<Ordered> = crate::insightly::schema::KINDS
        .iter()
        .flat_map(|k| db.defs(*k).iter().map(|d| d.to_json(*k)))
        .collect();
    ok_json(&all)
}

/// `GET /CustomFields/{Object}` and, with `{sub}` = `Search`, the definition named by
/// `field_name` (any other `{sub}`: 404).
pub(crate) fn custom_fields_of(sim: &Sim, ctx: &Ctx) -> Res {
    let db = sim.read();
    let kind = Kind::from_path(ctx.param("object")).ok_or_else(|| no_route(&ctx.path))?;
    let search = match ctx.param("sub") {
        "" => None,
        s if s.eq_ignore_ascii_case("search") => Some(ctx.q("field_name").unwrap_or("")),
        _ => return Err(no_route(&ctx.path)),
    };
    let defs: Vec<Ordered> = db
        .defs(kind)
        .iter()
        .filter(|d| search.is_none_or(|n| d.name.eq_ignore_ascii_case(n)))
        .map(|d| d.to_json(kind))
        .collect();
    ok_json(&defs)
}
