//! Request handlers for `/api/v2/…`.

use axum::Extension;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::response::Response;
use http::{HeaderValue, StatusCode, Uri, header};
use serde_json::{Map, Value, json};

use super::auth::Caller;
use super::hooks::{self, Delivery};
use super::numbers::{Seg, number_at};
use std::collections::BTreeMap;

use super::model::{
    Db, Entry, FieldDef, Hook, Job, Opportunity, Party, PartyKind, TagDef, TagScope, Task,
    TokenKind, blank_party, bump,
};
use super::web::{
    ApiError, ApiResult, Embed, Paging, Patch, Query, created, envelope, invalid, message,
    no_content, ok, one_id, paged, parse_date, parse_datetime, parse_ids, patch_ref, patch_str,
    ref_i64, ref_id,
};
use super::writes::{
    merge_addresses, merge_emails, merge_fields, merge_phones, merge_tags, merge_websites,
};
use super::{App, Shared};

type Body = Bytes;

fn query(uri: &Uri) -> Query {
    Query::parse(uri.query().map(str::to_string))
}

/// Ids of a show path: one id, or a comma list of at most 10 (400 beyond, 404 if not ids).
fn show_ids(s: &str) -> ApiResult<(Vec<u64>, bool)> {
    let multi = s.contains(',');
    if s.split(',').count() > 10 {
        return Err(ApiError::BadRequest("too many ids".into()));
    }
    let ids = parse_ids(s).ok_or(ApiError::NotFound)?;
    Ok((ids, multi))
}

/// The query of `uri` and its validated paging (at most `max` items a page).
fn paging(uri: &Uri, max: usize) -> ApiResult<(Query, Paging)> {
    let q = query(uri);
    let paging = Paging::from_query(&q, max)?;
    Ok((q, paging))
}

/// A 200 list: the page of `items` that `paging` selects, rendered and wrapped in `key`.
fn page_of<T>(
    app: &App,
    uri: &Uri,
    q: &Query,
    paging: Paging,
    key: &str,
    items: impl Iterator<Item = T>,
    render: impl FnMut(T) -> Value,
) -> ApiResult {
    let (page, more) = paging.take(items);
    let items = page.into_iter().map(render).collect();
    Ok(paged(&app.origin, uri.path(), q, paging, key, items, more))
}

/// A show of one id (`one` wrapper) or a comma list of ids (`many` wrapper); 404 if any is
/// missing.
fn show_by_ids(
    app: &App,
    ids: &str,
    one: &str,
    many: &str,
    render: impl Fn(&Db, u64) -> Option<Value>,
) -> ApiResult {
    let (ids, multi) = show_ids(ids)?;
    let db = app.lock();
    let items = ids
        .iter()
        .map(|id| render(&db, *id))
        .collect::<Option<Vec<_>>>()
        .ok_or(ApiError::NotFound)?;
    show_result(multi, one, many, items)
}

/// A show of exactly one id, wrapped in `key`; 404 if it is missing.
fn show_one(
    app: &App,
    id: &str,
    key: &str,
    render: impl FnOnce(&Db, u64) -> Option<Value>,
) -> ApiResult {
    let id = one_id(id)?;
    let db = app.lock();
    let value = render(&db, id).ok_or(ApiError::NotFound)?;
    Ok(ok(wrap(key, value)))
}

/// Delivers the hooks of a create, then answers 201 at `/{collection}/{id}` with `value` in `key`.
fn created_with(
    app: &Shared,
    deliveries: Vec<Delivery>,
    collection: &str,
    id: u64,
    key: &str,
    value: Value,
) -> ApiResult {
    hooks::deliver(app, deliveries);
    Ok(created(
        &format!("{}/{collection}/{id}", app.api_base()),
        wrap(key, value),
    ))
}

/// Delivers the hooks of an update, then answers 200 with `value` in `key`.
fn updated_with(app: &Shared, deliveries: Vec<Delivery>, key: &str, value: Value) -> ApiResult {
    hooks::deliver(app, deliveries);
    Ok(ok(wrap(key, value)))
}

fn wrap(key: &str, v: Value) -> Value {
    let mut m = Map::new();
    m.insert(key.to_string(), v);
    Value::Object(m)
}

fn since_filter(q: &Query) -> ApiResult<Option<chrono::DateTime<chrono::Utc>>> {
    q.since()
}

// ==================================================================== parties

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

fn deleted_feed(q: &Query, feed: &[(u64, chrono::DateTime<chrono::Utc>)], key: &str) -> ApiResult {
    let Some(raw) = q.get("since") else {
        return Err(invalid("since is required", "query", "since"));
    };
    let since = parse_datetime(raw).ok_or_else(|| invalid("since is invalid", "query", "since"))?;
    let items: Vec<Value> = feed
        .iter()
        .filter(|(_, at)| *at > since)
        .map(|(id, at)| json!({"id": id, "deletedAt": super::web::fmt_dt(at)}))
        .collect();
    Ok(ok(wrap(key, Value::Array(items))))
}

pub(crate) async fn deleted_parties(State(app): State<Shared>, uri: Uri) -> ApiResult {
    let db = app.lock();
    deleted_feed(&query(&uri), &db.deleted_parties, "parties")
}

fn tag_defs(db: &Db, scope: TagScope) -> &BTreeMap<u64, TagDef> {
    match scope {
        TagScope::Party => &db.party_tags,
        TagScope::Opportunity => &db.opp_tags,
    }
}

fn tag_list(app: &App, uri: &Uri, scope: TagScope) -> ApiResult {
    let (q, paging) = paging(uri, 100)?;
    let db = app.lock();
    let items = tag_defs(&db, scope).values();
    page_of(app, uri, &q, paging, "tags", items, Db::render_tag)
}

fn tag_show(app: &App, id: &str, scope: TagScope) -> ApiResult {
    show_one(app, id, "tag", |db, id| {
        tag_defs(db, scope).get(&id).map(Db::render_tag)
    })
}

pub(crate) async fn party_tags(State(app): State<Shared>, uri: Uri) -> ApiResult {
    tag_list(&app, &uri, TagScope::Party)
}

