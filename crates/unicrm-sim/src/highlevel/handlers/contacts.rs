//! `/contacts/*` (docs/vendors/highlevel-v2.md, "Contacts"; "Simulator must reproduce",
//! items 11–25).

use std::cmp::Ordering;

use axum::Extension;
use axum::body::Bytes;
use axum::extract::{Path, RawQuery, State};
use chrono::{DateTime, Utc};
use http::StatusCode;
use serde_json::{Map, Value, json};

use super::{ApiErr, Caller, Res, Shared, body_object, ok, same_location, whitelist};
use crate::highlevel::store::{StoredContact, iso};
use crate::web::Query;

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

/// The keys a search hit always spells out, `null` when empty (item 11).
const HIT_KEYS: &[&str] = &[
    "id",
    "locationId",
    "firstName",
    "lastName",
    "contactName",
    "email",
    "phone",
    "address",
    "city",
    "state",
    "postalCode",
    "country",
    "website",
    "companyName",
    "businessName",
    "businessId",
    "source",
    "type",
    "assignedTo",
    "dateOfBirth",
    "timezone",
    "phoneLabel",
    "validEmail",
    "tags",
    "customFields",
    "dateAdded",
    "dateUpdated",
    "followers",
];

fn not_found(id: &str) -> ApiErr {
    ApiErr::new(
        StatusCode::BAD_REQUEST,
        format!("Contact with id {id} not found"),
    )
}

fn time_of(v: Option<&Value>) -> Option<DateTime<Utc>> {
    match v? {
        Value::String(s) => DateTime::parse_from_rfc3339(s).ok().map(|t| t.to_utc()),
        Value::Number(n) => n.as_i64().and_then(DateTime::from_timestamp_millis),
        _ => None,
    }
}

/// The stored record with its empty fields left out (what a GET answers, item 11).
fn without_empty(record: &Map<String, Value>) -> Map<String, Value> {
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

/// The hit form of a record: explicit `null`s, `address` for `address1`, a lower-case
/// `contactName`, and the `searchAfter` of `sort`.
fn hit(record: &Map<String, Value>, sort: &[(String, bool)]) -> Value {
    let mut h = Map::new();
    for k in HIT_KEYS {
        let v = match *k {
            "address" => record.get("address1"),
            "contactName" => None,
            _ => record.get(*k),
        };
        h.insert((*k).into(), v.cloned().unwrap_or(Value::Null));
    }
    h.insert(
        "contactName".into(),
        record
            .get("fullNameLowerCase")
            .cloned()
            .unwrap_or(Value::Null),
    );
    for (k, v) in record {
        if !h.contains_key(k) && k != "address1" {
            h.insert(k.clone(), v.clone());
        }
    }
    let mut after: Vec<Value> = sort.iter().map(|(f, _)| sort_value(record, f)).collect();
    after.push(record.get("id").cloned().unwrap_or(Value::Null));
    h.insert("searchAfter".into(), Value::Array(after));
    Value::Object(h)
}

/// A sort key's value: epoch ms for dates, text otherwise.
fn sort_value(record: &Map<String, Value>, field: &str) -> Value {
    match field {
        "dateAdded" | "dateUpdated" => time_of(record.get(field))
            .map(|t| json!(t.timestamp_millis()))
            .unwrap_or(json!(0)),
        _ => record.get(field).cloned().unwrap_or(Value::Null),
    }
}

fn cmp_values(a: &Value, b: &Value) -> Ordering {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => x
            .as_f64()
            .partial_cmp(&y.as_f64())
            .unwrap_or(Ordering::Equal),
        (Value::String(x), Value::String(y)) => x.cmp(y),
        (Value::Null, Value::Null) => Ordering::Equal,
        (Value::Null, _) => Ordering::Less,
        (_, Value::Null) => Ordering::Greater,
        _ => a.to_string().cmp(&b.to_string()),
    }
}

/// The text of a field for string operators; `address` is `address1`.
fn field_of<'a>(record: &'a Map<String, Value>, field: &str) -> Option<&'a Value> {
    match field {
        "address" => record.get("address1"),
        "contactName" => record.get("fullNameLowerCase"),
        f if f.starts_with("customFields.") => {
            let id = &f["customFields.".len()..];
            record
                .get("customFields")?
                .as_array()?
                .iter()
                .find(|c| c.get("id").and_then(Value::as_str) == Some(id))?
                .get("value")
        }
        f => record.get(f),
    }
}

