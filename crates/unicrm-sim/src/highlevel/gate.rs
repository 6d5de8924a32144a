//! The request pipeline of the HighLevel simulator, a middleware around the routes
//! (docs/vendors/highlevel-v2.md, "Simulator must reproduce", items 2–10). In this order:
//!
//! 1. the limits, counted per bearer token (a stand-in for the (app or PIT, location) pair):
//!    a fixed window of `burst_max` per 10 s opened at the first request and restarted every
//!    10 s ("Reconciled points" 8), and a daily quota; over either → 429
//!    `{"statusCode":429,"message":"Too Many Requests"}`, no `Retry-After` (item 9);
//! 2. the `Version` header, on everything but `POST /oauth/token`: missing → 401 (item 2),
//!    not one of the four accepted values → 400 (item 3);
//! 3. the bearer token: unknown or expired → 401 `Invalid token…` (item 4); a Company token →
//!    the `authClass` 401, an agency PIT → `Token's user type mismatch!` (item 6); a missing
//!    scope → 401 (item 5);
//!
//! then the route; every answer carries the five `X-RateLimit-*` headers (item 8) and every
//! JSON 2xx object a fresh `traceId` (item 10).

use axum::body::Body;
use axum::extract::{Request, State};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use http::{HeaderValue, Method, StatusCode};
use serde_json::Value;

use super::handlers::{ApiErr, Caller, Shared};
use super::store::TokenKind;

/// The `Version` values accepted everywhere (item 3).
pub(crate) const VERSIONS: [&str; 4] = ["2021-04-15", "2021-07-28", "2023-02-21", "v3"];

const MAX_BODY: usize = 16 * 1024 * 1024;

/// The scope an operation needs (docs/vendors/highlevel-v2.md, "Scopes").
pub(crate) fn scope_for(method: &Method, path: &str) -> Option<String> {
    let segs: Vec<&str> = path.split('/').filter(|s| !s.is_empty()).collect();
    let write = !matches!(*method, Method::GET | Method::HEAD);
    let rw = if write { "write" } else { "readonly" };
    let family = match segs.as_slice() {
        ["oauth", ..] => return None,
        ["contacts", "search", ..] => return Some("contacts.readonly".into()),
        ["contacts", ..] => "contacts",
        ["opportunities", ..] => "opportunities",
        ["users", ..] => return Some("users.readonly".into()),
        ["businesses", ..] => "businesses",
        ["calendars", "events", ..] => "calendars/events",
        ["calendars", ..] => "calendars",
        ["locations", _, "customFields", ..] => {
            return Some("locations/customFields.readonly".into());
        }
        ["locations", _, "tags", ..] => "locations/tags",
        ["locations", ..] => return Some("locations.readonly".into()),
        _ => return None,
    };
    Some(format!("{family}.{rw}"))
}

/// The middleware (see the module docs).
pub(crate) async fn gate(State(sim): State<Shared>, req: Request, next: Next) -> Response {
    let now = sim.clock.now();
    let token = crate::web::authorization(req.headers(), "Bearer").map(str::to_string);
    let counted = sim.limits().count(token.as_deref().unwrap_or(""), now);
    let resp = match counted.verdict {
        Err(()) => ApiErr::new(StatusCode::TOO_MANY_REQUESTS, "Too Many Requests").into_response(),
        Ok(()) => {
            let (mut parts, body) = req.into_parts();
            match axum::body::to_bytes(body, MAX_BODY).await {
                Err(_) => ApiErr::new(StatusCode::BAD_REQUEST, "Bad Request").into_response(),
                Ok(bytes) => match admit(
                    &sim,
                    &parts.method,
                    parts.uri.path(),
                    &parts.headers,
                    token.as_deref(),
                ) {
                    Err(e) => e.into_response(),
                    Ok(caller) => {
                        parts.extensions.insert(caller);
                        let resp = next
                            .run(Request::from_parts(parts, Body::from(bytes)))
                            .await;
                        with_trace_id(&sim, resp).await
                    }
                },
            }
        }
    };
    finish(resp, &counted)
}

