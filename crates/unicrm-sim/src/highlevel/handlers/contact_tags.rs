//! `POST` / `DELETE /contacts/{id}/tags` (docs/vendors/highlevel-v2.md, "Contact endpoints";
//! "Simulator must reproduce", item 25).

use axum::Extension;
use axum::body::Bytes;
use axum::extract::{Path, State};
use http::StatusCode;
use serde_json::{Value, json};

use super::contacts::not_found;
use super::{Caller, Res, Shared, body_object, ok, same_location, whitelist};
use crate::highlevel::store::iso;

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
    crate::highlevel::webhooks::emit(
        &sim,
        "ContactTagUpdate",
        crate::highlevel::webhooks::contact_fields(&c.record),
    );
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
