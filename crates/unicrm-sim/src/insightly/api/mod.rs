//! Request handling of the Insightly simulator: authentication, rate limits, routing and the
//! endpoints of docs/vendors/insightly-v3.1.md ("Endpoints"), with its "Create and update semantics" and "Errors". This module
//! holds the request pipeline (limits, auth, dispatch, headers); the endpoints are in the
//! submodules.

use std::collections::{BTreeMap, HashMap};
use std::io::Write;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, RwLock, RwLockReadGuard, RwLockWriteGuard};

use axum::body::Body;
use axum::extract::{Request, State};
use axum::response::Response;
use base64::Engine;
use bytes::Bytes;
use http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use serde::Serialize;
use serde_json::{Map, Value, json};

use super::limits::{Limiter, Verdict};
use super::store::{Db, LinkView, Ordered, Rec, RecView};
use crate::insightly::schema::{Kind, OPP_STATES, Ty, coerce, parse_dt, value_matches};

/// Largest request body accepted.
const MAX_BODY: usize = 16 * 1024 * 1024;

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
    fn read(&self) -> RwLockReadGuard<'_, Db> {
        self.db.read().unwrap_or_else(|e| e.into_inner())
    }

    pub(crate) fn write(&self) -> RwLockWriteGuard<'_, Db> {
        self.db.write().unwrap_or_else(|e| e.into_inner())
    }

    pub(crate) fn limiter(&self) -> MutexGuard<'_, Limiter> {
        self.limiter.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// An error answer: status and `Message`.
#[derive(Debug)]
pub(crate) struct ApiErr(StatusCode, String);

fn bad(msg: impl Into<String>) -> ApiErr {
    ApiErr(StatusCode::BAD_REQUEST, msg.into())
}

fn not_found(msg: impl Into<String>) -> ApiErr {
    ApiErr(StatusCode::NOT_FOUND, msg.into())
}

fn no_route(path: &str) -> ApiErr {
    not_found(format!(
        "No HTTP resource was found that matches the request URI '{path}'."
    ))
}

fn method_not_allowed(m: &Method) -> ApiErr {
    ApiErr(
        StatusCode::METHOD_NOT_ALLOWED,
        format!("The requested resource does not support http method '{m}'."),
    )
}

/// A successful answer before headers are added.
struct Reply {
    status: StatusCode,
    body: Vec<u8>,
    total: Option<usize>,
}

type Res = Result<Reply, ApiErr>;

fn ok_json<T: Serialize + ?Sized>(v: &T) -> Res {
    Ok(Reply {
        status: StatusCode::OK,
        body: serde_json::to_vec(v).unwrap_or_default(),
        total: None,
    })
}

fn empty(status: StatusCode) -> Res {
    Ok(Reply {
        status,
        body: Vec::new(),
        total: None,
    })
}

/// One request, parsed.
struct Ctx {
    method: Method,
    path: String,
    query: HashMap<String, String>,
    body: Bytes,
    user: u64,
    if_match: Option<String>,
}

impl Ctx {
    fn q(&self, key: &str) -> Option<&str> {
        self.query.get(key).map(String::as_str)
    }

    fn flag(&self, key: &str) -> bool {
        self.q(key)
            .is_some_and(|v| v.trim().eq_ignore_ascii_case("true"))
    }

    fn json_object(&self) -> Result<Map<String, Value>, ApiErr> {
        if self.body.iter().all(u8::is_ascii_whitespace) {
            return Err(bad("The request body is empty; a JSON object is required."));
        }
        match serde_json::from_slice::<Value>(&self.body) {
            Ok(Value::Object(m)) => Ok(m.into_iter().map(|(k, v)| (k.to_uppercase(), v)).collect()),
            Ok(_) => Err(bad("The request body must be a JSON object.")),
            Err(e) => Err(bad(format!("The request body is not valid JSON: {e}"))),
        }
    }

