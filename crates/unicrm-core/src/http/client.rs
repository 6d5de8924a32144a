//! The HTTP client adapters share: base URL joining, credentials, rate limiting, retries,
//! error classification, counters.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use backon::{BackoffBuilder, ExponentialBuilder};
use bytes::Bytes;
use http::{HeaderMap, HeaderValue, Method};
use serde::Serialize;
use serde::de::DeserializeOwned;
use url::Url;

use super::classify::classify;
use super::link_header;
use super::rate_limit::{QuotaCheck, QuotaTracker, RateLimiter};
use super::retry::{Decision, RetryPolicy, decide, is_idempotent};
use super::retry_after::RateLimitHeaders;
use crate::auth::{CredentialProvider, NoCredentials};
use crate::crm::ClientStats;
use crate::error::{Error, Result, TransportKind, decode_json};
use crate::time::{Clock, Sleeper, SystemClock, TokioSleeper};

/// One request to send.
#[derive(Debug, Clone)]
pub struct Request {
    /// Method.
    pub method: Method,
    /// Absolute URL (see [`HttpClient::url`]).
    pub url: Url,
    /// Query parameters appended to the URL.
    pub query: Vec<(String, String)>,
    /// JSON body.
    pub body: Option<Bytes>,
    /// Extra headers.
    pub headers: HeaderMap,
    /// Overrides the method's idempotency for retry decisions.
    pub idempotent: Option<bool>,
}

impl Request {
    /// A request without query or body.
    pub fn new(method: Method, url: Url) -> Self {
        Request {
            method,
            url,
            query: Vec::new(),
            body: None,
            headers: HeaderMap::new(),
            idempotent: None,
        }
    }

    /// Adds a query parameter.
    pub fn query(mut self, name: &str, value: impl ToString) -> Self {
        self.query.push((name.to_string(), value.to_string()));
        self
    }

    /// Sets a JSON body.
    pub fn json<T: Serialize + ?Sized>(mut self, body: &T) -> Result<Self> {
        let bytes = serde_json::to_vec(body)
            .map_err(|e| Error::config(format!("cannot serialize the request body: {e}")))?;
        self.body = Some(Bytes::from(bytes));
        Ok(self)
    }

    /// Adds a header.
    pub fn header(mut self, name: &'static str, value: HeaderValue) -> Self {
        self.headers.insert(name, value);
        self
    }

    /// The URL with the query parameters applied.
    pub fn full_url(&self) -> Url {
        let mut url = self.url.clone();
        if !self.query.is_empty() {
            let mut pairs = url.query_pairs_mut();
            for (k, v) in &self.query {
                pairs.append_pair(k, v);
            }
        }
        url
    }
}

/// A successful answer.
#[derive(Debug, Clone)]
pub struct HttpResponse {
    /// Status (2xx).
    pub status: u16,
    /// Headers.
    pub headers: HeaderMap,
    /// Body.
    pub body: Bytes,
    /// The URL that was requested.
    pub url: Url,
}

impl HttpResponse {
    /// Decodes the body; a bad value gives [`Error::Decode`] with its JSON path.
    pub fn json<T: DeserializeOwned>(&self) -> Result<T> {
        decode_json(&self.body)
    }

    /// The `rel="next"` target of the `Link` header, resolved against the request URL.
    pub fn next_link(&self) -> Option<Url> {
        link_header::find_rel(
            self.headers
                .get_all(http::header::LINK)
                .iter()
                .filter_map(|v| v.to_str().ok()),
            "next",
            &self.url,
        )
    }

    /// A header as text.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }
}

#[derive(Debug, Default)]
struct Counters {
    requests: AtomicU64,
    retries: AtomicU64,
    rate_limited: AtomicU64,
    throttled_ms: AtomicU64,
}

