//! The numbered behaviours of `docs/vendors/highlevel-v2.md`, "Simulator must reproduce", that
//! concern contacts' sub-records and upsert (items 17, 26, 27), calendars (32–34) and the
//! webhook emitter (38), one test per item named after its number, over raw HTTP.

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use unicrm_sim::{HighLevelSim, HighLevelSimHandle, HighLevelSimOptions, SeedOptions, SimClock};

struct T {
    sim: HighLevelSimHandle,
    http: reqwest::Client,
}

struct Answer {
    status: StatusCode,
    body: Value,
}

impl T {
    async fn start(records: usize) -> T {
        let _ = rustls::crypto::ring::default_provider().install_default();
        let sim = HighLevelSim::start(HighLevelSimOptions {
            seed: SeedOptions { seed: 42, records },
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

    async fn call(&self, method: Method, path: &str, version: &str, body: Option<Value>) -> Answer {
        let mut r = self
            .http
            .request(method, format!("{}{path}", self.sim.base_url))
            .header("Version", version)
            .bearer_auth(&self.sim.token);
        if let Some(b) = body {
            r = r.json(&b);
        }
        let resp = r.send().await.expect("send");
        let status = resp.status();
        let text = resp.text().await.unwrap_or_default();
        Answer {
            status,
            body: serde_json::from_str(&text).unwrap_or(Value::String(text)),
        }
    }

    async fn contacts_api(&self, method: Method, path: &str, body: Option<Value>) -> Answer {
        self.call(method, path, "2021-07-28", body).await
    }

    async fn calendars_api(&self, method: Method, path: &str, body: Option<Value>) -> Answer {
        self.call(method, path, "2021-04-15", body).await
    }

    fn loc(&self) -> String {
        self.sim.location_id.clone()
    }
}

#[tokio::test]
async fn item_17_upsert_matches_email_then_phone() {
    let t = T::start(3).await;
    let loc = t.loc();
    let first = t
        .contacts_api(
            Method::POST,
            "contacts/upsert",
            Some(json!({"locationId": loc, "firstName": "Ada", "email": "ada@example.com", "phone": "+441234567890"})),
        )
        .await;
    assert_eq!(first.status, StatusCode::OK, "{}", first.body);
    assert_eq!(first.body["new"], json!(true));
    assert!(first.body["traceId"].is_string());
    let id = first.body["contact"]["id"].as_str().unwrap().to_string();
    // Same email (other case): the same contact, updated.
    let again = t
        .contacts_api(
            Method::POST,
            "contacts/upsert",
            Some(json!({"locationId": loc, "lastName": "Lovelace", "email": "ADA@example.com"})),
        )
        .await;
    assert_eq!(again.body["new"], json!(false));
    assert_eq!(again.body["contact"]["id"], json!(id));
    assert_eq!(again.body["contact"]["firstName"], json!("Ada"));
    assert_eq!(again.body["contact"]["lastName"], json!("Lovelace"));
    // No email, the phone matches.
    let by_phone = t
        .contacts_api(
            Method::POST,
            "contacts/upsert",
            Some(json!({"locationId": loc, "phone": "+441234567890", "city": "London"})),
        )
        .await;
    assert_eq!(by_phone.body["new"], json!(false));
    assert_eq!(by_phone.body["contact"]["id"], json!(id));
    // Email matches another contact first: that one is updated, not the phone's.
    let other = t
        .contacts_api(
            Method::POST,
            "contacts/upsert",
            Some(json!({"locationId": loc, "email": "grace@example.com"})),
        )
        .await;
    assert_eq!(other.body["new"], json!(true));
    let grace = other.body["contact"]["id"].as_str().unwrap().to_string();
    let both = t
        .contacts_api(
            Method::POST,
            "contacts/upsert",
            Some(json!({"locationId": loc, "email": "grace@example.com", "phone": "+441234567890", "title": "x"})),
        )
        .await;
    assert_eq!(
        both.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "unknown property"
    );
    let both = t
        .contacts_api(
            Method::POST,
            "contacts/upsert",
            Some(
                json!({"locationId": loc, "email": "grace@example.com", "phone": "+441234567890"}),
            ),
        )
        .await;
    assert_eq!(both.body["contact"]["id"], json!(grace));
    // Without a location: 422.
    let none = t
        .contacts_api(
            Method::POST,
            "contacts/upsert",
            Some(json!({"email": "x@example.com"})),
        )
        .await;
    assert_eq!(none.status, StatusCode::UNPROCESSABLE_ENTITY);
    let got = t
        .contacts_api(Method::GET, &format!("contacts/{id}"), None)
        .await;
    assert_eq!(got.body["contact"]["city"], json!("London"));
}
