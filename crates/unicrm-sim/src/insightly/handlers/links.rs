//! A record's links: `GET|POST|PUT /{Object}/{id}/Links` and
//! `GET|DELETE /{Object}/{id}/Links/{linkId}`. A link is listed from both of its ends.

use super::*;

fn view(db: &Db, lid: u64, from: (Kind, u64)) -> Res {
    db.links.get(&lid).map_or_else(
        || Err(not_found("Link not found.")),
        |link| ok_json(&LinkView { link, from }),
    )
}

/// `GET /{Object}/{id}/Links`.
pub(crate) fn list_links(sim: &Sim, ctx: &Ctx, kind: Kind) -> Res {
    let id = ctx.id("id")?;
    let db = sim.read();
    require_record(&db, kind, id)?;
    let views: Vec<LinkView> = db
        .shown_links_of(kind, id)
        .map(|link| LinkView {
            link,
            from: (kind, id),
        })
        .collect();
    ok_json(&views)
}

/// `POST /{Object}/{id}/Links`.
pub(crate) fn add_link(sim: &Sim, ctx: &Ctx, kind: Kind) -> Res {
    let id = ctx.id("id")?;
    let body = ctx.json_object()?;
    let mut db = sim.write();
    require_record(&db, kind, id)?;
    let (target, tid, role, details) = parse_link(&db, &Value::Object(body))?;
    let lid = db.add_link((kind, id), (target, tid), role, details);
    touch(&mut db, kind, id);
    view(&db, lid, (kind, id))
}

/// `PUT /{Object}/{id}/Links`: `LINK_ID` in the body; only `ROLE` and `DETAILS` change.
pub(crate) fn update_link(sim: &Sim, ctx: &Ctx, kind: Kind) -> Res {
    let id = ctx.id("id")?;
    let body = ctx.json_object()?;
    let lid = required_id(&body, "LINK_ID")?;
    let role = coerce("ROLE", Ty::Str, body.get("ROLE").unwrap_or(&Value::Null)).map_err(bad)?;
    let details = coerce(
        "DETAILS",
        Ty::Str,
        body.get("DETAILS").unwrap_or(&Value::Null),
    )
    .map_err(bad)?;
    let mut db = sim.write();
    require_record(&db, kind, id)?;
    let link = db
        .links
        .get_mut(&lid)
        .filter(|l| (l.obj, l.obj_id) == (kind, id) || (l.target, l.target_id) == (kind, id))
        .ok_or_else(|| not_found(format!("Link with ID {lid} was not found.")))?;
    if body.contains_key("ROLE") {
        link.role = role.as_str().map(str::to_string);
    }
    if body.contains_key("DETAILS") {
        link.details = details.as_str().map(str::to_string);
    }
    view(&db, lid, (kind, id))
}

/// The link `{linkId}` of the record `{id}`, checked under the write lock.
fn own_link(db: &Db, ctx: &Ctx, kind: Kind) -> Result<(u64, u64), ApiErr> {
    let id = ctx.id("id")?;
    let lid = ctx.id("link")?;
    require_record(db, kind, id)?;
    let belongs = db
        .links
        .get(&lid)
        .is_some_and(|l| (l.obj, l.obj_id) == (kind, id) || (l.target, l.target_id) == (kind, id));
    if !belongs {
        return Err(not_found(format!("Link with ID {lid} was not found.")));
    }
    Ok((id, lid))
}

/// `GET /{Object}/{id}/Links/{linkId}`.
pub(crate) fn show_link(sim: &Sim, ctx: &Ctx, kind: Kind) -> Res {
    let db = sim.write();
    let (id, lid) = own_link(&db, ctx, kind)?;
    view(&db, lid, (kind, id))
}

/// `DELETE /{Object}/{id}/Links/{linkId}`.
pub(crate) fn delete_link(sim: &Sim, ctx: &Ctx, kind: Kind) -> Res {
    let mut db = sim.write();
    let (_, lid) = own_link(&db, ctx, kind)?;
    db.remove_link(lid);
    empty(sim.delete_status)
}