fn matches_filter(record: &Map<String, Value>, f: &Value) -> Result<bool, ApiErr> {
    if let Some(group) = f.get("group").and_then(Value::as_str) {
        let inner = f
            .get("filters")
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default();
        let mut results = inner.iter().map(|g| matches_filter(record, g));
        return if group.eq_ignore_ascii_case("OR") {
            results.try_fold(false, |acc, r| r.map(|r| acc || r))
        } else {
            results.try_fold(true, |acc, r| r.map(|r| acc && r))
        };
    }
    let field = f.get("field").and_then(Value::as_str).unwrap_or("");
    let op = f.get("operator").and_then(Value::as_str).unwrap_or("");
    let value = f.get("value");
    let got = field_of(record, field);
    let text = |v: &Value| match v {
        Value::String(s) => s.to_lowercase(),
        other => other.to_string().to_lowercase(),
    };
    let present = got.is_some_and(|g| !g.is_null() && *g != json!("") && *g != json!([]));
    let eq = |g: &Value, v: &Value| match g {
        Value::Array(a) => a.iter().any(|x| text(x) == text(v)),
        _ => text(g) == text(v),
    };
    let contains = |g: &Value, v: &Value| match g {
        Value::Array(a) => a.iter().any(|x| text(x).contains(&text(v))),
        _ => text(g).contains(&text(v)),
    };
    Ok(match op {
        "exists" => present,
        "not_exists" => !present,
        "eq" => matches!((got, value), (Some(g), Some(v)) if eq(g, v)),
        "not_eq" => !matches!((got, value), (Some(g), Some(v)) if eq(g, v)),
        "contains" => matches!((got, value), (Some(g), Some(v)) if contains(g, v)),
        "not_contains" => !matches!((got, value), (Some(g), Some(v)) if contains(g, v)),
        "range" => {
            let Some(t) = time_of(got) else {
                return Ok(false);
            };
            let bound = |k: &str| value.and_then(|v| v.get(k)).and_then(|b| time_of(Some(b)));
            bound("gt").is_none_or(|b| t > b)
                && bound("gte").is_none_or(|b| t >= b)
                && bound("lt").is_none_or(|b| t < b)
                && bound("lte").is_none_or(|b| t <= b)
        }
        other => {
            return Err(ApiErr::unprocessable(vec![format!(
                "operator {other} is not supported"
            )]));
        }
    })
}

