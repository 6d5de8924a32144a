//! Routing below `/v3.1/{Object}`, users, reference lists, custom-field definitions, tag names.

use super::*;

pub(super) fn object(sim: &Sim, ctx: &Ctx, kind: Kind, rest: &[&str]) -> Res {
    let lower: Vec<String> = rest.iter().map(|s| s.to_lowercase()).collect();
    let lower: Vec<&str> = lower.iter().map(String::as_str).collect();
    match lower.as_slice() {
        [] => match ctx.method {
            Method::GET => {
                let db = sim.read();
                list_records(&db, kind, ctx, &|_| true)
            }
            Method::POST if kind != Kind::Note => {
                let body = ctx.json_object()?;
                let mut db = sim.write();
                let id = create(&mut db, kind, ctx, &body)?;
                let mut r = record_view(&db, kind, id)?;
                r.status = sim.create_status;
                Ok(r)
            }
            Method::PUT => {
                let body = ctx.json_object()?;
                let mut db = sim.write();
                let id = update(&mut db, kind, ctx, &body)?;
                record_view(&db, kind, id)
            }
            _ => Err(method_not_allowed(&ctx.method)),
        },
        ["search"] => {
            ctx.only(&[Method::GET])?;
            let db = sim.read();
            let f = search_filter(&db, kind, ctx)?;
            search_records(&db, kind, ctx, &*f)
        }
        ["searchbytag"] if kind.schema().tags => {
            ctx.only(&[Method::GET])?;
            let tag = ctx
                .q("tagname")
                .filter(|t| !t.trim().is_empty())
                .ok_or_else(|| bad("tagName is required."))?
                .to_string();
            let db = sim.read();
            search_records(&db, kind, ctx, &|r: &Rec| r.has_tag(&tag))
        }
        [id] => {
            let id = parse_id(id, ctx)?;
            match ctx.method {
                Method::GET => record_view(&sim.read(), kind, id),
                Method::DELETE => {
                    let mut db = sim.write();
                    delete(&mut db, kind, id)?;
                    empty(sim.delete_status)
                }
                _ => Err(method_not_allowed(&ctx.method)),
            }
        }
        [id, "tags"] if kind.schema().tags => tags(sim, ctx, kind, parse_id(id, ctx)?),
        [id, "links"] => links(sim, ctx, kind, parse_id(id, ctx)?, None),
        [id, "links", link] => links(
            sim,
            ctx,
            kind,
            parse_id(id, ctx)?,
            Some(parse_id(link, ctx)?),
        ),
        [id, "notes"] if kind.has_notes() => notes(sim, ctx, kind, parse_id(id, ctx)?),
        [id, "tasks"] if kind != Kind::Task && kind != Kind::Note => {
            ctx.only(&[Method::GET])?;
            let id = parse_id(id, ctx)?;
            let db = sim.read();
            if !db.exists(kind, id) {
                return Err(not_found(format!(
                    "{} with ID {id} was not found.",
                    kind.singular()
                )));
            }
            let ids = db.linked(kind, id, Kind::Task);
            let p = page(ctx)?;
            let table = &db.table(Kind::Task).rows;
            let (items, total) =
                paged(ids.iter().filter_map(|t| table.get(t).map(|r| (*t, r))), &p);
            let views: Vec<RecView> = items
                .into_iter()
                .map(|(id, rec)| RecView {
                    db: &db,
                    kind: Kind::Task,
                    id,
                    rec,
                    brief: p.brief,
                })
                .collect();
            list_reply(&views, total)
        }
        [id, op]
            if kind == Kind::Opportunity
                && matches!(*op, "statechange" | "pipeline" | "pipelinestage") =>
        {
            opportunity_op(sim, ctx, parse_id(id, ctx)?, op)
        }
        _ => Err(no_route(&ctx.path)),
    }
}

