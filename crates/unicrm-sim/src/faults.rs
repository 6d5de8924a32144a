//! Seeded, replayable fault injection for the simulators.
//!
//! [`layer`] wraps a simulator's [`axum::Router`] with a middleware that, per request and in
//! this order: counts the request ([`SimStats`]), draws every random number the request needs
//! from one generator seeded with [`FaultConfig::seed`] (always the same number of draws, so a
//! given seed and request sequence replays the same faults), sleeps `latency_ms` plus jitter,
//! then either answers without running the handler (429 burst, 5xx, dropped connection) or runs
//! it and possibly damages the response (malformed JSON, truncated body, slow body).
//!
//! *After-commit* faults run the handler and then lose its answer: a 2xx response (the write
//! was applied) is replaced by a 5xx, or the connection is dropped. They are drawn from a
//! second generator (also seeded from [`FaultConfig::seed`]) so that turning them on does not
//! change which requests the other faults hit, and they are counted per `METHOD /path` and per
//! method in [`SimStats`], so a test can assert that they actually hit creates.
//!
//! Error and 429 bodies follow the vendor named by [`Flavor`].

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use axum::Router;
use axum::body::Body;
use axum::extract::{Request, State};
use axum::middleware::{self, Next};
use axum::response::Response;
use bytes::Bytes;
use http::{HeaderValue, StatusCode, header};
use rand::rngs::SmallRng;
use rand::{Rng, SeedableRng};
use serde::{Deserialize, Serialize};

use crate::clock::SimClock;

/// Faults to inject. All rates are probabilities in `0.0..=1.0` per request, drawn from a
/// generator seeded with `seed`, so a given seed and request sequence replays the same faults.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct FaultConfig {
    /// Seed of the fault generator.
    pub seed: u64,
    /// Fixed latency added before every response, in milliseconds.
    pub latency_ms: u64,
    /// Random extra latency, uniform in `0..=jitter_ms`.
    pub jitter_ms: u64,
    /// Probability of answering 500/502/503 instead of handling the request.
    pub error_rate: f64,
    /// Probability that a request starts a burst of 429 responses.
    pub burst_429_rate: f64,
    /// Number of consecutive 429 responses in a burst (the triggering request included).
    pub burst_429_len: u32,
    /// Probability of dropping the connection without a complete response.
    pub drop_rate: f64,
    /// Probability of a 200 response whose body is malformed JSON.
    pub malformed_rate: f64,
    /// Probability of a response whose body is cut short.
    pub truncate_rate: f64,
    /// Delay between body chunks for slow bodies, in milliseconds (0 = off).
    pub slow_body_ms: u64,
    /// Probability that a request the handler answered with a 2xx (the write, if any, is
    /// applied) gets a 500/502/503 instead of that answer. Default 0.
    pub after_commit_error_rate: f64,
    /// Probability that a request the handler answered with a 2xx (the write, if any, is
    /// applied) has its connection dropped instead of that answer. Default 0. Checked after
    /// [`after_commit_error_rate`](Self::after_commit_error_rate).
    pub after_commit_drop_rate: f64,
}

/// Which vendor's error conventions injected faults imitate.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Flavor {
    /// Capsule CRM v2: `{"message":…}` 5xx bodies; 429 `{"error":"rate limit reached"}` with
    /// `X-RateLimit-*` headers and no `Retry-After`.
    Capsule,
    /// Insightly v3.1: `{"Message":…}` bodies; 429 with `Retry-After: 1`.
    Insightly,
    /// HighLevel v2: NestJS `{"statusCode":…,"message":…}` bodies; 429 without
    /// `Retry-After`, with `X-RateLimit-Remaining: 0`.
    HighLevel,
}

