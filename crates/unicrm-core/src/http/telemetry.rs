//! What every request reports: `tracing` spans and the `metrics` facade, so an application's
//! own exporter (Prometheus, OpenTelemetry) picks them up. Nothing is recorded unless the
//! application installs a recorder; no label carries a secret or a record id.
//!
//! | metric | kind | labels |
//! | --- | --- | --- |
//! | `unicrm_requests_total` | counter | `vendor`, `tenant`, `method`, `status` (the code, or `error` for no answer) |
//! | `unicrm_retries_total` | counter | `vendor`, `tenant` |
//! | `unicrm_rate_limited_total` | counter | `vendor`, `tenant` (answers 429) |
//! | `unicrm_request_duration_seconds` | histogram | `vendor`, `tenant`, `method` |
//! | `unicrm_limit_wait_seconds` | histogram | `vendor`, `tenant` (time held by the limiter and the budget) |
//! | `unicrm_limiter_redis_unreachable_total` | counter | `vendor`, `tenant`, `outage` (`fail_closed` or `fall_back_to_local`): a Redis rate limiter could not reach Redis (feature `redis`) |
//!
//! The span of one attempt is `unicrm.request`, with `vendor`, `tenant`, `resource` (the first
//! segment of the path under the client's base URL: `parties`, `Contacts`, …), `method`,
//! `path`, `attempt` and, once answered, `status`.

use std::time::Duration;

use http::Method;

/// Requests sent.
pub const REQUESTS: &str = "unicrm_requests_total";
/// Attempts after the first.
pub const RETRIES: &str = "unicrm_retries_total";
/// Answers 429.
pub const RATE_LIMITED: &str = "unicrm_rate_limited_total";
/// Time from send to the whole answer.
pub const DURATION: &str = "unicrm_request_duration_seconds";
/// Time held before a send by the rate limiter and the budget.
pub const LIMIT_WAIT: &str = "unicrm_limit_wait_seconds";
/// A Redis rate limiter's attempts that could not reach Redis (each held or locally paced
/// request counts once per attempt).
pub const REDIS_UNREACHABLE: &str = "unicrm_limiter_redis_unreachable_total";

/// The resource a request names: the first segment of `url`'s path under `base`'s path (the
/// first segment of the path when `url` is elsewhere, e.g. a token endpoint), or `""`.
pub(crate) fn resource_of(base: &url::Url, url: &url::Url) -> String {
    let path = url.path();
    let under = path.strip_prefix(base.path()).unwrap_or(path);
    under
        .split('/')
        .find(|s| !s.is_empty())
        .unwrap_or_default()
        .to_string()
}

/// The labels of one client.
#[derive(Debug, Clone)]
pub(crate) struct Labels {
    pub vendor: &'static str,
    pub tenant: String,
}

impl Labels {
    pub fn request(&self, method: &Method, status: Option<u16>, took: Duration) {
        let status = status.map_or_else(|| "error".to_string(), |s| s.to_string());
        metrics::counter!(REQUESTS, "vendor" => self.vendor, "tenant" => self.tenant.clone(), "method" => method.to_string(), "status" => status).increment(1);
        metrics::histogram!(DURATION, "vendor" => self.vendor, "tenant" => self.tenant.clone(), "method" => method.to_string()).record(took.as_secs_f64());
    }

    pub fn retry(&self) {
        metrics::counter!(RETRIES, "vendor" => self.vendor, "tenant" => self.tenant.clone())
            .increment(1);
    }

    pub fn rate_limited(&self) {
        metrics::counter!(RATE_LIMITED, "vendor" => self.vendor, "tenant" => self.tenant.clone())
            .increment(1);
    }

    pub fn waited(&self, d: Duration) {
        metrics::histogram!(LIMIT_WAIT, "vendor" => self.vendor, "tenant" => self.tenant.clone())
            .record(d.as_secs_f64());
    }
}
