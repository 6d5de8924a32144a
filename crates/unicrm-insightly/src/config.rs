//! Where the API lives: pods and base URLs (docs/vendors/insightly-v3.1.md §1), and the client builder
//! ([`InsightlyClientBuilder`]).
//!
//! An Insightly instance lives on one *pod* (`na1` North America — the default — or `eu1`
//! Europe; others such as `au1` are plausible). Its API is at
//! `https://api.{pod}.insightly.com/v3.1/`; the user finds the full URL under their API key in
//! *User Settings → API*. A base URL (the simulator, a proxy, an unknown pod) overrides the
//! pod.

use unicrm_core::http::Url;
use unicrm_core::{Error, Result};

use std::num::NonZeroU32;
use std::sync::Arc;
use std::time::Duration;

use secrecy::SecretString;
use unicrm_core::http::{ClientOptions, HttpClientBuilder, RateLimiter, RetryPolicy};
use unicrm_core::time::{Clock, Sleeper, SystemClock};

use crate::deletion_scan::{DeletionScanPolicy, check_share};

use crate::client::{InsightlyClient, VENDOR};
use crate::errors::{InsightlyErrors, InsightlyRateLimits};

/// The pod used when none is given.
pub const DEFAULT_POD: &str = "na1";

/// Insightly's largest page (`top`).
pub const MAX_PAGE_SIZE: u32 = 500;

/// The vendor's burst limit: requests per second per instance.
pub const VENDOR_REQUESTS_PER_SECOND: u32 = 10;

/// The default client-side pace: one request per 105 ms (about 9.5 per second), under the
/// vendor's 10 with headroom for jitter (see [`crate::rate_limit`]).
pub const REQUEST_INTERVAL: std::time::Duration = std::time::Duration::from_millis(105);

/// The API base URL of `pod`: `https://api.{pod}.insightly.com/v3.1/`.
///
/// A pod is letters and digits (`na1`, `eu1`); it is lower-cased.
pub fn pod_base_url(pod: &str) -> Result<Url> {
    let pod = normalise_pod(pod)?;
    parse_base_url(&format!("https://api.{pod}.insightly.com/v3.1/"))
}

/// Parses a base URL (http or https) and makes sure it ends with `/` (core's
/// [`unicrm_core::http::parse_base_url`]).
pub use unicrm_core::http::parse_base_url;

/// Validates and lower-cases a pod name.
pub fn normalise_pod(pod: &str) -> Result<String> {
    let p = pod.trim().to_ascii_lowercase();
    if p.is_empty() || p.len() > 16 || !p.chars().all(|c| c.is_ascii_alphanumeric()) {
        return Err(Error::config(format!(
            "invalid Insightly pod {pod:?}: expected letters and digits such as \"na1\" or \"eu1\" \
             (shown in the API URL under your key in User Settings → API)"
        )));
    }
    Ok(p)
}

/// The pod of an `https://api.{pod}.insightly.com/…` URL.
pub fn pod_of(url: &Url) -> Option<String> {
    let host = url.host_str()?;
    let rest = host.strip_prefix("api.")?;
    let pod = rest.strip_suffix(".insightly.com")?;
    (!pod.is_empty() && !pod.contains('.')).then(|| pod.to_string())
}

/// Resolves the base URL from an optional pod and an optional base URL (which wins). A pod
/// given as a whole URL is taken as the base URL.
pub fn resolve(pod: Option<&str>, base_url: Option<&str>) -> Result<(Url, Option<String>)> {
    if let Some(b) = base_url.filter(|b| !b.trim().is_empty()) {
        let url = parse_base_url(b)?;
        let pod = pod_of(&url);
        return Ok((url, pod));
    }
    match pod.map(str::trim).filter(|p| !p.is_empty()) {
        Some(p) if p.contains("://") => resolve(None, Some(p)),
        Some(p) => Ok((pod_base_url(p)?, Some(normalise_pod(p)?))),
        None => Ok((pod_base_url(DEFAULT_POD)?, Some(DEFAULT_POD.to_string()))),
    }
}

/// Builds an [`InsightlyClient`]. Only the API key is required.
pub struct InsightlyClientBuilder {
    api_key: Option<SecretString>,
    pod: Option<String>,
    options: ClientOptions,
    request_interval: Duration,
    instance: Option<String>,
    feed_page_size: Option<u32>,
    deletion_scans: DeletionScanPolicy,
    share_error: Option<f64>,
}

