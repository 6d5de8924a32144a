//! Endpoint handlers of the Insightly simulator, and what they share: the instance state
//! ([`Sim`]), the error answer ([`ApiErr`], `{"Message": …}`), the success answer ([`Reply`]),
//! and the parsed request ([`Ctx`], an extractor). Routing is in `super::web`, the request
//! pipeline (limits, auth, headers) in `super::gate`; endpoints follow
//! docs/vendors/insightly-v3.1.md ("Endpoints", "Create and update semantics", "Errors").
//!
//! Insightly serves its six record objects (Contacts, Organisations, Opportunities, Leads,
//! Tasks, Notes) through one generic set of endpoints, so the modules here are split by
//! behaviour rather than by object: `records` (list, read, create, update, delete), `search`
//! (`/Search`, `/SearchByTag`), `tags`, `links`, `related` (a record's Notes and Tasks),
//! `opportunities` (state and pipeline operations, the one object with endpoints of its own),
//! `users`, `reference` (pipelines, stages, categories and the other read-only lists, plus
//! `/Instance`) and `custom_fields`. `listing`, `values` and `writes` hold the paging, body
//! validation and write logic those endpoints share.

use std::collections::{BTreeMap, HashMap};
use std::sync::atomic::AtomicBool;
use std::sync::{Mutex, MutexGuard, RwLock, RwLockReadGuard, RwLockWriteGuard};

use axum::body::{Body, Bytes};
use axum::extract::{FromRequest, FromRequestParts, MatchedPath, Request};
use axum::response::{IntoResponse, Response};
use http::{HeaderValue, Method, StatusCode, header};
use serde::Serialize;
use serde_json::{Map, Value, json};
use std::sync::Arc;

use super::limits::Limiter;
use super::store::{Db, LinkView, Ordered, Rec, RecView};
use crate::insightly::schema::{Kind, OPP_STATES, Ty, coerce, parse_dt, value_matches};
use crate::web::Query;

/// Fixed settings plus the live state of one simulated instance.
#[derive(Debug)]
pub(crate) struct Sim {
    pub(crate) pod: String,
    pub(crate) keys: HashMap<String, (u64, String)>,
    pub(crate) create_status: StatusCode,
    pub(crate) delete_status: StatusCode,
    pub(crate) wrong_pod_status: StatusCode,
    pub(crate) leads_enabled: AtomicBool,
    pub(crate) db: RwLock<Db>,
    pub(crate) limiter: Mutex<Limiter>,
    /// The instance's clock (shared with the store and the fault layer).
    pub(crate) clock: crate::clock::SimClock,
}

impl Sim {
    pub(crate) fn read(&self) -> RwLockReadGuard<'_, Db> {
        self.db.read().unwrap_or_else(|e| e.into_inner())
    }

    pub(crate) fn write(&self) -> RwLockWriteGuard<'_, Db> {
        self.db.write().unwrap_or_else(|e| e.into_inner())
    }

    pub(crate) fn limiter(&self) -> MutexGuard<'_, Limiter> {
        self.limiter.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// The state every handler gets.
pub(crate) type Shared = Arc<Sim>;

/// An error answer: status and `Message`.
#[derive(Debug)]
pub(crate) struct ApiErr(pub(crate) StatusCode, pub(crate) String);

impl IntoResponse for ApiErr {
    fn into_response(self) -> Response {
        let body = serde_json::to_vec(&json!({ "Message": self.1 })).unwrap_or_default();
        let mut resp = Response::new(Body::from(body));
        *resp.status_mut() = self.0;
        resp
    }
}

pub(crate) fn bad(msg: impl Into<String>) -> ApiErr {
    ApiErr(StatusCode::BAD_REQUEST, msg.into())
}

pub(crate) fn not_found(msg: impl Into<String>) -> ApiErr {
    ApiErr(StatusCode::NOT_FOUND, msg.into())
}

/// The 404 of a path no route serves (`path` as the client sent it).
pub(crate) fn no_route(path: &str) -> ApiErr {
    not_found(format!(
        "No HTTP resource was found that matches the request URI '{path}'."
    ))
}

pub(crate) fn method_not_allowed(m: &Method) -> ApiErr {
    ApiErr(
        StatusCode::METHOD_NOT_ALLOWED,
        format!("The requested resource does not support http method '{m}'."),
    )
}

/// A successful answer before the pipeline adds its headers.
pub(crate) struct Reply {
    pub(crate) status: StatusCode,
    pub(crate) body: Vec<u8>,
    /// `X-Total-Count`, when `count_total=true` asked for it.
    pub(crate) total: Option<usize>,
}

impl IntoResponse for Reply {
    fn into_response(self) -> Response {
        let mut resp = Response::new(Body::from(self.body));
        *resp.status_mut() = self.status;
        if let Some(t) = self.total {
            resp.headers_mut()
                .insert("X-Total-Count", HeaderValue::from(t));
        }
        resp
    }
}

pub(crate) type Res = Result<Reply, ApiErr>;

pub(crate) fn ok_json<T: Serialize + ?Sized>(v: &T) -> Res {
    Ok(Reply {
        status: StatusCode::OK,
        body: serde_json::to_vec(v).unwrap_or_default(),
        total: None,
    })
}

