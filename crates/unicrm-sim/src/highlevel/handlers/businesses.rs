//! `/businesses/*` (docs/vendors/highlevel-v2.md, "Businesses"; item 36): create and update
//! answer `{"success":true,"buiseness":{…}}` (sic), get `{business}`, list `{businesses}`
//! (`limit`, `skip`; no total), delete `{success}`; an unknown id is the 404 `NotFoundDTO`.

use axum::Extension;
use axum::body::Bytes;
use axum::extract::{Path, RawQuery, State};
use http::StatusCode;
use serde_json::{Map, Value, json};

use super::{ApiErr, Caller, Res, Shared, body_object, ok, same_location, whitelist};
use crate::highlevel::store::iso;
use crate::web::Query;

/// Writable keys (create adds `locationId`).
const WRITABLE: &[&str] = &[
    "name",
    "phone",
    "email",
    "website",
    "address",
    "city",
    "postalCode",
    "state",
    "country",
    "description",
];

/// A 24-hex id (businesses are Mongo-style ids, unlike the 20-character ones elsewhere).
pub(crate) fn hex24(n: u64) -> String {
    let a = n.wrapping_mul(0x9E37_79B9_7F4A_7C15) ^ 0xD1B5_4A32_D192_ED03;
    let b = a.rotate_left(23).wrapping_mul(0xBF58_476D_1CE4_E5B9) ^ n;
    format!("{:016x}{:08x}", a, b as u32)
}

fn merge(record: &mut Map<String, Value>, body: Map<String, Value>) {
    for (k, v) in body {
        if k == "locationId" {
            continue;
        }
        if v.is_null() {
            record.remove(&k);
        } else {
            record.insert(k, v);
        }
    }
}

fn check_name(body: &Map<String, Value>, required: bool) -> Result<(), ApiErr> {
    match body.get("name") {
        Some(Value::String(s)) if !s.trim().is_empty() => Ok(()),
        None if !required => Ok(()),
        _ => Err(ApiErr::unprocessable(vec![
            "name should not be empty".into(),
        ])),
    }
}

/// `GET /businesses/?locationId=…&limit&skip` → `{businesses}` (ordered by creation).
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
    let skip = q.get("skip").and_then(|s| s.parse().ok()).unwrap_or(0usize);
    let limit = q
        .get("limit")
        .and_then(|s| s.parse().ok())
        .unwrap_or(100usize);
    let db = sim.read();
    let mut all: Vec<&Map<String, Value>> = db.businesses.values().collect();
    all.sort_by_key(|b| {
        (
            b.get("createdAt")
                .and_then(Value::as_str)
                .map(str::to_string),
            b.get("id").and_then(Value::as_str).map(str::to_string),
        )
    });
    let page: Vec<Value> = all
        .into_iter()
        .skip(skip)
        .take(limit)
        .cloned()
        .map(Value::Object)
        .collect();
    ok(StatusCode::OK, json!({"businesses": page}))
}

/// `GET /businesses/{id}` → `{business}`.
pub(crate) async fn get(State(sim): State<Shared>, Path(id): Path<String>) -> Res {
    let db = sim.read();
    let b = db.businesses.get(&id).ok_or_else(ApiErr::not_found)?;
    ok(StatusCode::OK, json!({"business": b}))
}

/// `POST /businesses/` (`name`, `locationId` required) → 201 `{success, buiseness}`.
pub(crate) async fn create(
    State(sim): State<Shared>,
    Extension(caller): Extension<Caller>,
    bytes: Bytes,
) -> Res {
    let body = body_object(&bytes)?;
    let mut allowed = WRITABLE.to_vec();
    allowed.push("locationId");
    whitelist(&body, &allowed)?;
    check_name(&body, true)?;
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
    let now = iso(sim.clock.now());
    let mut db = sim.write();
    db.next_id += 1;
    let id = hex24(1 << 40 | db.next_id);
    let mut record = Map::new();
    record.insert("id".into(), json!(id));
    record.insert("locationId".into(), json!(location));
    record.insert("createdBy".into(), json!({"source": "INTEGRATION"}));
    record.insert("createdAt".into(), json!(now));
    record.insert("updatedAt".into(), json!(now));
    merge(&mut record, body);
    db.businesses.insert(id, record.clone());
    ok(
        StatusCode::CREATED,
        json!({"success": true, "buiseness": record}),
    )
}

/// `PUT /businesses/{id}` (no `locationId`, item 15) → `{success, buiseness}`.
pub(crate) async fn update(State(sim): State<Shared>, Path(id): Path<String>, bytes: Bytes) -> Res {
    let body = body_object(&bytes)?;
    whitelist(&body, WRITABLE)?;
    check_name(&body, false)?;
    let now = iso(sim.clock.now());
    let mut db = sim.write();
    let record = db.businesses.get_mut(&id).ok_or_else(ApiErr::not_found)?;
    merge(record, body);
    record.insert("updatedAt".into(), json!(now));
    record.insert("updatedBy".into(), json!({"source": "INTEGRATION"}));
    let record = record.clone();
    ok(
        StatusCode::OK,
        json!({"success": true, "buiseness": record}),
    )
}

/// `DELETE /businesses/{id}` → `{success}`; the contacts linked to it are unlinked.
pub(crate) async fn delete(State(sim): State<Shared>, Path(id): Path<String>) -> Res {
    let mut db = sim.write();
    db.businesses.remove(&id).ok_or_else(ApiErr::not_found)?;
    for c in db.contacts.values_mut() {
        if c.record.get("businessId").and_then(Value::as_str) == Some(id.as_str()) {
            c.record.remove("businessId");
            c.record.remove("businessName");
        }
    }
    ok(StatusCode::OK, json!({"success": true}))
}
