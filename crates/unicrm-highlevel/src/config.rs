//! Building a [`HighLevelClient`]: base URL, location, credentials (a private integration
//! token or OAuth tokens), the `Version` table, the pace and retries.

use std::num::NonZeroU32;
use std::sync::Arc;
use std::time::Duration;

#[allow(deprecated)]
use unicrm_core::auth::TokenSink;
use unicrm_core::auth::{
    BearerToken, CredentialProvider, RefreshingTokenCache, TokenSet, TokenStore,
};
use unicrm_core::http::{GovernorRateLimiter, HttpClientBuilder, RateLimiter, RetryPolicy};
use unicrm_core::time::{Clock, Sleeper};
use unicrm_core::{Error, Result};

use crate::HighLevelClient;
use crate::auth::{HighLevelOAuth, OAuthSettings};

/// The API root shared by every tenant (docs/vendors/highlevel-v2.md, "Base URL and Version
/// header").
pub const DEFAULT_BASE_URL: &str = "https://services.leadconnectorhq.com";

/// The burst allowance: 100 requests per 10 seconds per (app or PIT, location)
/// (docs/vendors/highlevel-v2.md, "Rate limits").
pub const BURST_MAX: u32 = 100;

/// The burst window.
pub const BURST_WINDOW: Duration = Duration::from_secs(10);

/// The daily allowance per (app or PIT, location) (docs/vendors/highlevel-v2.md, "Rate
/// limits"); the headers are authoritative, this is only the documented default.
pub const DAILY_MAX: u64 = 200_000;

/// The pace that keeps a burst of `max` per `window` from ever being exceeded, whether the
/// vendor's window is fixed or sliding (docs/vendors/highlevel-v2.md, "Reconciled points" 8):
/// a GCRA with a burst of 1 sends at most `1 + window / interval` requests in any span of
/// `window`, so the interval is `window / (max - 2)` — 98 of 100 per window, 0.98 of the limit.
pub fn pace_interval(max: u32, window: Duration) -> Duration {
    let usable = max.saturating_sub(2).max(1);
    window / usable
}

/// The `Version` header values per endpoint family (docs/vendors/highlevel-v2.md, "Version
/// per endpoint family"). Configuration, because the reference is unsure which values each
/// family wants ("Uncertain" 3): every call sends one, since a missing header is a 401 that no
/// new token cures.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Versions {
    /// Contacts, opportunities, users, businesses, locations, custom fields, OAuth location
    /// tokens: `2021-07-28`.
    pub default: String,
    /// Every `/calendars/*` operation: `2021-04-15`.
    pub calendars: String,
}

impl Default for Versions {
    fn default() -> Self {
        Versions {
            default: "2021-07-28".into(),
            calendars: "2021-04-15".into(),
        }
    }
}

impl Versions {
    /// The `Version` to send for `path` (relative to the base URL, with or without a leading
    /// `/`); `None` only for `POST /oauth/token`, which takes no `Version`.
    pub fn for_path(&self, path: &str) -> Option<&str> {
        let p = path.trim_start_matches('/');
        let first = p.split(['/', '?']).next().unwrap_or("");
        if p == "oauth/token" || p.starts_with("oauth/token?") {
            None
        } else if first == "calendars" {
            Some(&self.calendars)
        } else {
            Some(&self.default)
        }
    }
}

pub(crate) enum Credential {
    Pit(String),
    OAuth(OAuthSettings, TokenSet),
}

/// Builds a [`HighLevelClient`].
#[derive(Default)]
pub struct HighLevelBuilder {
    base_url: Option<String>,
    location_id: Option<String>,
    company_id: Option<String>,
    currency: Option<unicrm_core::Currency>,
    credential: Option<Credential>,
    store: Option<Arc<dyn TokenStore>>,
    versions: Versions,
    limiter: Option<Arc<dyn RateLimiter>>,
    burst: Option<(u32, Duration)>,
    retry: Option<RetryPolicy>,
    sleeper: Option<Arc<dyn Sleeper>>,
    clock: Option<Arc<dyn Clock>>,
    feed_page_size: Option<u32>,
}

