//! `POST /contacts/search` and the deprecated `GET /contacts/` (docs/vendors/highlevel-v2.md,
//! "Contacts search and searchAfter", "Deprecated list"; "Simulator must reproduce", items
//! 11 and 19–24).

use std::cmp::Ordering;

use axum::Extension;
use axum::body::Bytes;
use axum::extract::{RawQuery, State};
use http::StatusCode;
use serde_json::{Map, Value, json};

use super::contacts::{time_of, without_empty};
use super::{ApiErr, Caller, Res, Shared, body_object, ok, same_location, whitelist};
use crate::web::Query;

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
