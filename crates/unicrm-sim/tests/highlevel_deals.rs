//! Items 28–31 and 36 of docs/vendors/highlevel-v2.md, "Simulator must reproduce"
//! (opportunities, pipelines, businesses), over raw HTTP.

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use unicrm_sim::{HighLevelSim, HighLevelSimHandle, HighLevelSimOptions, SeedOptions, SimClock};

struct T {
    sim: HighLevelSimHandle,
    http: reqwest::Client,
}

impl T {
    async fn start() -> T {
        let _ = rustls::crypto::ring::default_provider().install_default();
        let sim = HighLevelSim::start(HighLevelSimOptions {
            seed: SeedOptions {
                seed: 42,
                records: 24,
            },
            clock: SimClock::manual_default(),
            ..HighLevelSimOptions::default()
        })
        .await
        .expect("start");
        T {
            sim,
            http: reqwest::Client::new(),
        }
    }

    async fn call(&self, method: Method, path: &str, body: Option<Value>) -> (StatusCode, Value) {
        let mut r = self
            .http
            .request(method, format!("{}{}", self.sim.base_url, path))
            .header("Version", "2021-07-28")
            .bearer_auth(&self.sim.token);
        if let Some(b) = body {
            r = r.json(&b);
        }
        let resp = r.send().await.expect("send");
        let status = resp.status();
        let text = resp.text().await.unwrap_or_default();
        (
            status,
            serde_json::from_str(&text).unwrap_or(Value::String(text)),
        )
    }
}

#[tokio::test]
async fn item_28_the_opportunity_search_wants_snake_location_id_and_pages_by_cursor() {
    let t = T::start().await;
    let loc = t.sim.location_id.clone();
    let (s, b) = t
        .call(
            Method::GET,
            &format!("opportunities/search?locationId={loc}"),
            None,
        )
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        b["message"],
        json!(["property locationId should not exist"])
    );
    let (s, _) = t
        .call(
            Method::GET,
            &format!("opportunities/search?location_id={loc}&limit=101"),
            None,
        )
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    let total = t.sim.opportunities().len();
    assert!(total >= 3);
    let mut seen = Vec::new();
    let mut q = format!("opportunities/search?location_id={loc}&limit=2&status=all");
    loop {
        let (s, b) = t.call(Method::GET, &q, None).await;
        assert_eq!(s, StatusCode::OK, "{b}");
        assert_eq!(b["meta"]["total"], json!(total));
        assert_eq!(b["aggregations"], json!({}));
        let page = b["opportunities"].as_array().cloned().unwrap_or_default();
        for o in &page {
            seen.push(o["id"].as_str().unwrap_or_default().to_string());
            assert!(o["contact"]["id"].is_string(), "the contact is embedded");
        }
        if page.len() < 2 || b["meta"]["nextPageUrl"].is_null() {
            break;
        }
        q = format!(
            "opportunities/search?location_id={loc}&limit=2&startAfter={}&startAfterId={}",
            b["meta"]["startAfter"],
            b["meta"]["startAfterId"].as_str().unwrap_or_default()
        );
    }
    let mut unique = seen.clone();
    unique.sort();
    unique.dedup();
    assert_eq!(unique.len(), total, "each once: {seen:?}");
    assert_eq!(seen.len(), total);
    // A status filter narrows; `all` is any.
    let (_, won) = t
        .call(
            Method::GET,
            &format!("opportunities/search?location_id={loc}&status=won"),
            None,
        )
        .await;
    let won = won["opportunities"].as_array().cloned().unwrap_or_default();
    assert!(won.iter().all(|o| o["status"] == "won"));
}

#[tokio::test]
async fn item_29_pipelines_want_camel_location_id_and_sort_stages_by_position() {
    let t = T::start().await;
    let loc = t.sim.location_id.clone();
    let (s, _) = t
        .call(
            Method::GET,
            &format!("opportunities/pipelines?location_id={loc}"),
            None,
        )
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    let (s, b) = t
        .call(
            Method::GET,
            &format!("opportunities/pipelines?locationId={loc}"),
            None,
        )
        .await;
    assert_eq!(s, StatusCode::OK);
    let pipelines = b["pipelines"].as_array().cloned().unwrap_or_default();
    assert!(pipelines.len() >= 3);
    for p in pipelines {
        let pos: Vec<i64> = p["stages"]
            .as_array()
            .cloned()
            .unwrap_or_default()
            .iter()
            .filter_map(|s| s["position"].as_i64())
            .collect();
        assert!(!pos.is_empty());
        assert!(pos.windows(2).all(|w| w[0] < w[1]), "{pos:?}");
    }
}