/// `POST /contacts/search` (items 19–23).
pub(crate) async fn search(
    State(sim): State<Shared>,
    Extension(caller): Extension<Caller>,
    bytes: Bytes,
) -> Res {
    let body = body_object(&bytes)?;
    whitelist(
        &body,
        &[
            "locationId",
            "pageLimit",
            "page",
            "searchAfter",
            "filters",
            "sort",
            "query",
        ],
    )?;
    let location = body.get("locationId").and_then(Value::as_str);
    let Some(location) = location else {
        return Err(ApiErr::unprocessable(vec![
            "locationId should not be empty".into(),
        ]));
    };
    same_location(&caller, Some(location))?;
    let limit = match body.get("pageLimit").and_then(Value::as_u64) {
        Some(n) if (1..=500).contains(&n) => n as usize,
        Some(_) => {
            return Err(ApiErr::unprocessable(vec![
                "pageLimit must not be greater than 500".into(),
            ]));
        }
        None => {
            return Err(ApiErr::unprocessable(vec![
                "pageLimit should not be empty".into(),
            ]));
        }
    };
    let page = body.get("page").and_then(Value::as_u64);
    let after = body.get("searchAfter").and_then(Value::as_array).cloned();
    if page.is_some() && after.is_some() {
        return Err(ApiErr::new(
            StatusCode::BAD_REQUEST,
            "page and searchAfter cannot be used together",
        ));
    }
    if page.is_some_and(|p| p * limit as u64 > 10_000) {
        return Err(ApiErr::new(
            StatusCode::BAD_REQUEST,
            "page * pageLimit must not exceed 10000; use searchAfter",
        ));
    }
    let sort: Vec<(String, bool)> = body
        .get("sort")
        .and_then(Value::as_array)
        .map(|s| {
            s.iter()
                .filter_map(|e| {
                    let f = e.get("field")?.as_str()?.to_string();
                    let desc = e.get("direction").and_then(Value::as_str) == Some("desc");
                    Some((f, desc))
                })
                .take(2)
                .collect()
        })
        .unwrap_or_default();
    let filters = body
        .get("filters")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    let query = body
        .get("query")
        .and_then(Value::as_str)
        .map(str::to_lowercase);
    let now = sim.clock.now();
    let db = sim.read();
    let mut found: Vec<&Map<String, Value>> = Vec::new();
    for c in db.contacts.values() {
        let Some(r) = c.searchable(now) else { continue };
        let mut keep = true;
        for f in &filters {
            keep &= matches_filter(r, f)?;
        }
        if let Some(q) = &query {
            keep &= [
                "fullNameLowerCase",
                "emailLowerCase",
                "phone",
                "companyName",
            ]
            .iter()
            .any(|k| {
                r.get(*k)
                    .and_then(Value::as_str)
                    .is_some_and(|v| v.to_lowercase().contains(q))
            });
        }
        if keep {
            found.push(r);
        }
    }
    let key = |r: &Map<String, Value>| -> Vec<Value> {
        let mut k: Vec<Value> = sort.iter().map(|(f, _)| sort_value(r, f)).collect();
        k.push(r.get("id").cloned().unwrap_or(Value::Null));
        k
    };
    let order = |a: &[Value], b: &[Value]| -> Ordering {
        for (i, (x, y)) in a.iter().zip(b).enumerate() {
            let desc = sort.get(i).is_some_and(|s| s.1);
            let o = cmp_values(x, y);
            let o = if desc { o.reverse() } else { o };
            if o != Ordering::Equal {
                return o;
            }
        }
        Ordering::Equal
    };
    found.sort_by(|a, b| order(&key(a), &key(b)));
    let total = found.len();
    let start = match (&after, page) {
        (Some(a), _) => found
            .iter()
            .position(|r| order(&key(r), a) == Ordering::Greater)
            .unwrap_or(total),
        (None, Some(p)) => ((p.max(1) - 1) as usize * limit).min(total),
        _ => 0,
    };
    let hits: Vec<Value> = found[start..]
        .iter()
        .take(limit)
        .map(|r| hit(r, &sort))
        .collect();
    ok(StatusCode::OK, json!({"contacts": hits, "total": total}))
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
fn custom_fields_in(db: &crate::highlevel::store::Db, written: &Value) -> Value {
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

fn apply(
    db: &mut crate::highlevel::store::Db,
    record: &mut Map<String, Value>,
    body: Map<String, Value>,
    location: &str,
) {
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
    db: &crate::highlevel::store::Db,
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
    let Some(location) = body
        .get("locationId")
        .and_then(Value::as_str)
        .map(str::to_string)
    else {
        return Err(ApiErr::unprocessable(vec![
            "locationId should not be empty".into(),
        ]));
    };
    same_location(&caller, Some(&location))?;
    let now = sim.clock.now();
    let delay = *sim.search_delay.read().unwrap_or_else(|e| e.into_inner());
    let mut db = sim.write();
    if let Some((id, name, field)) = duplicate_of(&db, &body, None) {
        return Err(ApiErr::new(
            StatusCode::BAD_REQUEST,
            "This location does not allow duplicated contacts.",
        )
        .with_meta(json!({"contactId": id, "contactName": name, "matchingField": field})));
    }
    let id = db.new_id("Ct");
    let mut record = Map::new();
    record.insert("id".into(), json!(id));
    record.insert("locationId".into(), json!(location));
    record.insert("type".into(), json!("lead"));
    record.insert("tags".into(), json!([]));
    record.insert("customFields".into(), json!([]));
    record.insert("dateAdded".into(), json!(iso(now)));
    record.insert("dateUpdated".into(), json!(iso(now)));
    apply(&mut db, &mut record, body, &location);
    db.contacts.insert(
        id,
        StoredContact {
            record: record.clone(),
            search_view: None,
            visible_at: now + delay,
        },
    );
    ok(StatusCode::CREATED, json!({"contact": record}))
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
    let delay = *sim.search_delay.read().unwrap_or_else(|e| e.into_inner());
    let mut db = sim.write();
    let mut c = db
        .contacts
        .get(&id)
        .cloned()
        .ok_or_else(|| not_found(&id))?;
    let location = c
        .record
        .get("locationId")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_string();
    same_location(&caller, Some(&location))?;
    let previous = c.searchable(now).cloned();
    // Moves forward even when the clock has not (a write in the same millisecond).
    let before = time_of(c.record.get("dateUpdated")).unwrap_or(now);
    let stamp = if now > before {
        now
    } else {
        before + chrono::Duration::milliseconds(1)
    };
    apply(&mut db, &mut c.record, body, &location);
    c.record.insert("dateUpdated".into(), json!(iso(stamp)));
    c.search_view = previous;
    c.visible_at = now + delay;
    let record = c.record.clone();
    db.contacts.insert(id, c);
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
    db.contacts.remove(&id);
    ok(StatusCode::OK, json!({"succeded": true, "succeeded": true}))
}

/// `POST` / `DELETE /contacts/{id}/tags` (item 25).
pub(crate) async fn tags(
    State(sim): State<Shared>,
    Extension(caller): Extension<Caller>,
    method: http::Method,
    Path(id): Path<String>,
    bytes: Bytes,
) -> Res {
    let body = body_object(&bytes)?;
    whitelist(&body, &["tags"])?;
    let given: Vec<String> = body
        .get("tags")
        .and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .filter_map(Value::as_str)
                .map(str::to_lowercase)
                .collect()
        })
        .unwrap_or_default();
    let now = sim.clock.now();
    let mut db = sim.write();
    let mut c = db
        .contacts
        .get(&id)
        .cloned()
        .ok_or_else(|| not_found(&id))?;
    let location = c
        .record
        .get("locationId")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_string();
    same_location(&caller, Some(&location))?;
    let mut tags: Vec<String> = c
        .record
        .get("tags")
        .and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .filter_map(Value::as_str)
                .map(str::to_string)
                .collect()
        })
        .unwrap_or_default();
    let adding = method == http::Method::POST;
    if adding {
        for t in &given {
            if !tags.iter().any(|x| x.eq_ignore_ascii_case(t)) {
                tags.push(t.clone());
            }
            db.ensure_tag(t, &location);
        }
    } else {
        tags.retain(|x| !given.iter().any(|t| t.eq_ignore_ascii_case(x)));
    }
    c.record.insert("tags".into(), json!(tags));
    c.record.insert("dateUpdated".into(), json!(iso(now)));
    db.contacts.insert(id, c);
    ok(
        if adding {
            StatusCode::CREATED
        } else {
            StatusCode::OK
        },
        json!({"tags": tags}),
    )
}