/// Request counters of a simulator, as returned by its handle's `stats()`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SimStats {
    /// Requests received (including those answered by an injected fault).
    pub requests: u64,
    /// Responses with status 429 (injected bursts and real rate limiting).
    pub rate_limited: u64,
    /// Responses with a 5xx status (injected or not).
    pub server_errors: u64,
    /// Connections dropped on purpose by the fault injector.
    pub dropped: u64,
    /// Requests per `"METHOD /path"`, with numeric path segments (and id lists) shown as `{id}`.
    pub per_path: BTreeMap<String, u64>,
    /// After-commit 5xx answers: the handler answered 2xx, the client got a 5xx (also counted
    /// in [`server_errors`](Self::server_errors)).
    pub after_commit_errors: u64,
    /// After-commit dropped connections: the handler answered 2xx, the connection broke (also
    /// counted in [`dropped`](Self::dropped)).
    pub after_commit_drops: u64,
    /// After-commit faults (both kinds) per HTTP method, e.g. `"POST"`.
    pub after_commit_per_method: BTreeMap<String, u64>,
    /// After-commit faults (both kinds) per `"METHOD /path"` (ids shown as `{id}`, as in
    /// [`per_path`](Self::per_path)).
    pub after_commit_per_path: BTreeMap<String, u64>,
}

/// The fault injector: configuration, seeded generator, 429-burst state and request counters.
/// Cheap to clone (shared state).
#[derive(Debug, Clone)]
pub struct Faults {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    flavor: Flavor,
    clock: SimClock,
    state: Mutex<FaultState>,
    stats: Mutex<SimStats>,
    rate_limit: AtomicU32,
}

#[derive(Debug)]
struct FaultState {
    config: FaultConfig,
    rng: SmallRng,
    /// Generator of the after-commit draws (separate, so enabling them keeps the other
    /// faults' sequence).
    after_rng: SmallRng,
    burst_left: u32,
}

/// Mixed into [`FaultConfig::seed`] to seed the after-commit generator.
const AFTER_COMMIT_SALT: u64 = 0xA5F1_C0DE_7E57_0001;

fn after_rng(seed: u64) -> SmallRng {
    SmallRng::seed_from_u64(seed ^ AFTER_COMMIT_SALT)
}

/// What the draw decided for one request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Pre {
    Pass,
    RateLimited,
    ServerError(u16),
    Drop,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Post {
    Pass,
    Malformed,
    Truncate,
}

/// What happens to a 2xx answer of the handler.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum After {
    Pass,
    ServerError(u16),
    Drop,
}

#[derive(Debug, Clone, Copy)]
struct Draw {
    delay: Duration,
    pre: Pre,
    post: Post,
    after: After,
    slow: Duration,
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

impl Faults {
    /// A fault injector with `config`, imitating `flavor`, on the system clock.
    pub fn new(config: FaultConfig, flavor: Flavor) -> Self {
        Self::with_clock(config, flavor, SimClock::system())
    }

    /// A fault injector whose `Date` headers and Capsule `X-RateLimit-Reset` values come from
    /// `clock`.
    pub fn with_clock(config: FaultConfig, flavor: Flavor, clock: SimClock) -> Self {
        let rng = SmallRng::seed_from_u64(config.seed);
        Self {
            inner: Arc::new(Inner {
                flavor,
                clock,
                state: Mutex::new(FaultState {
                    after_rng: after_rng(config.seed),
                    config,
                    rng,
                    burst_left: 0,
                }),
                stats: Mutex::new(SimStats::default()),
                rate_limit: AtomicU32::new(4000),
            }),
        }
    }

    /// Replaces the configuration, reseeds the generator from `config.seed` and ends any
    /// 429 burst in progress.
    pub fn set_config(&self, config: FaultConfig) {
        let mut st = lock(&self.inner.state);
        st.rng = SmallRng::seed_from_u64(config.seed);
        st.after_rng = after_rng(config.seed);
        st.config = config;
        st.burst_left = 0;
    }

    /// The current configuration.
    pub fn config(&self) -> FaultConfig {
        lock(&self.inner.state).config.clone()
    }

    /// The vendor imitated.
    pub fn flavor(&self) -> Flavor {
        self.inner.flavor
    }

