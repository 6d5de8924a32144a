//! Where OAuth2 tokens live between refreshes: the [`TokenStore`] trait and the in-memory
//! store.
//!
//! A vendor that rotates refresh tokens (Capsule, HighLevel) kills the old refresh token when
//! it issues a new one. Every process using one tenant's tokens must therefore see the newest
//! pair, and only one of them may spend a given refresh token. A store offers three things:
//! - [`load`](TokenStore::load): the newest pair;
//! - [`compare_and_swap`](TokenStore::compare_and_swap): write a new pair only over the pair
//!   the writer started from, so a stale writer can never overwrite a newer rotation;
//! - optionally a lock with a lease ([`lock_refresh`](TokenStore::lock_refresh)) that makes a
//!   refresh single-flight across processes (the Redis and SQLite stores have one; the
//!   in-memory store needs none: the cache's own lock covers one process).
//!
//! Implementations: [`MemoryTokenStore`]; `SqliteTokenStore` (feature `sqlite`, one machine);
//! `RedisTokenStore` (feature `redis`, many machines).

use std::sync::Mutex;
use std::time::Duration;

use async_trait::async_trait;
use secrecy::ExposeSecret;

use super::token_cache::TokenSet;
use crate::error::Result;

/// Proof of holding a store's refresh lock until its lease ends; given back to
/// [`TokenStore::unlock_refresh`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RefreshLease {
    holder: String,
}

impl RefreshLease {
    /// A lease held under the unique name `holder` (what a token-checked release compares).
    pub fn new(holder: impl Into<String>) -> Self {
        RefreshLease {
            holder: holder.into(),
        }
    }

    /// A new lease with a name unique to this process and moment (process id, a counter, the
    /// time, and per-process randomness from the standard library's hasher keys).
    pub fn unique() -> Self {
        use std::hash::{BuildHasher, Hasher};
        use std::sync::atomic::{AtomicU64, Ordering};
        static COUNTER: AtomicU64 = AtomicU64::new(0);
        let n = COUNTER.fetch_add(1, Ordering::Relaxed);
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos())
            .unwrap_or_default();
        let mut h = std::collections::hash_map::RandomState::new().build_hasher();
        h.write_u64(n);
        h.write_u128(nanos);
        RefreshLease::new(format!(
            "{}-{n}-{nanos}-{:016x}",
            std::process::id(),
            h.finish()
        ))
    }

    /// The holder's name.
    pub fn holder(&self) -> &str {
        &self.holder
    }
}

/// Holds a tenant's OAuth2 tokens for every client (and process) that uses them.
#[async_trait]
pub trait TokenStore: Send + Sync + std::fmt::Debug {
    /// The newest tokens; `None` when nothing is stored yet.
    async fn load(&self) -> Result<Option<TokenSet>>;

    /// Writes `new` if the store still holds `expected` (compared by access and refresh
    /// token; `None`: only if the store is empty). `Ok(true)` when written, `Ok(false)` when
    /// the store holds something else (someone else rotated first).
    async fn compare_and_swap(&self, expected: Option<&TokenSet>, new: &TokenSet) -> Result<bool>;

    /// Takes the lock that makes a refresh single-flight among every process sharing this
    /// store, waiting while someone else holds it. The lock frees itself after `lease` if its
    /// holder dies. `Ok(None)`: this store has no cross-process lock (the default; one
    /// process's own lock is enough).
    async fn lock_refresh(&self, lease: Duration) -> Result<Option<RefreshLease>> {
        let _ = lease;
        Ok(None)
    }

    /// Gives the lock back, only if `lease` still holds it (a lease that ran out may belong
    /// to someone else by now).
    async fn unlock_refresh(&self, lease: RefreshLease) -> Result<()> {
        let _ = lease;
        Ok(())
    }
}

/// Takes a lock through `try_lock` (one attempt, `true` when taken), waiting with back-off
/// (2 ms doubling to 50 ms) while someone else holds it. A holder's lease ends by itself, so
/// past twice the lease something else is wrong: a timeout error.
pub(crate) async fn poll_lock<F, Fut>(
    sleeper: &dyn crate::time::Sleeper,
    lease: Duration,
    what: &str,
    mut try_lock: F,
) -> Result<Option<RefreshLease>>
where
    F: FnMut(RefreshLease) -> Fut,
    Fut: std::future::Future<Output = Result<bool>>,
{
    let me = RefreshLease::unique();
    let mut wait = Duration::from_millis(2);
    let mut waited = Duration::ZERO;
    let give_up = lease.saturating_mul(2).max(Duration::from_millis(100));
    loop {
        if try_lock(me.clone()).await? {
            return Ok(Some(me));
        }
        if waited >= give_up {
            return Err(crate::error::Error::Transport {
                kind: crate::error::TransportKind::Timeout,
                message: format!("{what}: the refresh lock stayed taken past its lease"),
                source: None,
            });
        }
        sleeper.sleep(wait).await;
        waited += wait;
        wait = (wait * 2).min(Duration::from_millis(50));
    }
}

/// Whether two token sets are the same issue (same access and refresh token).
pub fn same_tokens(a: &TokenSet, b: &TokenSet) -> bool {
    a.access_token.expose_secret() == b.access_token.expose_secret()
        && a.refresh_token.as_ref().map(ExposeSecret::expose_secret)
            == b.refresh_token.as_ref().map(ExposeSecret::expose_secret)
}

/// Tokens kept in this process only (the default when no store is given). Clients of one
/// tenant that share one `MemoryTokenStore` also share its refresh lock (a lease in memory).
#[derive(Default)]
pub struct MemoryTokenStore {
    tokens: Mutex<Option<TokenSet>>,
    lock: Mutex<Option<(String, std::time::Instant)>>,
}

