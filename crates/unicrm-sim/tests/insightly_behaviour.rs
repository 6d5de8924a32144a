//! Insightly simulator behaviour beyond the §12 list: full paging, pacing versus bursts,
//! read-your-writes, malformed input, faults wiring and the sandbox line.

use base64::Engine;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use std::collections::HashSet;
use std::time::Duration;
use unicrm_sim::{
    FaultConfig, InsightlySim, InsightlySimHandle, InsightlySimOptions, SeedOptions, SimClock,
};

struct T {
    sim: InsightlySimHandle,
    http: reqwest::Client,
}

fn opts(records: usize) -> InsightlySimOptions {
    InsightlySimOptions {
        seed: SeedOptions { seed: 7, records },
        requests_per_second: 0,
        ..InsightlySimOptions::default()
    }
}

impl T {
    async fn start(options: InsightlySimOptions) -> T {
        let _ = rustls::crypto::ring::default_provider().install_default();
        let sim = InsightlySim::start(options).await.expect("start simulator");
        let http = reqwest::Client::builder().build().expect("client");
        T { sim, http }
    }

    fn url(&self, path: &str) -> String {
        self.sim.base_url.join(path).expect("url").to_string()
    }

    fn auth(&self) -> String {
        format!(
            "Basic {}",
            base64::engine::general_purpose::STANDARD.encode(format!("{}:", self.sim.api_key))
        )
    }

    async fn send(
        &self,
        method: Method,
        path: &str,
        body: Option<&str>,
    ) -> (StatusCode, reqwest::header::HeaderMap, Value) {
        let mut rb = self
            .http
            .request(method, self.url(path))
            .header("Authorization", self.auth());
        if let Some(b) = body {
            rb = rb
                .header("Content-Type", "application/json")
                .body(b.to_string());
        }
        let r = rb.send().await.expect("send");
        let status = r.status();
        let headers = r.headers().clone();
        let text = r.text().await.expect("text");
        let v = if text.is_empty() {
            Value::Null
        } else {
            serde_json::from_str(&text).expect("json")
        };
        (status, headers, v)
    }

    async fn get(&self, path: &str) -> (StatusCode, Value) {
        let (s, _, v) = self.send(Method::GET, path, None).await;
        (s, v)
    }

    async fn json(&self, method: Method, path: &str, body: Value) -> (StatusCode, Value) {
        let (s, _, v) = self.send(method, path, Some(&body.to_string())).await;
        (s, v)
    }
}

#[tokio::test]
async fn paging_1200_contacts_returns_each_exactly_once() {
    let t = T::start(opts(1200)).await;
    let mut seen = HashSet::new();
    let mut skip = 0;
    let mut total = None;
    loop {
        let (s, h, page) = t
            .send(
                Method::GET,
                &format!("Contacts?skip={skip}&top=500&brief=true&count_total=true"),
                None,
            )
            .await;
        assert_eq!(s, 200);
        total = total.or_else(|| {
            h.get("x-total-count")
                .and_then(|v| v.to_str().ok())
                .and_then(|v| v.parse::<usize>().ok())
        });
        let rows = page.as_array().expect("array");
        for r in rows {
            assert!(
                seen.insert(r["CONTACT_ID"].as_u64().expect("id")),
                "duplicate"
            );
        }
        skip += rows.len();
        if rows.len() < 500 {
            break;
        }
    }
    assert_eq!(seen.len(), 1200);
    assert_eq!(total, Some(1200));
    // Paging also works on searches.
    let (_, p1) = t
        .get("Contacts/Search?updated_after_utc=2000-01-01&top=700")
        .await;
    assert_eq!(p1.as_array().map(Vec::len), Some(500));
    let (_, p2) = t
        .get("Contacts/Search?updated_after_utc=2000-01-01&skip=500&top=500")
        .await;
    let (_, p3) = t
        .get("Contacts/Search?updated_after_utc=2000-01-01&skip=1000&top=500")
        .await;
    assert_eq!(p2.as_array().map(Vec::len), Some(500));
    assert_eq!(p3.as_array().map(Vec::len), Some(200));
}