pub(crate) async fn party_tag(State(app): State<Shared>, Path(id): Path<String>) -> ApiResult {
    tag_show(&app, &id, TagScope::Party)
}

pub(crate) async fn opportunity_tags(State(app): State<Shared>, uri: Uri) -> ApiResult {
    tag_list(&app, &uri, TagScope::Opportunity)
}

pub(crate) async fn opportunity_tag(
    State(app): State<Shared>,
    Path(id): Path<String>,
) -> ApiResult {
    tag_show(&app, &id, TagScope::Opportunity)
}

fn field_defs(db: &Db, opportunity: bool) -> &BTreeMap<u64, FieldDef> {
    if opportunity {
        &db.opp_fields
    } else {
        &db.party_fields
    }
}

fn definition_list(app: &App, uri: &Uri, opportunity: bool) -> ApiResult {
    let (q, paging) = paging(uri, 100)?;
    let db = app.lock();
    let items = field_defs(&db, opportunity).values();
    page_of(
        app,
        uri,
        &q,
        paging,
        "definitions",
        items,
        Db::render_definition,
    )
}

fn definition_show(app: &App, id: &str, opportunity: bool) -> ApiResult {
    show_one(app, id, "definition", |db, id| {
        field_defs(db, opportunity)
            .get(&id)
            .map(Db::render_definition)
    })
}

fn create_definition(
    app: &App,
    caller: &Caller,
    uri: &Uri,
    body: &[u8],
    opportunity: bool,
) -> ApiResult {
    const R: &str = "definition";
    let input = envelope(body, "definition")?;
    let mut db = app.lock();
    if !db.users.get(&caller.user).is_some_and(|u| u.admin) {
        return Err(ApiError::Forbidden(
            "only administrators can create custom fields".into(),
        ));
    }
    let name = match patch_str(&input, "name", R)? {
        Patch::Set(n) if !n.trim().is_empty() => n.trim().to_string(),
        _ => return Err(invalid("name is required", R, "name")),
    };
    if field_defs(&db, opportunity)
        .values()
        .any(|d| d.name.eq_ignore_ascii_case(&name))
    {
        return Err(invalid("name must be unique", R, "name"));
    }
    let kind = match input.get("type").and_then(Value::as_str) {
        Some("text") => "text",
        Some("number") => "number",
        Some("date") => "date",
        Some("boolean") => "boolean",
        Some("list") => "list",
        Some("link") => "link",
        _ => return Err(invalid("type is invalid", R, "type")),
    };
    let options: Vec<String> = input
        .get("options")
        .and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .filter_map(Value::as_str)
                .map(str::to_string)
                .collect()
        })
        .unwrap_or_default();
    if kind == "list" && options.is_empty() {
        return Err(invalid("options are required", R, "options"));
    }
    let capture_rule = match input.get("captureRule").and_then(Value::as_str) {
        Some("person") if !opportunity => Some("person"),
        Some("organisation") if !opportunity => Some("organisation"),
        _ => None,
    };
    let mut description = None;
    patch_str(&input, "description", R)?.apply(&mut description);
    let id = db
        .party_fields
        .keys()
        .chain(db.opp_fields.keys())
        .max()
        .copied()
        .unwrap_or(0)
        + 1;
    let defs = if opportunity {
        &mut db.opp_fields
    } else {
        &mut db.party_fields
    };
    let display_order = u32::try_from(defs.len())
        .unwrap_or(u32::MAX)
        .saturating_add(1);
    let def = FieldDef {
        id,
        name,
        kind,
        description,
        options,
        capture_rule,
        important: input
            .get("important")
            .and_then(Value::as_bool)
            .unwrap_or(false),
        display_order,
    };
    let value = Db::render_definition(&def);
    defs.insert(id, def);
    Ok(created(
        &format!("{}{}/{id}", app.origin, uri.path()),
        json!({"definition": value}),
    ))
}

pub(crate) async fn create_party_definition(
    State(app): State<Shared>,
    Extension(caller): Extension<Caller>,
    uri: Uri,
    body: Body,
) -> ApiResult {
    create_definition(&app, &caller, &uri, &body, false)
}

pub(crate) async fn create_opportunity_definition(
    State(app): State<Shared>,
    Extension(caller): Extension<Caller>,
    uri: Uri,
    body: Body,
) -> ApiResult {
    create_definition(&app, &caller, &uri, &body, true)
}

pub(crate) async fn party_definitions(State(app): State<Shared>, uri: Uri) -> ApiResult {
    definition_list(&app, &uri, false)
}

pub(crate) async fn party_definition(
    State(app): State<Shared>,
    Path(id): Path<String>,
) -> ApiResult {
    definition_show(&app, &id, false)
}

pub(crate) async fn opportunity_definitions(State(app): State<Shared>, uri: Uri) -> ApiResult {
    definition_list(&app, &uri, true)
}

