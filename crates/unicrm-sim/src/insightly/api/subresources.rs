//! Sub-resources of a record: tags, links, notes, opportunity state and pipeline operations.

use super::*;

pub(super) fn tags(sim: &Sim, ctx: &Ctx, kind: Kind, id: u64) -> Res {
    let missing = || not_found(format!("{} with ID {id} was not found.", kind.singular()));
    match ctx.method {
        Method::GET => {
            let db = sim.read();
            let rec = db.table(kind).rows.get(&id).ok_or_else(missing)?;
            let out: Vec<Value> = rec.tags.iter().map(|t| json!({ "TAG_NAME": t })).collect();
            ok_json(&out)
        }
        Method::POST | Method::PUT => {
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
                return Err(missing());
            }
            db.note_write(kind, id);
            let rec = db.table_mut(kind).rows.get_mut(&id).ok_or_else(missing)?;
            if !rec.has_tag(&name) {
                rec.tags.push(name.clone());
                touch(&mut db, kind, id);
            }
            ok_json(&json!({ "TAG_NAME": name }))
        }
        Method::DELETE => {
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
                return Err(missing());
            }
            db.note_write(kind, id);
            let rec = db.table_mut(kind).rows.get_mut(&id).ok_or_else(missing)?;
            let lower = name.trim().to_lowercase();
            let before = rec.tags.len();
            rec.tags.retain(|t| t.to_lowercase() != lower);
            if rec.tags.len() != before {
                touch(&mut db, kind, id);
            }
            empty(sim.delete_status)
        }
        _ => Err(method_not_allowed(&ctx.method)),
    }
}

pub(super) fn links(sim: &Sim, ctx: &Ctx, kind: Kind, id: u64, link_id: Option<u64>) -> Res {
    let missing = || not_found(format!("{} with ID {id} was not found.", kind.singular()));
    if let Some(lid) = link_id {
        ctx.only(&[Method::DELETE, Method::GET])?;
        let mut db = sim.write();
        if !db.exists(kind, id) {
            return Err(missing());
        }
        let belongs = db.links.get(&lid).is_some_and(|l| {
            (l.obj, l.obj_id) == (kind, id) || (l.target, l.target_id) == (kind, id)
        });
        if !belongs {
            return Err(not_found(format!("Link with ID {lid} was not found.")));
        }
        if ctx.method == Method::GET {
            return db.links.get(&lid).map_or_else(
                || Err(not_found("Link not found.")),
                |link| {
                    ok_json(&LinkView {
                        link,
                        from: (kind, id),
                    })
                },
            );
        }
        db.remove_link(lid);
        return empty(sim.delete_status);
    }
    match ctx.method {
        Method::GET => {
            let db = sim.read();
            if !db.exists(kind, id) {
                return Err(missing());
            }
            let views: Vec<LinkView> = db
                .links_of(kind, id)
                .map(|link| LinkView {
                    link,
                    from: (kind, id),
                })
                .collect();
            ok_json(&views)
        }
        Method::POST => {
            let body = ctx.json_object()?;
            let mut db = sim.write();
            if !db.exists(kind, id) {
                return Err(missing());
            }
            let (target, tid, role, details) = parse_link(&db, &Value::Object(body))?;
            let lid = db.add_link((kind, id), (target, tid), role, details);
            touch(&mut db, kind, id);
            let link = db
                .links
                .get(&lid)
                .ok_or_else(|| not_found("Link not found."))?;
            ok_json(&LinkView {
                link,
                from: (kind, id),
            })
        }
        Method::PUT => {
            let body = ctx.json_object()?;
            let lid = body
                .get("LINK_ID")
                .and_then(Value::as_u64)
                .ok_or_else(|| bad("LINK_ID is required."))?;
            let role =
                coerce("ROLE", Ty::Str, body.get("ROLE").unwrap_or(&Value::Null)).map_err(bad)?;
            let details = coerce(
                "DETAILS",
                Ty::Str,
                body.get("DETAILS").unwrap_or(&Value::Null),
            )
            .map_err(bad)?;
            let mut db = sim.write();
            if !db.exists(kind, id) {
                return Err(missing());
            }
            let link = db
                .links
                .get_mut(&lid)
                .filter(|l| {
                    (l.obj, l.obj_id) == (kind, id) || (l.target, l.target_id) == (kind, id)
                })
                .ok_or_else(|| not_found(format!("Link with ID {lid} was not found.")))?;
            if body.contains_key("ROLE") {
                link.role = role.as_str().map(str::to_string);
            }
            if body.contains_key("DETAILS") {
                link.details = details.as_str().map(str::to_string);
            }
            let db = &*db;
            let link = db
                .links
                .get(&lid)
                .ok_or_else(|| not_found("Link not found."))?;
            ok_json(&LinkView {
                link,
                from: (kind, id),
            })
        }
        _ => Err(method_not_allowed(&ctx.method)),
    }
}