#[tokio::test]
async fn burst_of_30_in_one_second_is_refused_after_the_tenth() {
    // A manual clock: all thirty arrive at the same instant, whatever the machine's speed.
    let t = T::start(InsightlySimOptions {
        requests_per_second: 10,
        clock: SimClock::manual_default(),
        ..opts(10)
    })
    .await;
    let futs = (0..30).map(|_| t.send(Method::GET, "Pipelines", None));
    let results = futures::future::join_all(futs).await;
    let ok = results.iter().filter(|r| r.0 == 200).count();
    let limited = results.iter().filter(|r| r.0 == 429).count();
    assert_eq!((ok, limited), (10, 20));
    let stats = t.sim.stats();
    assert_eq!(stats.requests, 30);
    assert_eq!(stats.rate_limited, limited as u64);
}

#[tokio::test]
async fn a_client_pacing_itself_at_the_rate_is_never_refused() {
    let clock = SimClock::manual_default();
    let t = T::start(InsightlySimOptions {
        requests_per_second: 10,
        clock: clock.clone(),
        ..opts(10)
    })
    .await;
    // A burst of ten at one instant, then, a second later, one request every 100 ms
    // (exactly ten per second) for three seconds: every one is accepted.
    let burst =
        futures::future::join_all((0..10).map(|_| t.send(Method::GET, "Users/Me", None))).await;
    assert!(burst.iter().all(|r| r.0 == 200));
    clock.advance(Duration::from_secs(1));
    for i in 0..30 {
        let (s, _) = t.get("Users/Me").await;
        assert_eq!(s, 200, "paced request {i}");
        clock.advance(Duration::from_millis(100));
    }
    // After a quiet second, one request more than the rate within a second is refused.
    clock.advance(Duration::from_secs(1));
    for _ in 0..10 {
        assert_eq!(t.get("Users/Me").await.0, 200);
    }
    assert_eq!(t.get("Users/Me").await.0, 429);
}

