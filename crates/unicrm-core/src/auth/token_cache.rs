//! A single-flight refreshing OAuth2 token cache.
//!
//! Concurrent requests share one token. When it is about to expire, or when the vendor answers
//! 401, exactly one refresh happens: callers queue on one lock, and a caller whose rejected
//! token was already replaced by someone else's refresh just retries with the new one.
//!
//! The tokens live in a [`TokenStore`] (in memory unless one is given). With a store shared
//! by several processes, a refresh is single-flight across them too: before refreshing, the
//! cache re-loads the store (someone may have rotated already), takes the store's lock with a
//! lease, re-loads again under it, and only then spends the refresh token, writing the new
//! pair with a compare-and-swap before giving the lock back. A waiter therefore uses the pair
//! the holder stored instead of spending the dead refresh token again. If a refresh fails,
//! the store is read once more (a rotation by someone who did not wait for the lock).

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use http::HeaderValue;
use secrecy::{ExposeSecret, SecretString};
use tokio::sync::Mutex;

use super::credentials::{CredentialProvider, sensitive_header};
use super::token_store::{MemoryTokenStore, TokenStore, same_tokens};
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
#[deprecated(note = "use a TokenStore; SinkTokenStore adapts a sink")]
pub trait TokenSink: Send + Sync {
    /// Called after each successful refresh.
    fn tokens_refreshed(&self, tokens: &TokenSet);
}

#[allow(deprecated)]
impl<F: Fn(&TokenSet) + Send + Sync> TokenSink for F {
    fn tokens_refreshed(&self, tokens: &TokenSet) {
        self(tokens)
    }
}

/// The default lease of the cross-process refresh lock: longer than a token request takes.
pub const DEFAULT_REFRESH_LEASE: Duration = Duration::from_secs(30);

struct Slot {
    tokens: TokenSet,
    /// Whether `tokens` came from (or went to) the store yet.
    synced: bool,
}

/// OAuth2 credentials that refresh themselves. See the module docs.
pub struct RefreshingTokenCache {
    slot: Mutex<Slot>,
    refresher: Arc<dyn TokenRefresher>,
    store: Arc<dyn TokenStore>,
    clock: Arc<dyn Clock>,
    /// Refresh this long before the expiry.
    early: Duration,
    lease: Duration,
    refreshes: AtomicU64,
}

impl std::fmt::Debug for RefreshingTokenCache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RefreshingTokenCache")
            .field("tokens", &"[REDACTED]")
            .field("refresher", &self.refresher)
            .field("store", &self.store)
            .finish()
    }
}

impl RefreshingTokenCache {
    /// A cache starting from `tokens`, kept in memory.
    pub fn new(tokens: TokenSet, refresher: Arc<dyn TokenRefresher>) -> Self {
        RefreshingTokenCache {
            store: Arc::new(MemoryTokenStore::with_tokens(tokens.clone())),
            slot: Mutex::new(Slot {
                tokens,
                synced: false,
            }),
            refresher,
            clock: Arc::new(SystemClock),
            early: Duration::from_secs(60),
            lease: DEFAULT_REFRESH_LEASE,
            refreshes: AtomicU64::new(0),
        }
    }

    /// Keeps the tokens in `store`, shared with every client (and process) using it. On first
    /// use the store's tokens win; an empty store is given the tokens this cache started from.
    pub fn with_store(mut self, store: Arc<dyn TokenStore>) -> Self {
        self.store = store;
        self
    }

    /// Sets the sink that receives rotated tokens.
    #[deprecated(note = "use with_store")]
    #[allow(deprecated)]
    pub fn with_sink(self, sink: Arc<dyn TokenSink>) -> Self {
        self.with_store(Arc::new(super::token_store::SinkTokenStore::new(sink)))
    }

    /// How long the cross-process refresh lock is held at most (default 30 s): a holder
    /// that dies frees it after this long.
    pub fn with_refresh_lease(mut self, lease: Duration) -> Self {
        self.lease = lease;
        self
    }

    /// Sets the clock (tests).
    pub fn with_clock(mut self, clock: Arc<dyn Clock>) -> Self {
        self.clock = clock;
        self
    }

    /// The current tokens.
    pub async fn tokens(&self) -> TokenSet {
        self.slot.lock().await.tokens.clone()
    }

    /// How many refreshes this cache sent to the token endpoint.
    pub fn refreshes(&self) -> u64 {
        self.refreshes.load(Ordering::Relaxed)
    }

    /// On first use: the store's tokens win; an empty store gets ours.
    async fn sync(&self, slot: &mut Slot) -> Result<()> {
        if slot.synced {
            return Ok(());
        }
        match self.store.load().await? {
            Some(stored) => slot.tokens = stored,
            None => {
                // Ours go in unless someone else's got there first; either way the store's win.
                self.store.compare_and_swap(None, &slot.tokens).await?;
                if let Some(stored) = self.store.load().await? {
                    slot.tokens = stored;
                }
            }
        }
        slot.synced = true;
        Ok(())
    }

