//! `/opportunities/*` (docs/vendors/highlevel-v2.md, "Opportunities and pipelines"; items
//! 28–31): the GET search with snake_case `location_id` (camelCase → 422) and `limit` ≤ 100,
//! paged by `startAfter` (the last record's `createdAt`, epoch ms) + `startAfterId`, ordered
//! by (`createdAt`, id); pipelines with camelCase `locationId` (snake → 422), stages sorted
//! by `position`; create → 201 `{opportunity}`, update → `{opportunity}`, status PUT →
//! `{"succeded":true}`, delete → `{"succeded":true}`; an unknown id is the 404 `NotFoundDTO`.
//! Custom fields are written `{id, field_value}` (or `fieldValue`) and read back in the live
//! `{id, type, fieldValueString}` form (item 31).

use axum::Extension;
use axum::body::Bytes;
use axum::extract::{Path, RawQuery, State};
use chrono::{DateTime, Utc};
use http::StatusCode;
use serde_json::{Map, Value, json};

use super::{ApiErr, Caller, Res, Shared, body_object, ok, same_location, whitelist};
use crate::highlevel::store::{Db, iso};
use crate::web::Query;

/// Keys an update may carry.
const UPDATABLE: &[&str] = &[
    "pipelineId",
    "name",
    "status",
    "pipelineStageId",
    "monetaryValue",
    "assignedTo",
    "customFields",
    "source",
    "lostReasonId",
];

/// The statuses a record may have (`all` is only a filter).
const STATUSES: &[&str] = &["open", "won", "lost", "abandoned"];

fn s<'a>(m: &'a Map<String, Value>, k: &str) -> Option<&'a str> {
    m.get(k).and_then(Value::as_str)
}

fn ms(t: Option<&str>) -> i64 {
    t.and_then(|t| DateTime::parse_from_rfc3339(t).ok())
        .map_or(0, |t| t.with_timezone(&Utc).timestamp_millis())
}

/// The record as answered: with the embedded `contact` (item 30).
fn render(db: &Db, o: &Map<String, Value>) -> Value {
    let mut out = o.clone();
    if let Some(c) = s(o, "contactId").and_then(|id| db.contacts.get(id)) {
        let r = &c.record;
        let name = [s(r, "firstName"), s(r, "lastName")]
            .into_iter()
            .flatten()
            .collect::<Vec<_>>()
            .join(" ");
        out.insert(
            "contact".into(),
            json!({"id": r.get("id"), "name": name, "companyName": r.get("companyName"),
                   "email": r.get("email"), "phone": r.get("phone"),
                   "tags": r.get("tags").cloned().unwrap_or(json!([])), "followers": []}),
        );
    }
    Value::Object(out)
}

/// Custom field values as stored (the read form) from the written ones.
fn custom_fields(written: &Value) -> Result<Vec<Value>, ApiErr> {
    let Value::Array(rows) = written else {
        return Err(ApiErr::unprocessable(vec![
            "customFields must be an array".into(),
        ]));
    };
    let mut out = Vec::new();
    for row in rows {
        let id = row
            .get("id")
            .or_else(|| row.get("key"))
            .and_then(Value::as_str);
        let value = row.get("field_value").or_else(|| row.get("fieldValue"));
        let (Some(id), Some(value)) = (id, value) else {
            return Err(ApiErr::unprocessable(vec![
                "customFields.id should not be empty".into(),
            ]));
        };
        let text = match value {
            Value::String(t) => t.clone(),
            Value::Null => continue,
            other => other.to_string(),
        };
        if !text.is_empty() {
            out.push(json!({"id": id, "type": "string", "fieldValueString": text}));
        }
    }
    Ok(out)
}

fn check_status(body: &Map<String, Value>) -> Result<(), ApiErr> {
    match body.get("status") {
        None => Ok(()),
        Some(Value::String(st)) if STATUSES.contains(&st.as_str()) => Ok(()),
        _ => Err(ApiErr::unprocessable(vec![
            "status must be one of the following values: open, won, lost, abandoned".into(),
        ])),
    }
}

fn check_stage(db: &Db, pipeline: Option<&str>, stage: Option<&str>) -> Result<(), ApiErr> {
    let Some(pipeline) = pipeline else {
        return Ok(());
    };
    let Some(p) = db.pipelines.iter().find(|p| s(p, "id") == Some(pipeline)) else {
        return Err(ApiErr::new(StatusCode::BAD_REQUEST, "Pipeline not found"));
    };
    match stage {
        None => Ok(()),
        Some(st) => {
            let known = p.get("stages").and_then(Value::as_array).is_some_and(|a| {
                a.iter()
                    .any(|x| x.get("id").and_then(Value::as_str) == Some(st))
            });
            if known {
                Ok(())
            } else {
                Err(ApiErr::new(
                    StatusCode::BAD_REQUEST,
                    "Pipeline stage not found",
                ))
            }
        }
    }
}