/// What the builder hands the client for its change feeds.
pub(crate) struct FeedOptions {
    pub(crate) page_size: Option<u32>,
    pub(crate) deletion_scans: DeletionScanPolicy,
    pub(crate) clock: Arc<dyn Clock>,
}

impl std::fmt::Debug for InsightlyClientBuilder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("InsightlyClientBuilder")
            .field("api_key", &self.api_key.as_ref().map(|_| "[REDACTED]"))
            .field("pod", &self.pod)
            .field("options", &self.options)
            .field("request_interval", &self.request_interval)
            .field("instance", &self.instance)
            .field("deletion_scans", &self.deletion_scans)
            .finish()
    }
}

impl Default for InsightlyClientBuilder {
    fn default() -> Self {
        InsightlyClientBuilder {
            api_key: None,
            pod: None,
            options: ClientOptions::default(),
            request_interval: REQUEST_INTERVAL,
            instance: None,
            feed_page_size: None,
            deletion_scans: DeletionScanPolicy::default(),
            share_error: None,
        }
    }
}

impl InsightlyClientBuilder {
    /// The user's API key (User Settings → API). Required.
    pub fn api_key(mut self, key: impl Into<SecretString>) -> Self {
        self.api_key = Some(key.into());
        self
    }

    /// The pod (`na1` — the default — `eu1`, …): the API is then
    /// `https://api.{pod}.insightly.com/v3.1/`. A whole API URL is accepted too.
    pub fn pod(mut self, pod: impl AsRef<str>) -> Self {
        self.pod = Some(pod.as_ref().to_string());
        self
    }

    /// Takes every option `options` sets (base URL, user agent, timeouts, rate limiter,
    /// retries, a shared connection pool, sleeper, clock) over what is set already; the
    /// setters below override single options afterwards. Many tenants' clients given one
    /// [`ClientOptions`] with one [`ConnectionPool`](unicrm_core::http::ConnectionPool) share
    /// that pool. A rate limiter in `options` replaces the per-instance one.
    pub fn options(mut self, options: ClientOptions) -> Self {
        self.options = self.options.merged_with(options);
        self
    }

    /// A base URL overriding the pod (the simulator, a proxy, a pod unknown here), e.g.
    /// `http://127.0.0.1:8080/v3.1/`. A missing trailing `/` is added.
    pub fn base_url(mut self, url: impl AsRef<str>) -> Self {
        self.options.base_url = Some(url.as_ref().to_string());
        self
    }

    /// Client-side pace, evenly spaced: `n` requests per second (the default is one request
    /// per 105 ms, about 9.5 per second: under Insightly's per-instance burst limit of 10, with
    /// headroom for jitter; see [`crate::config::REQUEST_INTERVAL`]).
    pub fn requests_per_second(mut self, n: NonZeroU32) -> Self {
        self.request_interval = Duration::from_secs(1) / n.get();
        self
    }

    /// Client-side pace as the interval between requests (for a pace that is not a whole number
    /// per second).
    pub fn request_interval(mut self, interval: Duration) -> Self {
        self.request_interval = interval;
        self
    }

    /// Retry policy (see [`unicrm_core::http::retry`]).
    pub fn retry(mut self, policy: RetryPolicy) -> Self {
        self.options.retry = Some(policy);
        self
    }

    /// The sleeper used for back-off and `Retry-After` waits (tests record them).
    pub fn sleeper(mut self, sleeper: Arc<dyn Sleeper>) -> Self {
        self.options.sleeper = Some(sleeper);
        self
    }

    /// The clock used to resolve `Retry-After` dates.
    pub fn clock(mut self, clock: Arc<dyn Clock>) -> Self {
        self.options.clock = Some(clock);
        self
    }

    /// A rate limiter to use instead of the process-wide one for this key (for example one
    /// shared by several keys of the same instance, or a networked one shared by processes).
    pub fn rate_limiter(mut self, limiter: Arc<dyn RateLimiter>) -> Self {
        self.options.rate_limiter = Some(limiter);
        self
    }

    /// The Insightly instance (account) this client works on. Every client given the same
    /// name (at the same base URL) shares one rate limiter, whatever its key: the vendor's
    /// budget is per instance, shared by all its keys. Without a name, clients share a
    /// limiter per API key.
    pub fn instance(mut self, name: impl Into<String>) -> Self {
        self.instance = Some(name.into());
        self
    }

