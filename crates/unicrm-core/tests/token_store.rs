//! The token stores against real backends: a SQLite file and a real `redis-server` (started
//! by the test on loopback). Same contract for each: compare-and-swap only over what the
//! store holds, and a refresh lock that one holder has at a time, that only its holder gives
//! back, and that frees itself when its lease runs out.
#![cfg(all(feature = "redis", feature = "sqlite"))]

#[path = "support/redis_server.rs"]
mod redis_server;

use std::sync::Arc;
use std::time::Duration;

use redis_server::{Redis, free_port};
use unicrm_core::auth::{
    ExposeSecret, MemoryTokenStore, RedisTokenStore, RefreshLease, SqliteTokenStore, TokenSet,
    TokenStore, same_tokens, token_key,
};

fn set(a: &str, r: Option<&str>, expires: bool) -> TokenSet {
    TokenSet {
        access_token: a.to_string().into(),
        refresh_token: r.map(|r| r.to_string().into()),
        expires_at: expires.then(|| "2026-12-01T10:00:00Z".parse().unwrap()),
    }
}

async fn contract(s: &dyn TokenStore) {
    assert!(s.load().await.unwrap().is_none(), "{s:?}");
    assert!(
        !s.compare_and_swap(Some(&set("a", None, false)), &set("b", None, false))
            .await
            .unwrap()
    );
    assert!(
        s.compare_and_swap(None, &set("a", Some("r"), true))
            .await
            .unwrap()
    );
    let loaded = s.load().await.unwrap().unwrap();
    assert!(same_tokens(&loaded, &set("a", Some("r"), true)));
    assert_eq!(loaded.expires_at, set("a", None, true).expires_at);
    // Occupied: an "only if empty" write is refused.
    assert!(
        !s.compare_and_swap(None, &set("x", None, false))
            .await
            .unwrap()
    );
    // The same access token with another (or no) refresh token is not what the store holds.
    assert!(
        !s.compare_and_swap(Some(&set("a", None, true)), &set("x", None, false))
            .await
            .unwrap()
    );
    assert!(
        !s.compare_and_swap(Some(&set("a", Some("q"), true)), &set("x", None, false))
            .await
            .unwrap()
    );
    assert!(
        !s.compare_and_swap(Some(&set("z", Some("r"), true)), &set("x", None, false))
            .await
            .unwrap()
    );
    assert!(
        s.compare_and_swap(Some(&loaded), &set("b", None, false))
            .await
            .unwrap()
    );
    let now = s.load().await.unwrap().unwrap();
    assert!(same_tokens(&now, &set("b", None, false)));
    assert!(now.refresh_token.is_none() && now.expires_at.is_none());
    assert!(
        s.compare_and_swap(Some(&now), &set("c", Some("r3"), false))
            .await
            .unwrap()
    );
    assert_eq!(
        s.load()
            .await
            .unwrap()
            .unwrap()
            .refresh_token
            .unwrap()
            .expose_secret(),
        "r3"
    );
    let dbg = format!("{s:?}");
    assert!(!dbg.contains("r3") && !dbg.contains("\"c\""), "{dbg}");
}

/// One holder at a time; a release by another holder frees nothing; the holder's release
/// frees it; a lease that ran out frees it for the next holder.
async fn lock_contract(a: &dyn TokenStore, b: &dyn TokenStore, try_b: impl AsyncFnOnce() -> bool) {
    let held = a
        .lock_refresh(Duration::from_secs(60))
        .await
        .unwrap()
        .unwrap();
    assert!(!try_b().await, "taken while held");
    b.unlock_refresh(RefreshLease::new("not the holder"))
        .await
        .unwrap();
    a.unlock_refresh(held).await.unwrap();
    let second = b
        .lock_refresh(Duration::from_secs(60))
        .await
        .unwrap()
        .unwrap();
    b.unlock_refresh(second).await.unwrap();
    // A holder that dies: its short lease runs out and the next one gets the lock.
    let _dead = a
        .lock_refresh(Duration::from_millis(1))
        .await
        .unwrap()
        .unwrap();
    let next = b
        .lock_refresh(Duration::from_secs(60))
        .await
        .unwrap()
        .unwrap();
    b.unlock_refresh(next).await.unwrap();
}