/// `GET /contacts/` (deprecated, item 24): `limit` ≤ 100, paged by `startAfter` +
/// `startAfterId` over (dateAdded, id).
pub(crate) async fn list(
    State(sim): State<Shared>,
    Extension(caller): Extension<Caller>,
    RawQuery(raw): RawQuery,
) -> Res {
    let q = Query::parse(raw);
    let Some(location) = q.get("locationId") else {
        return Err(ApiErr::unprocessable(vec![
            "locationId should not be empty".into(),
        ]));
    };
    same_location(&caller, Some(location))?;
    let limit = match q.get("limit").map(str::parse::<usize>) {
        None => 20,
        Some(Ok(n)) if (1..=100).contains(&n) => n,
        Some(_) => {
            return Err(ApiErr::unprocessable(vec![
                "limit must not be greater than 100".into(),
            ]));
        }
    };
    let after = q.get("startAfter").and_then(|s| s.parse::<i64>().ok());
    let after_id = q.get("startAfterId").unwrap_or("");
    let db = sim.read();
    let mut all: Vec<(i64, &Map<String, Value>)> = db
        .contacts
        .values()
        .map(|c| {
            (
                time_of(c.record.get("dateAdded")).map_or(0, |t| t.timestamp_millis()),
                &c.record,
            )
        })
        .collect();
    all.sort_by(|a, b| {
        a.0.cmp(&b.0)
            .then_with(|| cmp_values(&a.1["id"], &b.1["id"]))
    });
    let rest: Vec<_> = all
        .into_iter()
        .filter(|(t, r)| after.is_none_or(|a| (*t, r["id"].as_str().unwrap_or("")) > (a, after_id)))
        .collect();
    let page: Vec<_> = rest.iter().take(limit).collect();
    let last = page.last();
    let meta = json!({
        "total": db.contacts.len(),
        "startAfterId": last.map(|(_, r)| r["id"].clone()),
        "startAfter": last.map(|(t, _)| *t),
    });
    let contacts: Vec<Value> = page
        .iter()
        .map(|(_, r)| Value::Object(without_empty(r)))
        .collect();
    ok(StatusCode::OK, json!({"contacts": contacts, "meta": meta}))
}
