//! `/contacts/*` reads and writes of single contacts: get, create, update, delete and upsert
//! (docs/vendors/highlevel-v2.md, "Contacts"; "Simulator must reproduce", items 11–18).
//! Search and the deprecated list are in `contact_search.rs`, tags in `contact_tags.rs`.

use axum::Extension;
use axum::body::Bytes;
use axum::extract::{Path, State};
use chrono::{DateTime, Utc};
use http::StatusCode;
use serde_json::{Map, Value, json};

use super::{ApiErr, Caller, Res, Shared, body_object, ok, same_location, whitelist};
use crate::highlevel::store::{Db, StoredContact, iso};
use crate::highlevel::webhooks as hooks;

pub(crate) use super::contact_search::{list, search};
pub(crate) use super::contact_tags::tags;

/// Writable keys (docs/vendors/highlevel-v2.md, "Contact writes").
const WRITABLE: &[&str] = &[
    "firstName",
    "lastName",
    "name",
    "email",
    "phone",
    "address1",
    "city",
    "state",
    "postalCode",
    "website",
    "timezone",
    "dnd",
    "dndSettings",
    "inboundDndSettings",
    "tags",
    "customFields",
    "source",
    "dateOfBirth",
    "country",
    "companyName",
    "assignedTo",
];

pub(crate) fn not_found(id: &str) -> ApiErr {
    ApiErr::new(
        StatusCode::BAD_REQUEST,
        format!("Contact with id {id} not found"),
    )
}

pub(crate) fn time_of(v: Option<&Value>) -> Option<DateTime<Utc>> {
    match v? {
        Value::String(s) => DateTime::parse_from_rfc3339(s).ok().map(|t| t.to_utc()),
        Value::Number(n) => n.as_i64().and_then(DateTime::from_timestamp_millis),
        _ => None,
    }
}

/// The stored record with its empty fields left out (what a GET answers, item 11).
pub(crate) fn without_empty(record: &Map<String, Value>) -> Map<String, Value> {
    record
        .iter()
        .filter(|(_, v)| !matches!(v, Value::Null) && *v != &json!(""))
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect()
}

/// Derives the lower-case name fields (and `name`) from the names.
fn derive(record: &mut Map<String, Value>) {
    let s = |r: &Map<String, Value>, k: &str| r.get(k).and_then(Value::as_str).map(str::to_string);
    let (first, last, email) = (
        s(record, "firstName"),
        s(record, "lastName"),
        s(record, "email"),
    );
    if let Some(f) = &first {
        record.insert("firstNameLowerCase".into(), json!(f.to_lowercase()));
    }
    if let Some(l) = &last {
        record.insert("lastNameLowerCase".into(), json!(l.to_lowercase()));
    }
    let full = [first.as_deref(), last.as_deref()]
        .into_iter()
        .flatten()
        .collect::<Vec<_>>()
        .join(" ");
    if !full.is_empty() {
        record.insert("fullNameLowerCase".into(), json!(full.to_lowercase()));
    }
    if let Some(e) = email {
        record.insert("emailLowerCase".into(), json!(e.to_lowercase()));
    }
}

/// `GET /contacts/{id}` (items 11, 12).
pub(crate) async fn get(
    State(sim): State<Shared>,
    Extension(caller): Extension<Caller>,
    Path(id): Path<String>,
) -> Res {
    let db = sim.read();
    let c = db.contacts.get(&id).ok_or_else(|| not_found(&id))?;
    same_location(&caller, c.record.get("locationId").and_then(Value::as_str))?;
    ok(StatusCode::OK, json!({"contact": without_empty(&c.record)}))
}

/// Converts written custom field values `{id|key, field_value}` to the read shape
/// `{id, value}` (item 31's contact counterpart), dropping empty ones.
fn custom_fields_in(db: &Db, written: &Value) -> Value {
    let mut out = Vec::new();
    for f in written.as_array().cloned().unwrap_or_default() {
        let id = f
            .get("id")
            .and_then(Value::as_str)
            .map(str::to_string)
            .or_else(|| {
                let key = f.get("key").and_then(Value::as_str)?;
                db.custom_fields.iter().find_map(|d| {
                    let fk = d.get("fieldKey").and_then(Value::as_str)?;
                    (fk == key || fk.ends_with(&format!(".{key}")))
                        .then(|| d.get("id").and_then(Value::as_str).map(str::to_string))?
                })
            });
        let value = f
            .get("field_value")
            .or_else(|| f.get("value"))
            .cloned()
            .unwrap_or(Value::Null);
        if let Some(id) = id {
            if !(value.is_null() || value == json!("") || value == json!([])) {
                out.push(json!({"id": id, "value": value}));
            }
        }
    }
    Value::Array(out)
}