    /// Page size of the change feeds' upsert listings (1..=500; default 500, the largest).
    /// Smaller pages cost more requests; tests use them to exercise page boundaries.
    pub fn change_page_size(mut self, n: u32) -> Self {
        self.feed_page_size = Some(n);
        self
    }

    /// The share of the daily quota (`X-RateLimit-Limit`) the deletion scans of each change
    /// feed may use, a fraction in (0, 1] (default 0.1: 10 %, safe on the Free plan's 1,000
    /// requests a day). The next scan is due the last scan's cost × 86,400 s / (quota ×
    /// share) after it (see [`crate::deletion_scan`]). `build` refuses a share outside (0, 1].
    pub fn deletion_scan_share(mut self, share: f64) -> Self {
        match check_share(share) {
            Ok(s) => self.deletion_scans.share = s,
            Err(_) => self.share_error = Some(share),
        }
        self
    }

    /// The shortest time between two deletion scans of a feed, whatever the budget allows
    /// (default none).
    pub fn deletion_scan_min_interval(mut self, interval: Duration) -> Self {
        self.deletion_scans.min_interval = interval;
        self
    }

    /// Scan for deletions on every change feed call (the behaviour before scans had a
    /// cadence: every call then costs a full id scan).
    pub fn deletion_scan_every_call(mut self) -> Self {
        self.deletion_scans.every_call = true;
        self
    }

    /// Whole-request timeout (default 60 s).
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.options.timeout = Some(timeout);
        self
    }

    /// User agent.
    pub fn user_agent(mut self, ua: impl Into<String>) -> Self {
        self.options.user_agent = Some(ua.into());
        self
    }

    /// Builds the client. Fails with [`Error::Config`] without an API key, or with an invalid
    /// pod or base URL.
    pub fn build(self) -> Result<InsightlyClient> {
        let key = self.api_key.ok_or_else(|| {
            Error::config("an Insightly API key is required (User Settings → API)")
        })?;
        if let Some(bad) = self.share_error {
            check_share(bad)?;
        }
        let credentials = crate::auth::credentials(&key)?;
        let (base_url, pod) = resolve(self.pod.as_deref(), self.options.base_url.as_deref())?;
        let limiter = match self.options.rate_limiter.clone() {
            Some(l) => l,
            None => {
                let instance = match self.instance.as_deref() {
                    Some(name) if !name.trim().is_empty() => {
                        crate::rate_limit::Instance::named(name)
                    }
                    _ => crate::rate_limit::Instance::of_key(&key),
                };
                crate::rate_limit::shared_limiter(&base_url, &instance, self.request_interval)
            }
        };
        let http = HttpClientBuilder::new(VENDOR, base_url.as_str())?
            .options(&self.options)
            .credentials(Arc::new(credentials))
            .rate_limiter(limiter)
            .error_parser(Arc::new(InsightlyErrors))
            .rate_limit_reader(Arc::new(InsightlyRateLimits));
        let clock: Arc<dyn Clock> = self
            .options
            .clock
            .clone()
            .unwrap_or_else(|| Arc::new(SystemClock));
        Ok(InsightlyClient::assemble(
            http.build()?,
            pod,
            FeedOptions {
                page_size: self.feed_page_size,
                deletion_scans: self.deletion_scans,
                clock,
            },
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pods() {
        assert_eq!(
            pod_base_url("na1").unwrap().as_str(),
            "https://api.na1.insightly.com/v3.1/"
        );
        assert_eq!(
            pod_base_url("EU1").unwrap().as_str(),
            "https://api.eu1.insightly.com/v3.1/"
        );
        assert!(pod_base_url("na1.evil.com/x").is_err());
        assert!(pod_base_url("").is_err());
        let (u, p) = resolve(None, None).unwrap();
        assert_eq!(u.as_str(), "https://api.na1.insightly.com/v3.1/");
        assert_eq!(p.as_deref(), Some("na1"));
        let (u, p) = resolve(Some("au1"), Some("http://127.0.0.1:9/v3.1")).unwrap();
        assert_eq!(u.as_str(), "http://127.0.0.1:9/v3.1/");
        assert_eq!(p, None);
        let (u, p) = resolve(Some("https://api.eu1.insightly.com/v3.1/"), None).unwrap();
        assert_eq!(u.as_str(), "https://api.eu1.insightly.com/v3.1/");
        assert_eq!(p.as_deref(), Some("eu1"));
    }
}
