//! A single-flight refreshing OAuth2 token cache.
//!
//! Concurrent requests share one token. When it is about to expire, or when the vendor answers
//! 401, exactly one refresh happens: callers queue on one lock, and a caller whose rejected
//! token was already replaced by someone else's refresh just retries with the new one. Rotated
//! refresh tokens are handed to a caller-supplied [`TokenSink`] so they can be stored.

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use http::HeaderValue;
use secrecy::{ExposeSecret, SecretString};
use tokio::sync::Mutex;

use super::credentials::{CredentialProvider, sensitive_header};
use crate::error::{Error, Result};
use crate::time::{Clock, SystemClock};

/// An access token, its refresh token and expiry.
#[derive(Clone)]
pub struct TokenSet {
    /// The Bearer token.
    pub access_token: SecretString,
    /// The token to get the next access token with.
    pub refresh_token: Option<SecretString>,
    /// When the access token expires.
    pub expires_at: Option<DateTime<Utc>>,
}

impl std::fmt::Debug for TokenSet {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TokenSet")
            .field("access_token", &"[REDACTED]")
            .field(
                "refresh_token",
                &self.refresh_token.as_ref().map(|_| "[REDACTED]"),
            )
            .field("expires_at", &self.expires_at)
            .finish()
    }
}

/// Gets a new token set from a refresh token (the OAuth2 token endpoint).
#[async_trait]
pub trait TokenRefresher: Send + Sync + std::fmt::Debug {
    /// Exchanges `refresh_token` for new tokens.
    async fn refresh(&self, refresh_token: &SecretString) -> Result<TokenSet>;
}

/// Receives every new token set, to persist rotated refresh tokens.
pub trait TokenSink: Send + Sync {
    /// Called after each successful refresh.
    fn tokens_refreshed(&self, tokens: &TokenSet);
}

impl<F: Fn(&TokenSet) + Send + Sync> TokenSink for F {
    fn tokens_refreshed(&self, tokens: &TokenSet) {
        self(tokens)
    }
}

/// OAuth2 credentials that refresh themselves. See the module docs.
pub struct RefreshingTokenCache {
    tokens: Mutex<TokenSet>,
    refresher: Arc<dyn TokenRefresher>,
    sink: Option<Arc<dyn TokenSink>>,
    clock: Arc<dyn Clock>,
    /// Refresh this long before the expiry.
    early: Duration,
}

impl std::fmt::Debug for RefreshingTokenCache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RefreshingTokenCache")
            .field("tokens", &"[REDACTED]")
            .field("refresher", &self.refresher)
            .finish()
    }
}

impl RefreshingTokenCache {
    /// A cache starting from `tokens`.
    pub fn new(tokens: TokenSet, refresher: Arc<dyn TokenRefresher>) -> Self {
        RefreshingTokenCache {
            tokens: Mutex::new(tokens),
            refresher,
            sink: None,
            clock: Arc::new(SystemClock),
            early: Duration::from_secs(60),
        }
    }

    /// Sets the sink that receives rotated tokens.
    pub fn with_sink(mut self, sink: Arc<dyn TokenSink>) -> Self {
        self.sink = Some(sink);
        self
    }

    /// Sets the clock (tests).
    pub fn with_clock(mut self, clock: Arc<dyn Clock>) -> Self {
        self.clock = clock;
        self
    }

    /// The current tokens.
    pub async fn tokens(&self) -> TokenSet {
        self.tokens.lock().await.clone()
    }

    async fn refresh_locked(&self, current: &mut TokenSet) -> Result<()> {
        let Some(rt) = current.refresh_token.clone() else {
            return Err(Error::Unauthenticated {
                message: "the access token was rejected or expired and there is no refresh token"
                    .into(),
            });
        };
        let mut fresh = self.refresher.refresh(&rt).await?;
        if fresh.refresh_token.is_none() {
            fresh.refresh_token = Some(rt);
        }
        tracing::debug!("oauth2 tokens refreshed");
        if let Some(sink) = &self.sink {
            sink.tokens_refreshed(&fresh);
        }
        *current = fresh;
        Ok(())
    }

    fn header(tokens: &TokenSet) -> Result<HeaderValue> {
        sensitive_header(&format!("Bearer {}", tokens.access_token.expose_secret()))
    }
}