/// Merges a write into `record`, bumping `lastStageChangeAt` / `lastStatusChangeAt` when
/// those change.
fn merge(
    record: &mut Map<String, Value>,
    body: Map<String, Value>,
    now: &str,
) -> Result<(), ApiErr> {
    for (k, v) in body {
        match k.as_str() {
            "locationId" => {}
            "customFields" => {
                let rows = custom_fields(&v)?;
                record.insert(k, Value::Array(rows));
            }
            "monetaryValue" if v.is_null() => {
                record.insert(k, json!(0));
            }
            "pipelineStageId" if record.get(&k) != Some(&v) => {
                record.insert("lastStageChangeAt".into(), json!(now));
                record.insert(k, v);
            }
            "status" if record.get(&k) != Some(&v) => {
                record.insert("lastStatusChangeAt".into(), json!(now));
                record.insert(k, v);
            }
            _ if v.is_null() => {
                record.remove(&k);
            }
            _ => {
                record.insert(k, v);
            }
        }
    }
    record.insert("updatedAt".into(), json!(now));
    Ok(())
}

/// `GET /opportunities/search?location_id=…` (item 28).
pub(crate) async fn search(
    State(sim): State<Shared>,
    Extension(caller): Extension<Caller>,
    RawQuery(raw): RawQuery,
) -> Res {
    let q = Query::parse(raw);
    if q.get("locationId").is_some() {
        return Err(ApiErr::unprocessable(vec![
            "property locationId should not exist".into(),
        ]));
    }
    let Some(location) = q.get("location_id") else {
        return Err(ApiErr::unprocessable(vec![
            "location_id should not be empty".into(),
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
    let status = q.get("status").filter(|st| *st != "all");
    let filters: Vec<(&str, &str)> = [
        ("pipeline_id", "pipelineId"),
        ("pipeline_stage_id", "pipelineStageId"),
        ("contact_id", "contactId"),
        ("assigned_to", "assignedTo"),
        ("id", "id"),
    ]
    .into_iter()
    .filter_map(|(param, key)| q.get(param).map(|v| (key, v)))
    .collect();
    let text = q.get("q").map(str::to_lowercase);
    let after = match (q.get("startAfter"), q.get("startAfterId")) {
        (Some(a), Some(id)) => Some((a.parse::<i64>().unwrap_or(i64::MIN), id.to_string())),
        _ => None,
    };
    let db = sim.read();
    let mut matches: Vec<&Map<String, Value>> = db
        .opportunities
        .values()
        .filter(|o| status.is_none_or(|st| s(o, "status") == Some(st)))
        .filter(|o| filters.iter().all(|(k, v)| s(o, k) == Some(v)))
        .filter(|o| {
            text.as_ref()
                .is_none_or(|t| s(o, "name").is_some_and(|n| n.to_lowercase().contains(t)))
        })
        .collect();
    let key =
        |o: &Map<String, Value>| (ms(s(o, "createdAt")), s(o, "id").unwrap_or("").to_string());
    matches.sort_by_key(|o| key(o));
    let total = matches.len();
    let rest: Vec<&Map<String, Value>> = matches
        .into_iter()
        .filter(|o| after.as_ref().is_none_or(|a| key(o) > *a))
        .collect();
    let page: Vec<&Map<String, Value>> = rest.iter().take(limit).copied().collect();
    let last = page.last().map(|o| key(o));
    let more = rest.len() > page.len();
    let meta = json!({
        "total": total,
        "nextPageUrl": if more { last.as_ref().map(|(t, id)| format!(
            "/opportunities/search?location_id={location}&startAfter={t}&startAfterId={id}")) } else { None },
        "startAfterId": last.as_ref().map(|(_, id)| id.clone()),
        "startAfter": last.as_ref().map(|(t, _)| *t),
        "currentPage": Value::Null,
        "nextPage": Value::Null,
        "prevPage": Value::Null,
    });
    let opportunities: Vec<Value> = page.into_iter().map(|o| render(&db, o)).collect();
    ok(
        StatusCode::OK,
        json!({"opportunities": opportunities, "meta": meta, "aggregations": {}}),
    )
}

/// `GET /opportunities/pipelines?locationId=…` (item 29).
pub(crate) async fn pipelines(
    State(sim): State<Shared>,
    Extension(caller): Extension<Caller>,
    RawQuery(raw): RawQuery,
) -> Res {
    let q = Query::parse(raw);
    let Some(location) = q.get("locationId") else {
        return Err(ApiErr::unprocessable(vec![
            "COMMON_LOCATION_ID_UNDEFINED".into(),
        ]));
    };
    same_location(&caller, Some(location))?;
    let mut pipelines = sim.read().pipelines.clone();
    for p in &mut pipelines {
        if let Some(Value::Array(stages)) = p.get_mut("stages") {
            stages.sort_by_key(|st| {
                st.get("position")
                    .and_then(Value::as_i64)
                    .unwrap_or(i64::MAX)
            });
        }
    }
    ok(StatusCode::OK, json!({"pipelines": pipelines}))
}

/// `GET /opportunities/{id}` → `{opportunity}`.
pub(crate) async fn get(State(sim): State<Shared>, Path(id): Path<String>) -> Res {
    let db = sim.read();
    let o = db.opportunities.get(&id).ok_or_else(ApiErr::not_found)?;
    ok(StatusCode::OK, json!({"opportunity": render(&db, o)}))
}

/// `POST /opportunities/` (item 30).
pub(crate) async fn create(
    State(sim): State<Shared>,
    Extension(caller): Extension<Caller>,
    bytes: Bytes,
) -> Res {
    let body = body_object(&bytes)?;
    let mut allowed = UPDATABLE.to_vec();
    allowed.extend(["locationId", "contactId"]);
    whitelist(&body, &allowed)?;
    let missing: Vec<String> = ["pipelineId", "locationId", "name", "status", "contactId"]
        .into_iter()
        .filter(|k| !matches!(body.get(*k), Some(Value::String(v)) if !v.is_empty()))
        .map(|k| format!("{k} should not be empty"))
        .collect();
    if !missing.is_empty() {
        return Err(ApiErr::unprocessable(missing));
    }
    check_status(&body)?;
    same_location(&caller, s(&body, "locationId"))?;
    let now = iso(sim.clock.now());
    let mut db = sim.write();
    check_stage(&db, s(&body, "pipelineId"), s(&body, "pipelineStageId"))?;
    let contact = s(&body, "contactId").unwrap_or_default().to_string();
    if !db.contacts.contains_key(&contact) {
        return Err(ApiErr::new(
            StatusCode::BAD_REQUEST,
            format!("Contact with id {contact} not found"),
        ));
    }
    let id = db.new_id("Op");
    let mut record = Map::new();
    record.insert("id".into(), json!(id));
    record.insert("monetaryValue".into(), json!(0));
    record.insert(
        "locationId".into(),
        body.get("locationId").cloned().unwrap_or_default(),
    );
    record.insert("customFields".into(), json!([]));
    record.insert("followers".into(), json!([]));
    record.insert("createdAt".into(), json!(now));
    record.insert("lastStatusChangeAt".into(), json!(now));
    record.insert("lastStageChangeAt".into(), json!(now));
    merge(&mut record, body, &now)?;
    let answer = render(&db, &record);
    db.opportunities.insert(id, record);
    ok(StatusCode::CREATED, json!({"opportunity": answer}))
}

/// `PUT /opportunities/{id}` (no `locationId` or `contactId`, item 15).
pub(crate) async fn update(State(sim): State<Shared>, Path(id): Path<String>, bytes: Bytes) -> Res {
    let body = body_object(&bytes)?;
    whitelist(&body, UPDATABLE)?;
    check_status(&body)?;
    let now = iso(sim.clock.now());
    let mut db = sim.write();
    let current = db.opportunities.get(&id).ok_or_else(ApiErr::not_found)?;
    let pipeline = s(&body, "pipelineId")
        .or(s(current, "pipelineId"))
        .map(str::to_string);
    if body.contains_key("pipelineId") || body.contains_key("pipelineStageId") {
        let stage = s(&body, "pipelineStageId").map(str::to_string);
        check_stage(&db, pipeline.as_deref(), stage.as_deref())?;
    }
    let mut record = db
        .opportunities
        .get(&id)
        .cloned()
        .ok_or_else(ApiErr::not_found)?;
    merge(&mut record, body, &now)?;
    let answer = render(&db, &record);
    db.opportunities.insert(id, record);
    ok(StatusCode::OK, json!({"opportunity": answer}))
}

/// `PUT /opportunities/{id}/status` `{"status"}` → `{"succeded":true}` (item 30).
pub(crate) async fn status(State(sim): State<Shared>, Path(id): Path<String>, bytes: Bytes) -> Res {
    let body = body_object(&bytes)?;
    whitelist(&body, &["status", "lostReasonId"])?;
    if !body.contains_key("status") {
        return Err(ApiErr::unprocessable(vec![
            "status should not be empty".into(),
        ]));
    }
    check_status(&body)?;
    let now = iso(sim.clock.now());
    let mut db = sim.write();
    let record = db
        .opportunities
        .get_mut(&id)
        .ok_or_else(ApiErr::not_found)?;
    merge(record, body, &now)?;
    ok(StatusCode::OK, json!({"succeded": true}))
}

/// `DELETE /opportunities/{id}` → `{"succeded":true}`.
pub(crate) async fn delete(State(sim): State<Shared>, Path(id): Path<String>) -> Res {
    sim.write()
        .opportunities
        .remove(&id)
        .ok_or_else(ApiErr::not_found)?;
    ok(StatusCode::OK, json!({"succeded": true}))
}
