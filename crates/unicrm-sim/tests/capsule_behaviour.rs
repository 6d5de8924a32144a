//! Capsule simulator behaviour beyond the §13 list: paging a large seeded tenant, writes
//! seen by later reads, seeded data in the documented shapes, fault injection end to end.

use std::collections::BTreeSet;

use reqwest::{Client, StatusCode};
use serde_json::{Value, json};
use unicrm_sim::seed::SeedOptions;
use unicrm_sim::{CapsuleSim, CapsuleSimOptions, FaultConfig};

fn client() -> Client {
    let _ = rustls::crypto::ring::default_provider().install_default();
    Client::new()
}

async fn get_json(c: &Client, url: &str, token: &str) -> (StatusCode, Option<String>, Value) {
    let r = c.get(url).bearer_auth(token).send().await.expect("send");
    let status = r.status();
    let link = r
        .headers()
        .get("link")
        .and_then(|v| v.to_str().ok())
        .map(str::to_string);
    let body = r.json().await.unwrap_or(Value::Null);
    (status, link, body)
}

/// The `next` URL of a `Link` header (comma-safe split).
fn next_link(link: Option<&str>) -> Option<String> {
    let link = link?;
    let mut parts = Vec::new();
    let (mut depth, mut start) = (0, 0);
    for (i, ch) in link.char_indices() {
        match ch {
            '<' => depth += 1,
            '>' => depth -= 1,
            ',' if depth == 0 => {
                parts.push(&link[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    parts.push(&link[start..]);
    parts
        .into_iter()
        .find(|p| p.contains("rel=\"next\""))
        .and_then(|p| {
            let a = p.find('<')?;
            let b = p.find('>')?;
            Some(p[a + 1..b].to_string())
        })
}

#[tokio::test]
async fn paging_a_large_tenant_returns_each_id_once() {
    let sim = CapsuleSim::start(CapsuleSimOptions {
        seed: SeedOptions {
            seed: 11,
            records: 1200,
        },
        ..CapsuleSimOptions::default()
    })
    .await
    .unwrap();
    let c = client();
    let mut url = Some(format!(
        "{}parties?perPage=100&embed=tags,fields",
        sim.base_url
    ));
    let mut seen = Vec::new();
    let mut pages = 0;
    while let Some(u) = url {
        let (status, link, body) = get_json(&c, &u, &sim.token).await;
        assert_eq!(status, StatusCode::OK);
        for p in body["parties"].as_array().unwrap() {
            seen.push(p["id"].as_u64().unwrap());
            assert!(p["tags"].is_array() && p["fields"].is_array());
        }
        url = next_link(link.as_deref());
        pages += 1;
        assert!(pages < 100, "runaway paging");
    }
    let unique: BTreeSet<u64> = seen.iter().copied().collect();
    assert_eq!(unique.len(), seen.len(), "no id twice");
    assert!(seen.windows(2).all(|w| w[0] < w[1]), "id ascending");
    assert!(
        seen.len() >= 1000,
        "1,200 people plus their organisations, got {}",
        seen.len()
    );
    sim.shutdown().await;
}

#[tokio::test]
async fn seeded_records_have_documented_shapes() {
    let sim = CapsuleSim::start(CapsuleSimOptions::default())
        .await
        .unwrap();
    let c = client();
    let base = sim.base_url.as_str();
    let (_, _, body) = get_json(
        &c,
        &format!("{base}parties?perPage=100&embed=tags,fields"),
        &sim.token,
    )
    .await;
    let parties = body["parties"].as_array().unwrap();
    assert!(!parties.is_empty());
    for p in parties {
        assert!(p["id"].is_u64());
        assert!(p["updatedAt"].as_str().unwrap().ends_with('Z'));
        match p["type"].as_str().unwrap() {
            "person" => assert!(p.get("name").is_none() && p.get("firstName").is_some()),
            "organisation" => {
                assert!(p["name"].is_string() && p.get("firstName").is_none());
            }
            other => panic!("type {other}"),
        }
    }
    let (_, _, opps) = get_json(&c, &format!("{base}opportunities?embed=fields"), &sim.token).await;
    for o in opps["opportunities"].as_array().unwrap() {
        assert!(o["party"]["id"].is_u64());
        assert!(o["milestone"]["id"].is_u64());
        assert!(o["value"]["amount"].is_number());
    }
    let (_, _, defs) = get_json(&c, &format!("{base}parties/fields/definitions"), &sim.token).await;
    assert!(!defs["definitions"].as_array().unwrap().is_empty());
    let (_, _, tasks) = get_json(
        &c,
        &format!("{base}tasks?status=open,completed&perPage=100"),
        &sim.token,
    )
    .await;
    assert!(!tasks["tasks"].as_array().unwrap().is_empty());
    let (_, _, entries) = get_json(&c, &format!("{base}entries"), &sim.token).await;
    let e = &entries["entries"];
    assert!(e.as_array().is_some_and(|a| !a.is_empty()));
    sim.shutdown().await;
}

#[tokio::test]
async fn same_seed_same_data() {
    let a = CapsuleSim::start(CapsuleSimOptions::default())
        .await
        .unwrap();
    let b = CapsuleSim::start(CapsuleSimOptions::default())
        .await
        .unwrap();
    let c = client();
    let (_, _, x) = get_json(&c, &format!("{}parties?perPage=20", a.base_url), &a.token).await;
    let (_, _, y) = get_json(&c, &format!("{}parties?perPage=20", b.base_url), &b.token).await;
    assert_eq!(x, y);
    for path in [
        "users",
        "pipelines",
        "lostreasons",
        "opportunities?perPage=5",
    ] {
        let (_, _, x) = get_json(&c, &format!("{}{path}", a.base_url), &a.token).await;
        let (_, _, y) = get_json(&c, &format!("{}{path}", b.base_url), &b.token).await;
        assert_eq!(x, y, "{path}");
    }
    assert_eq!(a.client_id, b.client_id);
    assert_eq!(a.token, b.token);
}

#[tokio::test]
async fn writes_are_seen_by_later_reads() {
    let sim = CapsuleSim::start(CapsuleSimOptions {
        seed: SeedOptions {
            seed: 5,
            records: 10,
        },
        ..CapsuleSimOptions::default()
    })
    .await
    .unwrap();
    let c = client();
    let base = sim.base_url.to_string();
    let r = c
        .post(format!("{base}parties"))
        .bearer_auth(&sim.token)
        .json(&json!({"party": {"type": "organisation", "name": "Write Then Read"}}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::CREATED);
    let id = r.json::<Value>().await.unwrap()["party"]["id"]
        .as_u64()
        .unwrap();
    let r = c
        .put(format!("{base}parties/{id}"))
        .bearer_auth(&sim.token)
        .json(&json!({"party": {"about": "updated", "name": "Renamed Org"}}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let (_, _, one) = get_json(&c, &format!("{base}parties/{id}"), &sim.token).await;
    assert_eq!(one["party"]["about"], "updated");
    assert_eq!(one["party"]["name"], "Renamed Org");
    let (_, _, found) = get_json(&c, &format!("{base}parties/search?q=renamed"), &sim.token).await;
    assert_eq!(found["parties"][0]["id"], id);
    // The old name is free again, the new one taken.
    let r = c
        .post(format!("{base}parties"))
        .bearer_auth(&sim.token)
        .json(&json!({"party": {"type": "organisation", "name": "Write Then Read"}}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::CREATED);
    let r = c
        .post(format!("{base}parties"))
        .bearer_auth(&sim.token)
        .json(&json!({"party": {"type": "organisation", "name": "renamed org"}}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    sim.shutdown().await;
}

#[tokio::test]
async fn hostile_inputs_never_crash_the_server() {
    let sim = CapsuleSim::start(CapsuleSimOptions {
        seed: SeedOptions {
            seed: 9,
            records: 5,
        },
        ..CapsuleSimOptions::default()
    })
    .await
    .unwrap();
    let c = client();
    let base = sim.base_url.to_string();
    let bodies = [
        "",
        "null",
        "{\"party\":null}",
        "{\"party\":{\"type\":\"person\",\"firstName\":{\"a\":1}}}",
        "{\"party\":{\"type\":\"person\",\"lastName\":\"x\",\"emailAddresses\":\"no\"}}",
        "{\"party\":{\"type\":\"person\",\"lastName\":\"x\",\"tags\":[1,2]}}",
        "{\"party\":{\"type\":\"person\",\"lastName\":\"x\",\"fields\":[{\"definition\":{\"id\":18446744073709551615},\"value\":1}]}}",
        "{\"party\":{\"type\":\"person\",\"lastName\":\"x\",\"addresses\":[{\"country\":\"Atlantis\"}]}}",
        "{\"party\":{\"type\":\"person\",\"lastName\":\"x\",\"websites\":[{\"address\":\"x\",\"service\":\"MYSPACE\"}]}}",
        "{\"opportunity\":{\"name\":\"x\",\"party\":1e400}}",
    ];
    for (i, b) in bodies.iter().enumerate() {
        let path = if b.contains("opportunity") {
            "opportunities"
        } else {
            "parties"
        };
        let r = c
            .post(format!("{base}{path}"))
            .bearer_auth(&sim.token)
            .header("content-type", "application/json")
            .body(b.to_string())
            .send()
            .await
            .unwrap();
        assert!(
            matches!(r.status().as_u16(), 400 | 404 | 422),
            "body {i}: {}",
            r.status()
        );
    }
    for path in [
        "parties/-1",
        "parties/1,,2",
        "parties/%FF",
        "tasks/99999999999999999999999",
        "pipelines/0/milestones",
        "jobs/nope",
        "parties?page=-3",
        "parties?page=99999999999999999999",
    ] {
        let r = c
            .get(format!("{base}{path}"))
            .bearer_auth(&sim.token)
            .send()
            .await
            .unwrap();
        assert!(r.status().is_client_error(), "{path}: {}", r.status());
    }
    let (status, _, _) = get_json(&c, &format!("{base}site"), &sim.token).await;
    assert_eq!(status, StatusCode::OK);
    sim.shutdown().await;
}

#[tokio::test]
async fn faults_replay_for_the_same_seed() {
    let config = FaultConfig {
        seed: 99,
        error_rate: 0.2,
        burst_429_rate: 0.1,
        burst_429_len: 3,
        ..FaultConfig::default()
    };
    let run = |cfg: FaultConfig| async move {
        let sim = CapsuleSim::start(CapsuleSimOptions {
            seed: SeedOptions {
                seed: 1,
                records: 3,
            },
            faults: cfg,
            ..CapsuleSimOptions::default()
        })
        .await
        .unwrap();
        let c = client();
        let mut statuses = Vec::new();
        for _ in 0..60 {
            let r = c
                .get(format!("{}site", sim.base_url))
                .bearer_auth(&sim.token)
                .send()
                .await
                .unwrap();
            statuses.push(r.status().as_u16());
        }
        let stats = sim.stats();
        sim.shutdown().await;
        (statuses, stats)
    };
    let (a, stats) = run(config.clone()).await;
    let (b, _) = run(config.clone()).await;
    assert_eq!(a, b);
    assert!(a.contains(&429));
    assert!(a.iter().any(|s| *s >= 500));
    assert!(a.contains(&200));
    assert_eq!(stats.requests, 60);
    assert_eq!(
        stats.rate_limited,
        a.iter().filter(|s| **s == 429).count() as u64
    );
    assert_eq!(
        stats.server_errors,
        a.iter().filter(|s| **s >= 500).count() as u64
    );
    let (c, _) = run(FaultConfig {
        seed: 100,
        ..config
    })
    .await;
    assert_ne!(a, c, "another seed, another sequence");
}

#[tokio::test]
async fn dropped_connection_is_a_transport_error() {
    let sim = CapsuleSim::start(CapsuleSimOptions {
        seed: SeedOptions {
            seed: 1,
            records: 3,
        },
        faults: FaultConfig {
            seed: 1,
            drop_rate: 1.0,
            ..FaultConfig::default()
        },
        ..CapsuleSimOptions::default()
    })
    .await
    .unwrap();
    let c = client();
    let outcome = c
        .get(format!("{}parties", sim.base_url))
        .bearer_auth(&sim.token)
        .send()
        .await;
    let failed = match outcome {
        Err(_) => true,
        Ok(r) => r.bytes().await.is_err(),
    };
    assert!(failed, "the client must see a transport error");
    assert_eq!(sim.stats().dropped, 1);
    // Faults can be switched off at run time.
    sim.set_faults(FaultConfig::default());
    let r = c
        .get(format!("{}parties", sim.base_url))
        .bearer_auth(&sim.token)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    assert!(r.json::<Value>().await.is_ok());
    sim.shutdown().await;
}

#[tokio::test]
async fn malformed_truncated_and_slow_bodies() {
    let sim = CapsuleSim::start(CapsuleSimOptions {
        seed: SeedOptions {
            seed: 1,
            records: 3,
        },
        faults: FaultConfig {
            seed: 1,
            malformed_rate: 1.0,
            ..FaultConfig::default()
        },
        ..CapsuleSimOptions::default()
    })
    .await
    .unwrap();
    let c = client();
    let url = format!("{}parties", sim.base_url);
    let fetch = || async {
        let r = c.get(&url).bearer_auth(&sim.token).send().await.unwrap();
        (r.status(), r.text().await.unwrap())
    };
    let (status, text) = fetch().await;
    assert_eq!(status, StatusCode::OK);
    assert!(serde_json::from_str::<Value>(&text).is_err());

    sim.set_faults(FaultConfig {
        seed: 1,
        truncate_rate: 1.0,
        ..FaultConfig::default()
    });
    let (status, text) = fetch().await;
    assert_eq!(status, StatusCode::OK);
    assert!(text.starts_with("{\"parties\":["));
    assert!(serde_json::from_str::<Value>(&text).is_err());

    sim.set_faults(FaultConfig {
        seed: 1,
        slow_body_ms: 5,
        latency_ms: 1,
        jitter_ms: 3,
        ..FaultConfig::default()
    });
    let (status, text) = fetch().await;
    assert_eq!(status, StatusCode::OK);
    let v: Value = serde_json::from_str(&text).unwrap();
    assert!(v["parties"].is_array());

    let line = sim.sandbox_line_string();
    assert!(line.starts_with("{\"vendor\":\"capsule\",\"base_url\":\"http://127.0.0.1:"));
    let keys: Vec<String> = sim
        .sandbox_line()
        .as_object()
        .unwrap()
        .keys()
        .cloned()
        .collect();
    assert_eq!(keys.len(), 6);
    sim.shutdown().await;
}

/// Sends `body` with `method` and returns the status and the raw response text.
async fn send_raw(
    c: &Client,
    method: reqwest::Method,
    url: &str,
    token: &str,
    body: Option<&str>,
) -> (StatusCode, String) {
    let mut req = c.request(method, url).bearer_auth(token);
    if let Some(b) = body {
        req = req
            .header("content-type", "application/json")
            .body(b.to_string());
    }
    let r = req.send().await.expect("send");
    let status = r.status();
    (status, r.text().await.expect("text"))
}

#[tokio::test]
async fn opportunity_amounts_round_trip_exactly() {
    let sim = CapsuleSim::start(CapsuleSimOptions::default())
        .await
        .unwrap();
    let c = client();
    let base = sim.base_url.as_str();
    let (_, _, opps) = get_json(&c, &format!("{base}opportunities"), &sim.token).await;
    let seeded = &opps["opportunities"][0];
    let party = seeded["party"]["id"].as_u64().unwrap();
    let milestone = seeded["milestone"]["id"].as_u64().unwrap();

    let body = format!(
        r#"{{"opportunity":{{"name":"Big deal","party":{{"id":{party}}},"milestone":{{"id":{milestone}}},"value":{{"amount":12345678901234567890.12,"currency":"GBP"}}}}}}"#
    );
    let (status, text) = send_raw(
        &c,
        reqwest::Method::POST,
        &format!("{base}opportunities"),
        &sim.token,
        Some(&body),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{text}");
    assert!(
        text.contains(r#""amount":12345678901234567890.12"#),
        "{text}"
    );
    let id = serde_json::from_str::<Value>(&text).unwrap()["opportunity"]["id"]
        .as_u64()
        .unwrap();
    let url = format!("{base}opportunities/{id}");

    let (status, text) = send_raw(&c, reqwest::Method::GET, &url, &sim.token, None).await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        text.contains(r#""amount":12345678901234567890.12"#),
        "{text}"
    );
    assert!(text.contains(r#""currency":"GBP""#), "{text}");

    // A new amount by PUT, also beyond f64 precision.
    let put =
        r#"{"opportunity":{"value":{"amount":-98765432109876543210.000000001,"currency":"EUR"}}}"#;
    let (status, text) = send_raw(&c, reqwest::Method::PUT, &url, &sim.token, Some(put)).await;
    assert_eq!(status, StatusCode::OK, "{text}");
    let (status, text) = send_raw(&c, reqwest::Method::GET, &url, &sim.token, None).await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        text.contains(r#""amount":-98765432109876543210.000000001"#),
        "{text}"
    );
    assert!(text.contains(r#""currency":"EUR""#), "{text}");
    // The list view renders the same exact number.
    let (_, text) = send_raw(
        &c,
        reqwest::Method::GET,
        &format!("{base}opportunities?perPage=100&page=1"),
        &sim.token,
        None,
    )
    .await;
    let _: Value = serde_json::from_str(&text).expect("valid JSON");

    // A string amount is a validation failure in the documented shape.
    let bad = r#"{"opportunity":{"value":{"amount":"100.00","currency":"GBP"}}}"#;
    let (status, text) = send_raw(&c, reqwest::Method::PUT, &url, &sim.token, Some(bad)).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{text}");
    let v: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(v["message"], "Validation Failed");
    assert_eq!(
        v["errors"][0],
        json!({"message": "amount is invalid", "resource": "opportunity", "field": "value"})
    );
    // An object amount too; the stored amount is unchanged.
    let bad = r#"{"opportunity":{"value":{"amount":{"n":1},"currency":"GBP"}}}"#;
    let (status, _) = send_raw(&c, reqwest::Method::PUT, &url, &sim.token, Some(bad)).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    let (_, text) = send_raw(&c, reqwest::Method::GET, &url, &sim.token, None).await;
    assert!(
        text.contains(r#""amount":-98765432109876543210.000000001"#),
        "{text}"
    );
    sim.shutdown().await;
}
