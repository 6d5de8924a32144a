//! Create, update (`If-Match`), delete and touch of records.

use super::*;

/// `POST /{Obj}` (and the note of `POST /{Parent}/{id}/Notes`): returns the new id.
pub(super) fn create(
    db: &mut Db,
    kind: Kind,
    ctx: &Ctx,
    body: &Map<String, Value>,
) -> Result<u64, ApiErr> {
    let k = kind;
    let mut rec = Rec::new(k);
    apply_scalars(k, &mut rec, body)?;
    if rec.get(k, "OWNER_USER_ID").is_null() {
        rec.set(k, "OWNER_USER_ID", ctx.user);
    }
    if matches!(k, Kind::Task | Kind::Lead) && rec.get(k, "RESPONSIBLE_USER_ID").is_null() {
        rec.set(k, "RESPONSIBLE_USER_ID", ctx.user);
    }
    rec.set(k, "CREATED_USER_ID", ctx.user);
    if rec.get(k, "VISIBLE_TO").is_null() {
        rec.set(k, "VISIBLE_TO", "EVERYONE");
    }
    finalize(db, k, &mut rec, body, true)?;
    let collections = check_collections(k, body, db)?;
    let links: Vec<NewLink> = match body.get("LINKS") {
        None | Some(Value::Null) => Vec::new(),
        Some(Value::Array(a)) => a
            .iter()
            .map(|l| parse_link(db, l))
            .collect::<Result<_, _>>()?,
        Some(_) => return Err(bad("LINKS must be an array.")),
    };
    collections.apply(&mut rec);
    let t = db.now_str();
    rec.set(k, "DATE_CREATED_UTC", t.clone());
    rec.set(k, "DATE_UPDATED_UTC", t.clone());
    if k == Kind::Task {
        rec.set(k, "ASSIGNED_DATE_UTC", t);
        if rec.get(k, "ASSIGNED_BY_USER_ID").is_null() {
            rec.set(k, "ASSIGNED_BY_USER_ID", ctx.user);
        }
    }
    let id = db.table(k).next_id;
    if k == Kind::Project {
        rec.set(
            k,
            "LINKED_EMAIL_ADDRESS",
            crate::insightly::projects::mail_drop(id),
        );
    }
    db.insert(k, id, rec);
    for (target, tid, role, details) in links {
        db.add_link((k, id), (target, tid), role, details);
    }
    auto_links(db, k, id);
    Ok(id)
}

fn check_if_match(db: &Db, kind: Kind, id: u64, ctx: &Ctx) -> Result<(), ApiErr> {
    let Some(wanted) = ctx.if_match.as_deref() else {
        return Ok(());
    };
    let wanted = wanted.trim();
    if wanted == "*" {
        return Ok(());
    }
    let rec = db
        .table(kind)
        .rows
        .get(&id)
        .ok_or_else(|| not_found("not found"))?;
    let body = serde_json::to_vec(&RecView {
        db,
        kind,
        id,
        rec,
        brief: false,
    })
    .unwrap_or_default();
    let current = etag(&body);
    let strip = |s: &str| s.trim_start_matches("W/").trim_matches('"').to_string();
    if wanted
        .split(',')
        .any(|w| strip(w.trim()) == strip(&current))
    {
        Ok(())
    } else {
        Err(bad(format!(
            "If-Match header value '{wanted}' is not valid."
        )))
    }
}

/// `PUT /{Obj}`: partial update with the ID in the body.
pub(super) fn update(
    db: &mut Db,
    kind: Kind,
    ctx: &Ctx,
    body: &Map<String, Value>,
) -> Result<u64, ApiErr> {
    let k = kind;
    let key = k.schema().id_key;
    let id = match body.get(key) {
        Some(v) => v
            .as_u64()
            .ok_or_else(|| bad(format!("{key} is not a valid ID.")))?,
        None => return Err(bad(format!("{key} is required in the body of a PUT."))),
    };
    let mut rec = db
        .table(k)
        .rows
        .get(&id)
        .cloned()
        .ok_or_else(|| not_found(format!("{} with ID {id} was not found.", k.singular())))?;
    check_if_match(db, k, id, ctx)?;
    apply_scalars(k, &mut rec, body)?;
    finalize(db, k, &mut rec, body, false)?;
    if k == Kind::Project
        && rec.int(k, "PIPELINE_ID").is_some()
        && super::projects::has_milestones(db, id)
    {
        return Err(bad("A project with milestones cannot have a pipeline."));
    }
    let collections = check_collections(k, body, db)?;
    collections.apply(&mut rec);
    rec.set(k, "DATE_UPDATED_UTC", db.now_str());
    db.insert(k, id, rec);
    auto_links(db, k, id);
    Ok(id)
}

pub(super) fn delete(db: &mut Db, kind: Kind, id: u64) -> Result<(), ApiErr> {
    if db.undeletable.contains(&(kind, id)) && db.exists(kind, id) {
        return Err(ApiErr(
            StatusCode::EXPECTATION_FAILED,
            "Delete failed".into(),
        ));
    }
    db.forget_pending(kind, id);
    if db.table_mut(kind).rows.remove(&id).is_none() {
        return Err(not_found(format!(
            "{} with ID {id} was not found.",
            kind.singular()
        )));
    }
    db.remove_links_of(kind, id);
    if kind == Kind::Project {
        db.milestones.retain(|_, m| m.project_id != id);
    }
    // Records that pointed at the deleted one keep existing, with the reference cleared.
    let refs: &[(Kind, &str)] = match kind {
        Kind::Organisation => &[
            (Kind::Contact, "ORGANISATION_ID"),
            (Kind::Opportunity, "ORGANISATION_ID"),
        ],
        Kind::Opportunity => &[(Kind::Task, "OPPORTUNITY_ID")],
        _ => &[],
    };
    for (other, field) in refs {
        let i = other.schema().at(field);
        for rec in db.table_mut(*other).rows.values_mut() {
            if rec.vals[i].as_u64() == Some(id) {
                rec.vals[i] = Value::Null;
            }
        }
    }
    Ok(())
}

pub(super) fn touch(db: &mut Db, kind: Kind, id: u64) {
    // Emails have no update time.
    let Some(i) = kind.schema().index("DATE_UPDATED_UTC") else {
        return;
    };
    db.note_write(kind, id);
    let now = db.now_str();
    if let Some(r) = db.table_mut(kind).rows.get_mut(&id) {
        r.vals[i] = Value::String(now);
    }
}