struct Inner {
    vendor: &'static str,
    http: reqwest::Client,
    base_url: Url,
    credentials: Arc<dyn CredentialProvider>,
    limiter: Option<Arc<dyn RateLimiter>>,
    quota: QuotaTracker,
    retry: RetryPolicy,
    sleeper: Arc<dyn Sleeper>,
    clock: Arc<dyn Clock>,
    max_body_bytes: usize,
    counters: Counters,
}

/// The shared HTTP client. Cheap to clone: clones share the connection pool, the rate limiter,
/// the budget tracker, credentials and counters.
#[derive(Clone)]
pub struct HttpClient {
    inner: Arc<Inner>,
}

impl std::fmt::Debug for HttpClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HttpClient")
            .field("vendor", &self.inner.vendor)
            .field("base_url", &self.inner.base_url.as_str())
            .field("credentials", &self.inner.credentials)
            .field("limiter", &self.inner.limiter)
            .field("retry", &self.inner.retry)
            .finish()
    }
}

/// Builds an [`HttpClient`].
pub struct HttpClientBuilder {
    vendor: &'static str,
    base_url: Url,
    credentials: Arc<dyn CredentialProvider>,
    limiter: Option<Arc<dyn RateLimiter>>,
    retry: RetryPolicy,
    sleeper: Arc<dyn Sleeper>,
    clock: Arc<dyn Clock>,
    timeout: Duration,
    connect_timeout: Duration,
    user_agent: String,
    max_body_bytes: usize,
}

impl std::fmt::Debug for HttpClientBuilder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HttpClientBuilder")
            .field("vendor", &self.vendor)
            .field("base_url", &self.base_url.as_str())
            .field("credentials", &self.credentials)
            .finish()
    }
}

