//! Records related to a record through links: `GET|POST /{Object}/{id}/Notes` (Contacts,
//! Organisations, Opportunities, Leads; the only way to create a note) and
//! `GET /{Object}/{id}/Tasks` (every object but Tasks and Notes), `GET /{Object}/{id}/Events`
//! and `/Emails` (Contacts, Organisations, Opportunities, Leads; with `updated_after_utc`,
//! docs/vendors/insightly-v3.1-addendum.md, "Event endpoints").

use super::*;

/// A page of the `of` records linked to `(kind, id)`.
fn linked_page(db: &Db, ctx: &Ctx, kind: Kind, id: u64, of: Kind) -> Res {
    linked_page_where(db, ctx, kind, id, of, &|_| true)
}

/// [`linked_page`] of the linked records `filter` keeps.
fn linked_page_where(
    db: &Db,
    ctx: &Ctx,
    kind: Kind,
    id: u64,
    of: Kind,
    filter: &dyn Fn(&Rec) -> bool,
) -> Res {
    let p = page(ctx)?;
    let ids = db.linked(kind, id, of);
    let table = &db.table(of).rows;
    let (items, total) = paged(
        ids.iter()
            .filter_map(|n| table.get(n).map(|r| (*n, r)))
            .filter(|(_, r)| filter(r)),
        &p,
    );
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

/// `GET /{Object}/{id}/Events` and `/Emails`: the linked records, `updated_after_utc`
/// applied as on `/Search` (strictly after).
fn list_linked_activities(sim: &Sim, ctx: &Ctx, kind: Kind, of: Kind) -> Res {
    let id = ctx.id("id")?;
    let db = sim.read();
    require_record(&db, kind, id)?;
    let filter = search_filter(&db, of, ctx)?;
    linked_page_where(&db, ctx, kind, id, of, &filter)
}

/// `GET /{Object}/{id}/Events`.
pub(crate) fn list_events(sim: &Sim, ctx: &Ctx, kind: Kind) -> Res {
    list_linked_activities(sim, ctx, kind, Kind::Event)
}

/// `GET /{Object}/{id}/Emails`.
pub(crate) fn list_emails(sim: &Sim, ctx: &Ctx, kind: Kind) -> Res {
    list_linked_activities(sim, ctx, kind, Kind::Email)
}