    /// Sets the value of `X-RateLimit-Limit` on injected Capsule 429 responses (default 4000).
    pub fn set_rate_limit_hint(&self, limit: u32) {
        self.inner.rate_limit.store(limit, Ordering::Relaxed);
    }

    /// A snapshot of the request counters.
    pub fn stats(&self) -> SimStats {
        lock(&self.inner.stats).clone()
    }

    /// Sets every request counter back to zero.
    pub fn reset_stats(&self) {
        *lock(&self.inner.stats) = SimStats::default();
    }

    fn draw(&self) -> Draw {
        let mut guard = lock(&self.inner.state);
        let st = &mut *guard;
        let cfg = &st.config;
        // Always the same number of draws per request, whatever the outcome.
        let jitter = st.rng.random_range(0..=cfg.jitter_ms.min(3_600_000));
        let u_burst: f64 = st.rng.random();
        let u_error: f64 = st.rng.random();
        let code_pick: u8 = st.rng.random_range(0..3);
        let u_drop: f64 = st.rng.random();
        let u_malformed: f64 = st.rng.random();
        let u_truncate: f64 = st.rng.random();
        let pre = if st.burst_left > 0 {
            st.burst_left -= 1;
            Pre::RateLimited
        } else if u_burst < cfg.burst_429_rate {
            st.burst_left = cfg.burst_429_len.saturating_sub(1);
            Pre::RateLimited
        } else if u_error < cfg.error_rate {
            Pre::ServerError([500, 502, 503][usize::from(code_pick)])
        } else if u_drop < cfg.drop_rate {
            Pre::Drop
        } else {
            Pre::Pass
        };
        let post = if u_malformed < cfg.malformed_rate {
            Post::Malformed
        } else if u_truncate < cfg.truncate_rate {
            Post::Truncate
        } else {
            Post::Pass
        };
        // Always three after-commit draws, from their own generator.
        let u_after_error: f64 = st.after_rng.random();
        let after_code: u8 = st.after_rng.random_range(0..3);
        let u_after_drop: f64 = st.after_rng.random();
        let after = if u_after_error < cfg.after_commit_error_rate {
            After::ServerError([500, 502, 503][usize::from(after_code)])
        } else if u_after_drop < cfg.after_commit_drop_rate {
            After::Drop
        } else {
            After::Pass
        };
        Draw {
            delay: Duration::from_millis(cfg.latency_ms.min(3_600_000).saturating_add(jitter)),
            pre,
            post,
            after,
            slow: Duration::from_millis(cfg.slow_body_ms.min(60_000)),
        }
    }

    fn count_request(&self, key: String) {
        let mut s = lock(&self.inner.stats);
        s.requests += 1;
        *s.per_path.entry(key).or_insert(0) += 1;
    }

    fn count_status(&self, status: StatusCode) {
        let mut s = lock(&self.inner.stats);
        if status == StatusCode::TOO_MANY_REQUESTS {
            s.rate_limited += 1;
        } else if status.is_server_error() {
            s.server_errors += 1;
        }
    }

    fn count_drop(&self) {
        lock(&self.inner.stats).dropped += 1;
    }

    fn count_after_commit(&self, method: &http::Method, key: String, after: After) {
        let mut s = lock(&self.inner.stats);
        match after {
            After::ServerError(_) => s.after_commit_errors += 1,
            After::Drop => s.after_commit_drops += 1,
            After::Pass => return,
        }
        *s.after_commit_per_method
            .entry(method.as_str().to_string())
            .or_insert(0) += 1;
        *s.after_commit_per_path.entry(key).or_insert(0) += 1;
    }