impl std::fmt::Debug for MemoryTokenStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("MemoryTokenStore([REDACTED])")
    }
}

impl MemoryTokenStore {
    /// An empty store.
    pub fn new() -> Self {
        Self::default()
    }

    /// A store holding `tokens`.
    pub fn with_tokens(tokens: TokenSet) -> Self {
        MemoryTokenStore {
            tokens: Mutex::new(Some(tokens)),
            lock: Mutex::new(None),
        }
    }
}

#[async_trait]
impl TokenStore for MemoryTokenStore {
    async fn load(&self) -> Result<Option<TokenSet>> {
        Ok(self
            .tokens
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone())
    }

    async fn compare_and_swap(&self, expected: Option<&TokenSet>, new: &TokenSet) -> Result<bool> {
        let mut slot = self.tokens.lock().unwrap_or_else(|e| e.into_inner());
        let matches = match (slot.as_ref(), expected) {
            (None, None) => true,
            (Some(cur), Some(exp)) => same_tokens(cur, exp),
            _ => false,
        };
        if matches {
            *slot = Some(new.clone());
        }
        Ok(matches)
    }

    async fn lock_refresh(&self, lease: Duration) -> Result<Option<RefreshLease>> {
        poll_lock(
            &crate::time::TokioSleeper,
            lease,
            "memory token store",
            |me| {
                let now = std::time::Instant::now();
                let mut held = self.lock.lock().unwrap_or_else(|e| e.into_inner());
                let free = held.as_ref().is_none_or(|(_, until)| *until <= now);
                if free {
                    *held = Some((me.holder().to_string(), now + lease));
                }
                std::future::ready(Ok(free))
            },
        )
        .await
    }

    async fn unlock_refresh(&self, lease: RefreshLease) -> Result<()> {
        let mut held = self.lock.lock().unwrap_or_else(|e| e.into_inner());
        if held.as_ref().is_some_and(|(h, _)| h == lease.holder()) {
            *held = None;
        }
        Ok(())
    }
}

/// The pre-0.2 [`TokenSink`](super::TokenSink) as a store: tokens kept in memory, every
/// rotation also handed to the sink.
#[deprecated(note = "use a TokenStore (MemoryTokenStore, SqliteTokenStore, RedisTokenStore)")]
pub struct SinkTokenStore {
    inner: MemoryTokenStore,
    #[allow(deprecated)]
    sink: std::sync::Arc<dyn super::TokenSink>,
}

#[allow(deprecated)]
impl SinkTokenStore {
    /// Hands every rotated token set to `sink`.
    pub fn new(sink: std::sync::Arc<dyn super::TokenSink>) -> Self {
        SinkTokenStore {
            inner: MemoryTokenStore::new(),
            sink,
        }
    }
}

#[allow(deprecated)]
impl std::fmt::Debug for SinkTokenStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SinkTokenStore([REDACTED])")
    }
}

#[allow(deprecated)]
#[async_trait]
impl TokenStore for SinkTokenStore {
    async fn load(&self) -> Result<Option<TokenSet>> {
        self.inner.load().await
    }

    async fn compare_and_swap(&self, expected: Option<&TokenSet>, new: &TokenSet) -> Result<bool> {
        let written = self.inner.compare_and_swap(expected, new).await?;
        // The first write is the caller's own starting tokens, not a refresh.
        if written && expected.is_some() {
            self.sink.tokens_refreshed(new);
        }
        Ok(written)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn set(a: &str, r: Option<&str>) -> TokenSet {
        TokenSet {
            access_token: a.to_string().into(),
            refresh_token: r.map(|r| r.to_string().into()),
            expires_at: None,
        }
    }

    #[tokio::test]
    async fn memory_store_swaps_only_over_what_it_holds() {
        let s = MemoryTokenStore::new();
        assert!(s.load().await.unwrap().is_none());
        assert!(
            !s.compare_and_swap(Some(&set("a", None)), &set("b", None))
                .await
                .unwrap()
        );
        assert!(
            s.compare_and_swap(None, &set("a", Some("r")))
                .await
                .unwrap()
        );
        assert!(!s.compare_and_swap(None, &set("x", None)).await.unwrap());
        // Same access token, other refresh token: not the same issue.
        assert!(
            !s.compare_and_swap(Some(&set("a", None)), &set("x", None))
                .await
                .unwrap()
        );
        assert!(
            s.compare_and_swap(Some(&set("a", Some("r"))), &set("b", Some("r2")))
                .await
                .unwrap()
        );
        let now = s.load().await.unwrap().unwrap();
        assert!(same_tokens(&now, &set("b", Some("r2"))));
        // The lock: taken, refused to another holder, released only by its holder.
        let a = s
            .lock_refresh(Duration::from_secs(60))
            .await
            .unwrap()
            .unwrap();
        s.unlock_refresh(RefreshLease::new("someone else"))
            .await
            .unwrap();
        let held = s.lock.lock().unwrap().clone().unwrap();
        assert_eq!(held.0, a.holder());
        s.unlock_refresh(a).await.unwrap();
        assert!(s.lock.lock().unwrap().is_none());
        // A lease that ran out (zero here) frees the lock for the next holder.
        let dead = s.lock_refresh(Duration::ZERO).await.unwrap().unwrap();
        let next = s
            .lock_refresh(Duration::from_secs(60))
            .await
            .unwrap()
            .unwrap();
        assert_ne!(dead, next);
        assert!(!format!("{s:?}").contains("r2"));
    }

    #[test]
    fn unique_leases_differ() {
        let a = RefreshLease::unique();
        let b = RefreshLease::unique();
        assert_ne!(a, b);
        assert!(a.holder().starts_with(&std::process::id().to_string()));
    }
}
