//! Tags: a record's tags (`GET|POST|PUT|DELETE /{Object}/{id}/Tags`, objects with tags) and
//! the tag names in use (`GET /Tags/{Object}`).

use super::*;

/// The tags of the record `(kind, id)`, for a change made now (the search index keeps the
/// version before it).
fn tags_to_change(db: &mut Db, kind: Kind, id: u64) -> Result<&mut Vec<String>, ApiErr> {
    require_record(db, kind, id)?;
    db.note_write(kind, id);
    db.table_mut(kind)
        .rows
        .get_mut(&id)
        .map(|rec| &mut rec.tags)
        .ok_or_else(|| not_found("Record not found."))
}

/// `GET /{Object}/{id}/Tags`.
pub(crate) fn list_tags(sim: &Sim, ctx: &Ctx, kind: Kind) -> Res {
    let id = ctx.id("id")?;
    let db = sim.read();
    require_record(&db, kind, id)?;
    let tags = db.table(kind).rows.get(&id).map(|r| r.tags.as_slice());
    let out: Vec<Value> = tags
        .unwrap_or_default()
        .iter()
        .map(|t| json!({ "TAG_NAME": t }))
        .collect();
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
    let tags = tags_to_change(&mut db, kind, id)?;
    let lower = name.to_lowercase();
    if !tags.iter().any(|t| t.to_lowercase() == lower) {
        tags.push(name.clone());
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
    let tags = tags_to_change(&mut db, kind, id)?;
    let lower = name.trim().to_lowercase();
    let before = tags.len();
    tags.retain(|t| t.to_lowercase() != lower);
    if tags.len() != before {
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