    fn rate_limited_response(&self) -> Response {
        match self.inner.flavor {
            Flavor::Capsule => {
                let mut resp = json_response(
                    StatusCode::TOO_MANY_REQUESTS,
                    r#"{"error":"rate limit reached"}"#,
                );
                let limit = self.inner.rate_limit.load(Ordering::Relaxed);
                let reset = self.inner.clock.now().timestamp().max(0) + 1;
                let h = resp.headers_mut();
                h.insert("x-ratelimit-limit", HeaderValue::from(limit));
                h.insert("x-ratelimit-remaining", HeaderValue::from_static("0"));
                h.insert("x-ratelimit-reset", HeaderValue::from(reset));
                resp
            }
            Flavor::Insightly => {
                let mut resp = json_response(
                    StatusCode::TOO_MANY_REQUESTS,
                    r#"{"Message":"API rate limit exceeded."}"#,
                );
                resp.headers_mut()
                    .insert(header::RETRY_AFTER, HeaderValue::from_static("1"));
                resp
            }
            Flavor::HighLevel => {
                let mut resp = json_response(
                    StatusCode::TOO_MANY_REQUESTS,
                    r#"{"statusCode":429,"message":"Too Many Requests"}"#,
                );
                let limit = self.inner.rate_limit.load(Ordering::Relaxed);
                let h = resp.headers_mut();
                h.insert("x-ratelimit-max", HeaderValue::from(limit));
                h.insert("x-ratelimit-remaining", HeaderValue::from_static("0"));
                h.insert(
                    "x-ratelimit-interval-milliseconds",
                    HeaderValue::from_static("10000"),
                );
                resp
            }
        }
    }

    fn server_error_response(&self, code: u16) -> Response {
        let status = StatusCode::from_u16(code).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        let body = match (self.inner.flavor, code) {
            (Flavor::Capsule, 502) => r#"{"message":"Bad Gateway"}"#,
            (Flavor::Capsule, 503) => r#"{"message":"Service Unavailable"}"#,
            (Flavor::Capsule, _) => r#"{"message":"Internal Server Error"}"#,
            (Flavor::Insightly, _) => r#"{"Message":"An error has occurred."}"#,
            (Flavor::HighLevel, 502) => r#"{"statusCode":502,"message":"Bad Gateway"}"#,
            (Flavor::HighLevel, 503) => r#"{"statusCode":503,"message":"Service Unavailable"}"#,
            (Flavor::HighLevel, _) => r#"{"statusCode":500,"message":"Internal server error"}"#,
        };
        json_response(status, body)
    }

    fn malformed_body(&self) -> &'static str {
        match self.inner.flavor {
            Flavor::Capsule => r#"{"parties":[{"id":1,"type":"#,
            Flavor::Insightly => r#"[{"CONTACT_ID":1,"FIRST_NAME":"#,
            Flavor::HighLevel => r#"{"contacts":[{"id":"Ct","firstName":"#,
        }
    }
}

fn json_response(status: StatusCode, body: &'static str) -> Response {
    let mut resp = Response::new(Body::from(body));
    *resp.status_mut() = status;
    resp.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    resp
}

/// `"GET /api/v2/parties/{id}"` for `GET /api/v2/parties/12,13`.
fn path_key(method: &http::Method, path: &str) -> String {
    let mut key = String::with_capacity(path.len() + 8);
    key.push_str(method.as_str());
    key.push(' ');
    let mut first = true;
    for seg in path.split('/') {
        if !first {
            key.push('/');
        }
        first = false;
        let numeric = !seg.is_empty()
            && seg
                .bytes()
                .all(|b| b.is_ascii_digit() || b == b',' || b == b'-');
        if numeric {
            key.push_str("{id}");
        } else {
            key.push_str(seg);
        }
    }
    key
}

/// A body that sends nothing and then fails, so hyper aborts the connection.
fn broken_body() -> Body {
    Body::from_stream(futures::stream::once(async {
        Err::<Bytes, std::io::Error>(std::io::Error::new(
            std::io::ErrorKind::ConnectionAborted,
            "fault injection: connection dropped",
        ))
    }))
}

