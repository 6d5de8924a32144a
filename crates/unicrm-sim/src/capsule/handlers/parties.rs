//! Parties: list, show, search, deleted feed, writes with their cascade, jobs, related lists.

use super::*;

pub(crate) async fn list_parties(State(app): State<Shared>, uri: Uri) -> ApiResult {
    let (q, paging) = paging(&uri, 100)?;
    let since = since_filter(&q)?;
    let embed = q.embed();
    let db = app.lock();
    let items = db
        .parties
        .values()
        .filter(|p| since.is_none_or(|s| p.updated_at > s));
    page_of(&app, &uri, &q, paging, "parties", items, |p| {
        db.render_party(p, embed)
    })
}

pub(crate) async fn show_parties(
    State(app): State<Shared>,
    Path(ids): Path<String>,
    uri: Uri,
) -> ApiResult {
    let embed = query(&uri).embed();
    show_by_ids(&app, &ids, "party", "parties", |db, id| {
        db.parties.get(&id).map(|p| db.render_party(p, embed))
    })
}

pub(crate) async fn search_parties(State(app): State<Shared>, uri: Uri) -> ApiResult {
    let (q, paging) = paging(&uri, 100)?;
    let embed = q.embed();
    let needle = q.get("q").unwrap_or("").trim().to_lowercase();
    let db = app.lock();
    // An empty needle matches nothing. The search index may lag behind writes.
    let items = db
        .parties
        .values()
        .filter_map(|p| db.party_in_search(p))
        .filter(|p| !needle.is_empty() && Db::party_matches(p, &needle));
    page_of(&app, &uri, &q, paging, "parties", items, |p| {
        db.render_party(p, embed)
    })
}

pub(super) fn deleted_feed(
    q: &Query,
    feed: &[(u64, chrono::DateTime<chrono::Utc>)],
    key: &str,
) -> ApiResult {
    let Some(raw) = q.get("since") else {
        return Err(invalid("since is required", "query", "since"));
    };
    let since = parse_datetime(raw).ok_or_else(|| invalid("since is invalid", "query", "since"))?;
    let items: Vec<Value> = feed
        .iter()
        .filter(|(_, at)| *at > since)
        .map(|(id, at)| json!({"id": id, "deletedAt": crate::capsule::web::fmt_dt(at)}))
        .collect();
    Ok(ok(wrap(key, Value::Array(items))))
}

pub(crate) async fn deleted_parties(State(app): State<Shared>, uri: Uri) -> ApiResult {
    let db = app.lock();
    deleted_feed(&query(&uri), &db.deleted_parties, "parties")
}