pub(super) fn users(sim: &Sim, ctx: &Ctx, rest: &[&str]) -> Res {
    ctx.only(&[Method::GET])?;
    let db = sim.read();
    let lower: Vec<String> = rest.iter().map(|s| s.to_lowercase()).collect();
    match lower
        .iter()
        .map(String::as_str)
        .collect::<Vec<_>>()
        .as_slice()
    {
        [] => {
            let p = page(ctx)?;
            let (items, total) = paged(db.users.iter(), &p);
            list_reply(&items, total)
        }
        ["me"] => db
            .users
            .iter()
            .find(|u| u.id("USER_ID") == Some(ctx.user))
            .map_or_else(|| Err(not_found("User not found.")), ok_json),
        ["search"] => {
            let p = page(ctx)?;
            let name = ctx.q("field_name");
            let value = ctx.q("field_value");
            if name.is_some() != value.is_some() {
                return Err(bad("field_name and field_value must be given together."));
            }
            if let Some(n) = name {
                if db.users.first().is_none_or(|u| u.get(n).is_none()) {
                    return Err(bad(format!("The field name '{n}' is not valid.")));
                }
            }
            let after = match ctx.q("updated_after_utc").filter(|s| !s.trim().is_empty()) {
                Some(a) => parse_dt(a)
                    .map_err(|_| {
                        bad(format!(
                            "The value '{a}' of 'updated_after_utc' is not a valid date."
                        ))
                    })?
                    .map(|t| t.format(crate::insightly::schema::DT_FORMAT).to_string()),
                None => None,
            };
            let rows = db.users.iter().filter(|u| {
                let field_ok = match (name, value) {
                    (Some(n), Some(v)) => u.get(n).is_some_and(|x| value_matches(x, v)),
                    _ => true,
                };
                let after_ok = after.as_ref().is_none_or(|a| {
                    u.get("DATE_UPDATED_UTC")
                        .and_then(Value::as_str)
                        .is_some_and(|x| x > a.as_str())
                });
                field_ok && after_ok
            });
            let (items, total) = paged(rows, &p);
            list_reply(&items, total)
        }
        [id] => {
            let id = parse_id(id, ctx)?;
            db.users
                .iter()
                .find(|u| u.id("USER_ID") == Some(id))
                .map_or_else(
                    || Err(not_found(format!("User with ID {id} was not found."))),
                    ok_json,
                )
        }
        _ => Err(no_route(&ctx.path)),
    }
}

pub(super) fn reference(sim: &Sim, ctx: &Ctx, name: &str, rest: &[&str]) -> Res {
    ctx.only(&[Method::GET])?;
    let db = sim.read();
    let Some(table) = db.reference(name) else {
        return Err(no_route(&ctx.path));
    };
    match rest {
        [] => {
            let p = page(ctx)?;
            let (items, total) = paged(table.rows.iter(), &p);
            list_reply(&items, total)
        }
        [id] => {
            let id = parse_id(id, ctx)?;
            table
                .rows
                .iter()
                .find(|r| r.id(table.id_key) == Some(id))
                .map_or_else(
                    || Err(not_found(format!("Record with ID {id} was not found."))),
                    ok_json,
                )
        }
        _ => Err(no_route(&ctx.path)),
    }
}

pub(super) fn custom_fields(sim: &Sim, ctx: &Ctx, rest: &[&str]) -> Res {
    ctx.only(&[Method::GET])?;
    let db = sim.read();
    match rest {
        [] => {
            let all: Vec<Ordered> = crate::insightly::schema::KINDS
                .iter()
                .flat_map(|k| db.defs(*k).iter().map(|d| d.to_json(*k)))
                .collect();
            ok_json(&all)
        }
        [obj] | [obj, _] => {
            let kind = Kind::from_path(obj).ok_or_else(|| no_route(&ctx.path))?;
            let search = match rest.get(1) {
                None => None,
                Some(s) if s.eq_ignore_ascii_case("search") => {
                    Some(ctx.q("field_name").unwrap_or(""))
                }
                Some(_) => return Err(no_route(&ctx.path)),
            };
            let defs: Vec<Ordered> = db
                .defs(kind)
                .iter()
                .filter(|d| search.is_none_or(|n| d.name.eq_ignore_ascii_case(n)))
                .map(|d| d.to_json(kind))
                .collect();
            ok_json(&defs)
        }
        _ => Err(no_route(&ctx.path)),
    }
}

pub(super) fn tag_names(sim: &Sim, ctx: &Ctx, rest: &[&str]) -> Res {
    ctx.only(&[Method::GET])?;
    let [obj] = rest else {
        return Err(no_route(&ctx.path));
    };
    let kind = Kind::from_path(obj)
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
