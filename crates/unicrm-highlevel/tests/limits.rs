//! The pace against HighLevel's limits (docs/vendors/highlevel-v2.md, "Rate limits",
//! "Reconciled points" 8), on an injected clock: a server that counts a fixed 10-second window
//! opened at the first request (the simulator's reading) and answers 429 past 100 never
//! answers 429 to the default client, which still uses at least 0.95 of the burst; a spent
//! day stops the client before the vendor has to refuse.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use chrono::{DateTime, Utc};
use serde_json::json;
use unicrm_core::time::{Clock, ManualClock, RecordingSleeper};
use unicrm_core::{ContactId, Crm, Error};
use unicrm_highlevel::HighLevelClient;
use wiremock::matchers::method;
use wiremock::{Mock, MockServer, ResponseTemplate};

const LOCATION: &str = "h8Qz3LmN5pRt7VwX2yBc";

#[derive(Default)]
struct Window {
    start: Mutex<Option<DateTime<Utc>>>,
    used: AtomicU64,
    served: AtomicU64,
    refused: AtomicU64,
}

fn start() -> DateTime<Utc> {
    DateTime::parse_from_rfc3339("2026-03-04T12:00:00Z")
        .unwrap()
        .to_utc()
}

async fn run(n: u64, sliding_check: bool) -> (u64, u64, f64) {
    let server = MockServer::start().await;
    let clock = ManualClock::new(start());
    let sleeper = RecordingSleeper::with_clock(clock.clone());
    let w = Arc::new(Window::default());
    let sends = Arc::new(Mutex::new(Vec::new()));
    {
        let (w, clock, sends) = (w.clone(), clock.clone(), sends.clone());
        Mock::given(method("GET"))
            .respond_with(move |_: &wiremock::Request| {
                let now = clock.now();
                sends.lock().unwrap().push(now);
                let mut s = w.start.lock().unwrap();
                if s.is_none_or(|t| now - t >= chrono::Duration::seconds(10)) {
                    *s = Some(now);
                    w.used.store(0, Ordering::SeqCst);
                }
                let used = w.used.fetch_add(1, Ordering::SeqCst) + 1;
                if used > 100 {
                    w.refused.fetch_add(1, Ordering::SeqCst);
                    return ResponseTemplate::new(429)
                        .insert_header("X-RateLimit-Max", "100")
                        .insert_header("X-RateLimit-Remaining", "0")
                        .set_body_json(json!({"statusCode": 429, "message": "Too Many Requests"}));
                }
                w.served.fetch_add(1, Ordering::SeqCst);
                ResponseTemplate::new(200)
                    .insert_header("X-RateLimit-Limit-Daily", "200000")
                    .insert_header("X-RateLimit-Daily-Remaining", "190000")
                    .insert_header("X-RateLimit-Interval-Milliseconds", "10000")
                    .insert_header("X-RateLimit-Max", "100")
                    .insert_header("X-RateLimit-Remaining", (100 - used).to_string())
                    .set_body_json(
                        json!({"contact": {"id": "Ct9fK2hL4mP6rT8vX0zB"}, "traceId": "t"}),
                    )
            })
            .mount(&server)
            .await;
    }
    let crm = HighLevelClient::builder()
        .base_url(server.uri())
        .location_id(LOCATION)
        .private_integration_token("pit-x")
        .clock(Arc::new(clock.clone()))
        .sleeper(Arc::new(sleeper))
        .build()
        .unwrap();
    let id = ContactId::new("Ct9fK2hL4mP6rT8vX0zB");
    for _ in 0..n {
        crm.contacts().get(&id).await.expect("served");
    }
    let sends = sends.lock().unwrap().clone();
    if sliding_check {
        // Also within any sliding 10 s span: never more than 100.
        for (i, t) in sends.iter().enumerate() {
            let in_window = sends[i..]
                .iter()
                .take_while(|u| **u - *t < chrono::Duration::seconds(10))
                .count();
            assert!(
                in_window <= 100,
                "{in_window} requests within 10 s from {t}"
            );
        }
    }
    let elapsed = (clock.now() - start()).num_milliseconds() as f64 / 1000.0;
    let efficiency = (n as f64) / (elapsed / 10.0 * 100.0);
    (
        w.refused.load(Ordering::SeqCst),
        crm.stats().rate_limited,
        efficiency,
    )
}

#[tokio::test]
async fn the_default_pace_never_draws_a_429_and_uses_the_burst() {
    let (refused, rate_limited, efficiency) = run(1000, true).await;
    assert_eq!(refused, 0);
    assert_eq!(rate_limited, 0);
    println!("{{\"figure\":\"highlevel_rate_efficiency\",\"value\":{efficiency:.3}}}");
    println!("{{\"figure\":\"highlevel_rate_efficiency.429s\",\"value\":{refused}}}");
    assert!(efficiency >= 0.95, "{efficiency}");
    assert!(efficiency <= 1.0, "{efficiency}");
}

#[tokio::test]
async fn a_spent_day_stops_the_client_before_the_vendor_refuses() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(
            ResponseTemplate::new(200)
                .insert_header("X-RateLimit-Limit-Daily", "200000")
                .insert_header("X-RateLimit-Daily-Remaining", "0")
                .insert_header("X-RateLimit-Max", "100")
                .insert_header("X-RateLimit-Remaining", "99")
                .set_body_json(json!({"contact": {"id": "Ct9fK2hL4mP6rT8vX0zB"}})),
        )
        .expect(1)
        .mount(&server)
        .await;
    let crm = HighLevelClient::builder()
        .base_url(server.uri())
        .location_id(LOCATION)
        .private_integration_token("pit-x")
        .sleeper(Arc::new(RecordingSleeper::new()))
        .build()
        .unwrap();
    let id = ContactId::new("Ct9fK2hL4mP6rT8vX0zB");
    crm.contacts()
        .get(&id)
        .await
        .expect("the last one of the day");
    let err = crm.contacts().get(&id).await.unwrap_err();
    match err {
        Error::QuotaExhausted { limit, resets_at } => {
            assert_eq!(limit, Some(200_000));
            assert!(resets_at.is_some());
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(crm.stats().requests, 1, "no request once the day is spent");
}
