//! The HighLevel simulator's shared state and error envelope, and the route handlers (one
//! file per family).

pub(crate) mod businesses;
pub(crate) mod calendars;
pub(crate) mod contact_search;
pub(crate) mod contact_tags;
pub(crate) mod contacts;
pub(crate) mod location;
pub(crate) mod notes_tasks;
pub(crate) mod oauth;
pub(crate) mod opportunities;

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, RwLock, RwLockReadGuard, RwLockWriteGuard};

use axum::Json;
use axum::body::Bytes;
use axum::response::{IntoResponse, Response};
use http::StatusCode;
use serde_json::{Map, Value, json};

use super::limits::Limits;
use super::store::Db;
use crate::clock::SimClock;

/// The simulator's state.
#[derive(Debug)]
pub(crate) struct Sim {
    pub location_id: String,
    pub company_id: String,
    pub client_id: String,
    pub client_secret: String,
    pub invalid_token_message: String,
    pub db: RwLock<Db>,
    pub limits: Mutex<Limits>,
    pub clock: SimClock,
    /// How long a write takes to reach search (item 23).
    pub search_delay: RwLock<chrono::Duration>,
    pub traces: AtomicU64,
    pub seed: u64,
    /// The webhook emitter (item 38).
    pub hooks: crate::highlevel::webhooks::Hooks,
}

/// The state as the routes hold it.
pub(crate) type Shared = Arc<Sim>;

impl Sim {
    pub(crate) fn read(&self) -> RwLockReadGuard<'_, Db> {
        self.db.read().unwrap_or_else(|e| e.into_inner())
    }
    pub(crate) fn write(&self) -> RwLockWriteGuard<'_, Db> {
        self.db.write().unwrap_or_else(|e| e.into_inner())
    }
    pub(crate) fn limits(&self) -> MutexGuard<'_, Limits> {
        self.limits.lock().unwrap_or_else(|e| e.into_inner())
    }
    /// A fresh UUID-looking trace id (deterministic per seed and request order).
    pub(crate) fn trace_id(&self) -> String {
        let n = self.traces.fetch_add(1, Ordering::Relaxed);
        let x =
            (self.seed ^ n.wrapping_mul(0x9E37_79B9_7F4A_7C15)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        let y = x.rotate_left(29) ^ n;
        format!(
            "{:08x}-{:04x}-4{:03x}-{:04x}-{:012x}",
            x >> 32,
            (x >> 16) & 0xffff,
            x & 0x0fff,
            0x8000 | ((y >> 48) & 0x3fff),
            y & 0xffff_ffff_ffff
        )
    }
}

/// Who is calling: the location its token is for (none for the token endpoints).
#[derive(Debug, Clone)]
pub(crate) struct Caller {
    pub location: Option<String>,
}

/// An error in HighLevel's NestJS envelope `{statusCode, message, error?, meta?}`.
#[derive(Debug)]
pub(crate) struct ApiErr {
    status: StatusCode,
    body: Map<String, Value>,
}

impl ApiErr {
    pub(crate) fn new(status: StatusCode, message: impl Into<String>) -> Self {
        let mut body = Map::new();
        body.insert("statusCode".into(), json!(status.as_u16()));
        body.insert("message".into(), Value::String(message.into()));
        ApiErr { status, body }
    }
    /// A 422 listing every failure (`message` is an array).
    pub(crate) fn unprocessable(messages: Vec<String>) -> Self {
        let mut e = ApiErr::new(StatusCode::UNPROCESSABLE_ENTITY, "");
        e.body.insert("message".into(), json!(messages));
        e.with_error("Unprocessable Entity")
    }
    pub(crate) fn with_error(mut self, error: &str) -> Self {
        self.body.insert("error".into(), json!(error));
        self
    }
    pub(crate) fn with_meta(mut self, meta: Value) -> Self {
        self.body.insert("meta".into(), meta);
        self
    }
    /// The token endpoint's own envelope `{error, error_description}`.
    pub(crate) fn oauth(status: StatusCode, description: &str) -> Self {
        let mut body = Map::new();
        body.insert("error".into(), json!("UnAuthorized!"));
        body.insert("error_description".into(), json!(description));
        ApiErr { status, body }
    }
    pub(crate) fn not_found() -> Self {
        ApiErr::new(StatusCode::NOT_FOUND, "Not Found")
            .with_error("The requested resource was not found")
    }
}

impl IntoResponse for ApiErr {
    fn into_response(self) -> Response {
        (self.status, Json(Value::Object(self.body))).into_response()
    }
}

/// A handler's result.
pub(crate) type Res = Result<Response, ApiErr>;

/// `status` with `body`.
pub(crate) fn ok(status: StatusCode, body: Value) -> Res {
    Ok((status, Json(body)).into_response())
}

/// The JSON object of a request body (422 otherwise).
pub(crate) fn body_object(bytes: &Bytes) -> Result<Map<String, Value>, ApiErr> {
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Ok(Map::new());
    }
    match serde_json::from_slice::<Value>(bytes) {
        Ok(Value::Object(m)) => Ok(m),
        _ => Err(ApiErr::new(StatusCode::BAD_REQUEST, "Bad Request")),
    }
}

/// Item 15: every key outside `allowed` → 422 `property <p> should not exist`.
pub(crate) fn whitelist(body: &Map<String, Value>, allowed: &[&str]) -> Result<(), ApiErr> {
    let extra: Vec<String> = body
        .keys()
        .filter(|k| !allowed.contains(&k.as_str()))
        .map(|k| format!("property {k} should not exist"))
        .collect();
    if extra.is_empty() {
        Ok(())
    } else {
        Err(ApiErr::unprocessable(extra))
    }
}

/// Item 7: a `locationId` other than the token's → 403.
pub(crate) fn same_location(caller: &Caller, location: Option<&str>) -> Result<(), ApiErr> {
    match (caller.location.as_deref(), location) {
        (Some(mine), Some(given)) if mine != given => Err(ApiErr::new(
            StatusCode::FORBIDDEN,
            "The token does not have access to this location.",
        )),
        _ => Ok(()),
    }
}