#[tokio::test]
async fn items_30_31_create_status_stage_and_custom_fields() {
    let t = T::start().await;
    let loc = t.sim.location_id.clone();
    let p = t.sim.pipelines()[0].clone();
    let stages = p["stages"].as_array().cloned().unwrap_or_default();
    let contact = t.sim.contacts()[0]["id"].clone();
    let (s, b) = t
        .call(
            Method::POST,
            "opportunities/",
            Some(
                json!({"locationId": loc, "pipelineId": p["id"], "name": "Deal", "status": "open",
                        "contactId": contact, "pipelineStageId": stages[0]["id"],
                        "customFields": [{"id": "Fdx", "field_value": "hello"}]}),
            ),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{b}");
    let o = &b["opportunity"];
    assert_eq!(o["monetaryValue"], json!(0));
    assert_eq!(o["createdAt"], o["updatedAt"]);
    assert_eq!(o["contact"]["id"], contact);
    assert_eq!(
        o["customFields"],
        json!([{"id": "Fdx", "type": "string", "fieldValueString": "hello"}])
    );
    let id = o["id"].as_str().unwrap_or_default().to_string();
    t.sim.clock().advance(std::time::Duration::from_secs(5));
    let (s, b) = t
        .call(
            Method::PUT,
            &format!("opportunities/{id}"),
            Some(json!({"pipelineStageId": stages[1]["id"]})),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{b}");
    assert_ne!(
        b["opportunity"]["lastStageChangeAt"],
        o["lastStageChangeAt"]
    );
    assert_eq!(
        b["opportunity"]["lastStatusChangeAt"],
        o["lastStatusChangeAt"]
    );
    t.sim.clock().advance(std::time::Duration::from_secs(5));
    let (s, b) = t
        .call(
            Method::PUT,
            &format!("opportunities/{id}/status"),
            Some(json!({"status": "won"})),
        )
        .await;
    assert_eq!((s, b["succeded"].clone()), (StatusCode::OK, json!(true)));
    let (_, b) = t
        .call(Method::GET, &format!("opportunities/{id}"), None)
        .await;
    assert_eq!(b["opportunity"]["status"], "won");
    assert_ne!(
        b["opportunity"]["lastStatusChangeAt"],
        o["lastStatusChangeAt"]
    );
    // Neither locationId nor contactId on an update.
    let (s, b) = t
        .call(
            Method::PUT,
            &format!("opportunities/{id}"),
            Some(json!({"locationId": loc})),
        )
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        b["message"],
        json!(["property locationId should not exist"])
    );
    // Required fields, listed.
    let (s, b) = t
        .call(
            Method::POST,
            "opportunities/",
            Some(json!({"locationId": loc, "name": "x"})),
        )
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(b["message"].as_array().is_some_and(|m| m.len() == 3), "{b}");
    let (s, _) = t
        .call(Method::DELETE, &format!("opportunities/{id}"), None)
        .await;
    assert_eq!(s, StatusCode::OK);
    let (s, _) = t
        .call(Method::GET, &format!("opportunities/{id}"), None)
        .await;
    assert_eq!(s, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn item_36_business_envelopes() {
    let t = T::start().await;
    let loc = t.sim.location_id.clone();
    let (s, b) = t
        .call(
            Method::GET,
            &format!("businesses/?locationId={loc}&limit=2&skip=0"),
            None,
        )
        .await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(b["businesses"].as_array().map(Vec::len), Some(2));
    assert!(b.get("total").is_none() && b.get("count").is_none());
    let (s, b) = t
        .call(
            Method::POST,
            "businesses/",
            Some(json!({"locationId": loc, "name": "Acme"})),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED);
    assert_eq!(b["success"], true);
    let id = b["buiseness"]["id"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    assert_eq!(id.len(), 24);
    assert!(id.chars().all(|c| c.is_ascii_hexdigit()));
    let (s, b) = t
        .call(
            Method::PUT,
            &format!("businesses/{id}"),
            Some(json!({"city": "Berlin"})),
        )
        .await;
    assert_eq!(
        (s, b["buiseness"]["city"].clone()),
        (StatusCode::OK, json!("Berlin"))
    );
    let (_, b) = t.call(Method::GET, &format!("businesses/{id}"), None).await;
    assert_eq!(b["business"]["name"], "Acme");
    let (s, _) = t
        .call(
            Method::PUT,
            &format!("businesses/{id}"),
            Some(json!({"locationId": loc})),
        )
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    let (s, b) = t
        .call(Method::DELETE, &format!("businesses/{id}"), None)
        .await;
    assert_eq!((s, b["success"].clone()), (StatusCode::OK, json!(true)));
    let (s, _) = t.call(Method::GET, &format!("businesses/{id}"), None).await;
    assert_eq!(s, StatusCode::NOT_FOUND);
}
