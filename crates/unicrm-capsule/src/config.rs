//! [`CapsuleClientBuilder`]: base URL, credentials, retries, rate limits, time.

use std::sync::Arc;
use std::time::Duration;

use secrecy::SecretString;
#[allow(deprecated)]
use unicrm_core::auth::TokenSink;
use unicrm_core::auth::{
    BearerToken, CredentialProvider, RefreshingTokenCache, TokenSet, TokenStore,
};
use unicrm_core::error::{Error, Result};
use unicrm_core::http::{ClientOptions, HttpClientBuilder, RateLimiter, RetryPolicy};
use unicrm_core::time::{Clock, Sleeper, SystemClock};

use crate::auth::{CapsuleOAuth, OAuthSettings};
use crate::client::{Api, CapsuleClient};
use crate::errors::{CapsuleErrors, CapsuleRateLimits};

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
#[derive(Default)]
pub struct CapsuleClientBuilder {
    options: ClientOptions,
    credential: Option<Credential>,
    store: Option<Arc<dyn TokenStore>>,
    feed_page_size: Option<u32>,
    entry_settings: crate::changes::entries::EntryFeedSettings,
}

impl std::fmt::Debug for CapsuleClientBuilder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let cred = match &self.credential {
            None => "none",
            Some(Credential::Pat(_)) => "personal access token [REDACTED]",
            Some(Credential::OAuth(..)) => "oauth [REDACTED]",
        };
        f.debug_struct("CapsuleClientBuilder")
            .field("options", &self.options)
            .field("credential", &cred)
            .finish_non_exhaustive()
    }
}

impl CapsuleClientBuilder {
    /// A builder with Capsule's defaults.
    pub fn new() -> Self {
        Self::default()
    }

    /// Takes every option `options` sets (base URL, user agent, timeouts, rate limiter,
    /// retries, a shared connection pool, sleeper, clock) over what is set already; the
    /// setters below override single options afterwards. Many tenants' clients given one
    /// [`ClientOptions`] with one [`ConnectionPool`](unicrm_core::http::ConnectionPool) share
    /// that pool.
    pub fn options(mut self, options: ClientOptions) -> Self {
        self.options = self.options.merged_with(options);
        self
    }

    /// Overrides the API base URL (a simulator's, for instance); a trailing `/` is added.
    pub fn base_url(mut self, url: &str) -> Self {
        self.options.base_url = Some(url.to_string());
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

    /// Where the OAuth tokens live (default: in memory). Clients (and processes) given one
    /// tenant's shared store (`RedisTokenStore`, `SqliteTokenStore`) refresh one at a time
    /// and each uses the pair the other stored: a rotated refresh token is never spent twice.
    /// On first use the store's tokens win over those given to [`oauth`](Self::oauth).
    pub fn token_store(mut self, store: Arc<dyn TokenStore>) -> Self {
        self.store = Some(store);
        self
    }

    /// Receives every refreshed token set (store the rotated refresh token).
    #[deprecated(note = "use token_store")]
    #[allow(deprecated)]
    pub fn token_sink(self, sink: Arc<dyn TokenSink>) -> Self {
        self.token_store(Arc::new(unicrm_core::auth::SinkTokenStore::new(sink)))
    }

    /// Retry policy (see core's [`RetryPolicy`]).
    pub fn retry(mut self, retry: RetryPolicy) -> Self {
        self.options.retry = Some(retry);
        self
    }

    /// The sleeper used for back-off and rate-limit waits (tests record them).
    pub fn sleeper(mut self, sleeper: Arc<dyn Sleeper>) -> Self {
        self.options.sleeper = Some(sleeper);
        self
    }

    /// The clock (rate-limit resets, change-feed checkpoints).
    pub fn clock(mut self, clock: Arc<dyn Clock>) -> Self {
        self.options.clock = Some(clock);
        self
    }

    /// A client-side rate limiter applied before every attempt (Capsule suggests about one
    /// request per second; none by default, the `X-RateLimit-*` budget is always honoured).
    pub fn rate_limiter(mut self, limiter: Arc<dyn RateLimiter>) -> Self {
        self.options.rate_limiter = Some(limiter);
        self
    }

    /// Whole-request timeout (default 60 s).
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.options.timeout = Some(timeout);
        self
    }

    /// Page size of the change feeds' listings (1..=100; default 100, the largest). Smaller
    /// pages cost more requests; tests use them to exercise page boundaries.
    pub fn change_page_size(mut self, n: u32) -> Self {
        self.feed_page_size = Some(n);
        self
    }

    /// How far before the checkpoint the note and engagement feeds re-read the entry feed
    /// (entries have no `since`: `changes/entries.rs`). At least 7 days (shorter values are
    /// raised to 7 days); default 7 days.
    pub fn entry_feed_overlap(mut self, overlap: Duration) -> Self {
        let overlap = chrono::Duration::from_std(overlap).unwrap_or(chrono::Duration::MAX);
        self.entry_settings.overlap = overlap.max(crate::changes::entries::MIN_OVERLAP);
        self
    }

    /// How often (on the vendor's clock) the note and engagement feeds walk the whole entry
    /// feed, which finds entries back-dated past the overlap, edits of old entries and
    /// deletions. Default 24 h; zero walks everything on every call.
    pub fn entry_full_walk_interval(mut self, every: Duration) -> Self {
        self.entry_settings.full_walk_interval =
            chrono::Duration::from_std(every).unwrap_or(chrono::Duration::MAX);
        self
    }

    /// Declares the account to be on Capsule's Teams edition, where activity types (unified
    /// engagement types) can be created and updated. Without it (the default) those writes
    /// are `Unsupported` and the capability table says so.
    pub fn teams_edition(mut self, on: bool) -> Self {
        self.entry_settings.teams_edition = on;
        self
    }

    /// Builds the client. Fails without credentials or with an invalid base URL.
    pub fn build(self) -> Result<CapsuleClient> {
        let clock: Arc<dyn Clock> = self
            .options
            .clock
            .clone()
            .unwrap_or_else(|| Arc::new(SystemClock));
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
                        .with_clock(clock.clone());
                    if let Some(store) = self.store {
                        cache = cache.with_store(store);
                    }
                    (Arc::new(cache), Some(oauth))
                }
            };
        let base_url = self.options.base_url.as_deref().unwrap_or(DEFAULT_BASE_URL);
        let http = HttpClientBuilder::new("capsule", base_url)?
            .options(&self.options)
            .clock(clock)
            .credentials(credentials)
            .error_parser(Arc::new(CapsuleErrors))
            .rate_limit_reader(Arc::new(CapsuleRateLimits));
        let mut api = Api::new(http.build()?, oauth);
        api.feed_page_size = self.feed_page_size;
        api.set_entry_settings(self.entry_settings);
        Ok(CapsuleClient::from_api(api))
    }
}
