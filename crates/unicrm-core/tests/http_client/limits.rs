//! Limits under concurrency: callers wait together, a 429's pause is shared, a re-send after a
//! refresh passes the limiter, a far reset is returned at once.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use chrono::{DateTime, Utc};
use unicrm_core::Error;
use unicrm_core::auth::{RefreshingTokenCache, TokenSet};
use unicrm_core::http::{HttpClient, HttpClientBuilder, QuotaTracker, RateLimiter};
use unicrm_core::time::{ManualClock, RecordingSleeper};
use wiremock::matchers::{header, method};
use wiremock::{Mock, MockServer, ResponseTemplate};

use super::{FixedRefresher, Parties, policy};

fn t0() -> DateTime<Utc> {
    DateTime::parse_from_rfc3339("2025-01-01T00:00:00Z")
        .unwrap()
        .with_timezone(&Utc)
}

#[derive(Debug, Default)]
struct CountingLimiter {
    calls: AtomicUsize,
}

#[async_trait::async_trait]
impl RateLimiter for CountingLimiter {
    async fn acquire(&self) {
        self.calls.fetch_add(1, Ordering::SeqCst);
    }
}

/// A client on a clock that stands still (the sleeper records without moving it).
fn still_client(server: &MockServer, sleeper: &RecordingSleeper) -> HttpClient {
    HttpClientBuilder::new("test", &server.uri())
        .unwrap()
        .retry(policy())
        .sleeper(Arc::new(sleeper.clone()))
        .clock(Arc::new(ManualClock::new(t0())))
        .build()
        .unwrap()
}

