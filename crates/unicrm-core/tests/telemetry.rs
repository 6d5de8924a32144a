//! Every request reports through the `metrics` facade: requests by status, retries, 429s,
//! latency and limiter waits, labelled by vendor and tenant (wiremock answers). The spans are
//! tested in `spans.rs`.

use std::sync::Arc;

use metrics_util::debugging::{DebugValue, DebuggingRecorder};
use unicrm_core::auth::BearerToken;
use unicrm_core::http::telemetry::{DURATION, LIMIT_WAIT, RATE_LIMITED, REQUESTS, RETRIES};
use unicrm_core::http::{ClientOptions, GovernorRateLimiter, HttpClientBuilder, RetryPolicy};
use unicrm_core::time::{ManualClock, RecordingSleeper};
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

#[test]
fn a_429_then_a_success_is_two_requests_one_retry_and_one_rate_limited() {
    let recorder = DebuggingRecorder::new();
    let snapshotter = recorder.snapshotter();
    metrics::with_local_recorder(&recorder, || {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        rt.block_on(async {
            let server = MockServer::start().await;
            Mock::given(method("GET"))
                .and(path("/api/parties"))
                .respond_with(ResponseTemplate::new(429).insert_header("Retry-After", "1"))
                .up_to_n_times(1)
                .mount(&server)
                .await;
            Mock::given(method("GET"))
                .and(path("/api/parties"))
                .respond_with(ResponseTemplate::new(200).set_body_string("{}"))
                .mount(&server)
                .await;
            let clock = ManualClock::new(chrono::Utc::now());
            let client = HttpClientBuilder::new("acme", &format!("{}/api", server.uri()))
                .unwrap()
                .credentials(Arc::new(BearerToken::new("s3cret-token".to_string())))
                .retry(RetryPolicy {
                    jitter: false,
                    ..RetryPolicy::default()
                })
                .sleeper(Arc::new(RecordingSleeper::default()))
                .options(&ClientOptions::new().tenant("tenant-7"))
                .rate_limiter(Arc::new(GovernorRateLimiter::every_with(
                    std::time::Duration::from_millis(100),
                    std::num::NonZeroU32::MIN,
                    Arc::new(clock.clone()),
                    Arc::new(RecordingSleeper::with_clock(clock)),
                )))
                .build()
                .unwrap();
            client.send(client.get("parties").unwrap()).await.unwrap();
        });
    });
    let snap = snapshotter.snapshot().into_vec();
    let counter = |name: &str, status: Option<&str>| -> u64 {
        snap.iter()
            .filter(|(k, ..)| k.key().name() == name)
            .filter(|(k, ..)| {
                let labels: Vec<_> = k.key().labels().collect();
                labels
                    .iter()
                    .any(|l| l.key() == "vendor" && l.value() == "acme")
                    && labels
                        .iter()
                        .any(|l| l.key() == "tenant" && l.value() == "tenant-7")
                    && status.is_none_or(|s| {
                        labels.iter().any(|l| l.key() == "status" && l.value() == s)
                    })
            })
            .map(|(.., v)| match v {
                DebugValue::Counter(n) => *n,
                _ => 0,
            })
            .sum()
    };
    assert_eq!(counter(REQUESTS, Some("429")), 1);
    assert_eq!(counter(REQUESTS, Some("200")), 1);
    assert_eq!(counter(RETRIES, None), 1);
    assert_eq!(counter(RATE_LIMITED, None), 1);
    let samples: usize = snap
        .iter()
        .filter(|(k, ..)| k.key().name() == DURATION)
        .map(|(.., v)| match v {
            DebugValue::Histogram(h) => h.len(),
            _ => 0,
        })
        .sum();
    assert_eq!(samples, 2, "one latency sample per request");
    // Both attempts passed the rate limiter: one wait sample each (its length is not
    // checked: it is measured).
    let waits: usize = snap
        .iter()
        .filter(|(k, ..)| k.key().name() == LIMIT_WAIT)
        .map(|(.., v)| match v {
            DebugValue::Histogram(h) => h.len(),
            _ => 0,
        })
        .sum();
    assert_eq!(waits, 2, "one limiter wait sample per attempt");
    // No label carries the secret.
    assert!(
        snap.iter()
            .all(|(k, ..)| k.key().labels().all(|l| !l.value().contains("s3cret")))
    );
}
