//! The HTTP client adapters share: base URL joining, the origin rule, credentials, rate
//! limiting, counters. Sending (retries, classification) is in `send.rs`.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use http::Method;
use serde::de::DeserializeOwned;
use url::{Host, Url};

use super::classify::{ErrorBodyParser, GenericErrorBody};
use super::options::{ClientOptions, ConnectionPool, DEFAULT_CONNECT_TIMEOUT};
use super::rate_limit::{QuotaTracker, RateLimiter};
use super::request::Request;
use super::retry::RetryPolicy;
use super::retry_after::{RateLimitHeaders, RateLimitReader, StandardRateLimitHeaders};
use crate::auth::{CredentialProvider, NoCredentials};
use crate::crm::ClientStats;
use crate::error::{Error, Result};
use crate::page::Cursor;
use crate::time::{Clock, Sleeper, SystemClock, TokioSleeper};

#[derive(Debug, Default)]
pub(super) struct Counters {
    pub(super) requests: AtomicU64,
    pub(super) retries: AtomicU64,
    pub(super) rate_limited: AtomicU64,
    pub(super) throttled_ms: AtomicU64,
}

pub(super) struct Inner {
    pub(super) vendor: &'static str,
    pub(super) pool: ConnectionPool,
    pub(super) timeout: Duration,
    pub(super) user_agent: http::HeaderValue,
    pub(super) error_parser: Arc<dyn ErrorBodyParser>,
    pub(super) rate_limits: Arc<dyn RateLimitReader>,
    pub(super) base_url: Url,
    pub(super) credentials: Arc<dyn CredentialProvider>,
    pub(super) limiter: Option<Arc<dyn RateLimiter>>,
    pub(super) quota: Arc<QuotaTracker>,
    pub(super) retry: RetryPolicy,
    pub(super) sleeper: Arc<dyn Sleeper>,
    pub(super) clock: Arc<dyn Clock>,
    pub(super) max_body_bytes: usize,
    pub(super) counters: Counters,
    pub(super) labels: super::telemetry::Labels,
}

/// The shared HTTP client. Cheap to clone: clones share the connection pool, the rate limiter,
/// the budget tracker, credentials and counters.
///
/// It only ever fetches URLs on the origin (scheme, host and port) of its base URL: a cursor or
/// a `Link: next` target elsewhere is refused with [`Error::UnsafeUrl`] before anything is
/// sent. Plain `http` is refused for a base URL that is not loopback unless the builder's
/// [`HttpClientBuilder::allow_insecure_http`] says otherwise.
#[derive(Clone)]
pub struct HttpClient {
    pub(super) inner: Arc<Inner>,
}

impl std::fmt::Debug for HttpClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HttpClient")
            .field("vendor", &self.inner.vendor)
            .field("base_url", &self.inner.base_url.as_str())
            .field("credentials", &self.inner.credentials)
            .field("limiter", &self.inner.limiter)
            .field("retry", &self.inner.retry)
            .field("error_parser", &self.inner.error_parser)
            .field("rate_limits", &self.inner.rate_limits)
            .field("pool", &self.inner.pool)
            .finish()
    }
}

/// Builds an [`HttpClient`].
///
/// The extension points an adapter plugs in: its [`ErrorBodyParser`]
/// ([`HttpClientBuilder::error_parser`]) and its [`RateLimitReader`]
/// ([`HttpClientBuilder::rate_limit_reader`]); core's generic ones are the defaults.
pub struct HttpClientBuilder {
    vendor: &'static str,
    base_url: Url,
    credentials: Arc<dyn CredentialProvider>,
    limiter: Option<Arc<dyn RateLimiter>>,
    quota: Option<Arc<QuotaTracker>>,
    retry: RetryPolicy,
    sleeper: Arc<dyn Sleeper>,
    clock: Arc<dyn Clock>,
    timeout: Duration,
    connect_timeout: Duration,
    user_agent: String,
    max_body_bytes: usize,
    allow_insecure_http: bool,
    pool: Option<ConnectionPool>,
    error_parser: Arc<dyn ErrorBodyParser>,
    rate_limits: Arc<dyn RateLimitReader>,
    tenant: Option<String>,
}

impl std::fmt::Debug for HttpClientBuilder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HttpClientBuilder")
            .field("vendor", &self.vendor)
            .field("base_url", &self.base_url.as_str())
            .field("credentials", &self.credentials)
            .field("allow_insecure_http", &self.allow_insecure_http)
            .finish()
    }
}