#[tokio::test]
async fn concurrent_callers_wait_together_for_a_spent_budget() {
    let server = MockServer::start().await;
    let reset = t0().timestamp() + 5;
    Mock::given(method("GET"))
        .respond_with(
            ResponseTemplate::new(200)
                .insert_header("X-RateLimit-Limit", "4000")
                .insert_header("X-RateLimit-Remaining", "0")
                .insert_header("X-RateLimit-Reset", reset.to_string().as_str())
                .set_body_string(r#"{"parties":[]}"#),
        )
        .mount(&server)
        .await;
    let sleeper = RecordingSleeper::new();
    let c = still_client(&server, &sleeper);
    c.get_json::<Parties>("parties", &[]).await.unwrap();
    assert!(sleeper.delays().is_empty());
    let calls = (0..8).map(|_| c.get_json::<Parties>("parties", &[]));
    for r in futures::future::join_all(calls).await {
        r.unwrap();
    }
    // Every one of them waited for the reset (plus a second of skew), none went early.
    assert_eq!(sleeper.delays(), vec![Duration::from_secs(6); 8]);
    assert!(c.stats().throttled_ms >= 8 * 6000);
}

#[tokio::test]
async fn a_429_pause_holds_other_callers_and_is_not_waited_twice() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(429).insert_header("Retry-After", "3"))
        .up_to_n_times(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(200).set_body_string(r#"{"parties":[]}"#))
        .mount(&server)
        .await;
    let sleeper = RecordingSleeper::new();
    let c = still_client(&server, &sleeper);
    c.get_json::<Parties>("parties", &[]).await.unwrap();
    // The caller that drew the 429 waited once, for the advertised delay.
    assert_eq!(sleeper.delays(), vec![Duration::from_secs(3)]);
    // Another caller, before the pause ends (the clock stands still), waits for it too.
    c.get_json::<Parties>("parties", &[]).await.unwrap();
    assert_eq!(sleeper.delays(), vec![Duration::from_secs(3); 2]);
    assert_eq!(server.received_requests().await.unwrap().len(), 3);
}

#[tokio::test]
async fn a_429_asking_for_too_long_is_returned_at_once_and_pauses_nobody() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(429).insert_header("Retry-After", "3600"))
        .up_to_n_times(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(200).set_body_string(r#"{"parties":[]}"#))
        .mount(&server)
        .await;
    let sleeper = RecordingSleeper::new();
    let c = still_client(&server, &sleeper);
    let err = c.get_json::<Parties>("parties", &[]).await.unwrap_err();
    assert_eq!(err.retry_after(), Some(Duration::from_secs(3600)));
    c.get_json::<Parties>("parties", &[]).await.unwrap();
    assert!(sleeper.delays().is_empty());
}

#[tokio::test]
async fn a_quota_429_with_a_near_reset_is_waited_once() {
    let server = MockServer::start().await;
    let reset = t0().timestamp() + 4;
    Mock::given(method("GET"))
        .respond_with(
            ResponseTemplate::new(429)
                .insert_header("X-RateLimit-Remaining", "0")
                .insert_header("X-RateLimit-Reset", reset.to_string().as_str()),
        )
        .up_to_n_times(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(200).set_body_string(r#"{"parties":[]}"#))
        .mount(&server)
        .await;
    let sleeper = RecordingSleeper::new();
    let c = still_client(&server, &sleeper);
    c.get_json::<Parties>("parties", &[]).await.unwrap();
    assert_eq!(sleeper.delays(), vec![Duration::from_secs(5)]);
    assert_eq!(c.stats().rate_limited, 1);
}

#[tokio::test]
async fn a_far_quota_reset_is_returned_without_sending() {
    let server = MockServer::start().await;
    let reset = t0().timestamp() + 3000;
    Mock::given(method("GET"))
        .respond_with(
            ResponseTemplate::new(200)
                .insert_header("X-RateLimit-Limit", "10")
                .insert_header("X-RateLimit-Remaining", "0")
                .insert_header("X-RateLimit-Reset", reset.to_string().as_str())
                .set_body_string(r#"{"parties":[]}"#),
        )
        .mount(&server)
        .await;
    let sleeper = RecordingSleeper::new();
    let c = still_client(&server, &sleeper);
    c.get_json::<Parties>("parties", &[]).await.unwrap();
    for _ in 0..5 {
        let err = c.get_json::<Parties>("parties", &[]).await.unwrap_err();
        assert!(
            matches!(
                err,
                Error::QuotaExhausted {
                    limit: Some(10),
                    ..
                }
            ),
            "{err:?}"
        );
    }
    assert_eq!(server.received_requests().await.unwrap().len(), 1);
    assert!(sleeper.delays().is_empty());
}

#[tokio::test]
async fn clients_given_one_tracker_share_the_budget() {
    let server = MockServer::start().await;
    let reset = t0().timestamp() + 3000;
    Mock::given(method("GET"))
        .respond_with(
            ResponseTemplate::new(200)
                .insert_header("X-RateLimit-Remaining", "0")
                .insert_header("X-RateLimit-Reset", reset.to_string().as_str())
                .set_body_string(r#"{"parties":[]}"#),
        )
        .mount(&server)
        .await;
    let shared = Arc::new(QuotaTracker::default());
    let make = || {
        HttpClientBuilder::new("test", &server.uri())
            .unwrap()
            .quota_tracker(shared.clone())
            .clock(Arc::new(ManualClock::new(t0())))
            .build()
            .unwrap()
    };
    let (a, b) = (make(), make());
    a.get_json::<Parties>("parties", &[]).await.unwrap();
    assert!(Arc::ptr_eq(a.quota_tracker(), b.quota_tracker()));
    assert_eq!(b.last_rate_limit().remaining, Some(0));
    assert!(matches!(
        b.get_json::<Parties>("parties", &[]).await,
        Err(Error::QuotaExhausted { .. })
    ));
    assert_eq!(server.received_requests().await.unwrap().len(), 1);
}

#[tokio::test]
async fn the_resend_after_a_refresh_passes_the_limiter() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(header("authorization", "Bearer old"))
        .respond_with(ResponseTemplate::new(401))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(header("authorization", "Bearer new"))
        .respond_with(ResponseTemplate::new(200).set_body_string(r#"{"parties":[]}"#))
        .expect(1)
        .mount(&server)
        .await;
    let cache = RefreshingTokenCache::new(
        TokenSet {
            access_token: "old".to_string().into(),
            refresh_token: Some("rt".to_string().into()),
            expires_at: None,
        },
        Arc::new(FixedRefresher),
    );
    let limiter = Arc::new(CountingLimiter::default());
    let c = HttpClientBuilder::new("test", &server.uri())
        .unwrap()
        .credentials(Arc::new(cache))
        .rate_limiter(limiter.clone())
        .build()
        .unwrap();
    c.get_json::<Parties>("parties", &[]).await.unwrap();
    assert_eq!(limiter.calls.load(Ordering::SeqCst), 2);
    let s = c.stats();
    assert_eq!((s.requests, s.retries), (2, 1));
}

#[tokio::test]
async fn every_retry_passes_the_limiter() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(503))
        .up_to_n_times(2)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(200).set_body_string(r#"{"parties":[]}"#))
        .mount(&server)
        .await;
    let limiter = Arc::new(CountingLimiter::default());
    let sleeper = RecordingSleeper::new();
    let c = HttpClientBuilder::new("test", &server.uri())
        .unwrap()
        .retry(policy())
        .sleeper(Arc::new(sleeper.clone()))
        .rate_limiter(limiter.clone())
        .build()
        .unwrap();
    c.get_json::<Parties>("parties", &[]).await.unwrap();
    assert_eq!(limiter.calls.load(Ordering::SeqCst), 3);
    assert_eq!(c.stats().retries, 2);
}
