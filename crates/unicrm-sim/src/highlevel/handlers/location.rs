//! Users, custom field definitions and location tags (docs/vendors/highlevel-v2.md, "Users",
//! "Custom fields, tags and location metadata"; items 35, 37).

use axum::Extension;
use axum::extract::{Path, RawQuery, State};
use http::StatusCode;
use serde_json::{Value, json};

use super::{ApiErr, Caller, Res, Shared, ok, same_location};
use crate::web::Query;

/// `GET /users/search?companyId=…` (item 35: `companyId` required) → `{users, count}`.
pub(crate) async fn users_search(
    State(sim): State<Shared>,
    Extension(caller): Extension<Caller>,
    RawQuery(raw): RawQuery,
) -> Res {
    let q = Query::parse(raw);
    if q.get("companyId").is_none() {
        return Err(ApiErr::unprocessable(vec![
            "companyId should not be empty".into(),
        ]));
    }
    same_location(&caller, q.get("locationId"))?;
    let skip = q.get("skip").and_then(|s| s.parse().ok()).unwrap_or(0usize);
    let limit = q
        .get("limit")
        .and_then(|s| s.parse().ok())
        .unwrap_or(25usize);
    let db = sim.read();
    let users: Vec<Value> = db
        .users
        .iter()
        .skip(skip)
        .take(limit)
        .cloned()
        .map(Value::Object)
        .collect();
    ok(
        StatusCode::OK,
        json!({"users": users, "count": db.users.len()}),
    )
}

/// `GET /users/?locationId=…` (deprecated) → `{users}`.
pub(crate) async fn users_list(
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
    let users: Vec<Value> = sim
        .read()
        .users
        .iter()
        .cloned()
        .map(Value::Object)
        .collect();
    ok(StatusCode::OK, json!({"users": users}))
}

/// `GET /users/{id}` → the bare user (item 35).
pub(crate) async fn user(State(sim): State<Shared>, Path(id): Path<String>) -> Res {
    let db = sim.read();
    let u = db
        .users
        .iter()
        .find(|u| u.get("id").and_then(Value::as_str) == Some(id.as_str()))
        .ok_or_else(ApiErr::not_found)?;
    ok(StatusCode::OK, Value::Object(u.clone()))
}

/// `GET /locations/{id}/customFields?model=contact|opportunity|all` (item 37).
pub(crate) async fn custom_fields(
    State(sim): State<Shared>,
    Extension(caller): Extension<Caller>,
    Path(location): Path<String>,
    RawQuery(raw): RawQuery,
) -> Res {
    same_location(&caller, Some(&location))?;
    let q = Query::parse(raw);
    let model = q.get("model").unwrap_or("all");
    let fields: Vec<Value> = sim
        .read()
        .custom_fields
        .iter()
        .filter(|f| model == "all" || f.get("model").and_then(Value::as_str) == Some(model))
        .cloned()
        .map(Value::Object)
        .collect();
    ok(StatusCode::OK, json!({"customFields": fields}))
}

/// `GET /locations/{id}/tags` → `{tags:[{id,name,locationId}]}` (item 37).
pub(crate) async fn tags(
    State(sim): State<Shared>,
    Extension(caller): Extension<Caller>,
    Path(location): Path<String>,
) -> Res {
    same_location(&caller, Some(&location))?;
    let tags: Vec<Value> = sim.read().tags.iter().cloned().map(Value::Object).collect();
    ok(StatusCode::OK, json!({"tags": tags}))
}
