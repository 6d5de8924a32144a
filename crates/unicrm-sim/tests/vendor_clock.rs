//! Both simulators answer with the vendor's `Date` header (RFC 7231) from their clock, on every
//! kind of response, and stamp records from the same clock in the vendor's format and
//! precision (whole seconds: two writes within one second are indistinguishable on the wire).

use std::time::Duration;

use base64::Engine;
use reqwest::{Client, Response};
use serde_json::{Value, json};
use unicrm_sim::seed::SeedOptions;
use unicrm_sim::{
    CapsuleSim, CapsuleSimOptions, FaultConfig, InsightlySim, InsightlySimOptions, SimClock,
};

fn client() -> Client {
    let _ = rustls::crypto::ring::default_provider().install_default();
    Client::new()
}

fn tiny() -> SeedOptions {
    SeedOptions {
        seed: 4,
        records: 3,
    }
}

fn date(r: &Response) -> Option<String> {
    r.headers()
        .get("date")
        .and_then(|v| v.to_str().ok())
        .map(str::to_string)
}

#[tokio::test]
async fn capsule_date_header_and_timestamps_follow_the_clock() {
    let clock = SimClock::manual_default();
    clock.advance(Duration::from_millis(700)); // 09:00:00.7
    let sim = CapsuleSim::start(CapsuleSimOptions {
        seed: tiny(),
        clock: clock.clone(),
        hourly_budget: 6,
        ..CapsuleSimOptions::default()
    })
    .await
    .unwrap();
    let c = client();
    let want = "Mon, 02 Jun 2025 09:00:00 GMT";
    let ok = c
        .get(format!("{}users/current", sim.base_url))
        .bearer_auth(&sim.token)
        .send()
        .await
        .unwrap();
    assert_eq!(ok.status(), 200);
    assert_eq!(date(&ok).as_deref(), Some(want));
    let unauth = c
        .get(format!("{}parties", sim.base_url))
        .send()
        .await
        .unwrap();
    assert_eq!(unauth.status(), 401);
    assert_eq!(date(&unauth).as_deref(), Some(want));
    let missing = c
        .get(format!("{}nothing/here", sim.base_url))
        .bearer_auth(&sim.token)
        .send()
        .await
        .unwrap();
    assert_eq!(missing.status(), 404);
    assert_eq!(date(&missing).as_deref(), Some(want));
    let oauth = c.post(sim.oauth_token_url.clone()).send().await.unwrap();
    assert_eq!(date(&oauth).as_deref(), Some(want));

    // Two creates in the same second carry the same createdAt/updatedAt, whole seconds, `Z`.
    let mut stamps = Vec::new();
    for name in ["Same Second A", "Same Second B"] {
        let r = c
            .post(format!("{}parties", sim.base_url))
            .bearer_auth(&sim.token)
            .json(&json!({"party": {"type": "organisation", "name": name}}))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 201);
        let v: Value = r.json().await.unwrap();
        stamps.push((
            v["party"]["createdAt"].as_str().unwrap().to_string(),
            v["party"]["updatedAt"].as_str().unwrap().to_string(),
        ));
    }
    assert_eq!(stamps[0], stamps[1]);
    assert_eq!(stamps[0].0, "2025-06-02T09:00:00Z");
    assert_eq!(stamps[0].1, "2025-06-02T09:00:00Z");

    // Injected faults carry the header too (the fault layer uses the same clock).
    clock.advance(Duration::from_secs(61));
    sim.set_faults(FaultConfig {
        burst_429_rate: 1.0,
        burst_429_len: 1,
        ..FaultConfig::default()
    });
    let limited = c
        .get(format!("{}users/current", sim.base_url))
        .bearer_auth(&sim.token)
        .send()
        .await
        .unwrap();
    assert_eq!(limited.status(), 429);
    assert_eq!(
        date(&limited).as_deref(),
        Some("Mon, 02 Jun 2025 09:01:01 GMT")
    );
    assert_eq!(
        limited
            .headers()
            .get("x-ratelimit-reset")
            .and_then(|v| v.to_str().ok()),
        Some((clock.now().timestamp() + 1).to_string().as_str())
    );
    sim.set_faults(FaultConfig {
        error_rate: 1.0,
        ..FaultConfig::default()
    });
    let err = c
        .get(format!("{}users/current", sim.base_url))
        .bearer_auth(&sim.token)
        .send()
        .await
        .unwrap();
    assert!(err.status().is_server_error());
    assert_eq!(date(&err).as_deref(), Some("Mon, 02 Jun 2025 09:01:01 GMT"));
}

#[tokio::test]
async fn insightly_date_header_and_timestamps_follow_the_clock() {
    let clock = SimClock::manual_default();
    let sim = InsightlySim::start(InsightlySimOptions {
        seed: tiny(),
        clock: clock.clone(),
        requests_per_second: 1,
        ..InsightlySimOptions::default()
    })
    .await
    .unwrap();
    let c = client();
    let auth = format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode(format!("{}:", sim.api_key))
    );
    let want = "Mon, 02 Jun 2025 09:00:00 GMT";
    let ok = c
        .post(format!("{}Contacts", sim.base_url))
        .header("Authorization", &auth)
        .json(&json!({"LAST_NAME": "Clockwork"}))
        .send()
        .await
        .unwrap();
    assert_eq!(ok.status(), 200);
    assert_eq!(date(&ok).as_deref(), Some(want));
    let v: Value = ok.json().await.unwrap();
    assert_eq!(v["DATE_CREATED_UTC"], "2025-06-02 09:00:00");
    assert_eq!(v["DATE_UPDATED_UTC"], "2025-06-02 09:00:00");
    // Over the per-second limit (1/s) at the same instant: a 429, dated too.
    let limited = c
        .get(format!("{}Users/Me", sim.base_url))
        .header("Authorization", &auth)
        .send()
        .await
        .unwrap();
    assert_eq!(limited.status(), 429);
    assert_eq!(date(&limited).as_deref(), Some(want));
    clock.advance(Duration::from_millis(1500));
    let unauth = c
        .get(format!("{}Users/Me", sim.base_url))
        .send()
        .await
        .unwrap();
    assert_eq!(unauth.status(), 401);
    assert_eq!(
        date(&unauth).as_deref(),
        Some("Mon, 02 Jun 2025 09:00:01 GMT")
    );
    // An update 2.5 s after the create: whole seconds on the wire.
    clock.advance(Duration::from_secs(1));
    let r = c
        .put(format!("{}Contacts", sim.base_url))
        .header("Authorization", &auth)
        .json(&json!({"CONTACT_ID": v["CONTACT_ID"], "TITLE": "Ms"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(date(&r).as_deref(), Some("Mon, 02 Jun 2025 09:00:02 GMT"));
    let u: Value = r.json().await.unwrap();
    assert_eq!(u["DATE_UPDATED_UTC"], "2025-06-02 09:00:02");
    assert_eq!(u["DATE_CREATED_UTC"], "2025-06-02 09:00:00");
}