/// Parses a base URL and makes sure it ends with `/`, so relative paths join under it.
pub fn parse_base_url(s: &str) -> Result<Url> {
    let mut url =
        Url::parse(s.trim()).map_err(|e| Error::config(format!("invalid base URL {s:?}: {e}")))?;
    if !matches!(url.scheme(), "http" | "https") || url.cannot_be_a_base() {
        return Err(Error::config(format!(
            "base URL {s:?} must be http or https"
        )));
    }
    if !url.path().ends_with('/') {
        let p = format!("{}/", url.path());
        url.set_path(&p);
    }
    url.set_query(None);
    url.set_fragment(None);
    Ok(url)
}

/// Whether `url`'s host is this machine (`localhost`, `127.0.0.0/8`, `::1`).
pub fn is_loopback(url: &Url) -> bool {
    match url.host() {
        Some(Host::Domain(d)) => d.eq_ignore_ascii_case("localhost"),
        Some(Host::Ipv4(ip)) => ip.is_loopback(),
        Some(Host::Ipv6(ip)) => ip.is_loopback(),
        None => false,
    }
}

/// A URL as shown in errors: without its query (which may carry anything) or user info.
pub(super) fn display_url(url: &Url) -> String {
    let mut u = url.clone();
    u.set_query(None);
    u.set_fragment(None);
    let _ = u.set_username("");
    let _ = u.set_password(None);
    u.to_string()
}

/// Refuses plain `http` to a host that is not loopback, unless `allowed`.
pub fn check_transport_security(url: &Url, allowed: bool) -> Result<()> {
    if url.scheme() == "http" && !allowed && !is_loopback(url) {
        return Err(Error::UnsafeUrl {
            url: display_url(url),
            reason: "plain http is only used for loopback hosts unless insecure http is \
                     allowed (credentials and data would travel unencrypted)"
                .into(),
        });
    }
    Ok(())
}

impl HttpClientBuilder {
    /// A builder for `vendor` at `base_url` (a trailing `/` is added when missing).
    pub fn new(vendor: &'static str, base_url: &str) -> Result<Self> {
        Ok(HttpClientBuilder {
            vendor,
            base_url: parse_base_url(base_url)?,
            credentials: Arc::new(NoCredentials),
            limiter: None,
            quota: None,
            retry: RetryPolicy::default(),
            sleeper: Arc::new(TokioSleeper),
            clock: Arc::new(SystemClock),
            timeout: Duration::from_secs(60),
            connect_timeout: DEFAULT_CONNECT_TIMEOUT,
            user_agent: concat!("unicrm/", env!("CARGO_PKG_VERSION")).to_string(),
            max_body_bytes: 64 * 1024 * 1024,
            allow_insecure_http: false,
            pool: None,
            error_parser: Arc::new(GenericErrorBody),
            rate_limits: Arc::new(StandardRateLimitHeaders),
            tenant: None,
        })
    }

    /// Labels this client's spans and metrics with `tenant` (a customer, an account: never a
    /// secret); empty by default.
    pub fn tenant(mut self, tenant: impl Into<String>) -> Self {
        self.tenant = Some(tenant.into());
        self
    }

    /// Applies every option `opts` sets (user agent, timeouts, rate limiter, retries,
    /// connection pool, sleeper, clock). The base URL is not applied: the adapter resolves it
    /// (pods, defaults) and passes it to [`HttpClientBuilder::new`].
    pub fn options(mut self, opts: &ClientOptions) -> Self {
        if let Some(ua) = &opts.user_agent {
            self.user_agent = ua.clone();
        }
        if let Some(t) = opts.timeout {
            self.timeout = t;
        }
        if let Some(t) = opts.connect_timeout {
            self.connect_timeout = t;
        }
        if let Some(l) = &opts.rate_limiter {
            self.limiter = Some(l.clone());
        }
        if let Some(r) = &opts.retry {
            self.retry = r.clone();
        }
        if let Some(p) = &opts.connection_pool {
            self.pool = Some(p.clone());
        }
        if let Some(s) = &opts.sleeper {
            self.sleeper = s.clone();
        }
        if let Some(c) = &opts.clock {
            self.clock = c.clone();
        }
        if let Some(t) = &opts.tenant {
            self.tenant = Some(t.clone());
        }
        self
    }

    /// Sends through a pool shared with other clients instead of a pool of its own.
    pub fn connection_pool(mut self, pool: ConnectionPool) -> Self {
        self.pool = Some(pool);
        self
    }