/// Parses a base URL and makes sure it ends with `/`, so relative paths join under it.
pub fn parse_base_url(s: &str) -> Result<Url> {
    let mut url =
        Url::parse(s.trim()).map_err(|e| Error::config(format!("invalid base URL {s:?}: {e}")))?;
    if !matches!(url.scheme(), "http" | "https") {
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

impl HttpClientBuilder {
    /// A builder for `vendor` at `base_url` (a trailing `/` is added when missing).
    pub fn new(vendor: &'static str, base_url: &str) -> Result<Self> {
        Ok(HttpClientBuilder {
            vendor,
            base_url: parse_base_url(base_url)?,
            credentials: Arc::new(NoCredentials),
            limiter: None,
            retry: RetryPolicy::default(),
            sleeper: Arc::new(TokioSleeper),
            clock: Arc::new(SystemClock),
            timeout: Duration::from_secs(60),
            connect_timeout: Duration::from_secs(10),
            user_agent: concat!("unicrm/", env!("CARGO_PKG_VERSION")).to_string(),
            max_body_bytes: 64 * 1024 * 1024,
        })
    }

    /// Sets the credentials.
    pub fn credentials(mut self, c: Arc<dyn CredentialProvider>) -> Self {
        self.credentials = c;
        self
    }

    /// Sets the rate limiter applied before every attempt (retries included).
    pub fn rate_limiter(mut self, l: Arc<dyn RateLimiter>) -> Self {
        self.limiter = Some(l);
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

    /// Builds the client.
    pub fn build(self) -> Result<HttpClient> {
        super::install_crypto_provider();
        let http = reqwest::Client::builder()
            .timeout(self.timeout)
            .connect_timeout(self.connect_timeout)
            .user_agent(self.user_agent)
            .gzip(true)
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .map_err(|e| Error::config(format!("cannot build the HTTP client: {e}")))?;
        Ok(HttpClient {
            inner: Arc::new(Inner {
                vendor: self.vendor,
                http,
                base_url: self.base_url,
                credentials: self.credentials,
                limiter: self.limiter,
                quota: QuotaTracker::default(),
                retry: self.retry,
                sleeper: self.sleeper,
                clock: self.clock,
                max_body_bytes: self.max_body_bytes,
                counters: Counters::default(),
            }),
        })
    }
}

fn transport_error(e: reqwest::Error) -> Error {
    let kind = if e.is_connect() {
        TransportKind::Connect
    } else if e.is_timeout() {
        TransportKind::Timeout
    } else if e.is_body() || e.is_decode() || e.is_request() {
        TransportKind::Interrupted
    } else {
        TransportKind::Other
    };
    // reqwest's Display includes the URL, which never carries credentials here.
    let message = std::iter::successors(Some(&e as &dyn std::error::Error), |e| e.source())
        .map(|e| e.to_string())
        .collect::<Vec<_>>()
        .join(": ");
    Error::Transport {
        kind,
        message,
        source: Some(Box::new(e)),
    }
}

fn idempotent(req: &Request) -> bool {
    req.idempotent.unwrap_or_else(|| is_idempotent(&req.method))
}

/// A 2xx JSON body that is not even valid JSON was cut or garbled on the way (a proxy, a
/// dropped connection that still ended the message): for an idempotent request that is worth
/// another attempt, so it is reported as a [`Error::Decode`] at the root, which the retry rules
/// retry for idempotent requests. Type errors inside valid JSON are left to the adapter's
/// decoding, which reports their path.
fn check_json_syntax(resp: &HttpResponse) -> Result<()> {
    let is_json = resp
        .headers
        .get(http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_none_or(|ct| ct.contains("json"));
    if !is_json || resp.body.iter().all(u8::is_ascii_whitespace) {
        return Ok(());
    }
    serde_json::from_slice::<serde::de::IgnoredAny>(&resp.body)
        .map(|_| ())
        .map_err(|e| Error::Decode {
            path: ".".into(),
            message: format!("the response body is not valid JSON: {e}"),
        })
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

    /// The last `X-RateLimit-*` headers seen.
    pub fn last_rate_limit(&self) -> RateLimitHeaders {
        self.inner.quota.last()
    }

    /// Sends `req`, retrying per the policy, and returns a 2xx answer or a classified error.
    // A plain loop over backon's back-off iterator rather than its `Retryable` combinator: the
    // combinator's closures borrow from this future, and rustc then cannot prove the future
    // `Send` inside `#[async_trait]` methods ("higher-ranked lifetime error").
    pub async fn send(&self, req: Request) -> Result<HttpResponse> {
        let idempotent = idempotent(&req);
        let policy = &self.inner.retry;
        let mut builder = ExponentialBuilder::default()
            .with_min_delay(policy.base_delay)
            .with_max_delay(policy.max_delay)
            .with_max_times(policy.max_retries);
        if policy.jitter {
            builder = builder.with_jitter();
        }
        let mut backoff = builder.build();
        let counters = &self.inner.counters;
        let mut first = true;
        loop {
            if !first {
                counters.retries.fetch_add(1, Ordering::Relaxed);
            }
            first = false;
            let err = match self.attempt(&req).await {
                Ok(resp) => return Ok(resp),
                Err(err) => err,
            };
            // `None` from the back-off means the retries are used up.
            let Some(next) = backoff.next() else {
                return Err(err);
            };
            let delay = match decide(policy, idempotent, &err, self.inner.clock.now()) {
                Decision::Retry(Some(vendor_delay)) => vendor_delay,
                Decision::Retry(None) => next,
                Decision::GiveUp => return Err(err),
            };
            tracing::debug!(vendor = self.inner.vendor, error = %err, after_ms = delay.as_millis() as u64, "retrying");
            self.inner.sleeper.sleep(delay).await;
        }
    }

    /// One attempt: limiter, budget, credentials, send, one re-send after a refresh on 401.
    async fn attempt(&self, req: &Request) -> Result<HttpResponse> {
        let inner = &self.inner;
        if let Some(l) = &inner.limiter {
            let t = std::time::Instant::now();
            l.acquire().await;
            inner
                .counters
                .throttled_ms
                .fetch_add(t.elapsed().as_millis() as u64, Ordering::Relaxed);
        }
        match inner.quota.check(inner.clock.now(), inner.retry.max_wait) {
            QuotaCheck::Proceed => {}
            QuotaCheck::Wait(d) => {
                tracing::info!(
                    vendor = inner.vendor,
                    wait_s = d.as_secs(),
                    "request budget spent; waiting for the reset"
                );
                inner
                    .counters
                    .throttled_ms
                    .fetch_add(d.as_millis() as u64, Ordering::Relaxed);
                inner.sleeper.sleep(d).await;
            }
            QuotaCheck::Exhausted { resets_at, limit } => {
                return Err(Error::QuotaExhausted { resets_at, limit });
            }
        }
        let url = req.full_url();
        // Credentials only go to the configured origin, never to a `Link` target elsewhere.
        let same_origin = url.origin() == inner.base_url.origin();
        let mut auth = if same_origin {
            inner.credentials.authorization().await?
        } else {
            None
        };
        let mut refreshed = false;
        loop {
            let resp = self.send_once(req, &url, auth.as_ref()).await?;
            if resp.status == 401
                && same_origin
                && !refreshed
                && inner.credentials.on_unauthorized(auth.as_ref()).await?
            {
                refreshed = true;
                auth = inner.credentials.authorization().await?;
                inner.counters.retries.fetch_add(1, Ordering::Relaxed);
                continue;
            }
            if (200..300).contains(&resp.status) {
                if idempotent(req) {
                    check_json_syntax(&resp)?;
                }
                return Ok(resp);
            }
            if resp.status == 429 {
                inner.counters.rate_limited.fetch_add(1, Ordering::Relaxed);
            }
            let err = classify(
                inner.vendor,
                resp.status,
                &resp.headers,
                &resp.body,
                inner.clock.now(),
            );
            tracing::debug!(vendor = inner.vendor, status = resp.status, error = %err, "request failed");
            return Err(err);
        }
    }

    async fn send_once(
        &self,
        req: &Request,
        url: &Url,
        auth: Option<&HeaderValue>,
    ) -> Result<HttpResponse> {
        let inner = &self.inner;
        inner.counters.requests.fetch_add(1, Ordering::Relaxed);
        let span = tracing::debug_span!("http", vendor = inner.vendor, method = %req.method, path = url.path());
        let _enter = span.enter();
        let mut builder = inner
            .http
            .request(req.method.clone(), url.clone())
            .header(http::header::ACCEPT, "application/json")
            .headers(req.headers.clone());
        if let Some(a) = auth {
            builder = builder.header(http::header::AUTHORIZATION, a.clone());
        }
        if let Some(body) = &req.body {
            builder = builder
                .header(http::header::CONTENT_TYPE, "application/json")
                .body(body.clone());
        }
        let mut resp = builder.send().await.map_err(transport_error)?;
        let status = resp.status().as_u16();
        let headers = resp.headers().clone();
        inner
            .quota
            .observe(&RateLimitHeaders::from_headers(&headers));
        let mut body = Vec::new();
        while let Some(chunk) = resp.chunk().await.map_err(transport_error)? {
            if body.len() + chunk.len() > inner.max_body_bytes {
                return Err(Error::Transport {
                    kind: TransportKind::Other,
                    message: format!("response body larger than {} bytes", inner.max_body_bytes),
                    source: None,
                });
            }
            body.extend_from_slice(&chunk);
        }
        tracing::debug!(status, bytes = body.len(), "response");
        Ok(HttpResponse {
            status,
            headers,
            body: Bytes::from(body),
            url: url.clone(),
        })
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
            parse_base_url("https://api.na1.insightly.com/v3.1")
                .unwrap()
                .as_str(),
            "https://api.na1.insightly.com/v3.1/"
        );
        assert!(parse_base_url("ftp://x").is_err());
        assert!(parse_base_url("not a url").is_err());
    }
}