impl std::fmt::Debug for HighLevelBuilder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HighLevelBuilder")
            .field("base_url", &self.base_url)
            .field("location_id", &self.location_id)
            .field(
                "credential",
                &match &self.credential {
                    None => "none",
                    Some(Credential::Pit(_)) => "private integration token [REDACTED]",
                    Some(Credential::OAuth(..)) => "oauth [REDACTED]",
                },
            )
            .field("versions", &self.versions)
            .finish_non_exhaustive()
    }
}

impl HighLevelBuilder {
    /// Another base URL (a simulator, a proxy); plain `http` only on loopback.
    pub fn base_url(mut self, url: impl Into<String>) -> Self {
        self.base_url = Some(url.into());
        self
    }

    /// The location (sub-account) every call is scoped to (required).
    pub fn location_id(mut self, id: impl Into<String>) -> Self {
        self.location_id = Some(id.into());
        self
    }

    /// The agency (company) id, needed by `GET /users/search`; taken from the OAuth token
    /// response when there is one.
    pub fn company_id(mut self, id: impl Into<String>) -> Self {
        self.company_id = Some(id.into());
        self
    }

    /// The location's currency (default `USD`): opportunity amounts are bare numbers in it
    /// (docs/vendors/highlevel-v2.md, "Opportunity object").
    pub fn currency(mut self, currency: unicrm_core::Currency) -> Self {
        self.currency = Some(currency);
        self
    }

    /// A sub-account private integration token (`pit-…`): static, never refreshed
    /// (docs/vendors/highlevel-v2.md, "Private integration tokens").
    pub fn private_integration_token(mut self, token: impl Into<String>) -> Self {
        self.credential = Some(Credential::Pit(token.into()));
        self
    }

    /// OAuth 2.0 location tokens, refreshed through `settings` (one refresh at a time, the
    /// rotated pair written to the [`HighLevelBuilder::token_store`] before it is used).
    pub fn oauth(mut self, settings: OAuthSettings, tokens: TokenSet) -> Self {
        self.credential = Some(Credential::OAuth(settings, tokens));
        self
    }

    /// Where the OAuth tokens live (default: in memory). A refresh token is single-use:
    /// clients (and processes) given one location's shared store (`RedisTokenStore`,
    /// `SqliteTokenStore`) refresh one at a time and each uses the pair the other stored. On
    /// first use the store's tokens win over those given to [`oauth`](Self::oauth).
    pub fn token_store(mut self, store: Arc<dyn TokenStore>) -> Self {
        self.store = Some(store);
        self
    }

    /// Where rotated tokens are written (a refresh token is single-use: store the new one).
    #[deprecated(note = "use token_store")]
    #[allow(deprecated)]
    pub fn token_sink(self, sink: Arc<dyn TokenSink>) -> Self {
        self.token_store(Arc::new(unicrm_core::auth::SinkTokenStore::new(sink)))
    }

    /// Another `Version` table.
    pub fn versions(mut self, versions: Versions) -> Self {
        self.versions = versions;
        self
    }

    /// Another burst limit (a sandbox location: 25 per 10 s); the default pace is derived
    /// from it with [`pace_interval`].
    pub fn burst_limit(mut self, max: u32, window: Duration) -> Self {
        self.burst = Some((max, window));
        self
    }

    /// Another rate limiter (one shared by several processes on the same location, say).
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

    /// Another clock (tests).
    pub fn clock(mut self, clock: Arc<dyn Clock>) -> Self {
        self.clock = Some(clock);
        self
    }

    /// The page size of the change feeds' listings (each page is one batch of a change
    /// stream); the vendor's largest page by default.
    pub fn feed_page_size(mut self, n: u32) -> Self {
        self.feed_page_size = Some(n);
        self
    }