fn admit(
    sim: &super::handlers::Sim,
    method: &Method,
    path: &str,
    headers: &http::HeaderMap,
    token: Option<&str>,
) -> Result<Caller, ApiErr> {
    let p = path.trim_end_matches('/');
    // The token endpoint takes no Version; the consent page is a web page, not the API.
    let is_token_endpoint = (*method == Method::POST && p == "/oauth/token")
        || (*method == Method::GET && p == "/oauth/chooselocation");
    if is_token_endpoint {
        return Ok(Caller { location: None });
    }
    match headers.get("version").and_then(|v| v.to_str().ok()) {
        None => {
            return Err(ApiErr::new(
                StatusCode::UNAUTHORIZED,
                "version header was not found.",
            ));
        }
        Some(v) if !VERSIONS.contains(&v.trim()) => {
            return Err(ApiErr::new(
                StatusCode::BAD_REQUEST,
                format!("Invalid API version segment '{}' at position 0", v.trim()),
            ));
        }
        Some(_) => {}
    }
    let invalid = || {
        ApiErr::new(StatusCode::UNAUTHORIZED, sim.invalid_token_message.clone())
            .with_error("Unauthorized")
    };
    let token = token.ok_or_else(invalid)?;
    let info = sim.read().tokens.get(token).cloned().ok_or_else(invalid)?;
    if info.expires_at.is_some_and(|t| t <= sim.clock.now()) {
        return Err(invalid());
    }
    let oauth_mint = path.trim_end_matches('/') == "/oauth/locationToken";
    match (&info.kind, oauth_mint) {
        (TokenKind::Company, true) => {
            return Ok(Caller { location: None });
        }
        (_, true) => {
            return Err(ApiErr::new(
                StatusCode::UNAUTHORIZED,
                "The token is not authorized for this scope.",
            ));
        }
        (TokenKind::Company, false) => {
            return Err(ApiErr::new(
                StatusCode::UNAUTHORIZED,
                "This authClass type is not allowed to access this scope. Please verify your IAM configuration if this is not the case.",
            ));
        }
        (TokenKind::AgencyPit, false) => {
            return Err(ApiErr::new(
                StatusCode::UNAUTHORIZED,
                "Token's user type mismatch!",
            ));
        }
        (TokenKind::Location(_), false) => {}
    }
    if let Some(scope) = scope_for(method, path) {
        // A write scope covers reads of the same family.
        let write = scope.replace(".readonly", ".write");
        if !info.scopes.iter().any(|s| *s == scope || *s == write) {
            return Err(ApiErr::new(
                StatusCode::UNAUTHORIZED,
                "The token is not authorized for this scope.",
            ));
        }
    }
    let location = match info.kind {
        TokenKind::Location(l) => Some(l),
        _ => None,
    };
    Ok(Caller { location })
}

/// Adds a fresh `traceId` to a JSON object body of a 2xx answer (item 10).
async fn with_trace_id(sim: &super::handlers::Sim, resp: Response) -> Response {
    if !resp.status().is_success() {
        return resp;
    }
    let (parts, body) = resp.into_parts();
    let Ok(bytes) = axum::body::to_bytes(body, MAX_BODY).await else {
        return Response::from_parts(parts, Body::empty());
    };
    let body = match serde_json::from_slice::<Value>(&bytes) {
        Ok(Value::Object(mut m)) => {
            m.insert("traceId".into(), Value::String(sim.trace_id()));
            serde_json::to_vec(&Value::Object(m)).unwrap_or_else(|_| bytes.to_vec())
        }
        _ => bytes.to_vec(),
    };
    Response::from_parts(parts, Body::from(body))
}

/// The five rate-limit headers and the JSON content type on every answer (item 8).
fn finish(mut resp: Response, c: &super::limits::Counted) -> Response {
    let h = resp.headers_mut();
    h.insert("x-ratelimit-limit-daily", HeaderValue::from(c.daily_max));
    h.insert(
        "x-ratelimit-daily-remaining",
        HeaderValue::from(c.daily_remaining),
    );
    h.insert(
        "x-ratelimit-interval-milliseconds",
        HeaderValue::from_static("10000"),
    );
    h.insert("x-ratelimit-max", HeaderValue::from(c.burst_max));
    h.insert(
        "x-ratelimit-remaining",
        HeaderValue::from(c.burst_remaining),
    );
    if !h.contains_key(http::header::CONTENT_TYPE) {
        h.insert(
            http::header::CONTENT_TYPE,
            HeaderValue::from_static("application/json; charset=utf-8"),
        );
    }
    resp
}
