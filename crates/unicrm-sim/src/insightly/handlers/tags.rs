//! Tags: a record's tags (`GET|POST|PUT|DELETE /{Object}/{id}/Tags`, objects with tags) and
//! the tag names in use (`GET /Tags/{Object}`).

use super::*;

fn missing(kind: Kind, id: u64) -> ApiErr {
    not_found(format!("{} with ID {id} was not found.", kind.singular()))
}

/// `GET /{Object}/{id}/Tags`.
pub(crate) fn list_tags(sim: &Sim, ctx: &Ctx, kind: Kind) -> Res {
    let id = ctx.id("id")?;
    let db = sim.read();
    let rec = db
        .table(kind)
        .rows
        .get(&id)
        .ok_or_else(|| missing(kind, id))?;
    let out: Vec<Value> = rec.tags.iter().map(|t| json!({ "TAG_NAME": t })).collect();
    ok_json(&out)
}

/// `POST /{Object}/{id}/Tags` (and `PUT`, the same): adds a tag unless present in any case.
pub(crate) fn add_tag(sim: &Sim, ctx: &Ctx, kind: Kind) -> Res {
    let id = ctx.id("id")?;
    let body = ctx.json_object()?;
    let name = body
        .get("TAG_NAME")
        .and_then(Value::as_str)
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .ok_or_else(|| bad("TAG_NAME is required."))?
        .to_string();
    let mut db = sim.write();
    if !db.exists(kind, id) {
        return Err(missing(kind, id));
    }
    db.note_write(kind, id);
    let rec = db
        .table_mut(kind)
        .rows
        .get_mut(&id)
        .ok_or_else(|| missing(kind, id))?;
    if !rec.has_tag(&name) {
        rec.tags.push(name.clone());
        touch(&mut db, kind, id);
    }
    ok_json(&json!({ "TAG_NAME": name }))
}

/// `DELETE /{Object}/{id}/Tags`: the tag named in the body or in `?tagName=`.
pub(crate) fn remove_tag(sim: &Sim, ctx: &Ctx, kind: Kind) -> Res {
    let id = ctx.id("id")?;
    let from_body = if ctx.body.iter().all(u8::is_ascii_whitespace) {
        None
    } else {
        ctx.json_object()?
            .get("TAG_NAME")
            .and_then(Value::as_str)
            .map(str::to_string)
    };
    let name = from_body
        .or_else(|| ctx.q("tagname").map(str::to_string))
        .filter(|s| !s.trim().is_empty())
        .ok_or_else(|| bad("TAG_NAME is required."))?;
    let mut db = sim.write();
    if !db.exists(kind, id) {
        return Err(missing(kind, id));
    }
    db.note_write(kind, id);
    let rec = db
        .table_mut(kind)
        .rows
        .get_mut(&id)
        .ok_or_else(|| missing(kind, id))?;
    let lower = name.trim().to_lowercase();
    let before = rec.tags.len();
    rec.tags.retain(|t| t.to_lowercase() != lower);
    if rec.tags.len() != before {
        touch(&mut db, kind, id);
    }
    empty(sim.delete_status)
}

/// `GET /Tags/{Object}`: the distinct tag names in use (first spelling wins).
pub(crate) fn tag_names(sim: &Sim, ctx: &Ctx) -> Res {
    let kind = Kind::from_path(ctx.param("object"))
        .filter(|k| k.schema().tags)
        .ok_or_else(|| no_route(&ctx.path))?;
    let db = sim.read();
    let mut names: BTreeMap<String, &str> = BTreeMap::new();
    for r in db.table(kind).rows.values() {
        for t in &r.tags {
            names.entry(t.to_lowercase()).or_insert(t.as_str());
        }
    }
    let out: Vec<Value> = names.values().map(|t| json!({ "TAG_NAME": t })).collect();
    ok_json(&out)
}
