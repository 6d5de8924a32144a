//! Refresh through a shared token store: two clients with caches of their own (as two
//! processes would be), sharing only the store, against a vendor that rotates refresh tokens
//! (a spent one is refused). Each store kind (memory, a SQLite file, a real `redis-server`)
//! must give one refresh per rotation and no lock-out. The vendor here is a stand-in for the
//! token endpoint (the adapters' own tests use the simulators' `/oauth/token`).
#![cfg(all(feature = "redis", feature = "sqlite"))]

#[path = "support/redis_server.rs"]
mod redis_server;

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use async_trait::async_trait;
use redis_server::{Redis, free_port};
use unicrm_core::auth::{
    CredentialProvider, ExposeSecret, MemoryTokenStore, RedisTokenStore, RefreshingTokenCache,
    SecretString, SqliteTokenStore, TokenRefresher, TokenSet, TokenStore, same_tokens,
};
use unicrm_core::{Error, Result};

/// A token endpoint that rotates: each refresh token works once.
#[derive(Debug, Default)]
struct Rotating {
    live: Mutex<u64>,
    issued: AtomicU64,
    refused: AtomicU64,
}

fn pair(n: u64) -> TokenSet {
    TokenSet {
        access_token: format!("access-{n}").into(),
        refresh_token: Some(format!("refresh-{n}").into()),
        expires_at: None,
    }
}

#[async_trait]
impl TokenRefresher for Rotating {
    async fn refresh(&self, rt: &SecretString) -> Result<TokenSet> {
        for _ in 0..3 {
            tokio::task::yield_now().await;
        }
        let mut live = self.live.lock().unwrap();
        if rt.expose_secret() != format!("refresh-{}", *live) {
            self.refused.fetch_add(1, Ordering::SeqCst);
            return Err(Error::Unauthenticated {
                message: "invalid_grant".into(),
            });
        }
        *live += 1;
        self.issued.fetch_add(1, Ordering::SeqCst);
        Ok(pair(*live))
    }
}

/// Two independent clients: each a cache over its own handle on the same store.
async fn two_clients_rotate(
    stores: [Arc<dyn TokenStore>; 2],
    rounds: u64,
) -> (Arc<Rotating>, [Arc<RefreshingTokenCache>; 2]) {
    let vendor = Arc::new(Rotating::default());
    let [sa, sb] = stores;
    let a = Arc::new(RefreshingTokenCache::new(pair(0), vendor.clone()).with_store(sa.clone()));
    let b = Arc::new(RefreshingTokenCache::new(pair(0), vendor.clone()).with_store(sb));
    for round in 0..rounds {
        // Both were refused the same access token at once (it expired, or was revoked).
        let ha = a.authorization().await.unwrap().unwrap();
        let hb = b.authorization().await.unwrap().unwrap();
        let (ra, rb) = tokio::join!(a.on_unauthorized(Some(&ha)), b.on_unauthorized(Some(&hb)));
        assert!(ra.unwrap() && rb.unwrap(), "round {round}");
    }
    let stored = sa.load().await.unwrap().unwrap();
    assert!(same_tokens(&stored, &a.tokens().await));
    // b adopts the newest pair on its next 401 at the latest.
    (vendor, [a, b])
}

fn check(vendor: &Rotating, caches: &[Arc<RefreshingTokenCache>; 2], rounds: u64) {
    assert_eq!(vendor.refused.load(Ordering::SeqCst), 0, "lock-outs");
    assert_eq!(
        vendor.issued.load(Ordering::SeqCst),
        rounds,
        "one refresh per rotation"
    );
    assert_eq!(caches[0].refreshes() + caches[1].refreshes(), rounds);
}

#[tokio::test]
async fn two_clients_sharing_a_memory_store_refresh_once_per_rotation() {
    let store: Arc<dyn TokenStore> = Arc::new(MemoryTokenStore::new());
    let (vendor, caches) = two_clients_rotate([store.clone(), store], 200).await;
    check(&vendor, &caches, 200);
}

#[tokio::test]
async fn two_clients_sharing_a_sqlite_file_refresh_once_per_rotation() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("t.db");
    let open =
        || -> Arc<dyn TokenStore> { Arc::new(SqliteTokenStore::open(&path, "c:t").unwrap()) };
    let (vendor, caches) = two_clients_rotate([open(), open()], 60).await;
    check(&vendor, &caches, 60);
}

#[tokio::test]
async fn two_clients_sharing_redis_refresh_once_per_rotation() {
    let redis = Redis::start_on(free_port());
    let open = || -> Arc<dyn TokenStore> {
        Arc::new(RedisTokenStore::new(&redis.url(), "capsule", "t").unwrap())
    };
    let (vendor, caches) = two_clients_rotate([open(), open()], 300).await;
    check(&vendor, &caches, 300);
}

