//! Every request reports through the `metrics` facade: requests by status, retries, 429s,
//! latency and limiter waits, labelled by vendor and tenant (wiremock answers).

use std::sync::Arc;

use metrics_util::debugging::{DebugValue, DebuggingRecorder};
use unicrm_core::auth::BearerToken;
use unicrm_core::http::telemetry::{DURATION, RATE_LIMITED, REQUESTS, RETRIES};
use unicrm_core::http::{ClientOptions, HttpClientBuilder, RetryPolicy};
use unicrm_core::time::RecordingSleeper;
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
            let client = HttpClientBuilder::new("acme", &format!("{}/api", server.uri()))
                .unwrap()
                .credentials(Arc::new(BearerToken::new("s3cret-token".to_string())))
                .retry(RetryPolicy {
                    jitter: false,
                    ..RetryPolicy::default()
                })
                .sleeper(Arc::new(RecordingSleeper::default()))
                .options(&ClientOptions::new().tenant("tenant-7"))
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
    // No label carries the secret.
    assert!(
        snap.iter()
            .all(|(k, ..)| k.key().labels().all(|l| !l.value().contains("s3cret")))
    );
}