#[tokio::test]
async fn writes_are_seen_by_later_reads() {
    let t = T::start(opts(50)).await;
    let (_, org) = t
        .json(
            Method::POST,
            "Organisations",
            json!({"ORGANISATION_NAME": "Zoë & Co", "TAGS": [{"TAG_NAME": "Partner"}]}),
        )
        .await;
    let org_id = org["ORGANISATION_ID"].as_u64().expect("id");
    let (s, c) = t
        .json(
            Method::POST,
            "Contacts",
            json!({
                "FIRST_NAME": "José", "LAST_NAME": "山田", "EMAIL_ADDRESS": "jose@example.com",
                "ORGANISATION_ID": org_id, "DATE_OF_BIRTH": "1984-02-29",
                "CUSTOMFIELDS": [{"FIELD_NAME": "Region__c", "FIELD_VALUE": "apac"}, {"FIELD_NAME": "Languages__c", "FIELD_VALUE": "english;Japanese"}],
                "TAGS": [{"TAG_NAME": "VIP"}, {"TAG_NAME": "vip"}],
                "UNKNOWN_KEY": 1
            }),
        )
        .await;
    assert_eq!(s, 200, "{c}");
    let id = c["CONTACT_ID"].as_u64().expect("id");
    assert_eq!(c["DATE_OF_BIRTH"], "1984-02-29 00:00:00");
    assert_eq!(c["TAGS"], json!([{"TAG_NAME": "VIP"}]));
    assert!(c.get("UNKNOWN_KEY").is_none());
    let cf = |v: &Value, name: &str| {
        v["CUSTOMFIELDS"]
            .as_array()
            .and_then(|a| a.iter().find(|f| f["FIELD_NAME"] == name))
            .map(|f| f["FIELD_VALUE"].clone())
    };
    assert_eq!(cf(&c, "Region__c"), Some(json!("APAC")));
    assert_eq!(cf(&c, "Languages__c"), Some(json!("English;Japanese")));
    // The organisation link is implied by ORGANISATION_ID.
    assert!(
        c["LINKS"]
            .as_array()
            .expect("links")
            .iter()
            .any(|l| l["LINK_OBJECT_ID"].as_u64() == Some(org_id))
    );

    // CUSTOMFIELDS merge by name; TAGS replace; null clears a custom field.
    let (s, u) = t
        .json(
            Method::PUT,
            "Contacts",
            json!({"CONTACT_ID": id, "CUSTOMFIELDS": [{"FIELD_NAME": "Is_partner__c", "FIELD_VALUE": true}, {"FIELD_NAME": "Languages__c", "FIELD_VALUE": null}], "TAGS": [{"TAG_NAME": "Customer"}]}),
        )
        .await;
    assert_eq!(s, 200, "{u}");
    assert_eq!(cf(&u, "Region__c"), Some(json!("APAC")));
    assert_eq!(cf(&u, "Is_partner__c"), Some(json!(true)));
    assert_eq!(cf(&u, "Languages__c"), None);
    assert_eq!(u["TAGS"], json!([{"TAG_NAME": "Customer"}]));

    let (_, got) = t.get(&format!("Contacts/{id}")).await;
    assert_eq!(got, u);
    let (_, found) = t
        .get("Contacts/Search?field_name=EMAIL_ADDRESS&field_value=JOSE@example.com")
        .await;
    assert_eq!(found.as_array().map(Vec::len), Some(1));
    let (_, found) = t
        .get("Contacts/Search?field_name=Is_partner__c&field_value=true&top=500")
        .await;
    assert!(
        found
            .as_array()
            .expect("array")
            .iter()
            .any(|r| r["CONTACT_ID"].as_u64() == Some(id))
    );
    let (_, tagged) = t.get("Contacts/SearchByTag?tagName=customer&top=500").await;
    assert!(
        tagged
            .as_array()
            .expect("array")
            .iter()
            .any(|r| r["CONTACT_ID"].as_u64() == Some(id))
    );
    let (_, links) = t.get(&format!("Organisations/{org_id}/Links")).await;
    assert!(
        links
            .as_array()
            .expect("links")
            .iter()
            .any(|l| l["LINK_OBJECT_ID"].as_u64() == Some(id))
    );

    // Deleting the organisation keeps the contact, without its organisation.
    let (s, _) = t
        .json(
            Method::DELETE,
            &format!("Organisations/{org_id}"),
            Value::Null,
        )
        .await;
    assert_eq!(s, 202);
    let (s, c) = t.get(&format!("Contacts/{id}")).await;
    assert_eq!(s, 200);
    assert!(c["ORGANISATION_ID"].is_null());
    assert_eq!(c["LINKS"], json!([]));
}

#[tokio::test]
async fn opportunities_and_leads_round_trip() {
    let t = T::start(opts(60)).await;
    let (_, opp) = t.get("Opportunities?top=1").await;
    let opp = &opp[0];
    assert!(opp["BID_AMOUNT"].is_number());
    assert!(["GBP", "USD", "EUR"].contains(&opp["BID_CURRENCY"].as_str().expect("currency")));
    assert!(opp["FORECAST_CLOSE_DATE"].is_string() || opp["ACTUAL_CLOSE_DATE"].is_string());
    let id = opp["OPPORTUNITY_ID"].as_u64().expect("id");
    let (s, o) = t
        .json(
            Method::PUT,
            "Opportunities",
            json!({"OPPORTUNITY_ID": id, "OPPORTUNITY_STATE": "Won"}),
        )
        .await;
    assert_eq!(s, 200);
    assert_eq!(o["OPPORTUNITY_STATE"], "WON");
    assert!(o["ACTUAL_CLOSE_DATE"].is_string());
    let (s, o) = t
        .json(Method::POST, "Opportunities", json!({"OPPORTUNITY_NAME": "Per month", "BID_AMOUNT": 1500, "BID_TYPE": "Per Month", "BID_DURATION": 12, "BID_CURRENCY": "EUR"}))
        .await;
    assert_eq!(s, 200);
    assert_eq!(o["OPPORTUNITY_VALUE"].as_f64(), Some(18000.0));
    let (s, reasons) = t.get("OpportunityStateReasons").await;
    assert_eq!(s, 200);
    assert!(
        reasons
            .as_array()
            .expect("array")
            .iter()
            .any(|r| r["FOR_OPPORTUNITY_STATE"] == "Lost")
    );
    let (s, o) = t
        .json(
            Method::PUT,
            &format!("Opportunities/{}/StateChange", o["OPPORTUNITY_ID"]),
            json!({"FOR_OPPORTUNITY_STATE": "lost", "STATE_REASON_ID": 62}),
        )
        .await;
    assert_eq!(
        (s, o["OPPORTUNITY_STATE"].clone()),
        (StatusCode::OK, json!("LOST"))
    );

    let (s, lead) = t
        .json(
            Method::POST,
            "Leads",
            json!({"LAST_NAME": "Núñez", "EMAIL": "jose@ejemplo.es"}),
        )
        .await;
    assert_eq!(s, 200);
    assert_eq!(lead["LEAD_STATUS_ID"].as_u64(), Some(81));
    assert_eq!(lead["CONVERTED"], false);
    let (s, _) = t
        .json(Method::POST, "Leads", json!({"FIRST_NAME": "only"}))
        .await;
    assert_eq!(s, 400);
    let (_, statuses) = t.get("LeadStatuses").await;
    assert_eq!(statuses.as_array().map(Vec::len), Some(5));
    let (s, _) = t
        .json(
            Method::POST,
            "Leads",
            json!({"LAST_NAME": "x", "LEAD_STATUS_ID": 1}),
        )
        .await;
    assert_eq!(s, 400);
    let (_, users) = t.get("Users").await;
    assert!(users.as_array().is_some_and(|u| u.len() >= 3));
    let (s, _) = t
        .json(Method::POST, "Users", json!({"FIRST_NAME": "x"}))
        .await;
    assert_eq!(s, 405);
}