#[async_trait]
impl CredentialProvider for RefreshingTokenCache {
    async fn authorization(&self) -> Result<Option<HeaderValue>> {
        let mut tokens = self.tokens.lock().await;
        let expiring = tokens.expires_at.is_some_and(|at| {
            at - chrono::Duration::from_std(self.early).unwrap_or_default() <= self.clock.now()
        });
        if expiring && tokens.refresh_token.is_some() {
            self.refresh_locked(&mut tokens).await?;
        }
        Self::header(&tokens).map(Some)
    }

    async fn on_unauthorized(&self, rejected: Option<&HeaderValue>) -> Result<bool> {
        let mut tokens = self.tokens.lock().await;
        let current = Self::header(&tokens)?;
        if rejected.is_some_and(|r| r.as_bytes() != current.as_bytes()) {
            // Someone else refreshed while this request was in flight: retry with theirs.
            return Ok(true);
        }
        self.refresh_locked(&mut tokens).await?;
        Ok(true)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};

    #[derive(Debug, Default)]
    struct Counting {
        calls: AtomicUsize,
    }

    #[async_trait]
    impl TokenRefresher for Counting {
        async fn refresh(&self, _rt: &SecretString) -> Result<TokenSet> {
            let n = self.calls.fetch_add(1, Ordering::SeqCst) + 1;
            tokio::task::yield_now().await;
            Ok(TokenSet {
                access_token: format!("access-{n}").into(),
                refresh_token: Some(format!("refresh-{n}").into()),
                expires_at: None,
            })
        }
    }

    fn initial() -> TokenSet {
        TokenSet {
            access_token: "access-0".to_string().into(),
            refresh_token: Some("refresh-0".to_string().into()),
            expires_at: None,
        }
    }

    #[tokio::test]
    async fn concurrent_401s_refresh_once() {
        let refresher = Arc::new(Counting::default());
        let rotated = Arc::new(std::sync::Mutex::new(Vec::new()));
        let r2 = rotated.clone();
        let cache = Arc::new(
            RefreshingTokenCache::new(initial(), refresher.clone()).with_sink(Arc::new(
                move |t: &TokenSet| {
                    r2.lock().unwrap().push(
                        t.refresh_token
                            .as_ref()
                            .unwrap()
                            .expose_secret()
                            .to_string(),
                    )
                },
            )),
        );
        let rejected = cache.authorization().await.unwrap().unwrap();
        let mut handles = Vec::new();
        for _ in 0..8 {
            let c = cache.clone();
            let r = rejected.clone();
            handles.push(tokio::spawn(
                async move { c.on_unauthorized(Some(&r)).await },
            ));
        }
        for h in handles {
            assert!(h.await.unwrap().unwrap());
        }
        assert_eq!(refresher.calls.load(Ordering::SeqCst), 1);
        let now = cache.authorization().await.unwrap().unwrap();
        assert_eq!(now.to_str().unwrap(), "Bearer access-1");
        assert_eq!(*rotated.lock().unwrap(), ["refresh-1"]);
    }

    #[tokio::test]
    async fn refreshes_before_expiry() {
        let refresher = Arc::new(Counting::default());
        let mut t = initial();
        t.expires_at = Some(Utc::now() + chrono::Duration::seconds(10));
        let cache = RefreshingTokenCache::new(t, refresher.clone());
        let h = cache.authorization().await.unwrap().unwrap();
        assert_eq!(h.to_str().unwrap(), "Bearer access-1");
    }

    #[tokio::test]
    async fn no_refresh_token_is_unauthenticated() {
        let mut t = initial();
        t.refresh_token = None;
        let cache = RefreshingTokenCache::new(t, Arc::new(Counting::default()));
        let h = cache.authorization().await.unwrap();
        let err = cache.on_unauthorized(h.as_ref()).await.unwrap_err();
        assert!(matches!(err, Error::Unauthenticated { .. }));
    }

    #[test]
    fn debug_is_redacted() {
        let cache = RefreshingTokenCache::new(initial(), Arc::new(Counting::default()));
        let s = format!("{cache:?} {:?}", initial());
        assert!(!s.contains("access-0") && !s.contains("refresh-0"), "{s}");
    }
}