fn apply(db: &mut Db, record: &mut Map<String, Value>, body: Map<String, Value>, location: &str) {
    for (k, v) in body {
        match k.as_str() {
            "locationId" | "gender" => {}
            "customFields" => {
                let v = custom_fields_in(db, &v);
                record.insert(k, v);
            }
            "tags" => {
                let tags: Vec<String> = v
                    .as_array()
                    .map(|a| {
                        a.iter()
                            .filter_map(Value::as_str)
                            .map(str::to_lowercase)
                            .collect()
                    })
                    .unwrap_or_default();
                for t in &tags {
                    db.ensure_tag(t, location);
                }
                record.insert(k, json!(tags));
            }
            _ => {
                record.insert(k, v);
            }
        }
    }
    derive(record);
}

fn duplicate_of(
    db: &Db,
    body: &Map<String, Value>,
    except: Option<&str>,
) -> Option<(String, String, &'static str)> {
    let email = body
        .get("email")
        .and_then(Value::as_str)
        .map(str::to_lowercase);
    let phone = body.get("phone").and_then(Value::as_str);
    for (field, probe) in [("email", email.as_deref()), ("phone", phone)] {
        let Some(probe) = probe.filter(|p| !p.is_empty()) else {
            continue;
        };
        for (id, c) in &db.contacts {
            if Some(id.as_str()) == except {
                continue;
            }
            let got = c
                .record
                .get(field)
                .and_then(Value::as_str)
                .map(str::to_lowercase);
            if got.as_deref() == Some(&probe.to_lowercase()) {
                let name = c
                    .record
                    .get("fullNameLowerCase")
                    .and_then(Value::as_str)
                    .unwrap_or("")
                    .to_string();
                return Some((id.clone(), name, field));
            }
        }
    }
    None
}

/// Checks the values HighLevel validates (`email must be an email`, the fixture's 422 text).
fn validate(body: &Map<String, Value>) -> Result<(), ApiErr> {
    let mut problems = Vec::new();
    if let Some(e) = body.get("email").and_then(Value::as_str) {
        let ok = e
            .split_once('@')
            .is_some_and(|(a, d)| !a.is_empty() && d.contains('.'));
        if !ok {
            problems.push("email must be an email".to_string());
        }
    }
    if problems.is_empty() {
        Ok(())
    } else {
        Err(ApiErr::unprocessable(problems))
    }
}

/// The `locationId` a create or upsert body must carry (422 without it; 403 for another).
fn location_of(caller: &Caller, body: &Map<String, Value>) -> Result<String, ApiErr> {
    let Some(location) = body
        .get("locationId")
        .and_then(Value::as_str)
        .map(str::to_string)
    else {
        return Err(ApiErr::unprocessable(vec![
            "locationId should not be empty".into(),
        ]));
    };
    same_location(caller, Some(&location))?;
    Ok(location)
}

/// Stores a new contact from `body` (item 13's defaults); the record as stored.
fn insert_new(
    db: &mut Db,
    body: Map<String, Value>,
    location: &str,
    now: DateTime<Utc>,
    delay: chrono::Duration,
) -> Map<String, Value> {
    let id = db.new_id("Ct");
    let mut record = Map::new();
    record.insert("id".into(), json!(id));
    record.insert("locationId".into(), json!(location));
    record.insert("type".into(), json!("lead"));
    record.insert("tags".into(), json!([]));
    record.insert("customFields".into(), json!([]));
    record.insert("dateAdded".into(), json!(iso(now)));
    record.insert("dateUpdated".into(), json!(iso(now)));
    apply(db, &mut record, body, location);
    db.contacts.insert(
        id,
        StoredContact {
            record: record.clone(),
            search_view: None,
            visible_at: now + delay,
        },
    );
    record
}

/// Merges `body` into the stored contact `c` (item 16): `dateUpdated` moves forward even when
/// the clock has not (a write in the same millisecond); search sees it after `delay`.
fn merge_into(
    db: &mut Db,
    mut c: StoredContact,
    body: Map<String, Value>,
    now: DateTime<Utc>,
    delay: chrono::Duration,
) -> Map<String, Value> {
    let location = c
        .record
        .get("locationId")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_string();
    let previous = c.searchable(now).cloned();
    let before = time_of(c.record.get("dateUpdated")).unwrap_or(now);
    let stamp = if now > before {
        now
    } else {
        before + chrono::Duration::milliseconds(1)
    };
    apply(db, &mut c.record, body, &location);
    c.record.insert("dateUpdated".into(), json!(iso(stamp)));
    c.search_view = previous;
    c.visible_at = now + delay;
    let record = c.record.clone();
    let id = record
        .get("id")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_string();
    db.contacts.insert(id, c);
    record
}

