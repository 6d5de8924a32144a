//! The Redis rate limiter against a real `redis-server` (started by the test on loopback with
//! a temporary directory, stopped at the end; `.ci/run` installs Debian's package). Its rule is
//! the in-process limiter's: `burst` at once, then one per interval, here shared by every
//! limiter naming the same vendor and tenant. The cases of the in-process limiter's tests run
//! against both. No test measures time: the budget is timed by a manual clock passed to the
//! script (or, where the server's clock is used, only bounds of the script's answers are
//! checked), and waits are recorded, not slept.
#![cfg(feature = "redis")]

use std::num::NonZeroU32;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use chrono::TimeZone;
use futures::future::BoxFuture;
use metrics_util::debugging::{DebugValue, DebuggingRecorder};
use unicrm_core::http::rate_limit_redis::{
    DEFAULT_MAX_RESERVATION, RedisOutage, RedisRateLimiter, Slot, budget_key,
};
use unicrm_core::http::telemetry::REDIS_UNREACHABLE;
use unicrm_core::http::{GovernorRateLimiter, RateLimiter};
use unicrm_core::time::{ManualClock, RecordingSleeper, Sleeper};

#[path = "support/redis_server.rs"]
mod redis_server;
use redis_server::{Redis, free_port};

fn nz(n: u32) -> NonZeroU32 {
    NonZeroU32::new(n).unwrap()
}

fn ms(n: u64) -> Duration {
    Duration::from_millis(n)
}

fn clock() -> ManualClock {
    ManualClock::new(chrono::Utc.with_ymd_and_hms(2025, 1, 1, 0, 0, 0).unwrap())
}

fn limiter(
    url: &str,
    tenant: &str,
    interval: Duration,
    burst: u32,
    outage: RedisOutage,
) -> RedisRateLimiter {
    RedisRateLimiter::new(url, "capsule", tenant, interval, nz(burst), outage).unwrap()
}

/// A limiter on a manual clock whose waits advance it.
fn manual(
    url: &str,
    tenant: &str,
    interval: Duration,
    burst: u32,
) -> (RedisRateLimiter, ManualClock, RecordingSleeper) {
    let c = clock();
    let sleeper = RecordingSleeper::with_clock(c.clone());
    let l = limiter(url, tenant, interval, burst, RedisOutage::FailClosed)
        .with_clock(Arc::new(c.clone()))
        .with_sleeper(Arc::new(sleeper.clone()));
    (l, c, sleeper)
}

/// The cases of the in-process limiter's tests (`rate_limit/tests.rs`: even spacing, a
/// fractional pace, a burst then the pace), each run against the in-process limiter and the
/// Redis one: the same waits.
#[tokio::test]
async fn the_in_process_cases_give_the_same_waits_through_redis() {
    let redis = Redis::start_on(free_port());
    // (interval, burst, acquisitions, expected waits)
    let cases = [
        (ms(100), 1, 4, vec![ms(100); 3]),
        (ms(105), 1, 5, vec![ms(105); 4]),
        (ms(200), 3, 4, vec![ms(200)]),
        (ms(200), 3, 6, vec![ms(200); 3]),
    ];
    for (i, (interval, burst, n, expected)) in cases.into_iter().enumerate() {
        let c = clock();
        let local_sleeper = RecordingSleeper::with_clock(c.clone());
        let local = GovernorRateLimiter::every_with(
            interval,
            nz(burst),
            Arc::new(c),
            Arc::new(local_sleeper.clone()),
        );
        let (shared, _, shared_sleeper) =
            manual(&redis.url(), &format!("case{i}"), interval, burst);
        for _ in 0..n {
            local.acquire().await;
            shared.acquire().await;
        }
        assert_eq!(local_sleeper.delays(), expected, "in-process, case {i}");
        assert_eq!(shared_sleeper.delays(), expected, "Redis, case {i}");
    }
}

