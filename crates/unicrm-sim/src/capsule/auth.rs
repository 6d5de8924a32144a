//! Bearer-token authentication, the per-user hourly budget (§3) and the OAuth 2.0
//! endpoints (§2.2).

use chrono::{DateTime, Utc};
use std::collections::HashMap;

use axum::body::Bytes;
use axum::extract::{Query as AxQuery, Request, State};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use base64::Engine;
use http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use serde_json::{Value, json};

use super::Shared;
use super::model::{AuthCode, TokenKind, Window};
use super::web::{ApiError, json_body};

/// Who is calling, inserted into API requests by [`api_middleware`].
#[derive(Debug, Clone)]
pub(crate) struct Caller {
    pub user: u64,
    pub kind: TokenKind,
}

/// `t` in epoch seconds, rounded up (a client that waits until then is past `t`).
fn epoch(t: DateTime<Utc>) -> u64 {
    let secs = t.timestamp() + i64::from(t.timestamp_subsec_nanos() > 0);
    u64::try_from(secs).unwrap_or(0)
}

fn bearer(headers: &HeaderMap) -> Option<&str> {
    crate::web::authorization(headers, "Bearer")
}

fn rate_headers(resp: &mut Response, limit: u32, remaining: u32, reset: u64) {
    let h = resp.headers_mut();
    h.insert("x-ratelimit-limit", HeaderValue::from(limit));
    h.insert("x-ratelimit-remaining", HeaderValue::from(remaining));
    h.insert("x-ratelimit-reset", HeaderValue::from(reset));
}

enum Gate {
    Pass(Caller, u32, u32, u64),
    Unauthorized(u32, u64),
    Limited(u32, u64),
    Forbidden(u32, u32, u64),
}

/// Authenticates the bearer token, spends one unit of the user's budget and adds the
/// `X-RateLimit-*` headers to the response.
pub(crate) async fn api_middleware(
    State(app): State<Shared>,
    mut req: Request,
    next: Next,
) -> Response {
    let gate = {
        let mut db = app.lock();
        let budget = db.budget;
        let window = chrono::Duration::from_std(db.window).unwrap_or(chrono::Duration::MAX);
        let sys_now = db.clock.now();
        let now_secs = db.now();
        let info = bearer(req.headers())
            .and_then(|t| db.tokens.get(t))
            .cloned();
        match info {
            Some(info) if info.expires_at.is_none_or(|e| e > now_secs) => {
                let w = db.windows.entry(info.user).or_insert(Window {
                    start: sys_now,
                    used: 0,
                });
                if sys_now - w.start >= window {
                    *w = Window {
                        start: sys_now,
                        used: 0,
                    };
                }
                let reset = epoch(w.start + window);
                if w.used >= budget {
                    Gate::Limited(budget, reset)
                } else {
                    w.used += 1;
                    let remaining = budget - w.used;
                    let writes = !matches!(*req.method(), Method::GET | Method::HEAD);
                    if writes && !info.scope.split(' ').any(|s| s == "write") {
                        Gate::Forbidden(budget, remaining, reset)
                    } else {
                        Gate::Pass(
                            Caller {
                                user: info.user,
                                kind: info.kind,
                            },
                            budget,
                            remaining,
                            reset,
                        )
                    }
                }
            }
            _ => Gate::Unauthorized(budget, epoch(sys_now + window)),
        }
    };
    match gate {
        Gate::Unauthorized(budget, reset) => {
            let mut resp = ApiError::Unauthorized.into_response();
            rate_headers(&mut resp, budget, budget, reset);
            resp
        }
        Gate::Limited(budget, reset) => {
            let mut resp = json_body(
                StatusCode::TOO_MANY_REQUESTS,
                &json!({"error": "rate limit reached"}),
            );
            rate_headers(&mut resp, budget, 0, reset);
            resp
        }
        Gate::Forbidden(budget, remaining, reset) => {
            let mut resp = ApiError::Forbidden("Forbidden".into()).into_response();
            rate_headers(&mut resp, budget, remaining, reset);
            resp
        }
        Gate::Pass(caller, budget, remaining, reset) => {
            req.extensions_mut().insert(caller);
            let mut resp = next.run(req).await;
            rate_headers(&mut resp, budget, remaining, reset);
            resp
        }
    }
}

// ---------------------------------------------------------------- OAuth

