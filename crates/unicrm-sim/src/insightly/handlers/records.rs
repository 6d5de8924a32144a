//! The six record objects' own endpoints, one generic set for every object:
//! `GET|POST|PUT /{Object}` and `GET|DELETE /{Object}/{id}`.

use super::*;

/// `GET /{Object}`: a page of records, ID ascending.
pub(crate) fn list_records_of(sim: &Sim, ctx: &Ctx, kind: Kind) -> Res {
    let db = sim.read();
    list_records(&db, kind, ctx, &|_| true)
}

/// `POST /{Object}` (not Notes: a note is created through its parent).
pub(crate) fn create_record(sim: &Sim, ctx: &Ctx, kind: Kind) -> Res {
    let body = ctx.json_object()?;
    let mut db = sim.write();
    let id = create(&mut db, kind, ctx, &body)?;
    let mut r = record_view(&db, kind, id)?;
    r.status = sim.create_status;
    Ok(r)
}

/// `PUT /{Object}`: a partial update, the ID in the body.
pub(crate) fn update_record(sim: &Sim, ctx: &Ctx, kind: Kind) -> Res {
    let body = ctx.json_object()?;
    let mut db = sim.write();
    let id = update(&mut db, kind, ctx, &body)?;
    record_view(&db, kind, id)
}

/// `GET /{Object}/{id}`.
pub(crate) fn show_record(sim: &Sim, ctx: &Ctx, kind: Kind) -> Res {
    let id = ctx.id("id")?;
    record_view(&sim.read(), kind, id)
}

/// `DELETE /{Object}/{id}`.
pub(crate) fn delete_record(sim: &Sim, ctx: &Ctx, kind: Kind) -> Res {
    let id = ctx.id("id")?;
    let mut db = sim.write();
    delete(&mut db, kind, id)?;
    empty(sim.delete_status)
}
