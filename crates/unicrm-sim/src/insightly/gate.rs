//! The request pipeline of the Insightly simulator, a middleware around the routes. In this
//! order: the rate limits (429 before anything else, so every request that arrives while
//! quota is left uses one unit), the body (read whole, at most 16 MiB), the Basic API key
//! (401, or the wrong-pod status), the Leads switch (403); then the route runs, and every
//! answer gets `X-RateLimit-Limit`/`-Remaining`, a strong `ETag` on a 2xx body,
//! `Content-Type` and `Accept-Encoding` compression (gzip, deflate). See
//! docs/vendors/insightly-v3.1.md ("Authentication", "Rate limits", "Errors").

use std::io::Write;
use std::sync::atomic::Ordering;

use axum::body::Body;
use axum::extract::{Request, State};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use base64::Engine;
use http::{HeaderMap, HeaderValue, StatusCode, header};

use super::handlers::{ApiErr, Caller, Shared, Sim, etag};
use super::limits::Verdict;
use super::web::segments;

/// Largest request body accepted.
const MAX_BODY: usize = 16 * 1024 * 1024;

/// The middleware: limits, body, auth, Leads switch, route, headers.
pub(crate) async fn gate(State(sim): State<Shared>, req: Request, next: Next) -> Response {
    let (verdict, limit, remaining) = {
        let now = sim.clock.now();
        let mut l = sim.limiter();
        let v = l.check(now);
        (v, l.quota(), l.remaining())
    };
    let accept = req
        .headers()
        .get(header::ACCEPT_ENCODING)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_ascii_lowercase();
    let resp = match verdict {
        Verdict::Burst | Verdict::Daily(_) => {
            let secs = if let Verdict::Daily(s) = verdict {
                s
            } else {
                1
            };
            let mut r = ApiErr(
                StatusCode::TOO_MANY_REQUESTS,
                "API rate limit exceeded. Try again later.".into(),
            )
            .into_response();
            r.headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from(secs));
            r
        }
        Verdict::Pass => {
            let (mut parts, body) = req.into_parts();
            match axum::body::to_bytes(body, MAX_BODY).await {
                Err(_) => ApiErr(
                    StatusCode::BAD_REQUEST,
                    "The request body could not be read.".into(),
                )
                .into_response(),
                Ok(bytes) => match admit(&sim, &parts.headers, parts.uri.path()) {
                    Err(e) => e.into_response(),
                    Ok(user) => {
                        parts.extensions.insert(Caller(user));
                        next.run(Request::from_parts(parts, Body::from(bytes)))
                            .await
                    }
                },
            }
        }
    };
    finish(resp, &accept, limit, remaining).await
}

/// Authentication, then the Leads switch: the caller's user, or the refusal.
fn admit(sim: &Sim, headers: &HeaderMap, path: &str) -> Result<u64, ApiErr> {
    let user = authenticate(sim, headers)?;
    let leads_off = !sim.leads_enabled.load(Ordering::Relaxed);
    if leads_off && segments(path).is_some_and(|s| touches_leads(&s)) {
        return Err(ApiErr(
            StatusCode::FORBIDDEN,
            "No Access to Data: Leads are not enabled for this user.".into(),
        ));
    }
    Ok(user)
}

/// Whether a path (its segments below `/v3.1/`) belongs to the Leads module.
fn touches_leads(segs: &[&str]) -> bool {
    let Some(first) = segs.first().map(|s| s.to_lowercase()) else {
        return false;
    };
    first == "leads"
        || first == "leadstatuses"
        || first == "leadsources"
        || ((first == "customfields" || first == "tags")
            && segs.get(1).is_some_and(|s| s.eq_ignore_ascii_case("leads")))
}

/// Resolves the Basic credentials (`base64(key:)`, `base64(key)` or `base64(key:anything)`)
/// to a user, or the 401 / wrong-pod answer.
fn authenticate(sim: &Sim, headers: &HeaderMap) -> Result<u64, ApiErr> {
    let denied = || {
        ApiErr(
            StatusCode::UNAUTHORIZED,
            "Authorization has been denied for this request.".into(),
        )
    };
    let encoded = crate::web::authorization(headers, "Basic").ok_or_else(denied)?;
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

/// The headers every answer carries, and compression.
async fn finish(resp: Response, accept: &str, limit: u32, remaining: u32) -> Response {
    let (mut parts, body) = resp.into_parts();
    let mut body = axum::body::to_bytes(body, usize::MAX)
        .await
        .map(|b| b.to_vec())
        .unwrap_or_default();
    let status = parts.status;
    let h = &mut parts.headers;
    // Our own 405 answers name no `Allow` (as the vendor's do not).
    h.remove(header::ALLOW);
    h.insert("X-RateLimit-Limit", HeaderValue::from(limit));
    h.insert("X-RateLimit-Remaining", HeaderValue::from(remaining));
    if status.is_success() && !body.is_empty() {
        if let Ok(v) = HeaderValue::from_str(&etag(&body)) {
            h.insert(header::ETAG, v);
        }
    }
    h.remove(header::CONTENT_LENGTH);
    if !body.is_empty() {
        h.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/json; charset=utf-8"),
        );
        let wants = |enc: &str| {
            accept
                .split(',')
                .map(|p| p.split(';').next().unwrap_or("").trim())
                .any(|p| p == enc)
        };
        let encoded = if wants("gzip") {
            compress(
                flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast()),
                &body,
            )
            .map(|z| (z, "gzip"))
        } else if wants("deflate") {
            compress(
                flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::fast()),
                &body,
            )
            .map(|z| (z, "deflate"))
        } else {
            None
        };
        if let Some((z, name)) = encoded {
            body = z;
            h.insert(header::CONTENT_ENCODING, HeaderValue::from_static(name));
        }
        h.insert(header::VARY, HeaderValue::from_static("Accept-Encoding"));
    }
    Response::from_parts(parts, Body::from(body))
}

/// The body through an encoder; `None` if encoding failed.
fn compress<W: Write + Finish>(mut enc: W, body: &[u8]) -> Option<Vec<u8>> {
    enc.write_all(body).ok()?;
    enc.done().ok()
}

/// The `finish` of flate2's encoders.
trait Finish {
    fn done(self) -> std::io::Result<Vec<u8>>;
}

impl Finish for flate2::write::GzEncoder<Vec<u8>> {
    fn done(self) -> std::io::Result<Vec<u8>> {
        self.finish()
    }
}

impl Finish for flate2::write::ZlibEncoder<Vec<u8>> {
    fn done(self) -> std::io::Result<Vec<u8>> {
        self.finish()
    }
}