#[tokio::test]
async fn the_stores_tokens_win_over_the_builders_on_first_use() {
    let store = Arc::new(MemoryTokenStore::with_tokens(pair(7)));
    let cache =
        RefreshingTokenCache::new(pair(0), Arc::new(Rotating::default())).with_store(store.clone());
    let h = cache.authorization().await.unwrap().unwrap();
    assert_eq!(h.to_str().unwrap(), "Bearer access-7");
    // An empty store is given the builder's tokens.
    let empty = Arc::new(MemoryTokenStore::new());
    let cache =
        RefreshingTokenCache::new(pair(3), Arc::new(Rotating::default())).with_store(empty.clone());
    cache.authorization().await.unwrap();
    assert!(same_tokens(&empty.load().await.unwrap().unwrap(), &pair(3)));
}

#[tokio::test]
async fn a_waiter_whose_holder_died_gets_the_lock_when_the_lease_runs_out() {
    let redis = Redis::start_on(free_port());
    let dead = RedisTokenStore::new(&redis.url(), "capsule", "t").unwrap();
    let vendor = Arc::new(Rotating::default());
    let cache = RefreshingTokenCache::new(pair(0), vendor.clone())
        .with_store(Arc::new(
            RedisTokenStore::new(&redis.url(), "capsule", "t").unwrap(),
        ))
        .with_refresh_lease(Duration::from_millis(200));
    let h = cache.authorization().await.unwrap();
    // A holder takes the lock with a short lease and never gives it back.
    let _never_released = dead
        .lock_refresh(Duration::from_millis(30))
        .await
        .unwrap()
        .unwrap();
    assert!(cache.on_unauthorized(h.as_ref()).await.unwrap());
    assert_eq!(vendor.issued.load(Ordering::SeqCst), 1);
    assert_eq!(
        cache
            .authorization()
            .await
            .unwrap()
            .unwrap()
            .to_str()
            .unwrap(),
        "Bearer access-1"
    );
}

/// Wraps the vendor: on its first call, someone who ignores the lock rotates first (spending
/// the refresh token) and stores the result, or writes other tokens into the store.
#[derive(Debug)]
struct Interloper {
    vendor: Arc<Rotating>,
    store: Arc<MemoryTokenStore>,
    spend_first: bool,
    done: AtomicU64,
}

#[async_trait]
impl TokenRefresher for Interloper {
    async fn refresh(&self, rt: &SecretString) -> Result<TokenSet> {
        if self.done.fetch_add(1, Ordering::SeqCst) == 0 {
            let before = self.store.load().await?;
            let theirs = if self.spend_first {
                self.vendor.refresh(rt).await?
            } else {
                pair(99)
            };
            assert!(
                self.store
                    .compare_and_swap(before.as_ref(), &theirs)
                    .await?
            );
        }
        self.vendor.refresh(rt).await
    }
}

#[tokio::test]
async fn a_refresh_lost_to_a_writer_without_the_lock_uses_the_stored_winner() {
    let vendor = Arc::new(Rotating::default());
    let store = Arc::new(MemoryTokenStore::new());
    let cache = RefreshingTokenCache::new(
        pair(0),
        Arc::new(Interloper {
            vendor: vendor.clone(),
            store: store.clone(),
            spend_first: true,
            done: AtomicU64::new(0),
        }),
    )
    .with_store(store.clone());
    let h = cache.authorization().await.unwrap();
    assert!(cache.on_unauthorized(h.as_ref()).await.unwrap());
    assert_eq!(vendor.refused.load(Ordering::SeqCst), 1, "ours was refused");
    assert!(
        same_tokens(&cache.tokens().await, &pair(1)),
        "the winner's pair is used"
    );
}

#[tokio::test]
async fn fresh_tokens_are_written_over_a_store_changed_during_the_refresh() {
    let vendor = Arc::new(Rotating::default());
    let store = Arc::new(MemoryTokenStore::new());
    let cache = RefreshingTokenCache::new(
        pair(0),
        Arc::new(Interloper {
            vendor: vendor.clone(),
            store: store.clone(),
            spend_first: false,
            done: AtomicU64::new(0),
        }),
    )
    .with_store(store.clone());
    let h = cache.authorization().await.unwrap();
    assert!(cache.on_unauthorized(h.as_ref()).await.unwrap());
    // The vendor issued pair 1 last: it is the live one, in memory and in the store.
    assert!(same_tokens(&cache.tokens().await, &pair(1)));
    assert!(same_tokens(&store.load().await.unwrap().unwrap(), &pair(1)));
}

#[tokio::test]
async fn an_expiring_token_refreshes_once_and_a_stored_fresh_one_is_adopted() {
    let vendor = Arc::new(Rotating::default());
    let store: Arc<dyn TokenStore> = Arc::new(MemoryTokenStore::new());
    let mut soon = pair(0);
    soon.expires_at = Some(chrono::Utc::now() + chrono::Duration::seconds(5));
    let a = RefreshingTokenCache::new(soon.clone(), vendor.clone()).with_store(store.clone());
    let b = RefreshingTokenCache::new(soon, vendor.clone()).with_store(store.clone());
    assert_eq!(
        a.authorization().await.unwrap().unwrap().to_str().unwrap(),
        "Bearer access-1"
    );
    // b had the expiring pair in mind; the store already holds a's (not expiring).
    assert_eq!(
        b.authorization().await.unwrap().unwrap().to_str().unwrap(),
        "Bearer access-1"
    );
    assert_eq!(vendor.issued.load(Ordering::SeqCst), 1);
    assert_eq!(b.refreshes(), 0);
}
