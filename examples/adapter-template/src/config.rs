//! Building a [`TinycrmClient`]: base URL, token, rate limit, retries.

use std::num::NonZeroU32;
use std::sync::Arc;

use unicrm_core::http::{GovernorRateLimiter, HttpClientBuilder, RateLimiter, RetryPolicy};
use unicrm_core::time::Sleeper;
use unicrm_core::{Error, Result};

use crate::TinycrmClient;

/// Tinycrm's API root (`API.md`, Base URL).
pub const DEFAULT_BASE_URL: &str = "https://api.tinycrm.example/v1/";

/// Tinycrm allows 10 requests a second per token (`API.md`, Errors, limits and the clock).
pub const REQUESTS_PER_SECOND: u32 = 10;

/// Builds a [`TinycrmClient`].
#[derive(Default)]
pub struct TinycrmBuilder {
    base_url: Option<String>,
    token: Option<String>,
    limiter: Option<Arc<dyn RateLimiter>>,
    retry: Option<RetryPolicy>,
    sleeper: Option<Arc<dyn Sleeper>>,
}

impl std::fmt::Debug for TinycrmBuilder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TinycrmBuilder")
            .field("base_url", &self.base_url)
            .field("token", &self.token.as_ref().map(|_| "[redacted]"))
            .finish_non_exhaustive()
    }
}

impl TinycrmBuilder {
    /// Another base URL (a simulator, a proxy); plain `http` only on loopback.
    pub fn base_url(mut self, url: impl Into<String>) -> Self {
        self.base_url = Some(url.into());
        self
    }

    /// The API token (required).
    pub fn token(mut self, token: impl Into<String>) -> Self {
        self.token = Some(token.into());
        self
    }

    /// Another rate limiter (one shared by several processes, say); by default a GCRA at
    /// [`REQUESTS_PER_SECOND`].
    pub fn rate_limiter(mut self, limiter: Arc<dyn RateLimiter>) -> Self {
        self.limiter = Some(limiter);
        self
    }

    /// Another retry policy.
    pub fn retry(mut self, retry: RetryPolicy) -> Self {
        self.retry = Some(retry);
        self
    }

    /// Another sleeper (tests record the waits instead of sleeping).
    pub fn sleeper(mut self, sleeper: Arc<dyn Sleeper>) -> Self {
        self.sleeper = Some(sleeper);
        self
    }

    /// The client. Fails without a token or with a bad base URL.
    pub fn build(self) -> Result<TinycrmClient> {
        let token = self
            .token
            .ok_or_else(|| Error::config("tinycrm: a token is required"))?;
        let base = self.base_url.as_deref().unwrap_or(DEFAULT_BASE_URL);
        let limiter = self.limiter.unwrap_or_else(|| {
            let rate = NonZeroU32::new(REQUESTS_PER_SECOND).unwrap_or(NonZeroU32::MIN);
            Arc::new(GovernorRateLimiter::per_second(rate, rate))
        });
        let mut http = HttpClientBuilder::new(crate::VENDOR, base)?
            .credentials(crate::auth::credentials(token))
            .rate_limiter(limiter)
            .error_parser(std::sync::Arc::new(crate::errors::TinycrmErrors))
            .retry(self.retry.unwrap_or_default());
        if let Some(s) = self.sleeper {
            http = http.sleeper(s);
        }
        Ok(TinycrmClient::new(http.build()?))
    }
}
