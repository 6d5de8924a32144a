//! The shared fault-injection layer on a bare router, in both vendor flavours.

use axum::Router;
use axum::routing::get;
use reqwest::{Client, StatusCode};
use serde_json::Value;
use unicrm_sim::FaultConfig;
use unicrm_sim::faults::{self, Faults, Flavor};

async fn serve(faults: Faults) -> String {
    let router = Router::new().route("/items/{id}", get(|| async { r#"{"items":[1,2,3]}"# }));
    let router = faults::layer(router, faults);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        let _ = axum::serve(listener, router).await;
    });
    format!("http://{addr}")
}

fn client() -> Client {
    let _ = rustls::crypto::ring::default_provider().install_default();
    Client::new()
}

#[tokio::test]
async fn insightly_flavour_bodies_and_headers() {
    let f = Faults::new(
        FaultConfig {
            seed: 3,
            burst_429_rate: 1.0,
            burst_429_len: 2,
            ..FaultConfig::default()
        },
        Flavor::Insightly,
    );
    let base = serve(f.clone()).await;
    let c = client();
    let r = c.get(format!("{base}/items/1")).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(r.headers()["retry-after"], "1");
    let v: Value = r.json().await.unwrap();
    assert_eq!(v["Message"], "API rate limit exceeded.");

    f.set_config(FaultConfig {
        seed: 3,
        error_rate: 1.0,
        ..FaultConfig::default()
    });
    let r = c.get(format!("{base}/items/2")).send().await.unwrap();
    assert!(r.status().is_server_error());
    let v: Value = r.json().await.unwrap();
    assert_eq!(v["Message"], "An error has occurred.");
    let stats = f.stats();
    assert_eq!(stats.requests, 2);
    assert_eq!(stats.rate_limited, 1);
    assert_eq!(stats.server_errors, 1);
    assert_eq!(stats.per_path["GET /items/{id}"], 2);
    f.reset_stats();
    assert_eq!(f.stats().requests, 0);
}

#[tokio::test]
async fn capsule_flavour_429_burst_has_the_configured_length() {
    let f = Faults::new(
        FaultConfig {
            seed: 5,
            burst_429_rate: 1.0,
            burst_429_len: 3,
            ..FaultConfig::default()
        },
        Flavor::Capsule,
    );
    f.set_rate_limit_hint(60);
    let base = serve(f.clone()).await;
    let c = client();
    for _ in 0..3 {
        let r = c.get(format!("{base}/items/1")).send().await.unwrap();
        assert_eq!(r.status(), StatusCode::TOO_MANY_REQUESTS);
        assert!(r.headers().get("retry-after").is_none());
        assert_eq!(r.headers()["x-ratelimit-remaining"], "0");
        assert_eq!(r.headers()["x-ratelimit-limit"], "60");
        assert!(r.headers().contains_key("x-ratelimit-reset"));
        let v: Value = r.json().await.unwrap();
        assert_eq!(v["error"], "rate limit reached");
    }
    // A new burst starts at once (rate 1.0), so switch bursts off and see a 200.
    f.set_config(FaultConfig {
        seed: 5,
        error_rate: 1.0,
        ..FaultConfig::default()
    });
    let r = c.get(format!("{base}/items/1")).send().await.unwrap();
    assert!(r.status().is_server_error());
    let v: Value = r.json().await.unwrap();
    assert!(v["message"].is_string());
    f.set_config(FaultConfig::default());
    let r = c.get(format!("{base}/items/1")).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::OK);
}

#[tokio::test]
async fn same_seed_same_outcomes_with_every_fault_kind() {
    let config = FaultConfig {
        seed: 1234,
        error_rate: 0.15,
        burst_429_rate: 0.05,
        burst_429_len: 2,
        drop_rate: 0.1,
        malformed_rate: 0.1,
        truncate_rate: 0.1,
        ..FaultConfig::default()
    };
    let run = |cfg: FaultConfig| async move {
        let base = serve(Faults::new(cfg, Flavor::Capsule)).await;
        let c = client();
        let mut out = Vec::new();
        for i in 0..80 {
            let outcome = match c.get(format!("{base}/items/{i}")).send().await {
                Err(_) => "send-error".to_string(),
                Ok(r) => {
                    let status = r.status().as_u16();
                    match r.bytes().await {
                        Err(_) => format!("{status}-body-error"),
                        Ok(b) => match serde_json::from_slice::<Value>(&b) {
                            Ok(_) => status.to_string(),
                            Err(_) => format!("{status}-bad-json"),
                        },
                    }
                }
            };
            out.push(outcome);
        }
        out
    };
    let a = run(config.clone()).await;
    let b = run(config).await;
    assert_eq!(a, b);
    assert!(a.iter().any(|s| s.ends_with("error")), "some drops: {a:?}");
    assert!(
        a.iter().any(|s| s.ends_with("bad-json")),
        "some damage: {a:?}"
    );
    assert!(a.iter().any(|s| s == "200"));
}
