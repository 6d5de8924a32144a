//! The simulators' rate limits, exactly as documented, on a manual clock (no wall-clock
//! window anywhere): Insightly's per-second limit and rolling daily quota, Capsule's hourly
//! per-user budget.

use std::time::Duration;

use base64::Engine;
use reqwest::{Client, Response, StatusCode};
use serde_json::Value;
use unicrm_sim::insightly::PerSecondWindow;
use unicrm_sim::seed::SeedOptions;
use unicrm_sim::{
    CapsuleSim, CapsuleSimOptions, InsightlySim, InsightlySimHandle, InsightlySimOptions, SimClock,
};

fn client() -> Client {
    let _ = rustls::crypto::ring::default_provider().install_default();
    Client::new()
}

fn tiny() -> SeedOptions {
    SeedOptions {
        seed: 5,
        records: 3,
    }
}

fn header(r: &Response, name: &str) -> Option<String> {
    r.headers()
        .get(name)
        .and_then(|v| v.to_str().ok())
        .map(str::to_string)
}

async fn insightly(options: InsightlySimOptions) -> (InsightlySimHandle, String) {
    let sim = InsightlySim::start(InsightlySimOptions {
        seed: tiny(),
        ..options
    })
    .await
    .unwrap();
    let auth = format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode(format!("{}:", sim.api_key))
    );
    (sim, auth)
}

async fn get(c: &Client, sim: &InsightlySimHandle, auth: &str) -> Response {
    c.get(format!("{}Users/Me", sim.base_url))
        .header("Authorization", auth)
        .send()
        .await
        .unwrap()
}