pub(super) fn notes(sim: &Sim, ctx: &Ctx, kind: Kind, id: u64) -> Res {
    let missing = || not_found(format!("{} with ID {id} was not found.", kind.singular()));
    match ctx.method {
        Method::GET => {
            let db = sim.read();
            if !db.exists(kind, id) {
                return Err(missing());
            }
            let p = page(ctx)?;
            let ids = db.linked(kind, id, Kind::Note);
            let table = &db.table(Kind::Note).rows;
            let (items, total) =
                paged(ids.iter().filter_map(|n| table.get(n).map(|r| (*n, r))), &p);
            let views: Vec<RecView> = items
                .into_iter()
                .map(|(nid, rec)| RecView {
                    db: &db,
                    kind: Kind::Note,
                    id: nid,
                    rec,
                    brief: p.brief,
                })
                .collect();
            list_reply(&views, total)
        }
        Method::POST => {
            let body = ctx.json_object()?;
            let mut db = sim.write();
            if !db.exists(kind, id) {
                return Err(missing());
            }
            let nid = create(&mut db, Kind::Note, ctx, &body)?;
            db.add_link((Kind::Note, nid), (kind, id), None, None);
            let mut r = record_view(&db, Kind::Note, nid)?;
            r.status = sim.create_status;
            Ok(r)
        }
        _ => Err(method_not_allowed(&ctx.method)),
    }
}

/// `PUT /Opportunities/{id}/StateChange|Pipeline|PipelineStage`, `DELETE /Opportunities/{id}/Pipeline`.
pub(super) fn opportunity_op(sim: &Sim, ctx: &Ctx, id: u64, op: &str) -> Res {
    let k = Kind::Opportunity;
    let mut db = sim.write();
    let mut rec = db
        .table(k)
        .rows
        .get(&id)
        .cloned()
        .ok_or_else(|| not_found(format!("Opportunity with ID {id} was not found.")))?;
    match (op, &ctx.method) {
        ("pipeline", &Method::DELETE) => {
            rec.set(k, "PIPELINE_ID", Value::Null);
            rec.set(k, "STAGE_ID", Value::Null);
            rec.set(k, "DATE_UPDATED_UTC", db.now_str());
            db.insert(k, id, rec);
            return empty(sim.delete_status);
        }
        (_, &Method::PUT) => {}
        _ => return Err(method_not_allowed(&ctx.method)),
    }
    let body = ctx.json_object()?;
    match op {
        "statechange" => {
            let state = coerce(
                "FOR_OPPORTUNITY_STATE",
                Ty::Enum(OPP_STATES),
                body.get("FOR_OPPORTUNITY_STATE").unwrap_or(&Value::Null),
            )
            .map_err(bad)?;
            let state = state
                .as_str()
                .ok_or_else(|| bad("FOR_OPPORTUNITY_STATE is required."))?
                .to_string();
            if let Some(reason) = body.get("STATE_REASON_ID").filter(|v| !v.is_null()) {
                let r = reason
                    .as_u64()
                    .ok_or_else(|| bad("STATE_REASON_ID is not valid."))?;
                require_fk(
                    db.ref_exists("OpportunityStateReasons", r),
                    "STATE_REASON_ID",
                    r,
                )?;
            }
            rec.set(k, "OPPORTUNITY_STATE", state.clone());
            if state == "WON" || state == "LOST" {
                rec.set(k, "ACTUAL_CLOSE_DATE", db.today_str());
            }
        }
        "pipelinestage" => {
            let s = body
                .get("STAGE_ID")
                .and_then(Value::as_u64)
                .ok_or_else(|| bad("STAGE_ID is required."))?;
            let p = rec
                .int(k, "PIPELINE_ID")
                .ok_or_else(|| bad("The opportunity is not in a pipeline."))?;
            if db.stage_pipeline.get(&s) != Some(&p) {
                return Err(bad(format!(
                    "STAGE_ID {s} does not belong to PIPELINE_ID {p}."
                )));
            }
            rec.set(k, "STAGE_ID", s);
        }
        _ => {
            let p = body
                .get("PIPELINE_ID")
                .and_then(Value::as_u64)
                .ok_or_else(|| bad("PIPELINE_ID is required."))?;
            require_fk(db.ref_exists("Pipelines", p), "PIPELINE_ID", p)?;
            let stage = match body.get("PIPELINE_STAGE_CHANGE") {
                Some(Value::Object(o)) => obj_get(o, "STAGE_ID").as_u64(),
                _ => None,
            };
            let stage = match stage {
                Some(s) if db.stage_pipeline.get(&s) == Some(&p) => s,
                Some(s) => {
                    return Err(bad(format!(
                        "STAGE_ID {s} does not belong to PIPELINE_ID {p}."
                    )));
                }
                None => db
                    .reference("PipelineStages")
                    .and_then(|t| {
                        t.rows
                            .iter()
                            .filter(|r| r.id("PIPELINE_ID") == Some(p))
                            .min_by_key(|r| r.id("STAGE_ORDER"))
                            .and_then(|r| r.id("STAGE_ID"))
                    })
                    .ok_or_else(|| bad("The pipeline has no stages."))?,
            };
            rec.set(k, "PIPELINE_ID", p);
            rec.set(k, "STAGE_ID", stage);
        }
    }
    rec.set(k, "DATE_UPDATED_UTC", db.now_str());
    db.insert(k, id, rec);
    record_view(&db, k, id)
}
