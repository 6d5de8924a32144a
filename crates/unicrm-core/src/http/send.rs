//! Sending one request: the gate (rate limiter, budget), credentials, the attempt, the 401
//! refresh, classification, and the retry loop driven by [`super::retry::decide`].

use std::sync::atomic::Ordering;
use std::time::Duration;
use tracing::Instrument;

use backon::{BackoffBuilder, ExponentialBuilder};
use bytes::Bytes;
use chrono::{DateTime, Utc};
use http::{HeaderMap, HeaderValue, Method};
use url::Url;

use super::classify::classify_with;
use super::client::HttpClient;
use super::rate_limit::QuotaCheck;
use super::request::{HttpResponse, Request};
use super::retry::{Decision, Repeatable, decide};
use crate::error::{Error, Result, TransportKind};

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

/// A 2xx JSON body that is not even valid JSON was cut or garbled on the way (a proxy, a
/// dropped connection that still ended the message): for a repeatable request that is worth
/// another attempt, so it is reported as a [`Error::Decode`] at the root, which the retry rules
/// retry for repeatable requests. Type errors inside valid JSON are left to the adapter's
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

/// The success a DELETE gets when a retry after an unknown outcome is answered 404.
fn already_deleted(url: Url) -> HttpResponse {
    HttpResponse {
        status: 204,
        headers: HeaderMap::new(),
        body: Bytes::new(),
        url,
        already_applied: true,
    }
}

impl HttpClient {
    /// Sends `req`, retrying per the policy, and returns a 2xx answer or a classified error.
    ///
    /// - A URL outside the base URL's origin is refused ([`Error::UnsafeUrl`]); nothing is sent.
    /// - Every attempt, and the re-send after a token refresh, passes the rate limiter and the
    ///   budget tracker first.
    /// - A DELETE answered 404 after an earlier attempt whose outcome was unknown succeeded:
    ///   the answer is an empty 204 with [`HttpResponse::already_applied`] set. A 404 to the
    ///   first attempt stays [`Error::NotFound`].
    // A plain loop over backon's back-off iterator rather than its `Retryable` combinator: the
    // combinator's closures borrow from this future, and rustc then cannot prove the future
    // `Send` inside `#[async_trait]` methods ("higher-ranked lifetime error").
    pub async fn send(&self, req: Request) -> Result<HttpResponse> {
        let url = req.full_url();
        self.check_origin(&url)?;
        let repeatable = req.repeatability();
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
        // The instant this request has already waited until (so its own wait for a pause it
        // announced, or for a reset, is not waited twice).
        let mut waited_until: Option<DateTime<Utc>> = None;
        let mut unknown_before = false;
        let mut attempt = 0u32;
        loop {
            attempt += 1;
            if waited_until.is_some() {
                counters.retries.fetch_add(1, Ordering::Relaxed);
                self.inner.labels.retry();
            }
            let err = match self
                .attempt(&req, &url, repeatable, waited_until, attempt)
                .await
            {
                Ok(resp) => return Ok(resp),
                Err(Error::NotFound { .. }) if unknown_before && req.method == Method::DELETE => {
                    tracing::debug!(
                        vendor = self.inner.vendor,
                        "DELETE answered 404 after an unknown outcome: already deleted"
                    );
                    return Ok(already_deleted(url));
                }
                Err(err) => err,
            };
            unknown_before |= err.outcome_unknown();
            let now = self.inner.clock.now();
            let decision = decide(policy, repeatable, &err, now);
            if let (Error::RateLimited { .. }, Decision::Retry(Some(d))) = (&err, decision) {
                // Everyone else sharing the budget holds off too, instead of drawing 429s.
                self.inner.quota.pause_until(now + to_chrono(d));
            }
            // `None` from the back-off means the retries are used up.
            let Some(next) = backoff.next() else {
                return Err(err);
            };
            let delay = match decision {
                Decision::Retry(Some(vendor_delay)) => vendor_delay,
                Decision::Retry(None) => next,
                Decision::GiveUp => return Err(err),
            };
            tracing::debug!(vendor = self.inner.vendor, error = %err, after_ms = delay.as_millis() as u64, "retrying");
            self.inner.sleeper.sleep(delay).await;
            waited_until = Some(now + to_chrono(delay));
        }
    }

