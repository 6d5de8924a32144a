//! After-commit faults on both simulators: the handler runs and its write is applied, then the
//! answer is lost (a 5xx, or a dropped connection). The counters say which requests they hit.

use base64::Engine;
use reqwest::{Client, StatusCode};
use serde_json::{Value, json};
use unicrm_sim::seed::SeedOptions;
use unicrm_sim::{CapsuleSim, CapsuleSimOptions, FaultConfig, InsightlySim, InsightlySimOptions};

fn client() -> Client {
    let _ = rustls::crypto::ring::default_provider().install_default();
    Client::new()
}

fn small() -> SeedOptions {
    SeedOptions {
        seed: 3,
        records: 10,
    }
}

/// How the client saw one request end.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Seen {
    Status(u16),
    Broken,
}

async fn outcome(r: reqwest::Result<reqwest::Response>) -> Seen {
    match r {
        Err(_) => Seen::Broken,
        Ok(r) => {
            let status = r.status().as_u16();
            match r.bytes().await {
                Ok(_) => Seen::Status(status),
                Err(_) => Seen::Broken,
            }
        }
    }
}

fn insightly_auth(key: &str) -> String {
    format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode(format!("{key}:"))
    )
}

#[tokio::test]
async fn capsule_after_commit_error_applies_the_create_and_answers_5xx() {
    let sim = CapsuleSim::start(CapsuleSimOptions {
        seed: small(),
        faults: FaultConfig {
            seed: 1,
            after_commit_error_rate: 1.0,
            ..FaultConfig::default()
        },
        ..CapsuleSimOptions::default()
    })
    .await
    .unwrap();
    let c = client();
    let r = c
        .post(format!("{}parties", sim.base_url))
        .bearer_auth(&sim.token)
        .json(&json!({"party": {"type": "organisation", "name": "Lost Answer Ltd"}}))
        .send()
        .await
        .unwrap();
    assert!(r.status().is_server_error(), "{}", r.status());
    let body: Value = r.json().await.unwrap();
    assert!(body["message"].is_string());
    // A 4xx from the handler is not an after-commit fault (nothing was committed).
    let r = c
        .post(format!("{}parties", sim.base_url))
        .bearer_auth(&sim.token)
        .json(&json!({"party": {"type": "organisation"}}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);

    let stats = sim.stats();
    assert_eq!(stats.after_commit_errors, 1);
    assert_eq!(stats.after_commit_drops, 0);
    assert_eq!(stats.after_commit_per_method.get("POST"), Some(&1));
    assert_eq!(
        stats.after_commit_per_path.get("POST /api/v2/parties"),
        Some(&1)
    );
    assert_eq!(stats.server_errors, 1);

    sim.set_faults(FaultConfig::default());
    let r = c
        .get(format!("{}parties/search?q=Lost%20Answer", sim.base_url))
        .bearer_auth(&sim.token)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let body: Value = r.json().await.unwrap();
    let names: Vec<&str> = body["parties"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|p| p["name"].as_str())
        .collect();
    assert_eq!(names, vec!["Lost Answer Ltd"], "the write was applied");
    sim.shutdown().await;
}

#[tokio::test]
async fn insightly_after_commit_drop_applies_the_create_and_breaks_the_connection() {
    let sim = InsightlySim::start(InsightlySimOptions {
        seed: small(),
        requests_per_second: 0,
        faults: FaultConfig {
            seed: 2,
            after_commit_drop_rate: 1.0,
            ..FaultConfig::default()
        },
        ..InsightlySimOptions::default()
    })
    .await
    .unwrap();
    let c = client();
    let auth = insightly_auth(&sim.api_key);
    let seen = outcome(
        c.post(format!("{}Contacts", sim.base_url))
            .header("Authorization", &auth)
            .json(&json!({"FIRST_NAME": "Dropped", "LAST_NAME": "Answer"}))
            .send()
            .await,
    )
    .await;
    assert_eq!(seen, Seen::Broken);
    let stats = sim.stats();
    assert_eq!(stats.after_commit_drops, 1);
    assert_eq!(stats.after_commit_errors, 0);
    assert_eq!(stats.dropped, 1);
    assert_eq!(stats.after_commit_per_method.get("POST"), Some(&1));
    assert_eq!(
        stats.after_commit_per_path.get("POST /v3.1/Contacts"),
        Some(&1)
    );

    sim.set_faults(FaultConfig::default());
    let r = c
        .get(format!(
            "{}Contacts/Search?field_name=LAST_NAME&field_value=Answer",
            sim.base_url
        ))
        .header("Authorization", &auth)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let body: Value = r.json().await.unwrap();
    assert_eq!(body.as_array().unwrap().len(), 1, "the write was applied");
    assert_eq!(body[0]["FIRST_NAME"], "Dropped");
    sim.shutdown().await;
}

/// A seeded rate hits some creates and not others; every create is applied either way, and the
/// counters match what the client saw exactly.
#[tokio::test]
async fn seeded_after_commit_faults_hit_some_creates_and_every_create_is_applied() {
    let faults = FaultConfig {
        seed: 99,
        after_commit_error_rate: 0.2,
        after_commit_drop_rate: 0.2,
        ..FaultConfig::default()
    };
    let run = |faults: FaultConfig| async move {
        let sim = InsightlySim::start(InsightlySimOptions {
            seed: small(),
            requests_per_second: 0,
            faults,
            ..InsightlySimOptions::default()
        })
        .await
        .unwrap();
        let c = client();
        let auth = insightly_auth(&sim.api_key);
        let mut seen = Vec::new();
        for i in 0..40 {
            seen.push(
                outcome(
                    c.post(format!("{}Organisations", sim.base_url))
                        .header("Authorization", &auth)
                        .json(&json!({"ORGANISATION_NAME": format!("AC-{i:02}")}))
                        .send()
                        .await,
                )
                .await,
            );
        }
        let stats = sim.stats();
        sim.set_faults(FaultConfig::default());
        let r = c
            .get(format!(
                "{}Organisations?top=500&count_total=true",
                sim.base_url
            ))
            .header("Authorization", &auth)
            .send()
            .await
            .unwrap();
        let body: Value = r.json().await.unwrap();
        let created = body
            .as_array()
            .unwrap()
            .iter()
            .filter(|o| {
                o["ORGANISATION_NAME"]
                    .as_str()
                    .is_some_and(|n| n.starts_with("AC-"))
            })
            .count();
        sim.shutdown().await;
        (seen, stats, created)
    };
    let (seen, stats, created) = run(faults.clone()).await;
    let errors = seen
        .iter()
        .filter(|s| matches!(s, Seen::Status(c) if *c >= 500))
        .count() as u64;
    let broken = seen.iter().filter(|s| **s == Seen::Broken).count() as u64;
    let ok = seen.iter().filter(|s| **s == Seen::Status(200)).count() as u64;
    assert_eq!(created, 40, "every create applied: {seen:?}");
    assert_eq!(stats.after_commit_errors, errors);
    assert_eq!(stats.after_commit_drops, broken);
    assert_eq!(errors + broken + ok, 40);
    assert!(errors >= 1 && broken >= 1 && ok >= 1, "{seen:?}");
    assert_eq!(
        stats.after_commit_per_method.get("POST").copied(),
        Some(errors + broken)
    );
    // Same seed, same requests: same faults.
    let (again, _, _) = run(faults).await;
    assert_eq!(seen, again);
}

/// Turning after-commit faults on does not move the other faults: the pre-handler faults hit
/// the same requests with or without them.
#[tokio::test]
async fn after_commit_faults_keep_the_other_faults_sequence() {
    let base = FaultConfig {
        seed: 5,
        error_rate: 0.3,
        ..FaultConfig::default()
    };
    let run = |faults: FaultConfig| async move {
        let sim = CapsuleSim::start(CapsuleSimOptions {
            seed: small(),
            faults,
            ..CapsuleSimOptions::default()
        })
        .await
        .unwrap();
        let c = client();
        let mut seen = Vec::new();
        for _ in 0..30 {
            seen.push(
                outcome(
                    c.get(format!("{}users/current", sim.base_url))
                        .bearer_auth(&sim.token)
                        .send()
                        .await,
                )
                .await,
            );
        }
        sim.shutdown().await;
        seen
    };
    let without = run(base.clone()).await;
    let with = run(FaultConfig {
        after_commit_error_rate: 0.5,
        ..base
    })
    .await;
    assert!(without.iter().any(|s| *s != Seen::Status(200)));
    for (a, b) in without.iter().zip(&with) {
        if *a != Seen::Status(200) {
            assert_eq!(a, b, "a pre-handler fault moved: {without:?} vs {with:?}");
        }
    }
    assert!(
        with.iter().filter(|s| **s != Seen::Status(200)).count()
            > without.iter().filter(|s| **s != Seen::Status(200)).count()
    );
}