    fn only(&self, allowed: &[Method]) -> Result<(), ApiErr> {
        if allowed.contains(&self.method) {
            Ok(())
        } else {
            Err(method_not_allowed(&self.method))
        }
    }
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

fn error_response(status: StatusCode, msg: &str) -> (StatusCode, Vec<u8>) {
    (
        status,
        serde_json::to_vec(&json!({ "Message": msg })).unwrap_or_default(),
    )
}

/// The single axum handler: limits, auth, routing, then headers and compression.
pub(crate) async fn handle(State(sim): State<Arc<Sim>>, req: Request) -> Response {
    let (parts, body) = req.into_parts();
    let (verdict, limit, remaining) = {
        let now = sim.clock.now();
        let mut l = sim.limiter();
        let v = l.check(now);
        (v, l.quota(), l.remaining())
    };
    let mut extra: Vec<(header::HeaderName, HeaderValue)> = Vec::new();
    let (status, bytes, total) = match verdict {
        Verdict::Burst | Verdict::Daily(_) => {
            let secs = if let Verdict::Daily(s) = verdict {
                s
            } else {
                1
            };
            extra.push((header::RETRY_AFTER, HeaderValue::from(secs)));
            let (s, b) = error_response(
                StatusCode::TOO_MANY_REQUESTS,
                "API rate limit exceeded. Try again later.",
            );
            (s, b, None)
        }
        Verdict::Pass => match axum::body::to_bytes(body, MAX_BODY).await {
            Err(_) => {
                let (s, b) = error_response(
                    StatusCode::BAD_REQUEST,
                    "The request body could not be read.",
                );
                (s, b, None)
            }
            Ok(body) => match dispatch(&sim, &parts.method, &parts.uri, &parts.headers, body) {
                Ok(r) => (r.status, r.body, r.total),
                Err(ApiErr(s, m)) => {
                    let (s, b) = error_response(s, &m);
                    (s, b, None)
                }
            },
        },
    };
    finish(
        &parts.headers,
        status,
        bytes,
        total,
        limit,
        remaining,
        extra,
    )
}

fn finish(
    req_headers: &HeaderMap,
    status: StatusCode,
    bytes: Vec<u8>,
    total: Option<usize>,
    limit: u32,
    remaining: u32,
    extra: Vec<(header::HeaderName, HeaderValue)>,
) -> Response {
    let mut resp = Response::builder().status(status);
    let h = resp.headers_mut();
    if let Some(h) = h {
        h.insert("X-RateLimit-Limit", HeaderValue::from(limit));
        h.insert("X-RateLimit-Remaining", HeaderValue::from(remaining));
        if let Some(t) = total {
            h.insert("X-Total-Count", HeaderValue::from(t));
        }
        for (k, v) in extra {
            h.insert(k, v);
        }
        if status.is_success() && !bytes.is_empty() {
            if let Ok(v) = HeaderValue::from_str(&etag(&bytes)) {
                h.insert(header::ETAG, v);
            }
        }
        if !bytes.is_empty() {
            h.insert(
                header::CONTENT_TYPE,
                HeaderValue::from_static("application/json; charset=utf-8"),
            );
        }
    }
    let accept = req_headers
        .get(header::ACCEPT_ENCODING)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_ascii_lowercase();
    let wants = |enc: &str| {
        accept
            .split(',')
            .map(|p| p.split(';').next().unwrap_or("").trim())
            .any(|p| p == enc)
    };
    let mut body = bytes;
    if !body.is_empty() {
        if wants("gzip") {
            let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
            if enc.write_all(&body).is_ok() {
                if let Ok(z) = enc.finish() {
                    body = z;
                    resp = resp.header(header::CONTENT_ENCODING, "gzip");
                }
            }
        } else if wants("deflate") {
            let mut enc = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::fast());
            if enc.write_all(&body).is_ok() {
                if let Ok(z) = enc.finish() {
                    body = z;
                    resp = resp.header(header::CONTENT_ENCODING, "deflate");
                }
            }
        }
        resp = resp.header(header::VARY, "Accept-Encoding");
    }
    resp.body(Body::from(body))
        .unwrap_or_else(|_| Response::new(Body::empty()))
}