/// Ten requests a second, one every 100 ms for 60 s: 600 accepted, none refused; the same
/// client one millisecond too fast is refused.
#[tokio::test]
async fn insightly_accepts_exactly_the_rate_and_refuses_one_more() {
    let clock = SimClock::manual_default();
    let (sim, auth) = insightly(InsightlySimOptions {
        clock: clock.clone(),
        ..InsightlySimOptions::default()
    })
    .await;
    let c = client();
    let mut refused = 0;
    for _ in 0..600 {
        if get(&c, &sim, &auth).await.status() == StatusCode::TOO_MANY_REQUESTS {
            refused += 1;
        }
        clock.advance(Duration::from_millis(100));
    }
    assert_eq!(refused, 0);
    // Now 99 ms apart: within any second there is room for ten, the eleventh is refused.
    clock.advance(Duration::from_secs(1));
    let mut statuses = Vec::new();
    for _ in 0..10 {
        statuses.push(get(&c, &sim, &auth).await.status().as_u16());
        clock.advance(Duration::from_millis(99));
    }
    assert_eq!(statuses, vec![200; 10]);
    // The eleventh at 990 ms: ten accepted within (−10 ms, 990 ms].
    let r = get(&c, &sim, &auth).await;
    // The refusal: 429, Retry-After 1, Remaining > 0, the documented JSON body.
    assert_eq!(r.status(), StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(header(&r, "retry-after").as_deref(), Some("1"));
    let remaining: u64 = header(&r, "x-ratelimit-remaining")
        .unwrap()
        .parse()
        .unwrap();
    assert!(remaining > 0);
    let body: Value = r.json().await.unwrap();
    assert!(body["Message"].as_str().unwrap().contains("rate limit"));
    assert_eq!(sim.stats().rate_limited, 1);
    // At 1 s the first of those ten has left the window.
    clock.advance(Duration::from_millis(10));
    assert_eq!(get(&c, &sim, &auth).await.status(), StatusCode::OK);
}

/// The per-second limit read as calendar seconds (the other reading of the vendor's words).
#[tokio::test]
async fn insightly_fixed_window_counts_per_calendar_second() {
    let clock = SimClock::manual_default();
    let (sim, auth) = insightly(InsightlySimOptions {
        clock: clock.clone(),
        per_second_window: PerSecondWindow::Fixed,
        ..InsightlySimOptions::default()
    })
    .await;
    let c = client();
    clock.advance(Duration::from_millis(900));
    let mut statuses = Vec::new();
    for _ in 0..11 {
        statuses.push(get(&c, &sim, &auth).await.status().as_u16());
    }
    clock.advance(Duration::from_millis(100));
    for _ in 0..11 {
        statuses.push(get(&c, &sim, &auth).await.status().as_u16());
    }
    let ok = statuses.iter().filter(|s| **s == 200).count();
    assert_eq!(ok, 20, "ten in each calendar second: {statuses:?}");
    assert_eq!(statuses[10], 429);
    assert_eq!(statuses[21], 429);
}

/// The daily quota is a rolling 24 hours: refused requests say when a unit comes back
/// (`Retry-After`), and at that instant one does.
#[tokio::test]
async fn insightly_daily_quota_rolls_over_24_hours() {
    let clock = SimClock::manual_default();
    let (sim, auth) = insightly(InsightlySimOptions {
        clock: clock.clone(),
        daily_quota: 3,
        ..InsightlySimOptions::default()
    })
    .await;
    let c = client();
    for remaining in ["2", "1", "0"] {
        let r = get(&c, &sim, &auth).await;
        assert_eq!(r.status(), StatusCode::OK);
        assert_eq!(
            header(&r, "x-ratelimit-remaining").as_deref(),
            Some(remaining)
        );
        assert_eq!(header(&r, "x-ratelimit-limit").as_deref(), Some("3"));
        clock.advance(Duration::from_secs(3600));
    }
    // 3 h after the first request: it leaves the window in 21 h.
    let r = get(&c, &sim, &auth).await;
    assert_eq!(r.status(), StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(header(&r, "x-ratelimit-remaining").as_deref(), Some("0"));
    assert_eq!(header(&r, "retry-after").as_deref(), Some("75600"));
    clock.advance(Duration::from_secs(75_599));
    assert_eq!(
        get(&c, &sim, &auth).await.status(),
        StatusCode::TOO_MANY_REQUESTS
    );
    clock.advance(Duration::from_secs(1));
    let r = get(&c, &sim, &auth).await;
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(header(&r, "x-ratelimit-remaining").as_deref(), Some("0"));
    // The second unit comes back an hour after the first.
    let r = get(&c, &sim, &auth).await;
    assert_eq!(header(&r, "retry-after").as_deref(), Some("3600"));
}

/// Capsule: 4,000 (here 5) requests per user in a fixed window that ends at
/// `X-RateLimit-Reset`; the budget is back at that instant, not a second earlier.
#[tokio::test]
async fn capsule_budget_resets_exactly_at_the_reset_instant() {
    let clock = SimClock::manual_default();
    let start = clock.now().timestamp();
    let sim = CapsuleSim::start(CapsuleSimOptions {
        seed: tiny(),
        hourly_budget: 5,
        clock: clock.clone(),
        ..CapsuleSimOptions::default()
    })
    .await
    .unwrap();
    let c = client();
    let call = || async {
        c.get(format!("{}users/current", sim.base_url))
            .bearer_auth(&sim.token)
            .send()
            .await
            .unwrap()
    };
    for i in 0..5 {
        let r = call().await;
        assert_eq!(r.status(), StatusCode::OK, "request {i}");
        assert_eq!(
            header(&r, "x-ratelimit-reset").as_deref(),
            Some((start + 3600).to_string().as_str())
        );
        clock.advance(Duration::from_secs(60));
    }
    let r = call().await;
    assert_eq!(r.status(), StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(header(&r, "x-ratelimit-remaining").as_deref(), Some("0"));
    assert_eq!(header(&r, "x-ratelimit-limit").as_deref(), Some("5"));
    assert!(header(&r, "retry-after").is_none());
    let body: Value = r.json().await.unwrap();
    assert_eq!(body, serde_json::json!({"error": "rate limit reached"}));
    // One second before the reset instant: still refused.
    clock.set(chrono::DateTime::from_timestamp(start + 3599, 0).unwrap());
    assert_eq!(call().await.status(), StatusCode::TOO_MANY_REQUESTS);
    clock.set(chrono::DateTime::from_timestamp(start + 3600, 0).unwrap());
    let r = call().await;
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(header(&r, "x-ratelimit-remaining").as_deref(), Some("4"));
    assert_eq!(
        header(&r, "x-ratelimit-reset").as_deref(),
        Some((start + 7200).to_string().as_str())
    );
    assert_eq!(sim.stats().rate_limited, 2);
}