/// Applies a party body (create or update) to `p`. Returns the name of an organisation to
/// create and link (a person's `organisation: {"name": …}` that does not exist yet).
fn apply_party(
    db: &mut Db,
    p: &mut Party,
    obj: &Map<String, Value>,
    body: &[u8],
) -> ApiResult<Option<String>> {
    let mut pending_org = None;
    match p.kind {
        PartyKind::Person => {
            patch_str(obj, "firstName", "party")?.apply(&mut p.first_name);
            patch_str(obj, "lastName", "party")?.apply(&mut p.last_name);
            patch_str(obj, "title", "party")?.apply(&mut p.title);
            patch_str(obj, "jobTitle", "party")?.apply(&mut p.job_title);
            match obj.get("organisation") {
                None => {}
                Some(Value::Null) => p.organisation = None,
                Some(v) => {
                    let by_name = v
                        .get("name")
                        .and_then(Value::as_str)
                        .map(str::trim)
                        .filter(|s| !s.is_empty());
                    match (ref_id(v), by_name) {
                        (Some(id), _) => {
                            let is_org = db
                                .parties
                                .get(&id)
                                .is_some_and(|o| o.kind == PartyKind::Organisation);
                            if !is_org {
                                return Err(invalid(
                                    "organisation not found",
                                    "party",
                                    "organisation",
                                ));
                            }
                            p.organisation = Some(id);
                        }
                        (None, Some(name)) => match db.org_names.get(&name.to_lowercase()) {
                            Some(&id) => p.organisation = Some(id),
                            None => pending_org = Some(name.to_string()),
                        },
                        (None, None) => {
                            return Err(invalid(
                                "organisation is invalid",
                                "party",
                                "organisation",
                            ));
                        }
                    }
                }
            }
            if p.first_name.is_none() && p.last_name.is_none() {
                return Err(invalid(
                    "firstName or lastName is required",
                    "party",
                    "firstName",
                ));
            }
        }
        PartyKind::Organisation => {
            match patch_str(obj, "name", "party")? {
                Patch::Absent => {}
                Patch::Null => return Err(invalid("name is required", "party", "name")),
                Patch::Set(n) => {
                    let n = n.trim().to_string();
                    if n.is_empty() {
                        return Err(invalid("name is required", "party", "name"));
                    }
                    if db
                        .org_names
                        .get(&n.to_lowercase())
                        .is_some_and(|&other| other != p.id)
                    {
                        return Err(invalid("name must be unique", "party", "name"));
                    }
                    p.name = Some(n);
                }
            }
            if p.name.is_none() {
                return Err(invalid("name is required", "party", "name"));
            }
        }
    }
    patch_str(obj, "about", "party")?.apply(&mut p.about);
    owner(db, obj, "party", &mut p.owner)?;
    merge_emails(db, &mut p.emails, obj)?;
    merge_phones(db, &mut p.phones, obj)?;
    merge_addresses(db, &mut p.addresses, obj)?;
    merge_websites(db, &mut p.websites, obj)?;
    merge_tags(db, TagScope::Party, &mut p.tags, obj, "party")?;
    merge_fields(db, |db| &db.party_fields, &mut p.fields, obj, body, "party")?;
    Ok(pending_org)
}

pub(super) fn owner(
    db: &Db,
    obj: &Map<String, Value>,
    resource: &'static str,
    slot: &mut Option<u64>,
) -> ApiResult<()> {
    match patch_ref(obj, "owner", resource)? {
        Patch::Set(id) if !db.users.contains_key(&id) => {
            Err(invalid("owner not found", resource, "owner"))
        }
        p => {
            p.apply(slot);
            Ok(())
        }
    }
}

/// Stores `p` (new or updated), creating a pending organisation first.
fn commit_party(db: &mut Db, mut p: Party, pending_org: Option<String>, old_name: Option<String>) {
    if let Some(name) = pending_org {
        let t = db.now();
        let oid = db.id();
        let mut org = blank_party(oid, PartyKind::Organisation, t, t);
        org.name = Some(name.clone());
        org.owner = p.owner;
        db.org_names.insert(name.to_lowercase(), oid);
        db.put_party(org);
        p.organisation = Some(oid);
    }
    if let Some(old) = old_name {
        db.org_names.remove(&old.to_lowercase());
    }
    if let (PartyKind::Organisation, Some(n)) = (p.kind, &p.name) {
        db.org_names.insert(n.to_lowercase(), p.id);
    }
    db.put_party(p);
}

fn render_party_by_id(db: &Db, id: u64, embed: Embed) -> Value {
    db.parties
        .get(&id)
        .map_or(Value::Null, |p| db.render_party(p, embed))
}

pub(crate) async fn create_party(
    State(app): State<Shared>,
    Extension(caller): Extension<Caller>,
    uri: Uri,
    body: Body,
) -> ApiResult {
    let input = envelope(&body, "party")?;
    let embed = query(&uri).embed();
    let kind = match input
        .get("type")
        .and_then(Value::as_str)
        .map(str::to_lowercase)
        .as_deref()
    {
        Some("person") => PartyKind::Person,
        Some("organisation" | "organization") => PartyKind::Organisation,
        _ => return Err(invalid("type is required", "party", "type")),
    };
    let (id, value, deliveries) = {
        let mut db = app.lock();
        let t = db.now();
        let id = db.id();
        let mut p = blank_party(id, kind, t, t);
        p.owner = Some(caller.user).filter(|u| db.users.contains_key(u));
        let pending = apply_party(&mut db, &mut p, &input, &body)?;
        commit_party(&mut db, p, pending, None);
        let value = render_party_by_id(&db, id, embed);
        let d = hooks::collect(&db, "party/created", |db, e| render_party_by_id(db, id, e));
        (id, value, d)
    };
    created_with(&app, deliveries, "parties", id, "party", value)
}