#[tokio::test]
async fn malformed_input_is_400_never_a_crash() {
    let t = T::start(opts(20)).await;
    let (_, c) = t.get("Contacts?top=1").await;
    let id = c[0]["CONTACT_ID"].as_u64().expect("id");
    let bodies = [
        "{not json".to_string(),
        format!("{}{}", "[".repeat(5000), "]".repeat(5000)),
        r#"{"LAST_NAME": "x", "BID_AMOUNT": 1e400}"#.to_string(),
        r#"{"LAST_NAME": "x\ud800"}"#.to_string(),
        "[1,2,3]".to_string(),
        "\"LAST_NAME\"".to_string(),
        String::new(),
        r#"{"LAST_NAME": 42}"#.to_string(),
        r#"{"LAST_NAME": "x", "ORGANISATION_ID": "abc"}"#.to_string(),
        r#"{"LAST_NAME": "x", "ORGANISATION_ID": 1e300}"#.to_string(),
        r#"{"LAST_NAME": "x", "ORGANISATION_ID": 99999999999999999999999999}"#.to_string(),
        r#"{"LAST_NAME": "x", "ORGANISATION_ID": -1}"#.to_string(),
        r#"{"LAST_NAME": "x", "DATE_OF_BIRTH": "29/02/1984"}"#.to_string(),
        r#"{"LAST_NAME": "x", "EMAIL_OPTED_OUT": "yes"}"#.to_string(),
        r#"{"LAST_NAME": "x", "VISIBLE_TO": "NOBODY"}"#.to_string(),
        r#"{"LAST_NAME": "x", "OWNER_USER_ID": 12345}"#.to_string(),
        r#"{"LAST_NAME": "x", "TAGS": "vip"}"#.to_string(),
        r#"{"LAST_NAME": "x", "CUSTOMFIELDS": [{"FIELD_NAME": "Nope__c", "FIELD_VALUE": 1}]}"#.to_string(),
        r#"{"LAST_NAME": "x", "CUSTOMFIELDS": [{"FIELD_NAME": "Region__c", "FIELD_VALUE": "Mars"}]}"#.to_string(),
        r#"{"LAST_NAME": "x", "CUSTOMFIELDS": [{"FIELD_NAME": "Employees__c", "FIELD_VALUE": "many"}]}"#.to_string(),
        r#"{"LAST_NAME": "x", "LINKS": [{"LINK_OBJECT_NAME": "Planet", "LINK_OBJECT_ID": 1}]}"#.to_string(),
        r#"{"LAST_NAME": "x", "DATES": [{"OCCASION_NAME": "b", "OCCASION_DATE": "never"}]}"#.to_string(),
    ];
    for b in &bodies {
        let (s, _, v) = t.send(Method::POST, "Contacts", Some(b)).await;
        assert_eq!(s, 400, "{b}");
        assert!(v["Message"].is_string(), "{b}");
    }
    for b in [
        format!(r#"{{"CONTACT_ID": "{id}"}}"#),
        r#"{"CONTACT_ID": -5}"#.to_string(),
        r#"{"CONTACT_ID": 1.5}"#.to_string(),
    ] {
        let (s, _, _) = t.send(Method::PUT, "Contacts", Some(&b)).await;
        assert_eq!(s, 400, "{b}");
    }
    for q in [
        "Contacts?top=-1",
        "Contacts?skip=abc",
        "Contacts?top=99999999999999999999999",
        "Contacts/Search?updated_after_utc=2024-13-45",
    ] {
        let (s, v) = t.get(q).await;
        assert_eq!(s, 400, "{q}");
        assert!(v["Message"].is_string());
    }
    for (m, p) in [
        (Method::GET, "Contacts/abc"),
        (Method::GET, "Widgets"),
        (Method::GET, ""),
        (Method::PATCH, "Contacts"),
        (Method::GET, "Contacts/18446744073709551616"),
        (Method::GET, "Contacts/1/Links/abc"),
        // (`GET /CustomFields/Widgets` answers every definition: docs/vendors/
        // insightly-v3.1-addendum.md, Simulator must reproduce, item 24.)
        (Method::GET, "Tags/Tasks"),
        (Method::POST, "Tasks/1/Tags"),
        (Method::GET, "Users/Me/Extra"),
    ] {
        let (s, _, _) = t.send(m.clone(), p, None).await;
        assert!(s == 404 || s == 405, "{m} {p}: {s}");
    }
    // Still healthy.
    assert_eq!(t.get(&format!("Contacts/{id}")).await.0, 200);
}

#[tokio::test]
async fn faults_are_wired_and_counted() {
    let t = T::start(opts(10)).await;
    t.sim.reset_stats();
    t.sim.set_faults(FaultConfig {
        seed: 1,
        error_rate: 1.0,
        ..FaultConfig::default()
    });
    let (s, _, _) = t.send(Method::GET, "Users/Me", None).await;
    assert!(s.is_server_error());
    t.sim.set_faults(FaultConfig::default());
    assert_eq!(t.get("Users/Me").await.0, 200);
    let stats = t.sim.stats();
    assert_eq!(stats.requests, 2);
    assert_eq!(stats.server_errors, 1);
}

#[tokio::test]
async fn sandbox_line_and_keys() {
    let t = T::start(opts(10)).await;
    let line = t.sim.sandbox_line_json();
    let expected = format!(
        r#"{{"vendor":"insightly","base_url":"{}","api_key":"{}"}}"#,
        t.sim.base_url, t.sim.api_key
    );
    assert_eq!(line, expected);
    assert!(t.sim.base_url.as_str().ends_with("/v3.1/"));
    assert_eq!(t.sim.sandbox_line()["vendor"], "insightly");
    // Deterministic GUID-looking key.
    let again = InsightlySim::start(opts(10)).await.expect("start");
    assert_eq!(again.api_key, t.sim.api_key);
    assert_eq!(t.sim.api_key.len(), 36);
    assert_eq!(t.sim.api_key.matches('-').count(), 4);
    again.shutdown().await;
    let custom = InsightlySim::start(InsightlySimOptions {
        api_key: Some("my-key".into()),
        ..opts(10)
    })
    .await
    .expect("start");
    assert_eq!(custom.api_key, "my-key");
    custom.shutdown().await;
}

#[tokio::test]
async fn extra_unknown_key_can_be_added_to_records() {
    let t = T::start(InsightlySimOptions {
        extra_field: Some(("SCORE_INTERNAL_X".into(), json!(17))),
        ..opts(10)
    })
    .await;
    let (_, v) = t.get("Contacts?top=2").await;
    assert_eq!(v[0]["SCORE_INTERNAL_X"], 17);
    let (_, v) = t.get("Opportunities?top=1&brief=true").await;
    assert_eq!(v[0]["SCORE_INTERNAL_X"], 17);
}
