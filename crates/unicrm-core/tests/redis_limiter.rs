//! The Redis rate limiter against a real `redis-server` (started by the test on loopback with
//! a temporary directory, stopped at the end; `.ci/run` installs Debian's package). Its rule is
//! the in-process limiter's: `burst` at once, then one per interval, here shared by every
//! limiter naming the same vendor and tenant. No test measures time: waits are the script's
//! answers.
#![cfg(feature = "redis")]

use std::num::NonZeroU32;
use std::sync::Arc;
use std::time::Duration;

use unicrm_core::http::RateLimiter;
use unicrm_core::http::rate_limit_redis::{RedisOutage, RedisRateLimiter, budget_key};

#[path = "support/redis_server.rs"]
mod redis_server;
use redis_server::{Redis, free_port};

fn limiter(
    url: &str,
    tenant: &str,
    interval: Duration,
    burst: u32,
    outage: RedisOutage,
) -> RedisRateLimiter {
    RedisRateLimiter::new(
        url,
        "capsule",
        tenant,
        interval,
        NonZeroU32::new(burst).unwrap(),
        outage,
    )
    .unwrap()
}

#[tokio::test]
async fn a_burst_goes_at_once_then_one_per_interval_shared_by_every_limiter_of_the_budget() {
    let redis = Redis::start_on(free_port());
    let hour = Duration::from_secs(3600);
    let a = limiter(&redis.url(), "t1", hour, 3, RedisOutage::FailClosed);
    let b = limiter(&redis.url(), "t1", hour, 3, RedisOutage::FailClosed);
    let other = limiter(&redis.url(), "t2", hour, 3, RedisOutage::FailClosed);
    assert_eq!(a.key(), budget_key("capsule", "t1"));
    // Two workers share one budget of 3.
    assert_eq!(a.try_acquire().await.unwrap(), None);
    assert_eq!(b.try_acquire().await.unwrap(), None);
    assert_eq!(a.try_acquire().await.unwrap(), None);
    for l in [&a, &b] {
        let wait = l.try_acquire().await.unwrap().expect("the budget is spent");
        assert!(
            wait > hour - Duration::from_secs(60) && wait <= hour,
            "{wait:?}"
        );
    }
    // A refused request takes no slot: the wait does not grow.
    let again = b.try_acquire().await.unwrap().unwrap();
    assert!(again <= hour);
    // Another tenant's budget is its own.
    assert_eq!(other.try_acquire().await.unwrap(), None);
}

#[tokio::test]
async fn a_short_interval_paces_acquire_without_going_over() {
    let redis = Redis::start_on(free_port());
    // 20 acquisitions at one per 10 ms, burst 1: each after the other, none refused for good.
    let l = Arc::new(limiter(
        &redis.url(),
        "pace",
        Duration::from_millis(10),
        1,
        RedisOutage::FailClosed,
    ));
    for _ in 0..20 {
        l.acquire().await;
    }
    // Right after, the next one has to wait (the budget holds no burst).
    let wait = l.try_acquire().await.unwrap();
    assert!(
        wait.is_some_and(|w| w <= Duration::from_millis(10)),
        "{wait:?}"
    );
}

#[tokio::test]
async fn while_redis_is_down_fail_closed_holds_requests_and_fall_back_paces_locally() {
    let port = free_port();
    let url = format!("redis://127.0.0.1:{port}/");
    let closed = Arc::new(limiter(
        &url,
        "down",
        Duration::from_millis(1),
        5,
        RedisOutage::FailClosed,
    ));
    assert!(closed.try_acquire().await.is_err(), "nothing listens yet");
    // Fall back: requests go, paced by the local limiter.
    let open = limiter(
        &url,
        "down",
        Duration::from_millis(1),
        5,
        RedisOutage::FallBackToLocal,
    );
    tokio::time::timeout(Duration::from_secs(10), open.acquire())
        .await
        .expect("the local limiter lets a request go");
    // Fail closed: the request is held until Redis answers, then goes.
    let held = tokio::spawn({
        let closed = closed.clone();
        async move { closed.acquire().await }
    });
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(!held.is_finished(), "a request went while Redis was down");
    let _redis = Redis::start_on(port);
    tokio::time::timeout(Duration::from_secs(20), held)
        .await
        .expect("the held request goes once Redis answers")
        .unwrap();
    // And the secret-free Debug output names the key only.
    let shown = format!("{closed:?}");
    assert!(shown.contains("unicrm:rate:capsule:down") && !shown.contains("redis://"));
}