fn slow_body(bytes: Bytes, pause: Duration) -> Body {
    const CHUNKS: usize = 4;
    let size = bytes.len().div_ceil(CHUNKS).max(1);
    let chunks: Vec<Bytes> = (0..bytes.len())
        .step_by(size)
        .map(|start| bytes.slice(start..(start + size).min(bytes.len())))
        .collect();
    let stream = futures::stream::unfold(
        (chunks.into_iter(), true),
        move |(mut it, first)| async move {
            let chunk = it.next()?;
            if !first {
                tokio::time::sleep(pause).await;
            }
            Some((Ok::<Bytes, std::io::Error>(chunk), (it, false)))
        },
    );
    Body::from_stream(stream)
}

fn dropped_response() -> Response {
    let mut resp = Response::new(broken_body());
    resp.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    resp
}

async fn fault_middleware(State(faults): State<Faults>, req: Request, next: Next) -> Response {
    let key = path_key(req.method(), req.uri().path());
    let method = req.method().clone();
    faults.count_request(key.clone());
    let draw = faults.draw();
    if !draw.delay.is_zero() {
        tokio::time::sleep(draw.delay).await;
    }
    let mut resp = match draw.pre {
        Pre::RateLimited => faults.rate_limited_response(),
        Pre::ServerError(code) => faults.server_error_response(code),
        Pre::Drop => {
            faults.count_drop();
            return dropped_response();
        }
        Pre::Pass => {
            let resp = next.run(req).await;
            // The handler ran: a 2xx means any write it made is applied. An after-commit
            // fault loses that answer.
            if resp.status().is_success() && draw.after != After::Pass {
                faults.count_after_commit(&method, key, draw.after);
                match draw.after {
                    After::ServerError(code) => faults.server_error_response(code),
                    After::Drop | After::Pass => {
                        faults.count_drop();
                        return dropped_response();
                    }
                }
            } else {
                resp
            }
        }
    };
    faults.count_status(resp.status());
    // Every answer carries the vendor's `Date` (RFC 7231), from the simulator's clock.
    if let Ok(v) = HeaderValue::from_str(&faults.inner.clock.http_date()) {
        resp.headers_mut().insert(header::DATE, v);
    }
    let damage = draw.post != Post::Pass && resp.status().is_success();
    if !damage && draw.slow.is_zero() {
        return resp;
    }
    let (mut parts, body) = resp.into_parts();
    let Ok(mut bytes) = axum::body::to_bytes(body, usize::MAX).await else {
        return Response::from_parts(parts, broken_body());
    };
    if damage && !bytes.is_empty() {
        match draw.post {
            Post::Malformed => bytes = Bytes::from_static(faults.malformed_body().as_bytes()),
            Post::Truncate => bytes.truncate(bytes.len() / 2),
            Post::Pass => {}
        }
    }
    parts.headers.remove(header::CONTENT_LENGTH);
    let body = if draw.slow.is_zero() {
        Body::from(bytes)
    } else {
        slow_body(bytes, draw.slow)
    };
    Response::from_parts(parts, body)
}

/// Wraps `router` with the fault-injection middleware driven by `faults` (outermost layer:
/// it sees and counts every request, and sets the `Date` header of every answer from the
/// clock of `faults`).
pub fn layer(router: Router, faults: Faults) -> Router {
    router.layer(middleware::from_fn_with_state(faults, fault_middleware))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn path_keys_hide_ids() {
        assert_eq!(
            path_key(&http::Method::GET, "/api/v2/parties/12,13/people"),
            "GET /api/v2/parties/{id}/people"
        );
        assert_eq!(
            path_key(&http::Method::POST, "/oauth/token"),
            "POST /oauth/token"
        );
    }

    #[test]
    fn same_seed_same_draws() {
        let cfg = FaultConfig {
            seed: 7,
            error_rate: 0.3,
            burst_429_rate: 0.1,
            burst_429_len: 3,
            drop_rate: 0.1,
            ..FaultConfig::default()
        };
        let a = Faults::new(cfg.clone(), Flavor::Capsule);
        let b = Faults::new(cfg, Flavor::Insightly);
        for _ in 0..200 {
            assert_eq!(a.draw().pre, b.draw().pre);
        }
    }
}
