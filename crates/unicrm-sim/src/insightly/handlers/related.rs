//! Records related to a record through links: `GET|POST /{Object}/{id}/Notes` (Contacts,
//! Organisations, Opportunities, Leads; the only way to create a note) and
//! `GET /{Object}/{id}/Tasks` (every object but Tasks and Notes).

use super::*;

/// A page of the `of` records linked to `(kind, id)`.
fn linked_page(db: &Db, ctx: &Ctx, kind: Kind, id: u64, of: Kind) -> Res {
    let p = page(ctx)?;
    let ids = db.linked(kind, id, of);
    let table = &db.table(of).rows;
    let (items, total) = paged(ids.iter().filter_map(|n| table.get(n).map(|r| (*n, r))), &p);
    let views: Vec<RecView> = items
        .into_iter()
        .map(|(rid, rec)| RecView {
            db,
            kind: of,
            id: rid,
            rec,
            brief: p.brief,
        })
        .collect();
    list_reply(&views, total)
}

/// `GET /{Object}/{id}/Notes` (`of` = Notes) and `GET /{Object}/{id}/Tasks` (`of` = Tasks).
fn list_linked(sim: &Sim, ctx: &Ctx, kind: Kind, of: Kind) -> Res {
    let id = ctx.id("id")?;
    let db = sim.read();
    require_record(&db, kind, id)?;
    linked_page(&db, ctx, kind, id, of)
}

/// `GET /{Object}/{id}/Notes`.
pub(crate) fn list_notes(sim: &Sim, ctx: &Ctx, kind: Kind) -> Res {
    list_linked(sim, ctx, kind, Kind::Note)
}

/// `POST /{Object}/{id}/Notes`: a note linked to the record.
pub(crate) fn add_note(sim: &Sim, ctx: &Ctx, kind: Kind) -> Res {
    let id = ctx.id("id")?;
    let body = ctx.json_object()?;
    let mut db = sim.write();
    require_record(&db, kind, id)?;
    let nid = create(&mut db, Kind::Note, ctx, &body)?;
    db.add_link((Kind::Note, nid), (kind, id), None, None);
    let mut r = record_view(&db, Kind::Note, nid)?;
    r.status = sim.create_status;
    Ok(r)
}

/// `GET /{Object}/{id}/Tasks`.
pub(crate) fn list_tasks(sim: &Sim, ctx: &Ctx, kind: Kind) -> Res {
    list_linked(sim, ctx, kind, Kind::Task)
}