#[tokio::test]
async fn a_burst_goes_at_once_then_one_per_interval_shared_by_every_limiter_of_the_budget() {
    let redis = Redis::start_on(free_port());
    let hour = Duration::from_secs(3600);
    let c = clock();
    let a = limiter(&redis.url(), "t1", hour, 3, RedisOutage::FailClosed)
        .with_clock(Arc::new(c.clone()));
    let b = limiter(&redis.url(), "t1", hour, 3, RedisOutage::FailClosed)
        .with_clock(Arc::new(c.clone()));
    let other = limiter(&redis.url(), "t2", hour, 3, RedisOutage::FailClosed)
        .with_clock(Arc::new(c.clone()));
    assert_eq!(a.key(), budget_key("capsule", "t1"));
    assert_eq!(a.key(), "unicrm:rate:capsule:t1");
    // Two workers share one budget of 3.
    assert_eq!(a.reserve().await.unwrap(), Slot::Reserved(Duration::ZERO));
    assert_eq!(b.reserve().await.unwrap(), Slot::Reserved(Duration::ZERO));
    assert_eq!(a.reserve().await.unwrap(), Slot::Reserved(Duration::ZERO));
    // The next slot is an hour away, further than the cap: refused, and a refusal takes no
    // slot (the answer does not grow).
    assert!(hour > DEFAULT_MAX_RESERVATION);
    for l in [&a, &b, &a] {
        assert_eq!(l.reserve().await.unwrap(), Slot::Refused(hour));
    }
    // Half an hour on, still refused, half an hour away.
    c.advance(hour / 2);
    assert_eq!(b.reserve().await.unwrap(), Slot::Refused(hour / 2));
    // Another tenant's budget is its own.
    assert_eq!(
        other.reserve().await.unwrap(),
        Slot::Reserved(Duration::ZERO)
    );
    // A whole interval later one slot is free again (no more: the burst refills one by one).
    c.advance(hour / 2);
    assert_eq!(a.reserve().await.unwrap(), Slot::Reserved(Duration::ZERO));
    assert_eq!(a.reserve().await.unwrap(), Slot::Refused(hour));
}

#[tokio::test]
async fn slots_are_reserved_back_to_back_so_a_late_caller_loses_nothing() {
    let redis = Redis::start_on(free_port());
    let (a, c, _) = manual(&redis.url(), "late", ms(100), 1);
    // Another worker of the same budget, on the same clock.
    let b = limiter(&redis.url(), "late", ms(100), 1, RedisOutage::FailClosed)
        .with_clock(Arc::new(c.clone()));
    // Three callers at once: three consecutive slots.
    assert_eq!(a.reserve().await.unwrap(), Slot::Reserved(ms(0)));
    assert_eq!(b.reserve().await.unwrap(), Slot::Reserved(ms(100)));
    assert_eq!(a.reserve().await.unwrap(), Slot::Reserved(ms(200)));
    // A fourth caller, 130 ms later (its process woke late): its slot is at 300 ms, right
    // after the others, not one interval after its late "now".
    c.advance(ms(130));
    assert_eq!(b.reserve().await.unwrap(), Slot::Reserved(ms(170)));
    // Once the queue has drained, a new caller goes at once (no credit is saved up past the
    // burst).
    c.advance(ms(1000));
    assert_eq!(a.reserve().await.unwrap(), Slot::Reserved(ms(0)));
    assert_eq!(b.reserve().await.unwrap(), Slot::Reserved(ms(100)));
}

#[tokio::test]
async fn a_slot_further_than_the_cap_is_refused_and_asked_for_again_closer() {
    let redis = Redis::start_on(free_port());
    let (a, _, sleeper) = manual(&redis.url(), "cap", ms(100), 1);
    let a = a.with_max_reservation(ms(250));
    let (exact, _, _) = manual(&redis.url(), "cap-exact", ms(100), 1);
    let exact = exact.with_max_reservation(ms(300));
    for l in [&a, &exact] {
        for wait in [0, 100, 200] {
            assert_eq!(l.reserve().await.unwrap(), Slot::Reserved(ms(wait)));
        }
    }
    // 300 ms away: over a cap of 250 ms (refused, twice: nothing taken), within one of 300.
    assert_eq!(a.reserve().await.unwrap(), Slot::Refused(ms(300)));
    assert_eq!(a.reserve().await.unwrap(), Slot::Refused(ms(300)));
    assert_eq!(exact.reserve().await.unwrap(), Slot::Reserved(ms(300)));
    // `acquire` waits until the slot is within the cap (50 ms), then reserves it and waits
    // for it (250 ms).
    a.acquire().await;
    assert_eq!(sleeper.delays(), vec![ms(50), ms(250)]);
    assert_eq!(a.reserve().await.unwrap(), Slot::Reserved(ms(100)));
}