    /// Sets the connect timeout of the client's own pool (a shared pool keeps its own).
    pub fn connect_timeout(mut self, t: Duration) -> Self {
        self.connect_timeout = t;
        self
    }

    /// Reads the vendor's error bodies with `parser` (core's [`GenericErrorBody`] by
    /// default).
    pub fn error_parser(mut self, parser: Arc<dyn ErrorBodyParser>) -> Self {
        self.error_parser = parser;
        self
    }

    /// Reads the vendor's rate-limit headers with `reader` (core's
    /// [`StandardRateLimitHeaders`] by default).
    pub fn rate_limit_reader(mut self, reader: Arc<dyn RateLimitReader>) -> Self {
        self.rate_limits = reader;
        self
    }

    /// Sets the credentials.
    pub fn credentials(mut self, c: Arc<dyn CredentialProvider>) -> Self {
        self.credentials = c;
        self
    }

    /// Sets the rate limiter applied before every attempt (retries and re-sends after a token
    /// refresh included).
    pub fn rate_limiter(mut self, l: Arc<dyn RateLimiter>) -> Self {
        self.limiter = Some(l);
        self
    }

    /// Shares a budget tracker between clients that spend one budget (one vendor account).
    pub fn quota_tracker(mut self, q: Arc<QuotaTracker>) -> Self {
        self.quota = Some(q);
        self
    }

    /// Sets the retry policy.
    pub fn retry(mut self, r: RetryPolicy) -> Self {
        self.retry = r;
        self
    }

    /// Sets the sleeper (tests record delays with it).
    pub fn sleeper(mut self, s: Arc<dyn Sleeper>) -> Self {
        self.sleeper = s;
        self
    }

    /// Sets the clock.
    pub fn clock(mut self, c: Arc<dyn Clock>) -> Self {
        self.clock = c;
        self
    }

    /// Sets the whole-request timeout.
    pub fn timeout(mut self, t: Duration) -> Self {
        self.timeout = t;
        self
    }

    /// Sets the user agent.
    pub fn user_agent(mut self, ua: impl Into<String>) -> Self {
        self.user_agent = ua.into();
        self
    }

    /// Caps the size of a response body (hostile or broken servers).
    pub fn max_body_bytes(mut self, n: usize) -> Self {
        self.max_body_bytes = n;
        self
    }

    /// Allows a plain `http` base URL on a host that is not loopback (off by default: only
    /// `localhost`, `127.0.0.0/8` and `::1` may be reached without TLS).
    pub fn allow_insecure_http(mut self, allow: bool) -> Self {
        self.allow_insecure_http = allow;
        self
    }

    /// Builds the client. Fails with [`Error::UnsafeUrl`] for plain `http` to a host that is
    /// not loopback unless allowed.
    pub fn build(self) -> Result<HttpClient> {
        check_transport_security(&self.base_url, self.allow_insecure_http)?;
        let pool = match self.pool {
            Some(p) => p,
            None => ConnectionPool::with_connect_timeout(self.connect_timeout)?,
        };
        let user_agent = http::HeaderValue::from_str(&self.user_agent)
            .map_err(|e| Error::config(format!("invalid user agent: {e}")))?;
        Ok(HttpClient {
            inner: Arc::new(Inner {
                vendor: self.vendor,
                pool,
                timeout: self.timeout,
                user_agent,
                error_parser: self.error_parser,
                rate_limits: self.rate_limits,
                base_url: self.base_url,
                credentials: self.credentials,
                limiter: self.limiter,
                quota: self.quota.unwrap_or_default(),
                retry: self.retry,
                sleeper: self.sleeper,
                clock: self.clock,
                max_body_bytes: self.max_body_bytes,
                counters: Counters::default(),
                labels: super::telemetry::Labels {
                    vendor: self.vendor,
                    tenant: self.tenant.unwrap_or_default(),
                },
            }),
        })
    }
}