pub(crate) async fn update_party(
    State(app): State<Shared>,
    Path(id): Path<String>,
    uri: Uri,
    body: Body,
) -> ApiResult {
    let id = one_id(&id)?;
    let input = envelope(&body, "party")?;
    let embed = query(&uri).embed();
    let (value, deliveries) = {
        let mut db = app.lock();
        let mut p = db.parties.get(&id).cloned().ok_or(ApiError::NotFound)?;
        let old_name = p.name.clone();
        let pending = apply_party(&mut db, &mut p, &input, &body)?;
        p.updated_at = bump(p.updated_at, db.now());
        let renamed = (old_name != p.name).then_some(old_name).flatten();
        commit_party(&mut db, p, pending, renamed);
        let value = render_party_by_id(&db, id, embed);
        let d = hooks::collect(&db, "party/updated", |db, e| render_party_by_id(db, id, e));
        (value, d)
    };
    updated_with(&app, deliveries, "party", value)
}

/// Deletes a party with the cascade of §10.1. Returns hook deliveries.
fn remove_party(db: &mut Db, id: u64) -> ApiResult<Vec<Delivery>> {
    if !db.parties.contains_key(&id) {
        return Err(ApiError::NotFound);
    }
    let mut deliveries = hooks::collect(db, "party/deleted", |db, e| render_party_by_id(db, id, e));
    let Some(p) = db.parties.remove(&id) else {
        return Err(ApiError::NotFound);
    };
    db.party_pending.remove(&id);
    let t = db.now();
    db.deleted_parties.push((id, t));
    if p.kind == PartyKind::Organisation {
        if let Some(n) = &p.name {
            db.org_names.remove(&n.to_lowercase());
        }
        let people: Vec<Party> = db
            .parties
            .values()
            .filter(|person| person.organisation == Some(id))
            .cloned()
            .collect();
        for mut person in people {
            person.organisation = None;
            person.updated_at = bump(person.updated_at, t);
            db.put_party(person);
        }
    }
    db.entries.retain(|_, e| e.party != Some(id));
    db.tasks.retain(|_, task| task.party != Some(id));
    let opps: Vec<u64> = db
        .opportunities
        .values()
        .filter(|o| o.party == id)
        .map(|o| o.id)
        .collect();
    for o in opps {
        deliveries.extend(remove_opportunity(db, o)?);
    }
    for o in db.opportunities.values_mut() {
        o.additional_parties.retain(|p| *p != id);
    }
    Ok(deliveries)
}

pub(crate) async fn delete_party(State(app): State<Shared>, Path(id): Path<String>) -> ApiResult {
    let id = one_id(&id)?;
    if app
        .deferred_delete
        .load(std::sync::atomic::Ordering::Relaxed)
    {
        let uuid = {
            let mut db = app.lock();
            if !db.parties.contains_key(&id) {
                return Err(ApiError::NotFound);
            }
            let uuid = db.uuid();
            db.jobs.insert(
                uuid.clone(),
                Job {
                    action: "Deleting Party",
                    polls: 0,
                    party: id,
                    done: false,
                },
            );
            uuid
        };
        let bg = app.clone();
        let job = uuid.clone();
        tokio::spawn(async move {
            let mut stop = bg.shutdown.clone();
            tokio::select! {
                () = tokio::time::sleep(std::time::Duration::from_secs(3)) => {}
                _ = stop.wait_for(|s| *s) => return,
            }
            let d = complete_job(&mut bg.lock(), &job);
            hooks::deliver(&bg, d);
        });
        let mut resp = ok(
            json!({"job": {"id": uuid, "status": "pending", "progress": 0, "action": "Deleting Party"}}),
        );
        *resp.status_mut() = StatusCode::ACCEPTED;
        if let Ok(v) = HeaderValue::from_str(&format!("{}/jobs/{uuid}", app.api_base())) {
            resp.headers_mut().insert(header::LOCATION, v);
        }
        return Ok(resp);
    }
    let deliveries = remove_party(&mut app.lock(), id)?;
    hooks::deliver(&app, deliveries);
    Ok(no_content())
}