    fn expiring(&self, tokens: &TokenSet) -> bool {
        tokens.expires_at.is_some_and(|at| {
            at - chrono::Duration::from_std(self.early).unwrap_or_default() <= self.clock.now()
        })
    }

    /// Replaces `slot.tokens` with a pair that is not `stale`: one someone else already
    /// stored, else one this cache gets from the token endpoint, under the store's lock.
    async fn refresh_locked(
        &self,
        slot: &mut Slot,
        stale: &(dyn Fn(&TokenSet) -> bool + Sync),
    ) -> Result<()> {
        // Another client or process may have rotated already: use theirs.
        if let Some(stored) = self.store.load().await? {
            if !stale(&stored) {
                slot.tokens = stored;
                return Ok(());
            }
        }
        let lease = self.store.lock_refresh(self.lease).await?;
        let result = self.refresh_under_lock(slot, stale).await;
        if let Some(lease) = lease {
            if let Err(e) = self.store.unlock_refresh(lease).await {
                // The lease runs out by itself; the error names no secret.
                tracing::warn!(error = %e, "could not release the token refresh lock");
            }
        }
        result
    }

    async fn refresh_under_lock(
        &self,
        slot: &mut Slot,
        stale: &(dyn Fn(&TokenSet) -> bool + Sync),
    ) -> Result<()> {
        // Whoever held the lock before us may have rotated: re-load after taking it.
        let stored = self.store.load().await?;
        if let Some(s) = &stored {
            if !stale(s) {
                slot.tokens = s.clone();
                return Ok(());
            }
        }
        let base = stored.clone().unwrap_or_else(|| slot.tokens.clone());
        let Some(rt) = base.refresh_token.clone() else {
            return Err(Error::Unauthenticated {
                message: "the access token was rejected or expired and there is no refresh token"
                    .into(),
            });
        };
        self.refreshes.fetch_add(1, Ordering::Relaxed);
        let mut fresh = match self.refresher.refresh(&rt).await {
            Ok(fresh) => fresh,
            Err(e) => {
                // Spent by someone outside the lock (a lease that ran out, a writer without
                // one): their rotation is in the store if they finished.
                if let Ok(Some(s)) = self.store.load().await {
                    if !stale(&s) {
                        slot.tokens = s;
                        return Ok(());
                    }
                }
                return Err(e);
            }
        };
        if fresh.refresh_token.is_none() {
            fresh.refresh_token = Some(rt);
        }
        tracing::debug!("oauth2 tokens refreshed");
        let written = match self.store.compare_and_swap(stored.as_ref(), &fresh).await {
            Ok(true) => Ok(()),
            // Someone wrote without the lock. The vendor just issued ours, so ours are live:
            // write them over whatever is there now.
            Ok(false) => {
                let now = self.store.load().await;
                match now {
                    Ok(now) => match self.store.compare_and_swap(now.as_ref(), &fresh).await {
                        Ok(true) => Ok(()),
                        Ok(false) => Err("the store changed twice during one refresh".to_string()),
                        Err(e) => Err(e.to_string()),
                    },
                    Err(e) => Err(e.to_string()),
                }
            }
            Err(e) => Err(e.to_string()),
        };
        if let Err(why) = written {
            // This process keeps working with the new pair; others find it after their 401.
            tracing::warn!(error = %why, "rotated tokens could not be written to the token store");
        }
        slot.tokens = fresh;
        Ok(())
    }

    fn header(tokens: &TokenSet) -> Result<HeaderValue> {
        sensitive_header(&format!("Bearer {}", tokens.access_token.expose_secret()))
    }
}

#[async_trait]
impl CredentialProvider for RefreshingTokenCache {
    async fn authorization(&self) -> Result<Option<HeaderValue>> {
        let mut slot = self.slot.lock().await;
        self.sync(&mut slot).await?;
        if self.expiring(&slot.tokens) && slot.tokens.refresh_token.is_some() {
            let seen = slot.tokens.clone();
            let stale = |t: &TokenSet| same_tokens(t, &seen) || self.expiring(t);
            self.refresh_locked(&mut slot, &stale).await?;
        }
        Self::header(&slot.tokens).map(Some)
    }

    async fn on_unauthorized(&self, rejected: Option<&HeaderValue>) -> Result<bool> {
        let mut slot = self.slot.lock().await;
        self.sync(&mut slot).await?;
        let current = Self::header(&slot.tokens)?;
        if rejected.is_some_and(|r| r.as_bytes() != current.as_bytes()) {
            // Someone else refreshed while this request was in flight: retry with theirs.
            return Ok(true);
        }
        let seen = slot.tokens.clone();
        let stale = |t: &TokenSet| same_tokens(t, &seen);
        self.refresh_locked(&mut slot, &stale).await?;
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
        let store = Arc::new(MemoryTokenStore::new());
        let cache = Arc::new(
            RefreshingTokenCache::new(initial(), refresher.clone()).with_store(store.clone()),
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
        let stored = store.load().await.unwrap().unwrap();
        assert_eq!(stored.refresh_token.unwrap().expose_secret(), "refresh-1");
        assert_eq!(cache.refreshes(), 1);
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