    /// Waits for the rate limiter and the budget before one send.
    async fn gate(&self, waited_until: Option<DateTime<Utc>>) -> Result<()> {
        let inner = &self.inner;
        if let Some(l) = &inner.limiter {
            let t = std::time::Instant::now();
            l.acquire().await;
            let held = t.elapsed();
            inner
                .counters
                .throttled_ms
                .fetch_add(held.as_millis() as u64, Ordering::Relaxed);
            inner.labels.waited(held);
        }
        let now = inner.clock.now();
        let now = waited_until.map_or(now, |w| w.max(now));
        match inner.quota.check(now, inner.retry.max_wait) {
            QuotaCheck::Wait(d) => {
                tracing::info!(
                    vendor = inner.vendor,
                    wait_ms = d.as_millis() as u64,
                    "request budget spent or paused; waiting"
                );
                inner
                    .counters
                    .throttled_ms
                    .fetch_add(d.as_millis() as u64, Ordering::Relaxed);
                inner.labels.waited(d);
                inner.sleeper.sleep(d).await;
                Ok(())
            }
            QuotaCheck::Exhausted { resets_at, limit } => {
                Err(Error::QuotaExhausted { resets_at, limit })
            }
            _ => Ok(()),
        }
    }

    /// One attempt: gate, credentials, send, one re-send (through the gate) after a refresh on
    /// 401.
    async fn attempt(
        &self,
        req: &Request,
        url: &Url,
        repeatable: Repeatable,
        waited_until: Option<DateTime<Utc>>,
        attempt: u32,
    ) -> Result<HttpResponse> {
        let inner = &self.inner;
        self.gate(waited_until).await?;
        let mut auth = inner.credentials.authorization().await?;
        let mut refreshed = false;
        loop {
            let resp = self.send_once(req, url, auth.as_ref(), attempt).await?;
            if resp.status == 401
                && !refreshed
                && inner
                    .error_parser
                    .refresh_may_help(resp.status, &resp.headers, &resp.body)
                && inner.credentials.on_unauthorized(auth.as_ref()).await?
            {
                refreshed = true;
                auth = inner.credentials.authorization().await?;
                inner.counters.retries.fetch_add(1, Ordering::Relaxed);
                self.gate(None).await?;
                continue;
            }
            if (200..300).contains(&resp.status) {
                if repeatable.is_yes() {
                    check_json_syntax(&resp)?;
                }
                return Ok(resp);
            }
            if resp.status == 429 {
                inner.counters.rate_limited.fetch_add(1, Ordering::Relaxed);
                inner.labels.rate_limited();
            }
            let err = classify_with(
                inner.vendor,
                resp.status,
                &resp.headers,
                &resp.body,
                inner.clock.now(),
                &*inner.error_parser,
                &*inner.rate_limits,
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
        attempt: u32,
    ) -> Result<HttpResponse> {
        let inner = &self.inner;
        inner.counters.requests.fetch_add(1, Ordering::Relaxed);
        let span = tracing::info_span!(
            "unicrm.request",
            vendor = inner.vendor,
            tenant = inner.labels.tenant.as_str(),
            resource = %super::telemetry::resource_of(&inner.base_url, url),
            method = %req.method,
            path = url.path(),
            attempt,
            status = tracing::field::Empty,
        );
        let started = std::time::Instant::now();
        let result = self.exchange(req, url, auth).instrument(span.clone()).await;
        let status = result.as_ref().ok().map(|r| r.status);
        if let Some(s) = status {
            span.record("status", s);
        }
        inner.labels.request(&req.method, status, started.elapsed());
        result
    }

    /// The exchange itself: send, then read the whole answer (capped).
    async fn exchange(
        &self,
        req: &Request,
        url: &Url,
        auth: Option<&HeaderValue>,
    ) -> Result<HttpResponse> {
        let inner = &self.inner;
        let mut builder = inner
            .pool
            .reqwest()
            .request(req.method.clone(), url.clone())
            .timeout(inner.timeout)
            .header(http::header::USER_AGENT, inner.user_agent.clone())
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
        let ticket = inner.quota.ticket();
        let mut resp = builder.send().await.map_err(transport_error)?;
        let status = resp.status().as_u16();
        let headers = resp.headers().clone();
        inner
            .quota
            .observe_ticket(ticket, &inner.rate_limits.read(&headers, inner.clock.now()));
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
            already_applied: false,
        })
    }
}

fn to_chrono(d: Duration) -> chrono::Duration {
    chrono::Duration::from_std(d).unwrap_or(chrono::Duration::MAX)
}