fn oauth_error(status: StatusCode, error: &str, description: Option<&str>) -> Response {
    let body = match description {
        Some(d) => json!({"error": error, "error_description": d}),
        None => json!({"error": error}),
    };
    let mut resp = json_body(status, &body);
    resp.headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    resp
}

/// `GET /oauth/authorise`: a stand-in for the browser consent page that approves at once
/// (as user 1, or `user_id=N` when given) and redirects to `redirect_uri?code=…&state=…`.
pub(crate) async fn authorise(
    State(app): State<Shared>,
    AxQuery(params): AxQuery<HashMap<String, String>>,
) -> Response {
    let mut db = app.lock();
    if params.get("client_id") != Some(&db.client_id) {
        return oauth_error(
            StatusCode::BAD_REQUEST,
            "invalid_client",
            Some("unknown client_id"),
        );
    }
    let Some(redirect) = params
        .get("redirect_uri")
        .and_then(|r| url::Url::parse(r).ok())
    else {
        return oauth_error(
            StatusCode::BAD_REQUEST,
            "invalid_request",
            Some("redirect_uri is missing or invalid"),
        );
    };
    let state = params.get("state").cloned();
    let mut target = redirect.clone();
    if params.get("response_type").map(String::as_str) != Some("code") {
        {
            let mut q = target.query_pairs_mut();
            q.append_pair("error", "unsupported_response_type");
            if let Some(s) = &state {
                q.append_pair("state", s);
            }
        }
        return redirect_to(&target);
    }
    let user = params
        .get("user_id")
        .and_then(|u| u.parse::<u64>().ok())
        .filter(|u| db.users.contains_key(u))
        .unwrap_or(1);
    let scope = params
        .get("scope")
        .map(|s| s.split_whitespace().collect::<Vec<_>>().join(" "))
        .filter(|s| !s.is_empty())
        .unwrap_or_else(|| "read write".to_string());
    let code = db.token(32);
    let expires_at = db.now() + chrono::Duration::minutes(10);
    db.codes.insert(
        code.clone(),
        AuthCode {
            user,
            redirect_uri: redirect.to_string(),
            scope,
            expires_at,
        },
    );
    {
        let mut q = target.query_pairs_mut();
        q.append_pair("code", &code);
        if let Some(s) = &state {
            q.append_pair("state", s);
        }
    }
    redirect_to(&target)
}

fn redirect_to(target: &url::Url) -> Response {
    let mut resp = Response::new(axum::body::Body::empty());
    *resp.status_mut() = StatusCode::FOUND;
    if let Ok(v) = HeaderValue::from_str(target.as_str()) {
        resp.headers_mut().insert(header::LOCATION, v);
    }
    resp
}

/// Form (or JSON) parameters of a token-endpoint request.
fn params(headers: &HeaderMap, body: &[u8]) -> HashMap<String, String> {
    let json = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/json"));
    if json {
        match serde_json::from_slice::<Value>(body) {
            Ok(Value::Object(m)) => m
                .into_iter()
                .filter_map(|(k, v)| match v {
                    Value::String(s) => Some((k, s)),
                    Value::Number(n) => Some((k, n.to_string())),
                    _ => None,
                })
                .collect(),
            _ => HashMap::new(),
        }
    } else {
        url::form_urlencoded::parse(body).into_owned().collect()
    }
}

/// Client credentials from HTTP Basic or the body. `None` when none were sent.
fn client_credentials(
    headers: &HeaderMap,
    p: &HashMap<String, String>,
) -> Option<(String, Option<String>)> {
    if let Some(basic) = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| {
            v.strip_prefix("Basic ")
                .or_else(|| v.strip_prefix("basic "))
        })
    {
        let decoded = base64::engine::general_purpose::STANDARD
            .decode(basic.trim())
            .ok()
            .and_then(|b| String::from_utf8(b).ok())?;
        let (id, secret) = decoded.split_once(':')?;
        let dec = |s: &str| {
            url::form_urlencoded::parse(format!("x={s}").as_bytes())
                .next()
                .map_or_else(|| s.to_string(), |(_, v)| v.into_owned())
        };
        return Some((dec(id), Some(dec(secret))));
    }
    p.get("client_id")
        .map(|id| (id.clone(), p.get("client_secret").cloned()))
}

