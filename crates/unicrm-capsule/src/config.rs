//! [`CapsuleClientBuilder`]: base URL, credentials, retries, rate limits, time.

use std::sync::Arc;
use std::time::Duration;

use secrecy::SecretString;
use unicrm_core::auth::{
    BearerToken, CredentialProvider, RefreshingTokenCache, TokenSet, TokenSink,
};
use unicrm_core::error::{Error, Result};
use unicrm_core::http::{HttpClientBuilder, RateLimiter, RetryPolicy};
use unicrm_core::time::{Clock, Sleeper, SystemClock};

use crate::auth::{CapsuleOAuth, OAuthSettings};
use crate::client::{Api, CapsuleClient};

/// Capsule's API base URL.
pub const DEFAULT_BASE_URL: &str = "https://api.capsulecrm.com/api/v2/";

enum Credential {
    Pat(SecretString),
    OAuth(OAuthSettings, TokenSet),
}

/// Builds a [`CapsuleClient`]:
///
/// ```no_run
/// # fn demo() -> unicrm_core::Result<()> {
/// let client = unicrm_capsule::CapsuleClient::builder()
///     .base_url("https://api.capsulecrm.com/api/v2/")
///     .personal_access_token("…".to_string())
///     .build()?;
/// # Ok(()) }
/// ```
pub struct CapsuleClientBuilder {
    base_url: String,
    credential: Option<Credential>,
    sink: Option<Arc<dyn TokenSink>>,
    retry: RetryPolicy,
    sleeper: Option<Arc<dyn Sleeper>>,
    clock: Arc<dyn Clock>,
    limiter: Option<Arc<dyn RateLimiter>>,
    timeout: Duration,
    feed_page_size: Option<u32>,
}

impl std::fmt::Debug for CapsuleClientBuilder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let cred = match &self.credential {
            None => "none",
            Some(Credential::Pat(_)) => "personal access token [REDACTED]",
            Some(Credential::OAuth(..)) => "oauth [REDACTED]",
        };
        f.debug_struct("CapsuleClientBuilder")
            .field("base_url", &self.base_url)
            .field("credential", &cred)
            .field("retry", &self.retry)
            .finish_non_exhaustive()
    }
}

impl Default for CapsuleClientBuilder {
    fn default() -> Self {
        CapsuleClientBuilder {
            base_url: DEFAULT_BASE_URL.to_string(),
            credential: None,
            sink: None,
            retry: RetryPolicy::default(),
            sleeper: None,
            clock: Arc::new(SystemClock),
            limiter: None,
            timeout: Duration::from_secs(60),
            feed_page_size: None,
        }
    }
}

impl CapsuleClientBuilder {
    /// A builder with Capsule's defaults.
    pub fn new() -> Self {
        Self::default()
    }

    /// Overrides the API base URL (a simulator's, for instance); a trailing `/` is added.
    pub fn base_url(mut self, url: &str) -> Self {
        self.base_url = url.to_string();
        self
    }

    /// Authenticates with a personal access token.
    pub fn personal_access_token(mut self, token: impl Into<SecretString>) -> Self {
        self.credential = Some(Credential::Pat(token.into()));
        self
    }

    /// Authenticates with OAuth 2.0 tokens of the application in `settings`; they are refreshed
    /// before expiry and once on a 401.
    pub fn oauth(mut self, settings: OAuthSettings, tokens: TokenSet) -> Self {
        self.credential = Some(Credential::OAuth(settings, tokens));
        self
    }

    /// Receives every refreshed token set (store the rotated refresh token).
    pub fn token_sink(mut self, sink: Arc<dyn TokenSink>) -> Self {
        self.sink = Some(sink);
        self
    }

    /// Retry policy (see core's [`RetryPolicy`]).
    pub fn retry(mut self, retry: RetryPolicy) -> Self {
        self.retry = retry;
        self
    }

    /// The sleeper used for back-off and rate-limit waits (tests record them).
    pub fn sleeper(mut self, sleeper: Arc<dyn Sleeper>) -> Self {
        self.sleeper = Some(sleeper);
        self
    }

    /// The clock (rate-limit resets, change-feed checkpoints).
    pub fn clock(mut self, clock: Arc<dyn Clock>) -> Self {
        self.clock = clock;
        self
    }

    /// A client-side rate limiter applied before every attempt (Capsule suggests about one
    /// request per second; none by default, the `X-RateLimit-*` budget is always honoured).
    pub fn rate_limiter(mut self, limiter: Arc<dyn RateLimiter>) -> Self {
        self.limiter = Some(limiter);
        self
    }

    /// Whole-request timeout (default 60 s).
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// Page size of the change feeds' listings (1..=100; default 100, the largest). Smaller
    /// pages cost more requests; tests use them to exercise page boundaries.
    pub fn change_page_size(mut self, n: u32) -> Self {
        self.feed_page_size = Some(n);
        self
    }

    /// Builds the client. Fails without credentials or with an invalid base URL.
    pub fn build(self) -> Result<CapsuleClient> {
        let (credentials, oauth): (Arc<dyn CredentialProvider>, Option<CapsuleOAuth>) =
            match self.credential {
                None => {
                    return Err(Error::config(
                        "Capsule needs credentials: a personal access token or OAuth tokens",
                    ));
                }
                Some(Credential::Pat(t)) => (Arc::new(BearerToken::new(t)), None),
                Some(Credential::OAuth(settings, tokens)) => {
                    let oauth = CapsuleOAuth::new(&settings)?;
                    let mut cache = RefreshingTokenCache::new(tokens, Arc::new(oauth.clone()))
                        .with_clock(self.clock.clone());
                    if let Some(sink) = self.sink {
                        cache = cache.with_sink(sink);
                    }
                    (Arc::new(cache), Some(oauth))
                }
            };
        let mut http = HttpClientBuilder::new("capsule", &self.base_url)?
            .credentials(credentials)
            .retry(self.retry)
            .clock(self.clock.clone())
            .timeout(self.timeout);
        if let Some(s) = self.sleeper {
            http = http.sleeper(s);
        }
        if let Some(l) = self.limiter {
            http = http.rate_limiter(l);
        }
        let mut api = Api::new(http.build()?, oauth);
        api.feed_page_size = self.feed_page_size;
        Ok(CapsuleClient::from_api(api))
    }
}