    /// The client. Fails without a location or credentials, or with a bad base URL.
    pub fn build(self) -> Result<HighLevelClient> {
        let location_id = self
            .location_id
            .filter(|l| !l.trim().is_empty())
            .ok_or_else(|| Error::config("highlevel: a location id is required"))?;
        if !location_id.chars().all(|c| c.is_ascii_alphanumeric()) {
            return Err(Error::config(
                "highlevel: a location id is letters and digits",
            ));
        }
        let base = self.base_url.as_deref().unwrap_or(DEFAULT_BASE_URL);
        let (max, window) = self.burst.unwrap_or((BURST_MAX, BURST_WINDOW));
        let limiter = self.limiter.unwrap_or_else(|| {
            let interval = pace_interval(max, window);
            match (&self.clock, &self.sleeper) {
                (Some(c), Some(s)) => Arc::new(GovernorRateLimiter::every_with(
                    interval,
                    NonZeroU32::MIN,
                    c.clone(),
                    s.clone(),
                )),
                _ => Arc::new(GovernorRateLimiter::every(interval, NonZeroU32::MIN)),
            }
        });
        let mut company_id = self.company_id;
        let (credentials, oauth): (Arc<dyn CredentialProvider>, Option<HighLevelOAuth>) =
            match self.credential {
                None => {
                    return Err(Error::config(
                        "highlevel: a private integration token or OAuth tokens are required",
                    ));
                }
                Some(Credential::Pit(t)) => (Arc::new(BearerToken::new(t)), None),
                Some(Credential::OAuth(settings, tokens)) => {
                    if company_id.is_none() {
                        company_id = settings.company_id.clone();
                    }
                    let oauth = HighLevelOAuth::new(settings, base)?;
                    let mut cache = RefreshingTokenCache::new(tokens, Arc::new(oauth.clone()));
                    if let Some(store) = self.store {
                        cache = cache.with_store(store);
                    }
                    if let Some(c) = &self.clock {
                        cache = cache.with_clock(c.clone());
                    }
                    (Arc::new(cache), Some(oauth))
                }
            };
        let mut http = HttpClientBuilder::new(crate::VENDOR, base)?
            .credentials(credentials)
            .rate_limiter(limiter)
            .error_parser(Arc::new(crate::errors::HighLevelErrors))
            .rate_limit_reader(Arc::new(crate::errors::HighLevelRateLimits))
            .retry(self.retry.unwrap_or_default());
        if let Some(s) = self.sleeper {
            http = http.sleeper(s);
        }
        if let Some(c) = self.clock {
            http = http.clock(c);
        }
        Ok(HighLevelClient::new(
            crate::client::Api {
                http: http.build()?,
                versions: Arc::new(self.versions),
                location_id: location_id.into(),
                company_id: company_id.map(Into::into),
                feed_page_size: self.feed_page_size,
                currency: self
                    .currency
                    .or_else(|| unicrm_core::Currency::new("USD"))
                    .ok_or_else(|| Error::config("highlevel: no currency"))?,
            },
            oauth,
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_version_follows_the_endpoint_family() {
        let v = Versions::default();
        assert_eq!(v.for_path("contacts/search"), Some("2021-07-28"));
        assert_eq!(v.for_path("/contacts/abc/appointments"), Some("2021-07-28"));
        assert_eq!(v.for_path("opportunities/pipelines"), Some("2021-07-28"));
        assert_eq!(v.for_path("calendars/events"), Some("2021-04-15"));
        assert_eq!(v.for_path("/calendars/"), Some("2021-04-15"));
        assert_eq!(v.for_path("oauth/locationToken"), Some("2021-07-28"));
        assert_eq!(v.for_path("oauth/token"), None);
        // A family name as a prefix of another word is not that family.
        assert_eq!(v.for_path("calendarsX/1"), Some("2021-07-28"));
    }

    #[test]
    fn the_pace_never_exceeds_the_burst_in_any_window() {
        for (max, window) in [(100, BURST_WINDOW), (25, BURST_WINDOW)] {
            let i = pace_interval(max, window);
            // A GCRA with a burst of one: at most 1 + window / interval in any window.
            let most = 1 + (window.as_nanos() / i.as_nanos()) as u32;
            assert!(most <= max, "{max}: {most}");
            assert!(f64::from(most) >= 0.95 * f64::from(max), "{max}: {most}");
        }
    }
}