#[tokio::test]
async fn the_memory_store_keeps_the_contract() {
    contract(&MemoryTokenStore::new()).await;
}

#[tokio::test]
async fn the_sqlite_store_keeps_the_contract_across_connections() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("tokens.db");
    let a = SqliteTokenStore::open(&path, "capsule:t1").unwrap();
    contract(&a).await;
    // Another connection (another process would do the same) sees the same row; another
    // name is another tenant.
    let b = SqliteTokenStore::open(&path, "capsule:t1").unwrap();
    assert!(same_tokens(
        &b.load().await.unwrap().unwrap(),
        &set("c", Some("r3"), false)
    ));
    let other = SqliteTokenStore::open(&path, "capsule:t2").unwrap();
    assert!(other.load().await.unwrap().is_none());
    let probe = RefreshLease::new("probe");
    lock_contract(&a, &b, async || {
        b.try_lock(&probe, Duration::from_secs(60)).await.unwrap()
    })
    .await;
    // The lease is written as an expiry the next holder compares with.
    let l = a
        .lock_refresh(Duration::from_secs(60))
        .await
        .unwrap()
        .unwrap();
    let conn = rusqlite::Connection::open(&path).unwrap();
    let (holder, until): (String, i64) = conn
        .query_row(
            "SELECT holder, until_ms FROM unicrm_token_locks WHERE name = 'capsule:t1'",
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .unwrap();
    assert_eq!(holder, l.holder());
    let left = until - chrono::Utc::now().timestamp_millis();
    assert!(left > 0 && left <= 60_000, "{left}");
}

#[tokio::test]
async fn the_redis_store_keeps_the_contract_across_connections() {
    let redis = Redis::start_on(free_port());
    let a = RedisTokenStore::new(&redis.url(), "capsule", "t1").unwrap();
    assert_eq!(a.key(), token_key("capsule", "t1"));
    contract(&a).await;
    let b = RedisTokenStore::new(&redis.url(), "capsule", "t1").unwrap();
    assert!(same_tokens(
        &b.load().await.unwrap().unwrap(),
        &set("c", Some("r3"), false)
    ));
    let other = RedisTokenStore::new(&redis.url(), "capsule", "t2").unwrap();
    assert!(other.load().await.unwrap().is_none());
    let probe = RefreshLease::new("probe");
    lock_contract(&a, &b, async || {
        b.try_lock(&probe, Duration::from_secs(60)).await.unwrap()
    })
    .await;
    // SET NX PX: the lock names its holder and carries the lease as its time to live.
    let l = a
        .lock_refresh(Duration::from_secs(60))
        .await
        .unwrap()
        .unwrap();
    let client = redis::Client::open(redis.url()).unwrap();
    let mut c = client.get_multiplexed_async_connection().await.unwrap();
    let lock_key = format!("{}:lock", token_key("capsule", "t1"));
    let holder: String = redis::cmd("GET")
        .arg(&lock_key)
        .query_async(&mut c)
        .await
        .unwrap();
    assert_eq!(holder, l.holder());
    let ttl: i64 = redis::cmd("PTTL")
        .arg(&lock_key)
        .query_async(&mut c)
        .await
        .unwrap();
    assert!(ttl > 0 && ttl <= 60_000, "{ttl}");
    a.unlock_refresh(l).await.unwrap();
    let gone: Option<String> = redis::cmd("GET")
        .arg(&lock_key)
        .query_async(&mut c)
        .await
        .unwrap();
    assert!(gone.is_none());
}

#[tokio::test]
async fn a_store_without_redis_fails_with_a_typed_error_naming_no_secret() {
    let url = format!("redis://:pa55word@127.0.0.1:{}/", free_port());
    let s = RedisTokenStore::new(&url, "capsule", "t1").unwrap();
    let err = s.load().await.unwrap_err();
    assert!(
        matches!(err, unicrm_core::Error::Transport { .. }),
        "{err:?}"
    );
    let text = format!("{err} {err:?} {s:?}");
    assert!(!text.contains("pa55word"), "{text}");
    let s = Arc::new(s);
    assert!(s.lock_refresh(Duration::from_secs(1)).await.is_err());
}