fn complete_job(db: &mut Db, uuid: &str) -> Vec<Delivery> {
    let Some(job) = db.jobs.get_mut(uuid) else {
        return Vec::new();
    };
    if job.done {
        return Vec::new();
    }
    job.done = true;
    let party = job.party;
    remove_party(db, party).unwrap_or_default()
}

pub(crate) async fn show_job(State(app): State<Shared>, Path(id): Path<String>) -> ApiResult {
    let (value, deliveries) = {
        let mut db = app.lock();
        let job = db.jobs.get_mut(&id).ok_or(ApiError::NotFound)?;
        job.polls += 1;
        let polls = job.polls;
        let action = job.action;
        let d = if polls >= 2 {
            complete_job(&mut db, &id)
        } else {
            Vec::new()
        };
        let done = db.jobs.get(&id).is_some_and(|j| j.done);
        let (status, progress) = if done {
            ("completed", 100)
        } else {
            ("processing", 50)
        };
        (
            json!({"job": {"id": id, "status": status, "progress": progress, "action": action}}),
            d,
        )
    };
    hooks::deliver(&app, deliveries);
    Ok(ok(value))
}

fn party_exists(db: &Db, id: &str) -> ApiResult<u64> {
    let id = one_id(id)?;
    if db.parties.contains_key(&id) {
        Ok(id)
    } else {
        Err(ApiError::NotFound)
    }
}

pub(crate) async fn party_people(
    State(app): State<Shared>,
    Path(id): Path<String>,
    uri: Uri,
) -> ApiResult {
    let (q, paging) = paging(&uri, 100)?;
    let embed = q.embed();
    let db = app.lock();
    let id = party_exists(&db, &id)?;
    let items = db.parties.values().filter(|p| p.organisation == Some(id));
    page_of(&app, &uri, &q, paging, "parties", items, |p| {
        db.render_party(p, embed)
    })
}

pub(crate) async fn party_opportunities(
    State(app): State<Shared>,
    Path(id): Path<String>,
    uri: Uri,
) -> ApiResult {
    let (q, paging) = paging(&uri, 100)?;
    let embed = q.embed();
    let db = app.lock();
    let id = party_exists(&db, &id)?;
    let items = db
        .opportunities
        .values()
        .filter(|o| o.party == id || o.additional_parties.contains(&id));
    page_of(&app, &uri, &q, paging, "opportunities", items, |o| {
        db.render_opportunity(o, embed)
    })
}

pub(super) fn entry_feed(
    app: &App,
    uri: &Uri,
    max: usize,
    filter: impl Fn(&Entry) -> bool,
) -> ApiResult {
    let (q, paging) = paging(uri, max)?;
    let db = app.lock();
    let mut all: Vec<&Entry> = db.entries.values().filter(|e| filter(e)).collect();
    all.sort_by(|a, b| b.entry_at.cmp(&a.entry_at).then(b.id.cmp(&a.id)));
    page_of(app, uri, &q, paging, "entries", all.into_iter(), |e| {
        db.render_entry(e)
    })
}

pub(crate) async fn party_entries(
    State(app): State<Shared>,
    Path(id): Path<String>,
    uri: Uri,
) -> ApiResult {
    let id = party_exists(&app.lock(), &id)?;
    entry_feed(&app, &uri, 50, |e| e.party == Some(id))
}
