//! Request handlers for `/api/v2/…`, one module per resource; shared helpers here.

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
use super::writes::{
    merge_addresses, merge_emails, merge_fields, merge_phones, merge_tags, merge_websites,
};
use super::{App, Shared};
use crate::capsule::web::{
    ApiError, ApiResult, Embed, Paging, Patch, Query, created, envelope, invalid, message,
    no_content, ok, one_id, paged, parse_date, parse_datetime, parse_ids, patch_ref, patch_str,
    ref_i64, ref_id,
};

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

mod account;
mod boards;

mod activities;
mod entries;
mod filters;
mod kases;
mod metadata;
mod opportunities;
mod parties;
mod pipelines;
mod resthooks;
mod tasks;
mod tracks;

pub(crate) use account::*;
pub(crate) use boards::*;

pub(crate) use activities::*;
pub(crate) use entries::*;
pub(crate) use filters::*;
pub(crate) use kases::*;
pub(crate) use metadata::*;
pub(crate) use opportunities::*;
pub(crate) use parties::*;
pub(crate) use pipelines::*;
pub(crate) use resthooks::*;
pub(crate) use tasks::*;
pub(crate) use tracks::*;

// ==================================================================== fallbacks

pub(crate) async fn not_found() -> Response {
    message(StatusCode::NOT_FOUND, "Could not find resource")
}

pub(crate) async fn method_not_allowed() -> Response {
    message(StatusCode::METHOD_NOT_ALLOWED, "Method not allowed")
}