pub(crate) fn empty(status: StatusCode) -> Res {
    Ok(Reply {
        status,
        body: Vec::new(),
        total: None,
    })
}

/// Strong ETag of a body: FNV-1a 64.
pub(crate) fn etag(body: &[u8]) -> String {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in body {
        h ^= u64::from(*b);
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    format!("\"{h:016x}\"")
}

/// The record `(kind, id)` exists, or the 404 that names it.
pub(crate) fn require_record(db: &Db, kind: Kind, id: u64) -> Result<(), ApiErr> {
    if db.exists(kind, id) {
        Ok(())
    } else {
        Err(not_found(format!(
            "{} with ID {id} was not found.",
            kind.singular()
        )))
    }
}

/// The id under `key` in a body (400 `{key} is required.` without one).
pub(crate) fn required_id(body: &Map<String, Value>, key: &str) -> Result<u64, ApiErr> {
    body.get(key)
        .and_then(Value::as_u64)
        .ok_or_else(|| bad(format!("{key} is required.")))
}

/// Who is calling: the user of the API key, set by the pipeline after authentication.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Caller(pub(crate) u64);

/// The path as the client sent it (before case and slashes were normalised for routing):
/// error messages quote it.
#[derive(Debug, Clone)]
pub(crate) struct OriginalPath(pub(crate) String);

/// One request, parsed.
pub(crate) struct Ctx {
    pub(crate) method: Method,
    /// The path as sent (see [`OriginalPath`]).
    pub(crate) path: String,
    query: Query,
    /// The route's parameters, still percent-encoded (an id is a plain number).
    params: Vec<(String, String)>,
    pub(crate) body: Bytes,
    pub(crate) user: u64,
    pub(crate) if_match: Option<String>,
}

impl Ctx {
    /// A query parameter; names compared without regard to case (`key` in lower case).
    pub(crate) fn q(&self, key: &str) -> Option<&str> {
        self.query.get_ignore_case(key)
    }

    pub(crate) fn flag(&self, key: &str) -> bool {
        self.q(key)
            .is_some_and(|v| v.trim().eq_ignore_ascii_case("true"))
    }

    /// A route parameter as sent (empty when the route has none of that name).
    pub(crate) fn param(&self, name: &str) -> &str {
        self.params
            .iter()
            .find(|(k, _)| k == name)
            .map_or("", |(_, v)| v.as_str())
    }

    /// A numeric route parameter; a path whose id is not a number matches no resource (404).
    pub(crate) fn id(&self, name: &str) -> Result<u64, ApiErr> {
        parse_id(self.param(name), self)
    }

    pub(crate) fn json_object(&self) -> Result<Map<String, Value>, ApiErr> {
        if self.body.iter().all(u8::is_ascii_whitespace) {
            return Err(bad("The request body is empty; a JSON object is required."));
        }
        match serde_json::from_slice::<Value>(&self.body) {
            Ok(Value::Object(m)) => Ok(m.into_iter().map(|(k, v)| (k.to_uppercase(), v)).collect()),
            Ok(_) => Err(bad("The request body must be a JSON object.")),
            Err(e) => Err(bad(format!("The request body is not valid JSON: {e}"))),
        }
    }
}

impl<S: Send + Sync> FromRequest<S> for Ctx {
    type Rejection = ApiErr;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        let (mut parts, body) = req.into_parts();
        // The route's parameters as sent (still percent-encoded): the matched route's
        // template laid over the (normalised) path, segment by segment.
        let params = MatchedPath::from_request_parts(&mut parts, state)
            .await
            .map(|m| route_params(m.as_str(), parts.uri.path()))
            .unwrap_or_default();
        let path = parts
            .extensions
            .get::<OriginalPath>()
            .map_or_else(|| parts.uri.path().to_string(), |p| p.0.clone());
        let user = parts.extensions.get::<Caller>().map_or(0, |c| c.0);
        let body = axum::body::to_bytes(Body::new(body), usize::MAX)
            .await
            .map_err(|_| bad("The request body could not be read."))?;
        Ok(Ctx {
            query: Query::parse(parts.uri.query().map(str::to_string)),
            if_match: parts
                .headers
                .get(header::IF_MATCH)
                .and_then(|v| v.to_str().ok())
                .map(str::to_string),
            method: parts.method,
            path,
            params,
            body,
            user,
        })
    }
}

/// `(name, value)` of each `{name}` in `template` (not the `{*rest}` catch-all), taken from
/// the same segment of `path`.
fn route_params(template: &str, path: &str) -> Vec<(String, String)> {
    template
        .split('/')
        .zip(path.split('/'))
        .filter_map(|(t, v)| {
            let name = t.strip_prefix('{')?.strip_suffix('}')?;
            (!name.starts_with('*')).then(|| (name.to_string(), v.to_string()))
        })
        .collect()
}

pub(crate) mod activity_sets;
pub(crate) mod custom_fields;
pub(crate) mod links;
mod listing;
pub(crate) mod opportunities;
pub(crate) mod projects;
pub(crate) mod records;
pub(crate) mod reference;
pub(crate) mod related;
pub(crate) mod search;
pub(crate) mod tags;
pub(crate) mod users;
mod values;
mod writes;

use listing::*;
use values::*;
use writes::*;