fn search_delay(sim: &Shared) -> chrono::Duration {
    *sim.search_delay.read().unwrap_or_else(|e| e.into_inner())
}

/// `POST /contacts/` (items 13–15).
pub(crate) async fn create(
    State(sim): State<Shared>,
    Extension(caller): Extension<Caller>,
    bytes: Bytes,
) -> Res {
    let body = body_object(&bytes)?;
    let mut allowed = WRITABLE.to_vec();
    allowed.extend(["locationId", "gender"]);
    whitelist(&body, &allowed)?;
    validate(&body)?;
    let location = location_of(&caller, &body)?;
    let now = sim.clock.now();
    let delay = search_delay(&sim);
    let mut db = sim.write();
    if let Some((id, name, field)) = duplicate_of(&db, &body, None) {
        return Err(ApiErr::new(
            StatusCode::BAD_REQUEST,
            "This location does not allow duplicated contacts.",
        )
        .with_meta(json!({"contactId": id, "contactName": name, "matchingField": field})));
    }
    let record = insert_new(&mut db, body, &location, now, delay);
    hooks::emit(&sim, "ContactCreate", hooks::contact_fields(&record));
    ok(StatusCode::CREATED, json!({"contact": record}))
}

/// `POST /contacts/upsert` (item 17): the first contact matching the email, then the phone
/// (docs/vendors/highlevel-v2.md, "Duplicates and upsert") is updated and `new` is false;
/// without a match a contact is created and `new` is true. `createNewIfDuplicateAllowed` is
/// accepted; the simulated location never allows duplicates, so it changes nothing.
pub(crate) async fn upsert(
    State(sim): State<Shared>,
    Extension(caller): Extension<Caller>,
    bytes: Bytes,
) -> Res {
    let mut body = body_object(&bytes)?;
    let mut allowed = WRITABLE.to_vec();
    allowed.extend(["locationId", "gender", "createNewIfDuplicateAllowed"]);
    whitelist(&body, &allowed)?;
    validate(&body)?;
    let location = location_of(&caller, &body)?;
    body.remove("createNewIfDuplicateAllowed");
    let now = sim.clock.now();
    let delay = search_delay(&sim);
    let mut db = sim.write();
    let matched =
        duplicate_of(&db, &body, None).and_then(|(id, _, _)| db.contacts.get(&id).cloned());
    let (new, record) = match matched {
        Some(c) => (false, merge_into(&mut db, c, body, now, delay)),
        None => (true, insert_new(&mut db, body, &location, now, delay)),
    };
    let event = if new {
        "ContactCreate"
    } else {
        "ContactUpdate"
    };
    hooks::emit(&sim, event, hooks::contact_fields(&record));
    ok(StatusCode::OK, json!({"new": new, "contact": record}))
}

/// `PUT /contacts/{id}` (items 15, 16).
pub(crate) async fn update(
    State(sim): State<Shared>,
    Extension(caller): Extension<Caller>,
    Path(id): Path<String>,
    bytes: Bytes,
) -> Res {
    let body = body_object(&bytes)?;
    whitelist(&body, WRITABLE)?;
    validate(&body)?;
    let now = sim.clock.now();
    let delay = search_delay(&sim);
    let mut db = sim.write();
    let c = db
        .contacts
        .get(&id)
        .cloned()
        .ok_or_else(|| not_found(&id))?;
    same_location(&caller, c.record.get("locationId").and_then(Value::as_str))?;
    let record = merge_into(&mut db, c, body, now, delay);
    hooks::emit(&sim, "ContactUpdate", hooks::contact_fields(&record));
    ok(StatusCode::OK, json!({"succeded": true, "contact": record}))
}

/// `DELETE /contacts/{id}` (item 18).
pub(crate) async fn delete(
    State(sim): State<Shared>,
    Extension(caller): Extension<Caller>,
    Path(id): Path<String>,
) -> Res {
    let mut db = sim.write();
    let c = db.contacts.get(&id).ok_or_else(|| not_found(&id))?;
    same_location(&caller, c.record.get("locationId").and_then(Value::as_str))?;
    if let Some(gone) = db.contacts.remove(&id) {
        hooks::emit(&sim, "ContactDelete", hooks::contact_fields(&gone.record));
    }
    // A contact's notes and tasks go with it.
    db.notes
        .retain(|_, n| n.get("contactId").and_then(Value::as_str) != Some(id.as_str()));
    db.tasks
        .retain(|_, t| t.get("contactId").and_then(Value::as_str) != Some(id.as_str()));
    ok(StatusCode::OK, json!({"succeded": true, "succeeded": true}))
}