pub(crate) async fn opportunity_definition(
    State(app): State<Shared>,
    Path(id): Path<String>,
) -> ApiResult {
    definition_show(&app, &id, true)
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

fn owner(
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

fn entry_feed(app: &App, uri: &Uri, max: usize, filter: impl Fn(&Entry) -> bool) -> ApiResult {
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

// ==================================================================== opportunities

pub(crate) async fn list_opportunities(State(app): State<Shared>, uri: Uri) -> ApiResult {
    let (q, paging) = paging(&uri, 100)?;
    let since = since_filter(&q)?;
    let embed = q.embed();
    let db = app.lock();
    let items = db
        .opportunities
        .values()
        .filter(|o| since.is_none_or(|s| o.updated_at > s));
    page_of(&app, &uri, &q, paging, "opportunities", items, |o| {
        db.render_opportunity(o, embed)
    })
}

pub(crate) async fn search_opportunities(State(app): State<Shared>, uri: Uri) -> ApiResult {
    let (q, paging) = paging(&uri, 100)?;
    let embed = q.embed();
    let needle = q.get("q").unwrap_or("").trim().to_lowercase();
    let db = app.lock();
    // An empty needle matches nothing. The search index may lag behind writes.
    let items = db
        .opportunities
        .values()
        .filter_map(|o| db.opportunity_in_search(o))
        .filter(|o| {
            !needle.is_empty()
                && (o.name.to_lowercase().contains(&needle)
                    || o.description
                        .as_deref()
                        .is_some_and(|d| d.to_lowercase().contains(&needle)))
        });
    page_of(&app, &uri, &q, paging, "opportunities", items, |o| {
        db.render_opportunity(o, embed)
    })
}

pub(crate) async fn deleted_opportunities(State(app): State<Shared>, uri: Uri) -> ApiResult {
    let db = app.lock();
    deleted_feed(&query(&uri), &db.deleted_opportunities, "opportunities")
}

pub(crate) async fn show_opportunities(
    State(app): State<Shared>,
    Path(ids): Path<String>,
    uri: Uri,
) -> ApiResult {
    let embed = query(&uri).embed();
    show_by_ids(&app, &ids, "opportunity", "opportunities", |db, id| {
        db.opportunities
            .get(&id)
            .map(|o| db.render_opportunity(o, embed))
    })
}

fn show_result(multi: bool, one: &str, many: &str, items: Vec<Value>) -> ApiResult {
    if multi {
        return Ok(ok(wrap(many, Value::Array(items))));
    }
    items
        .into_iter()
        .next()
        .map(|v| ok(wrap(one, v)))
        .ok_or(ApiError::NotFound)
}

/// Events raised by an opportunity write, besides created/updated.
#[derive(Debug, Default)]
struct OppEvents {
    closed: bool,
    moved: bool,
}

fn apply_opportunity(
    db: &mut Db,
    o: &mut Opportunity,
    obj: &Map<String, Value>,
    body: &[u8],
    creating: bool,
) -> ApiResult<OppEvents> {
    const R: &str = "opportunity";
    let mut events = OppEvents::default();
    match patch_str(obj, "name", R)? {
        Patch::Set(n) => o.name = n,
        Patch::Null => return Err(invalid("name is required", R, "name")),
        Patch::Absent if creating => return Err(invalid("name is required", R, "name")),
        Patch::Absent => {}
    }
    patch_str(obj, "description", R)?.apply(&mut o.description);
    match patch_ref(obj, "party", R) {
        Ok(Patch::Set(id)) => {
            if !db.parties.contains_key(&id) {
                return Err(invalid("party not found", R, "party"));
            }
            o.party = id;
        }
        Ok(Patch::Absent) if !creating => {}
        _ => return Err(invalid("party is required", R, "party")),
    }
    let old_ms = o.milestone;
    let new_ms = match patch_ref(obj, "milestone", R) {
        Ok(Patch::Set(id)) => {
            if !db.milestones.contains_key(&id) {
                return Err(invalid("milestone not found", R, "milestone"));
            }
            id
        }
        Ok(Patch::Absent) if !creating => old_ms,
        _ => return Err(invalid("milestone is required", R, "milestone")),
    };
    match obj.get("value") {
        None => {}
        Some(Value::Null) => {
            o.amount = None;
            o.currency = None;
        }
        Some(Value::Object(v)) => {
            let amount = match v.get("amount") {
                None | Some(Value::Null) => None,
                // A JSON number only, kept exactly as sent (§4.2).
                Some(Value::Number(_)) => Some(
                    number_at(body, &[Seg::Key(R), Seg::Key("value"), Seg::Key("amount")])
                        .ok_or_else(|| invalid("amount is invalid", R, "value"))?,
                ),
                Some(_) => return Err(invalid("amount is invalid", R, "value")),
            };
            let currency = v
                .get("currency")
                .and_then(Value::as_str)
                .map(|c| c.trim().to_uppercase())
                .filter(|c| !c.is_empty());
            if let Some(c) = &currency {
                if c.len() != 3 || !c.bytes().all(|b| b.is_ascii_uppercase()) {
                    return Err(invalid("currency is invalid", R, "value"));
                }
            }
            match (amount, currency) {
                (Some(_), None) => return Err(invalid("currency is required", R, "value")),
                (None, _) => {
                    o.amount = None;
                    o.currency = None;
                }
                (Some(a), Some(c)) => {
                    o.amount = Some(a);
                    o.currency = Some(c);
                }
            }
        }
        Some(_) => return Err(invalid("value is invalid", R, "value")),
    }
    match patch_str(obj, "expectedCloseOn", R)? {
        Patch::Absent => {}
        Patch::Null => o.expected_close_on = None,
        Patch::Set(s) => {
            o.expected_close_on = Some(
                parse_date(&s)
                    .ok_or_else(|| invalid("expectedCloseOn is invalid", R, "expectedCloseOn"))?,
            );
        }
    }
    let probability = match obj.get("probability") {
        None | Some(Value::Null) => None,
        Some(v) => Some(
            v.as_u64()
                .filter(|p| *p <= 100)
                .and_then(|p| u8::try_from(p).ok())
                .ok_or_else(|| {
                    invalid("probability must be between 0 and 100", R, "probability")
                })?,
        ),
    };
    match patch_str(obj, "durationBasis", R)? {
        Patch::Absent => {}
        Patch::Null => o.duration_basis = "FIXED".into(),
        Patch::Set(b) => {
            let b = b.to_uppercase();
            if !["FIXED", "HOUR", "DAY", "WEEK", "MONTH", "QUARTER", "YEAR"].contains(&b.as_str()) {
                return Err(invalid("durationBasis is invalid", R, "durationBasis"));
            }
            o.duration_basis = b;
        }
    }
    match obj.get("duration") {
        None => {}
        Some(Value::Null) => o.duration = None,
        Some(v) => {
            o.duration = Some(
                v.as_i64()
                    .ok_or_else(|| invalid("duration is invalid", R, "duration"))?,
            );
        }
    }
    let lost_reason = match obj.get("lostReason") {
        None => Patch::Absent,
        Some(Value::Null) => Patch::Null,
        Some(v) => {
            let by_name = v.get("name").and_then(Value::as_str);
            let id = ref_id(v)
                .filter(|id| db.lost_reasons.contains_key(id))
                .or_else(|| {
                    by_name.and_then(|n| {
                        db.lost_reasons
                            .values()
                            .find(|r| r.name.eq_ignore_ascii_case(n))
                            .map(|r| r.id)
                    })
                })
                .ok_or_else(|| invalid("lostReason not found", R, "lostReason"))?;
            Patch::Set(id)
        }
    };
    owner(db, obj, R, &mut o.owner)?;
    merge_tags(db, TagScope::Opportunity, &mut o.tags, obj, R)?;
    merge_fields(db, |db| &db.opp_fields, &mut o.fields, obj, body, R)?;

    // Milestone, probability and closing rules (§10.4).
    let Some(ms) = db.milestones.get(&new_ms).cloned() else {
        return Err(invalid("milestone not found", R, "milestone"));
    };
    let changed = creating || new_ms != old_ms;
    let was_complete = !creating && db.milestones.get(&old_ms).is_some_and(|m| m.complete);
    o.milestone = new_ms;
    if ms.complete {
        if probability.is_some() {
            return Err(invalid(
                "probability can be updated only for open opportunity",
                R,
                "probability",
            ));
        }
        if changed {
            o.closed_on = Some(db.now().date_naive());
            o.probability = ms.probability;
            if !creating && !was_complete {
                o.last_open_milestone = Some(old_ms);
            }
            events.closed = true;
        }
    } else {
        if changed {
            o.closed_on = None;
            o.last_open_milestone = None;
            o.probability = ms.probability;
        }
        if let Some(p) = probability {
            o.probability = p;
        }
    }
    if ms.is_lost() {
        lost_reason.apply(&mut o.lost_reason);
    } else {
        o.lost_reason = None;
    }
    if changed && !creating {
        o.last_stage_changed_at = Some(db.now());
        events.moved = true;
    }
    if creating {
        o.last_stage_changed_at = Some(db.now());
    }
    Ok(events)
}

fn render_opp_by_id(db: &Db, id: u64, embed: Embed) -> Value {
    db.opportunities
        .get(&id)
        .map_or(Value::Null, |o| db.render_opportunity(o, embed))
}

fn opp_deliveries(db: &Db, id: u64, first: &str, events: &OppEvents) -> Vec<Delivery> {
    let mut d = hooks::collect(db, first, |db, e| render_opp_by_id(db, id, e));
    if events.closed {
        d.extend(hooks::collect(db, "opportunity/closed", |db, e| {
            render_opp_by_id(db, id, e)
        }));
    }
    if events.moved {
        d.extend(hooks::collect(db, "opportunity/moved", |db, e| {
            render_opp_by_id(db, id, e)
        }));
    }
    d
}

pub(crate) async fn create_opportunity(
    State(app): State<Shared>,
    Extension(caller): Extension<Caller>,
    uri: Uri,
    body: Body,
) -> ApiResult {
    let input = envelope(&body, "opportunity")?;
    let embed = query(&uri).embed();
    let (id, value, deliveries) = {
        let mut db = app.lock();
        let t = db.now();
        let id = db.id();
        let mut o = Opportunity {
            id,
            name: String::new(),
            description: None,
            party: 0,
            milestone: 0,
            last_open_milestone: None,
            lost_reason: None,
            amount: None,
            currency: None,
            expected_close_on: None,
            probability: 0,
            duration_basis: "FIXED".into(),
            duration: None,
            closed_on: None,
            owner: Some(caller.user).filter(|u| db.users.contains_key(u)),
            tags: Vec::new(),
            fields: Vec::new(),
            additional_parties: Vec::new(),
            created_at: t,
            updated_at: t,
            last_stage_changed_at: None,
            last_contacted_at: None,
        };
        let mut events = apply_opportunity(&mut db, &mut o, &input, &body, true)?;
        events.moved = false;
        db.put_opportunity(o);
        let value = render_opp_by_id(&db, id, embed);
        let d = opp_deliveries(&db, id, "opportunity/created", &events);
        (id, value, d)
    };
    created_with(&app, deliveries, "opportunities", id, "opportunity", value)
}

pub(crate) async fn update_opportunity(
    State(app): State<Shared>,
    Path(id): Path<String>,
    uri: Uri,
    body: Body,
) -> ApiResult {
    let id = one_id(&id)?;
    let input = envelope(&body, "opportunity")?;
    let embed = query(&uri).embed();
    let (value, deliveries) = {
        let mut db = app.lock();
        let mut o = db
            .opportunities
            .get(&id)
            .cloned()
            .ok_or(ApiError::NotFound)?;
        let events = apply_opportunity(&mut db, &mut o, &input, &body, false)?;
        o.updated_at = bump(o.updated_at, db.now());
        db.put_opportunity(o);
        sync_tasks_of(&mut db, id);
        let value = render_opp_by_id(&db, id, embed);
        let d = opp_deliveries(&db, id, "opportunity/updated", &events);
        (value, d)
    };
    updated_with(&app, deliveries, "opportunity", value)
}

fn remove_opportunity(db: &mut Db, id: u64) -> ApiResult<Vec<Delivery>> {
    if !db.opportunities.contains_key(&id) {
        return Err(ApiError::NotFound);
    }
    let d = hooks::collect(db, "opportunity/deleted", |db, e| {
        render_opp_by_id(db, id, e)
    });
    db.opportunities.remove(&id);
    db.opp_pending.remove(&id);
    let t = db.now();
    db.deleted_opportunities.push((id, t));
    db.entries.retain(|_, e| e.opportunity != Some(id));
    db.tasks.retain(|_, t| t.opportunity != Some(id));
    Ok(d)
}

pub(crate) async fn delete_opportunity(
    State(app): State<Shared>,
    Path(id): Path<String>,
) -> ApiResult {
    let id = one_id(&id)?;
    let d = remove_opportunity(&mut app.lock(), id)?;
    hooks::deliver(&app, d);
    Ok(no_content())
}

pub(crate) async fn opportunity_entries(
    State(app): State<Shared>,
    Path(id): Path<String>,
    uri: Uri,
) -> ApiResult {
    let id = one_id(&id)?;
    if !app.lock().opportunities.contains_key(&id) {
        return Err(ApiError::NotFound);
    }
    entry_feed(&app, &uri, 50, |e| e.opportunity == Some(id))
}

pub(crate) async fn opportunity_parties(
    State(app): State<Shared>,
    Path(id): Path<String>,
    uri: Uri,
) -> ApiResult {
    let id = one_id(&id)?;
    let (q, paging) = paging(&uri, 100)?;
    let embed = q.embed();
    let db = app.lock();
    let o = db.opportunities.get(&id).ok_or(ApiError::NotFound)?;
    let items = o
        .additional_parties
        .iter()
        .filter_map(|p| db.parties.get(p));
    page_of(&app, &uri, &q, paging, "parties", items, |p| {
        db.render_party(p, embed)
    })
}

pub(crate) async fn link_party(
    State(app): State<Shared>,
    Path((id, party)): Path<(String, String)>,
) -> ApiResult {
    let (id, party) = (one_id(&id)?, one_id(&party)?);
    let mut db = app.lock();
    if !db.parties.contains_key(&party) {
        return Err(ApiError::NotFound);
    }
    let o = db.opportunities.get_mut(&id).ok_or(ApiError::NotFound)?;
    if !o.additional_parties.contains(&party) {
        o.additional_parties.push(party);
    }
    Ok(no_content())
}

pub(crate) async fn unlink_party(
    State(app): State<Shared>,
    Path((id, party)): Path<(String, String)>,
) -> ApiResult {
    let (id, party) = (one_id(&id)?, one_id(&party)?);
    let mut db = app.lock();
    let o = db.opportunities.get_mut(&id).ok_or(ApiError::NotFound)?;
    let pos = o
        .additional_parties
        .iter()
        .position(|p| *p == party)
        .ok_or(ApiError::NotFound)?;
    o.additional_parties.remove(pos);
    Ok(no_content())
}

// ==================================================================== pipelines

pub(crate) async fn list_pipelines(State(app): State<Shared>, uri: Uri) -> ApiResult {
    let (q, paging) = paging(&uri, 100)?;
    let db = app.lock();
    page_of(
        &app,
        &uri,
        &q,
        paging,
        "pipelines",
        db.pipelines.values(),
        |p| db.render_pipeline(p),
    )
}

pub(crate) async fn show_pipelines(
    State(app): State<Shared>,
    Path(ids): Path<String>,
) -> ApiResult {
    show_by_ids(&app, &ids, "pipeline", "pipelines", |db, id| {
        db.pipelines.get(&id).map(|p| db.render_pipeline(p))
    })
}

fn milestone_list(app: &App, uri: &Uri, pipeline: u64) -> ApiResult {
    let (q, paging) = paging(uri, 100)?;
    let db = app.lock();
    let items = db.pipeline_milestones(pipeline).into_iter();
    page_of(app, uri, &q, paging, "milestones", items, |m| {
        db.render_milestone(m)
    })
}

pub(crate) async fn pipeline_milestones(
    State(app): State<Shared>,
    Path(id): Path<String>,
    uri: Uri,
) -> ApiResult {
    let id = one_id(&id)?;
    if !app.lock().pipelines.contains_key(&id) {
        return Err(ApiError::NotFound);
    }
    milestone_list(&app, &uri, id)
}

pub(crate) async fn legacy_milestones(State(app): State<Shared>, uri: Uri) -> ApiResult {
    let first = app.lock().pipelines.keys().next().copied().unwrap_or(0);
    milestone_list(&app, &uri, first)
}

pub(crate) async fn show_milestone(State(app): State<Shared>, Path(id): Path<String>) -> ApiResult {
    show_one(&app, &id, "milestone", |db, id| {
        db.milestones.get(&id).map(|m| db.render_milestone(m))
    })
}

pub(crate) async fn lost_reasons(State(app): State<Shared>) -> ApiResult {
    let db = app.lock();
    let t = super::web::fmt_dt(&db.seeded_at);
    let items: Vec<Value> = db
        .lost_reasons
        .values()
        .map(|r| json!({"id": r.id, "name": r.name, "includedForConversion": false, "createdAt": t, "updatedAt": t}))
        .collect();
    Ok(ok(json!({"lostReasons": items})))
}

pub(crate) async fn categories(State(app): State<Shared>) -> ApiResult {
    let db = app.lock();
    let items: Vec<Value> = db
        .categories
        .keys()
        .filter_map(|id| {
            let t = Task {
                id: 0,
                description: String::new(),
                detail: None,
                due_on: chrono::NaiveDate::default(),
                due_time: None,
                status: "OPEN",
                category: Some(*id),
                party: None,
                opportunity: None,
                owner: None,
                completed_at: None,
                completed_by: None,
                created_at: db.seeded_at,
                updated_at: db.seeded_at,
            };
            db.render_task(&t).get("category").cloned()
        })
        .collect();
    Ok(ok(json!({"categories": items})))
}

pub(crate) async fn teams() -> ApiResult {
    Ok(ok(json!({"teams": []})))
}

// ==================================================================== tasks

pub(crate) async fn list_tasks(State(app): State<Shared>, uri: Uri) -> ApiResult {
    let (q, paging) = paging(&uri, 100)?;
    let wanted: Vec<String> = match q.get("status") {
        None => vec!["OPEN".into()],
        Some(s) => s
            .split(',')
            .map(|s| s.trim().to_uppercase())
            .filter(|s| !s.is_empty())
            .collect(),
    };
    let db = app.lock();
    let items = db
        .tasks
        .values()
        .filter(|t| wanted.iter().any(|w| w == t.status));
    page_of(&app, &uri, &q, paging, "tasks", items, |t| {
        db.render_task(t)
    })
}

pub(crate) async fn show_tasks(State(app): State<Shared>, Path(ids): Path<String>) -> ApiResult {
    show_by_ids(&app, &ids, "task", "tasks", |db, id| {
        db.tasks.get(&id).map(|t| db.render_task(t))
    })
}

/// Applies a task body; returns true when the task became completed.
fn apply_task(
    db: &Db,
    t: &mut Task,
    obj: &Map<String, Value>,
    creating: bool,
    caller: u64,
) -> ApiResult<bool> {
    const R: &str = "task";
    match patch_str(obj, "description", R)? {
        Patch::Set(d) => t.description = d,
        Patch::Null => return Err(invalid("description is required", R, "description")),
        Patch::Absent if creating => {
            return Err(invalid("description is required", R, "description"));
        }
        Patch::Absent => {}
    }
    patch_str(obj, "detail", R)?.apply(&mut t.detail);
    match patch_str(obj, "dueOn", R)? {
        Patch::Set(d) => {
            t.due_on = parse_date(&d).ok_or_else(|| invalid("dueOn is invalid", R, "dueOn"))?;
        }
        Patch::Null => return Err(invalid("dueOn is required", R, "dueOn")),
        Patch::Absent if creating => return Err(invalid("dueOn is required", R, "dueOn")),
        Patch::Absent => {}
    }
    match patch_str(obj, "dueTime", R)? {
        Patch::Absent => {}
        Patch::Null => t.due_time = None,
        Patch::Set(s) => {
            let parsed = chrono::NaiveTime::parse_from_str(&s, "%H:%M:%S")
                .or_else(|_| chrono::NaiveTime::parse_from_str(&s, "%H:%M"))
                .map_err(|_| invalid("dueTime is invalid", R, "dueTime"))?;
            t.due_time = Some(parsed.format("%H:%M:%S").to_string());
        }
    }
    match patch_ref(obj, "category", R)? {
        Patch::Set(id) if !db.categories.contains_key(&id) => {
            return Err(invalid("category not found", R, "category"));
        }
        p => p.apply(&mut t.category),
    }
    match patch_ref(obj, "party", R)? {
        Patch::Set(id) if !db.parties.contains_key(&id) => {
            return Err(invalid("party not found", R, "party"));
        }
        p => p.apply(&mut t.party),
    }
    match patch_ref(obj, "opportunity", R)? {
        Patch::Set(id) if !db.opportunities.contains_key(&id) => {
            return Err(invalid("opportunity not found", R, "opportunity"));
        }
        p => p.apply(&mut t.opportunity),
    }
    if let Patch::Set(_) = patch_ref(obj, "kase", R)? {
        return Err(invalid("kase not found", R, "kase"));
    }
    if t.party.is_some() && t.opportunity.is_some() {
        return Err(invalid(
            "task can be linked to only one of party, opportunity or kase",
            R,
            "party",
        ));
    }
    owner(db, obj, R, &mut t.owner)?;
    let mut completed = false;
    match patch_str(obj, "status", R)? {
        Patch::Absent => {}
        Patch::Null => return Err(invalid("status is invalid", R, "status")),
        Patch::Set(s) => match s.to_uppercase().as_str() {
            "OPEN" => {
                t.status = "OPEN";
                t.completed_at = None;
                t.completed_by = None;
            }
            "COMPLETED" => {
                if t.status != "COMPLETED" {
                    t.status = "COMPLETED";
                    t.completed_at = Some(db.now());
                    t.completed_by = Some(caller);
                    completed = true;
                }
            }
            "PENDING" => {
                return Err(invalid("cannot set task status to PENDING", R, "status"));
            }
            _ => return Err(invalid("status is invalid", R, "status")),
        },
    }
    Ok(completed)
}

fn render_task_by_id(db: &Db, id: u64) -> Value {
    db.tasks.get(&id).map_or(Value::Null, |t| db.render_task(t))
}

/// The deliveries of a task write: `first` (created/updated), then `task/completed` if it was.
fn task_deliveries(db: &Db, id: u64, first: &str, completed: bool) -> Vec<Delivery> {
    let mut d = hooks::collect(db, first, |db, _| render_task_by_id(db, id));
    if completed {
        d.extend(hooks::collect(db, "task/completed", |db, _| {
            render_task_by_id(db, id)
        }));
    }
    d
}

/// The status `t` reads with: an `OPEN` task of a closed opportunity is `PENDING` — not
/// completed but no longer relevant (docs/vendors/capsule-v2-addendum.md, Tracks, and task
/// status).
fn pending_if_closed(db: &Db, t: &Task) -> &'static str {
    let closed = t
        .opportunity
        .and_then(|o| db.opportunities.get(&o))
        .and_then(|o| db.milestones.get(&o.milestone))
        .is_some_and(|m| m.complete);
    if closed && t.status == "OPEN" {
        "PENDING"
    } else {
        t.status
    }
}

/// After opportunity `id` moved: closing it turns its `OPEN` tasks `PENDING`, reopening
/// turns its `PENDING` tasks `OPEN` again (each such task's `updatedAt` advances).
fn sync_tasks_of(db: &mut Db, id: u64) {
    let closed = db
        .opportunities
        .get(&id)
        .and_then(|o| db.milestones.get(&o.milestone))
        .is_some_and(|m| m.complete);
    let now = db.now();
    for t in db.tasks.values_mut().filter(|t| t.opportunity == Some(id)) {
        let next = match (closed, t.status) {
            (true, "OPEN") => "PENDING",
            (false, "PENDING") => "OPEN",
            _ => continue,
        };
        t.status = next;
        t.updated_at = bump(t.updated_at, now);
    }
}

pub(crate) async fn create_task(
    State(app): State<Shared>,
    Extension(caller): Extension<Caller>,
    body: Body,
) -> ApiResult {
    let input = envelope(&body, "task")?;
    let (id, value, deliveries) = {
        let mut db = app.lock();
        let t0 = db.now();
        let id = db.id();
        let mut t = Task {
            id,
            description: String::new(),
            detail: None,
            due_on: t0.date_naive(),
            due_time: None,
            status: "OPEN",
            category: None,
            party: None,
            opportunity: None,
            owner: Some(caller.user).filter(|u| db.users.contains_key(u)),
            completed_at: None,
            completed_by: None,
            created_at: t0,
            updated_at: t0,
        };
        let completed = apply_task(&db, &mut t, &input, true, caller.user)?;
        t.status = pending_if_closed(&db, &t);
        db.tasks.insert(id, t);
        let value = render_task_by_id(&db, id);
        let d = task_deliveries(&db, id, "task/created", completed);
        (id, value, d)
    };
    created_with(&app, deliveries, "tasks", id, "task", value)
}

pub(crate) async fn update_task(
    State(app): State<Shared>,
    Extension(caller): Extension<Caller>,
    Path(id): Path<String>,
    body: Body,
) -> ApiResult {
    let id = one_id(&id)?;
    let input = envelope(&body, "task")?;
    let (value, deliveries) = {
        let mut db = app.lock();
        let mut t = db.tasks.get(&id).cloned().ok_or(ApiError::NotFound)?;
        let completed = apply_task(&db, &mut t, &input, false, caller.user)?;
        t.status = pending_if_closed(&db, &t);
        t.updated_at = bump(t.updated_at, db.now());
        db.tasks.insert(id, t);
        let value = render_task_by_id(&db, id);
        let d = task_deliveries(&db, id, "task/updated", completed);
        (value, d)
    };
    updated_with(&app, deliveries, "task", value)
}

pub(crate) async fn delete_task(State(app): State<Shared>, Path(id): Path<String>) -> ApiResult {
    let id = one_id(&id)?;
    app.lock().tasks.remove(&id).ok_or(ApiError::NotFound)?;
    Ok(no_content())
}

// ==================================================================== entries

pub(crate) async fn list_entries(State(app): State<Shared>, uri: Uri) -> ApiResult {
    entry_feed(&app, &uri, 100, |_| true)
}

pub(crate) async fn show_entry(State(app): State<Shared>, Path(id): Path<String>) -> ApiResult {
    show_one(&app, &id, "entry", |db, id| {
        db.entries.get(&id).map(|e| db.render_entry(e))
    })
}

fn activity_type(obj: &Map<String, Value>) -> ApiResult<Option<i64>> {
    match obj.get("activityType") {
        None | Some(Value::Null) => Ok(None),
        Some(v) => ref_i64(v)
            .filter(|id| (-4..=-1).contains(id))
            .map(Some)
            .ok_or_else(|| invalid("activityType not found", "entry", "activityType")),
    }
}

fn entry_at(obj: &Map<String, Value>) -> ApiResult<Option<chrono::DateTime<chrono::Utc>>> {
    match patch_str(obj, "entryAt", "entry")? {
        Patch::Set(s) => parse_datetime(&s)
            .map(Some)
            .ok_or_else(|| invalid("entryAt is invalid", "entry", "entryAt")),
        _ => Ok(None),
    }
}

pub(crate) async fn create_entry(
    State(app): State<Shared>,
    Extension(caller): Extension<Caller>,
    body: Body,
) -> ApiResult {
    const R: &str = "entry";
    let input = envelope(&body, "entry")?;
    if let Some(t) = input.get("type").filter(|t| !t.is_null()) {
        if !t.as_str().is_some_and(|t| t.eq_ignore_ascii_case("note")) {
            return Err(invalid(
                "only entries of type note can be created",
                R,
                "type",
            ));
        }
    }
    let content = match patch_str(&input, "content", R)? {
        Patch::Set(c) if !c.trim().is_empty() => c,
        _ => return Err(invalid("content is required", R, "content")),
    };
    let links: Vec<&str> = ["party", "opportunity", "kase"]
        .into_iter()
        .filter(|k| input.get(*k).is_some_and(|v| !v.is_null()))
        .collect();
    if links.len() != 1 {
        return Err(invalid(
            "entry must be linked to either a party, opportunity or kase",
            R,
            "party",
        ));
    }
    let activity = activity_type(&input)?.unwrap_or(-1);
    let at = entry_at(&input)?;
    let (id, value) = {
        let mut db = app.lock();
        let (mut party, mut opportunity) = (None, None);
        let target = input.get(links[0]).and_then(ref_id);
        match links[0] {
            "party" => {
                party = target.filter(|id| db.parties.contains_key(id));
                if party.is_none() {
                    return Err(invalid("party not found", R, "party"));
                }
            }
            "opportunity" => {
                opportunity = target.filter(|id| db.opportunities.contains_key(id));
                if opportunity.is_none() {
                    return Err(invalid("opportunity not found", R, "opportunity"));
                }
            }
            _ => return Err(invalid("kase not found", R, "kase")),
        }
        let t = db.now();
        let id = db.id();
        let entry_at = at.unwrap_or(t);
        let creator = caller.user;
        db.entries.insert(
            id,
            Entry {
                id,
                content,
                entry_at,
                creator,
                activity_type: activity,
                party,
                opportunity,
                created_at: t,
                updated_at: t,
            },
        );
        if let Some(p) = party.and_then(|p| db.parties.get_mut(&p)) {
            if p.last_contacted_at.is_none_or(|l| l < entry_at) {
                p.last_contacted_at = Some(entry_at);
            }
        }
        if let Some(o) = opportunity.and_then(|o| db.opportunities.get_mut(&o)) {
            if o.last_contacted_at.is_none_or(|l| l < entry_at) {
                o.last_contacted_at = Some(entry_at);
            }
        }
        let value = db.entries.get(&id).map(|e| db.render_entry(e));
        (id, value.unwrap_or(Value::Null))
    };
    created_with(&app, Vec::new(), "entries", id, "entry", value)
}

pub(crate) async fn update_entry(
    State(app): State<Shared>,
    Path(id): Path<String>,
    body: Body,
) -> ApiResult {
    let id = one_id(&id)?;
    let input = envelope(&body, "entry")?;
    let activity = activity_type(&input)?;
    let at = entry_at(&input)?;
    let content = match patch_str(&input, "content", "entry")? {
        Patch::Set(c) => Some(c),
        Patch::Null => return Err(invalid("content is required", "entry", "content")),
        Patch::Absent => None,
    };
    let mut db = app.lock();
    let t_now = db.now();
    let e = db.entries.get_mut(&id).ok_or(ApiError::NotFound)?;
    if let Some(c) = content {
        e.content = c;
    }
    if let Some(a) = activity {
        e.activity_type = a;
    }
    if let Some(t) = at {
        e.entry_at = t;
    }
    e.updated_at = bump(e.updated_at, t_now);
    let value = db.entries.get(&id).map(|e| db.render_entry(e));
    Ok(ok(json!({"entry": value})))
}

pub(crate) async fn delete_entry(State(app): State<Shared>, Path(id): Path<String>) -> ApiResult {
    let id = one_id(&id)?;
    app.lock().entries.remove(&id).ok_or(ApiError::NotFound)?;
    Ok(no_content())
}

// ==================================================================== users, site

pub(crate) async fn list_users(State(app): State<Shared>) -> ApiResult {
    let db = app.lock();
    let items: Vec<Value> = db.users.values().map(|u| db.render_user(u)).collect();
    Ok(ok(json!({"users": items})))
}

pub(crate) async fn current_user(
    State(app): State<Shared>,
    Extension(caller): Extension<Caller>,
) -> ApiResult {
    let db = app.lock();
    let u = db.users.get(&caller.user).ok_or(ApiError::NotFound)?;
    Ok(ok(json!({"user": db.render_user(u)})))
}

pub(crate) async fn show_user(State(app): State<Shared>, Path(id): Path<String>) -> ApiResult {
    show_one(&app, &id, "user", |db, id| {
        db.users.get(&id).map(|u| db.render_user(u))
    })
}

pub(crate) async fn site() -> ApiResult {
    Ok(ok(json!({"site": {
        "url": "https://sandbox.capsulecrm.com",
        "subdomain": "sandbox",
        "name": "unicrm sandbox"
    }})))
}

// ==================================================================== REST hooks

const EVENTS: &[&str] = &[
    "party/created",
    "party/updated",
    "party/deleted",
    "opportunity/created",
    "opportunity/updated",
    "opportunity/deleted",
    "opportunity/closed",
    "opportunity/moved",
    "kase/created",
    "kase/updated",
    "kase/deleted",
    "kase/closed",
    "kase/moved",
    "task/created",
    "task/updated",
    "task/completed",
    "user/created",
    "user/updated",
    "user/deleted",
];

/// The caller's OAuth client id, if it is an administrator using an OAuth application.
fn hook_client(db: &Db, caller: &Caller) -> ApiResult<String> {
    let TokenKind::OAuth { client_id } = &caller.kind else {
        return Err(ApiError::Forbidden(
            "REST hooks can only be managed by a registered OAuth application".into(),
        ));
    };
    if !db.users.get(&caller.user).is_some_and(|u| u.admin) {
        return Err(ApiError::Forbidden(
            "only administrators can manage REST hooks".into(),
        ));
    }
    Ok(client_id.clone())
}

pub(crate) async fn list_hooks(
    State(app): State<Shared>,
    Extension(caller): Extension<Caller>,
) -> ApiResult {
    let db = app.lock();
    let client = hook_client(&db, &caller)?;
    let items: Vec<Value> = db
        .hooks
        .values()
        .filter(|h| h.client_id == client)
        .map(|h| db.render_hook(h))
        .collect();
    Ok(ok(json!({"restHooks": items})))
}

pub(crate) async fn show_hook(
    State(app): State<Shared>,
    Extension(caller): Extension<Caller>,
    Path(id): Path<String>,
) -> ApiResult {
    let id = one_id(&id)?;
    let db = app.lock();
    let client = hook_client(&db, &caller)?;
    let h = db
        .hooks
        .get(&id)
        .filter(|h| h.client_id == client)
        .ok_or(ApiError::NotFound)?;
    Ok(ok(json!({"restHook": db.render_hook(h)})))
}

pub(crate) async fn create_hook(
    State(app): State<Shared>,
    Extension(caller): Extension<Caller>,
    body: Body,
) -> ApiResult {
    const R: &str = "restHook";
    let mut db = app.lock();
    let client = hook_client(&db, &caller)?;
    let input = envelope(&body, "restHook")?;
    let event = match patch_str(&input, "event", R)? {
        Patch::Set(e) => e,
        _ => return Err(invalid("event is required", R, "event")),
    };
    if !EVENTS.contains(&event.as_str()) {
        return Err(invalid("event is invalid", R, "event"));
    }
    let target = match patch_str(&input, "targetUrl", R)? {
        Patch::Set(t) => t,
        _ => return Err(invalid("targetUrl is required", R, "targetUrl")),
    };
    if !url::Url::parse(&target).is_ok_and(|u| matches!(u.scheme(), "http" | "https")) {
        return Err(invalid("targetUrl is invalid", R, "targetUrl"));
    }
    let mut description = None;
    patch_str(&input, "description", R)?.apply(&mut description);
    let mut embed = None;
    patch_str(&input, "embed", R)?.apply(&mut embed);
    if db.hooks.len() >= 20 {
        return Err(invalid("maximum number of REST hooks reached", R, "event"));
    }
    let id = db.small_id();
    let created_at = db.now();
    db.hooks.insert(
        id,
        Hook {
            id,
            event,
            target_url: target,
            description,
            embed,
            user: caller.user,
            client_id: client,
            created_at,
        },
    );
    let value = db.hooks.get(&id).map(|h| db.render_hook(h));
    Ok(created(
        &format!("{}/resthooks/{id}", app.api_base()),
        json!({"restHook": value}),
    ))
}

pub(crate) async fn delete_hook(
    State(app): State<Shared>,
    Extension(caller): Extension<Caller>,
    Path(id): Path<String>,
) -> ApiResult {
    let id = one_id(&id)?;
    let mut db = app.lock();
    let client = hook_client(&db, &caller)?;
    if db.hooks.get(&id).is_none_or(|h| h.client_id != client) {
        return Err(ApiError::NotFound);
    }
    db.hooks.remove(&id);
    Ok(no_content())
}

// ==================================================================== fallbacks

pub(crate) async fn tracks() -> ApiResult {
    Err(ApiError::NotFound)
}

pub(crate) async fn not_found() -> Response {
    message(StatusCode::NOT_FOUND, "Could not find resource")
}

pub(crate) async fn method_not_allowed() -> Response {
    message(StatusCode::METHOD_NOT_ALLOWED, "Method not allowed")
}