#[tokio::test]
async fn the_redis_servers_clock_times_the_budget_by_default() {
    let redis = Redis::start_on(free_port());
    let hour = Duration::from_secs(3600);
    let a = limiter(&redis.url(), "server", hour, 2, RedisOutage::FailClosed);
    assert_eq!(a.reserve().await.unwrap(), Slot::Reserved(Duration::ZERO));
    assert_eq!(a.reserve().await.unwrap(), Slot::Reserved(Duration::ZERO));
    match a.reserve().await.unwrap() {
        // Less than an hour by the time between the calls (bounded by a minute, not measured).
        Slot::Refused(w) => assert!(w > hour - Duration::from_secs(60) && w <= hour, "{w:?}"),
        other => panic!("{other:?}"),
    }
    // 20 acquisitions at one per 10 ms, burst 1, with real waits: the next one is at most one
    // interval away (reserved, within the default cap).
    let l = limiter(&redis.url(), "pace", ms(10), 1, RedisOutage::FailClosed);
    for _ in 0..20 {
        l.acquire().await;
    }
    match l.reserve().await.unwrap() {
        Slot::Reserved(w) => assert!(w <= ms(10), "{w:?}"),
        other => panic!("{other:?}"),
    }
}

/// A sleeper that records its waits and starts `redis-server` on `port` at the third one.
#[derive(Debug, Clone)]
struct StartsRedis {
    port: u16,
    delays: Arc<Mutex<Vec<Duration>>>,
    redis: Arc<Mutex<Option<Redis>>>,
}

impl std::fmt::Debug for Redis {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Redis({})", self.port)
    }
}

impl Sleeper for StartsRedis {
    fn sleep(&self, duration: Duration) -> BoxFuture<'static, ()> {
        let mut d = self.delays.lock().unwrap();
        d.push(duration);
        if d.len() == 3 {
            *self.redis.lock().unwrap() = Some(Redis::start_on(self.port));
        }
        Box::pin(std::future::ready(()))
    }
}

fn unreachable_count(
    snapshot: metrics_util::debugging::Snapshot,
    outage: &str,
) -> Option<DebugValue> {
    snapshot.into_vec().into_iter().find_map(|(key, _, _, v)| {
        let k = key.key();
        let has =
            |name: &str, value: &str| k.labels().any(|l| l.key() == name && l.value() == value);
        (k.name() == REDIS_UNREACHABLE
            && has("vendor", "capsule")
            && has("tenant", "down")
            && has("outage", outage))
        .then_some(v)
    })
}

fn with_recorder(test: impl AsyncFnOnce()) -> metrics_util::debugging::Snapshot {
    let recorder = DebuggingRecorder::new();
    let snapshotter = recorder.snapshotter();
    metrics::with_local_recorder(&recorder, || {
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap()
            .block_on(test())
    });
    snapshotter.snapshot()
}

#[test]
fn while_redis_is_down_fail_closed_holds_the_request_until_redis_answers() {
    let port = free_port();
    let url = format!("redis://127.0.0.1:{port}/");
    let hour = Duration::from_secs(3600);
    let sleeper = StartsRedis {
        port,
        delays: Arc::default(),
        redis: Arc::default(),
    };
    let snapshot = with_recorder(async || {
        let closed = limiter(&url, "down", hour, 1, RedisOutage::FailClosed)
            .with_clock(Arc::new(clock()))
            .with_sleeper(Arc::new(sleeper.clone()));
        assert!(closed.reserve().await.is_err(), "nothing listens yet");
        // Held through three waits with back-off; Redis starts during the third; then the
        // request takes its slot in Redis (the next one is an hour away).
        closed.acquire().await;
        assert_eq!(
            *sleeper.delays.lock().unwrap(),
            vec![ms(100), ms(200), ms(400)]
        );
        assert!(sleeper.redis.lock().unwrap().is_some());
        assert_eq!(closed.reserve().await.unwrap(), Slot::Refused(hour));
        // The secret-free Debug output names the key only.
        let shown = format!("{closed:?}");
        assert!(shown.contains("unicrm:rate:capsule:down") && !shown.contains("redis://"));
    });
    assert_eq!(
        unreachable_count(snapshot, "fail_closed"),
        Some(DebugValue::Counter(3))
    );
}

#[test]
fn while_redis_is_down_fall_back_paces_requests_locally_with_a_warning() {
    let url = format!("redis://127.0.0.1:{}/", free_port());
    let c = clock();
    let sleeper = RecordingSleeper::with_clock(c.clone());
    let snapshot = with_recorder(async || {
        let open = limiter(&url, "down", ms(100), 1, RedisOutage::FallBackToLocal)
            .with_sleeper(Arc::new(sleeper.clone()))
            .with_clock(Arc::new(c.clone()));
        // Requests go, at the same pace, from the local limiter.
        for _ in 0..3 {
            open.acquire().await;
        }
        assert_eq!(sleeper.delays(), vec![ms(100), ms(100)]);
    });
    // One warning (and one count) per request paced locally.
    assert_eq!(
        unreachable_count(snapshot, "fall_back_to_local"),
        Some(DebugValue::Counter(3))
    );
}