/// Resolves the Basic credentials to a user, or the 401 / wrong-pod answer.
fn authenticate(sim: &Sim, headers: &HeaderMap) -> Result<u64, ApiErr> {
    let denied = || {
        ApiErr(
            StatusCode::UNAUTHORIZED,
            "Authorization has been denied for this request.".into(),
        )
    };
    let value = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .ok_or_else(denied)?;
    let (scheme, encoded) = value.trim().split_once(' ').ok_or_else(denied)?;
    if !scheme.eq_ignore_ascii_case("basic") {
        return Err(denied());
    }
    let encoded = encoded.trim();
    let raw = base64::engine::general_purpose::STANDARD
        .decode(encoded)
        .or_else(|_| {
            base64::engine::general_purpose::STANDARD_NO_PAD.decode(encoded.trim_end_matches('='))
        })
        .map_err(|_| denied())?;
    let text = String::from_utf8(raw).map_err(|_| denied())?;
    let key = text
        .split_once(':')
        .map_or(text.as_str(), |(k, _)| k)
        .trim();
    let (user, pod) = sim.keys.get(key).ok_or_else(denied)?;
    if !pod.eq_ignore_ascii_case(&sim.pod) {
        let msg = if sim.wrong_pod_status == StatusCode::UNAUTHORIZED {
            "Authorization has been denied for this request."
        } else {
            "Not found."
        };
        return Err(ApiErr(sim.wrong_pod_status, msg.into()));
    }
    Ok(*user)
}

fn dispatch(sim: &Sim, method: &Method, uri: &http::Uri, headers: &HeaderMap, body: Bytes) -> Res {
    let user = authenticate(sim, headers)?;
    let path = uri.path().to_string();
    let rest = match path.get(..6) {
        Some(p) if p.eq_ignore_ascii_case("/v3.1/") => &path[6..],
        _ => return Err(no_route(&path)),
    };
    let segs: Vec<String> = rest
        .split('/')
        .filter(|s| !s.is_empty())
        .map(str::to_string)
        .collect();
    let query: HashMap<String, String> =
        url::form_urlencoded::parse(uri.query().unwrap_or("").as_bytes())
            .map(|(k, v)| (k.to_lowercase(), v.into_owned()))
            .collect();
    let ctx = Ctx {
        method: method.clone(),
        path: path.clone(),
        query,
        body,
        user,
        if_match: headers
            .get(header::IF_MATCH)
            .and_then(|v| v.to_str().ok())
            .map(str::to_string),
    };
    let Some(first) = segs.first() else {
        return Err(no_route(&path));
    };
    let first = first.to_lowercase();
    let leads_on = sim.leads_enabled.load(Ordering::Relaxed);
    let touches_leads = first == "leads"
        || first == "leadstatuses"
        || first == "leadsources"
        || ((first == "customfields" || first == "tags")
            && segs.get(1).is_some_and(|s| s.eq_ignore_ascii_case("leads")));
    if touches_leads && !leads_on {
        return Err(ApiErr(
            StatusCode::FORBIDDEN,
            "No Access to Data: Leads are not enabled for this user.".into(),
        ));
    }
    let rest: Vec<&str> = segs[1..].iter().map(String::as_str).collect();
    match first.as_str() {
        "users" => users(sim, &ctx, &rest),
        "customfields" => custom_fields(sim, &ctx, &rest),
        "tags" => tag_names(sim, &ctx, &rest),
        "instance" => {
            ctx.only(&[Method::GET])?;
            if !rest.is_empty() {
                return Err(no_route(&ctx.path));
            }
            ok_json(&Ordered(vec![
                ("INSTANCE_NAME", "unicrm simulator".into()),
                ("PLAN", "Enterprise".into()),
                ("POD", sim.pod.clone().into()),
                ("LATEST_VERSION", true.into()),
            ]))
        }
        _ => {
            if let Some(kind) = Kind::from_path(&first) {
                return object(sim, &ctx, kind, &rest);
            }
            if sim.read().reference(&first).is_some() {
                return reference(sim, &ctx, &first, &rest);
            }
            Err(no_route(&ctx.path))
        }
    }
}

mod listing;
mod routes;
mod subresources;
mod values;
mod writes;

use listing::*;
use routes::*;
use subresources::*;
use values::*;
use writes::*;