impl HttpClient {
    /// The vendor name.
    pub fn vendor(&self) -> &'static str {
        self.inner.vendor
    }

    /// The base URL (ends with `/`).
    pub fn base_url(&self) -> &Url {
        &self.inner.base_url
    }

    /// `path` (relative, no leading `/`) joined under the base URL.
    pub fn url(&self, path: &str) -> Result<Url> {
        self.inner
            .base_url
            .join(path.trim_start_matches('/'))
            .map_err(|e| Error::config(format!("invalid path {path:?}: {e}")))
    }

    /// A GET request for `path`.
    pub fn get(&self, path: &str) -> Result<Request> {
        Ok(Request::new(Method::GET, self.url(path)?))
    }

    /// Fails with [`Error::UnsafeUrl`] unless `url` is on the base URL's origin (scheme, host
    /// and port). [`HttpClient::send`] applies it to every request.
    pub fn check_origin(&self, url: &Url) -> Result<()> {
        if url.origin() == self.inner.base_url.origin() {
            return Ok(());
        }
        Err(Error::UnsafeUrl {
            url: display_url(url),
            reason: format!(
                "not on the {} origin {}",
                self.inner.vendor,
                self.inner.base_url.origin().ascii_serialization()
            ),
        })
    }

    /// The URL a cursor that holds an absolute URL (a `Link: next` target) stands for, checked
    /// to be on this client's origin: a forged or foreign cursor gives [`Error::Paging`] (not a
    /// URL) or [`Error::UnsafeUrl`] (another origin).
    pub fn cursor_url(&self, cursor: &Cursor) -> Result<Url> {
        let url = Url::parse(cursor.as_str()).map_err(|e| Error::Paging {
            message: format!("invalid {} cursor: {e}", self.inner.vendor),
        })?;
        self.check_origin(&url)?;
        Ok(url)
    }

    /// Traffic counters.
    pub fn stats(&self) -> ClientStats {
        let c = &self.inner.counters;
        ClientStats {
            requests: c.requests.load(Ordering::Relaxed),
            retries: c.retries.load(Ordering::Relaxed),
            rate_limited: c.rate_limited.load(Ordering::Relaxed),
            throttled_ms: c.throttled_ms.load(Ordering::Relaxed),
        }
    }

    /// The connection pool this client sends through (shared with the clients built with the
    /// same [`ConnectionPool`]).
    pub fn connection_pool(&self) -> &ConnectionPool {
        &self.inner.pool
    }

    /// The last rate-limit headers seen (as read by the client's [`RateLimitReader`]).
    pub fn last_rate_limit(&self) -> RateLimitHeaders {
        self.inner.quota.last()
    }

    /// The budget tracker (shared by clones, and by clients built with the same
    /// [`HttpClientBuilder::quota_tracker`]).
    pub fn quota_tracker(&self) -> &Arc<QuotaTracker> {
        &self.inner.quota
    }

    /// GET `path` with `query` and decode the JSON body.
    pub async fn get_json<T: DeserializeOwned>(
        &self,
        path: &str,
        query: &[(&str, String)],
    ) -> Result<T> {
        let mut req = self.get(path)?;
        for (k, v) in query {
            req = req.query(k, v);
        }
        self.send(req).await?.json()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base_url_gets_trailing_slash() {
        assert_eq!(
            parse_base_url("https://api.example.test/v3.1")
                .unwrap()
                .as_str(),
            "https://api.example.test/v3.1/"
        );
        assert_eq!(
            parse_base_url(" http://127.0.0.1:9/api/?q=1#f ")
                .unwrap()
                .as_str(),
            "http://127.0.0.1:9/api/"
        );
        assert!(parse_base_url("ftp://x").is_err());
        assert!(parse_base_url("not a url").is_err());
    }

    #[test]
    fn loopback_hosts() {
        for (u, want) in [
            ("http://localhost:1/", true),
            ("http://LOCALHOST/", true),
            ("http://127.0.0.1/", true),
            ("http://127.9.9.9/", true),
            ("http://[::1]:8/", true),
            ("http://10.0.0.1/", false),
            ("http://[::2]/", false),
            ("http://example.com/", false),
            ("http://localhost.example.com/", false),
        ] {
            assert_eq!(is_loopback(&Url::parse(u).unwrap()), want, "{u}");
        }
    }

    #[test]
    fn plain_http_needs_consent_off_loopback() {
        let remote = Url::parse("http://crm.example.com/api/").unwrap();
        let err = check_transport_security(&remote, false).unwrap_err();
        assert!(matches!(err, Error::UnsafeUrl { .. }), "{err:?}");
        assert!(check_transport_security(&remote, true).is_ok());
        let local = Url::parse("http://127.0.0.1:8080/api/").unwrap();
        assert!(check_transport_security(&local, false).is_ok());
        let tls = Url::parse("https://crm.example.com/api/").unwrap();
        assert!(check_transport_security(&tls, false).is_ok());
    }

    #[test]
    fn shown_urls_lose_query_and_user_info() {
        let u = Url::parse("https://user:pw@x.test/a/b?token=secret#frag").unwrap();
        assert_eq!(display_url(&u), "https://x.test/a/b");
    }
}