fn token_json(access: &str, refresh: &str, scope: &str) -> Response {
    let mut resp = json_body(
        StatusCode::OK,
        &json!({
            "access_token": access,
            "token_type": "bearer",
            "expires_in": 604_799,
            "refresh_token": refresh,
            "scope": scope,
            "subdomain": "sandbox",
        }),
    );
    resp.headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    resp
}

/// `POST /oauth/token`: `authorization_code` and `refresh_token` grants (refresh tokens
/// rotate; the previous access token is revoked).
pub(crate) async fn token(State(app): State<Shared>, headers: HeaderMap, body: Bytes) -> Response {
    let p = params(&headers, &body);
    let mut db = app.lock();
    match client_credentials(&headers, &p) {
        Some((id, Some(secret))) if id == db.client_id && secret == db.client_secret => {}
        _ => {
            return oauth_error(
                StatusCode::UNAUTHORIZED,
                "invalid_client",
                Some("unknown client or wrong client secret"),
            );
        }
    }
    match p.get("grant_type").map(String::as_str) {
        None => oauth_error(
            StatusCode::BAD_REQUEST,
            "invalid_request",
            Some("grant_type is required"),
        ),
        Some("authorization_code") => {
            let Some(code) = p.get("code") else {
                return oauth_error(
                    StatusCode::BAD_REQUEST,
                    "invalid_request",
                    Some("code is required"),
                );
            };
            let Some(grant) = db.codes.remove(code) else {
                return oauth_error(
                    StatusCode::BAD_REQUEST,
                    "invalid_grant",
                    Some("the authorization code is invalid, expired or already used"),
                );
            };
            if grant.expires_at < db.now() {
                return oauth_error(
                    StatusCode::BAD_REQUEST,
                    "invalid_grant",
                    Some("the authorization code has expired"),
                );
            }
            let redirect_ok = p
                .get("redirect_uri")
                .is_none_or(|r| url::Url::parse(r).is_ok_and(|u| u.as_str() == grant.redirect_uri));
            if !redirect_ok {
                return oauth_error(
                    StatusCode::BAD_REQUEST,
                    "invalid_grant",
                    Some("redirect_uri does not match the authorization request"),
                );
            }
            let (access, refresh) = db.mint_oauth(grant.user, &grant.scope);
            token_json(&access, &refresh, &grant.scope)
        }
        Some("refresh_token") => {
            let Some(rt) = p.get("refresh_token") else {
                return oauth_error(
                    StatusCode::BAD_REQUEST,
                    "invalid_request",
                    Some("refresh_token is required"),
                );
            };
            let same_client = db
                .refresh_tokens
                .get(rt)
                .is_some_and(|r| r.client_id == db.client_id);
            let Some(old) = db.refresh_tokens.remove(rt).filter(|_| same_client) else {
                return oauth_error(
                    StatusCode::BAD_REQUEST,
                    "invalid_grant",
                    Some("the refresh token is invalid or revoked"),
                );
            };
            db.tokens.remove(&old.access);
            let (access, refresh) = db.mint_oauth(old.user, &old.scope);
            token_json(&access, &refresh, &old.scope)
        }
        Some(_) => oauth_error(StatusCode::BAD_REQUEST, "unsupported_grant_type", None),
    }
}

/// `POST /oauth/token/revoke` and `POST /oauth/revoke` (RFC 7009: always 200).
pub(crate) async fn revoke(State(app): State<Shared>, headers: HeaderMap, body: Bytes) -> Response {
    let p = params(&headers, &body);
    let mut db = app.lock();
    if let Some((id, secret)) = client_credentials(&headers, &p) {
        if id != db.client_id || secret.is_some_and(|s| s != db.client_secret) {
            return oauth_error(
                StatusCode::UNAUTHORIZED,
                "invalid_client",
                Some("unknown client or wrong client secret"),
            );
        }
    }
    let Some(token) = p.get("token") else {
        return oauth_error(
            StatusCode::BAD_REQUEST,
            "invalid_request",
            Some("token is required"),
        );
    };
    if let Some(r) = db.refresh_tokens.remove(token) {
        db.tokens.remove(&r.access);
    }
    if let Some(info) = db.tokens.remove(token) {
        if let Some(rt) = info.refresh {
            db.refresh_tokens.remove(&rt);
        }
    }
    let mut resp = Response::new(axum::body::Body::empty());
    *resp.status_mut() = StatusCode::OK;
    resp
}
