//! Custom field definitions (read-only): `GET /CustomFields`, `/CustomFields/{Object}` and
//! `/CustomFields/{Object}/Search?fieldName=` (docs/vendors/insightly-v3.1-addendum.md,
//! "Definition endpoints"; correction C4: the parameter is `fieldName`).
//!
//! Singular and plural object names are equivalent (`Project` = `Projects`); an unknown
//! object name answers every definition of the instance (item 24, Uncertain #14).

use super::*;
use crate::insightly::schema::KINDS;

fn every_definition(db: &Db) -> Vec<Ordered> {
    KINDS
        .iter()
        .flat_map(|k| db.defs(*k).iter().map(|d| d.to_json(*k)))
        .collect()
}

/// `GET /CustomFields`: every object's definitions.
pub(crate) fn all_custom_fields(sim: &Sim, _ctx: &Ctx) -> Res {
    ok_json(&every_definition(&sim.read()))
}

/// `GET /CustomFields/{Object}` and, with `{sub}` = `Search`, the definition named by
/// `fieldName` (required: 400 without it; 404 when no definition has that name; any other
/// `{sub}`: 404).
pub(crate) fn custom_fields_of(sim: &Sim, ctx: &Ctx) -> Res {
    let db = sim.read();
    let kind = Kind::from_name(ctx.param("object"));
    match ctx.param("sub") {
        "" => match kind {
            Some(k) => ok_json(&db.defs(k).iter().map(|d| d.to_json(k)).collect::<Vec<_>>()),
            None => ok_json(&every_definition(&db)),
        },
        s if s.eq_ignore_ascii_case("search") => {
            let name = ctx
                .q("fieldname")
                .map(str::trim)
                .filter(|n| !n.is_empty())
                .ok_or_else(|| bad("The fieldName parameter is required."))?;
            let found = match kind {
                Some(k) => db
                    .defs(k)
                    .iter()
                    .find(|d| d.name.eq_ignore_ascii_case(name))
                    .map(|d| d.to_json(k)),
                None => KINDS.iter().find_map(|k| {
                    db.defs(*k)
                        .iter()
                        .find(|d| d.name.eq_ignore_ascii_case(name))
                        .map(|d| d.to_json(*k))
                }),
            };
            found.map_or_else(
                || Err(not_found(format!("Custom field {name} was not found."))),
                |d| ok_json(&d),
            )
        }
        _ => Err(no_route(&ctx.path)),
    }
}
