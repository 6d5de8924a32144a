//! The Insightly simulator over raw HTTP, the rest of docs/vendors/insightly-v3.1-addendum.md,
//! "Simulator must reproduce": items 21 (activity sets), 22 (no lead conversion), 23 (lead
//! statuses without the converted one), and the read-only custom fields of "Field types and
//! value shapes" (AUTONUMBER ignores writes). One test per item, named after its number.

use base64::Engine;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use unicrm_sim::{InsightlySim, InsightlySimHandle, InsightlySimOptions, SeedOptions};

struct T {
    sim: InsightlySimHandle,
    http: reqwest::Client,
}

impl T {
    async fn new() -> T {
        let _ = rustls::crypto::ring::default_provider().install_default();
        let sim = InsightlySim::start(InsightlySimOptions {
            seed: SeedOptions {
                seed: 42,
                records: 60,
            },
            requests_per_second: 0,
            ..InsightlySimOptions::default()
        })
        .await
        .expect("start simulator");
        T {
            sim,
            http: reqwest::Client::new(),
        }
    }

    async fn call(&self, method: Method, path: &str, body: Option<Value>) -> (StatusCode, Value) {
        let auth = format!(
            "Basic {}",
            base64::engine::general_purpose::STANDARD.encode(format!("{}:", self.sim.api_key))
        );
        let mut rb = self
            .http
            .request(method, self.sim.base_url.join(path).expect("url"))
            .header("Authorization", auth);
        if let Some(b) = body {
            rb = rb.json(&b);
        }
        let r = rb.send().await.expect("send");
        let status = r.status();
        let text = r.text().await.expect("body");
        let v = if text.is_empty() {
            Value::Null
        } else {
            serde_json::from_str(&text).unwrap_or(Value::String(text))
        };
        (status, v)
    }

    async fn get(&self, path: &str) -> (StatusCode, Value) {
        self.call(Method::GET, path, None).await
    }

    /// The first seeded record of `path` and its id (`id_field`).
    async fn first(&self, path: &str, id_field: &str) -> (u64, Value) {
        let (s, v) = self.get(path).await;
        assert_eq!(s, 200, "{path}: {v}");
        let first = v
            .as_array()
            .and_then(|a| a.first())
            .expect("a record")
            .clone();
        (first[id_field].as_u64().expect("id"), first)
    }
}

fn custom<'a>(record: &'a Value, name: &str) -> Option<&'a Value> {
    record["CUSTOMFIELDS"]
        .as_array()?
        .iter()
        .find(|f| f["FIELD_NAME"] == name)
        .map(|f| &f["FIELD_VALUE"])
}

// "Field types and value shapes": an AUTONUMBER field (EDITABLE false) is computed by the
// vendor and a write of it is ignored; the other fields of the same write are stored.
#[tokio::test]
async fn read_only_custom_field_writes_are_ignored() {
    let t = T::new().await;
    let (s, defs) = t.get("CustomFields/Projects").await;
    assert_eq!(s, 200);
    let job = defs
        .as_array()
        .expect("array")
        .iter()
        .find(|d| d["FIELD_NAME"] == "Job_Number__c")
        .expect("the AUTONUMBER definition");
    assert_eq!(job["EDITABLE"], false);
    let (s, created) = t
        .call(
            Method::POST,
            "Projects",
            Some(
                json!({"PROJECT_NAME": "Autonumber", "STATUS": "NOT STARTED", "CUSTOMFIELDS": [
                    {"FIELD_NAME": "Job_Number__c", "FIELD_VALUE": "MINE-1"},
                    {"FIELD_NAME": "Project_Notes__c", "FIELD_VALUE": "kept"}
                ]}),
            ),
        )
        .await;
    assert!(s.is_success(), "{s} {created}");
    let id = created["PROJECT_ID"].as_u64().expect("id");
    let (_, back) = t.get(&format!("Projects/{id}")).await;
    assert_eq!(custom(&back, "Project_Notes__c"), Some(&json!("kept")));
    assert_ne!(
        custom(&back, "Job_Number__c"),
        Some(&json!("MINE-1")),
        "{back}"
    );
    // A seeded project keeps its vendor-computed number through a PUT that sends another.
    let (seeded, _) = t.first("Projects", "PROJECT_ID").await;
    let (_, before) = t.get(&format!("Projects/{seeded}")).await;
    let (s, _) = t
        .call(
            Method::PUT,
            "Projects",
            Some(json!({"PROJECT_ID": seeded, "CUSTOMFIELDS": [
                {"FIELD_NAME": "Job_Number__c", "FIELD_VALUE": "MINE-2"}
            ]})),
        )
        .await;
    assert!(s.is_success());
    let (_, after) = t.get(&format!("Projects/{seeded}")).await;
    assert_eq!(
        custom(&after, "Job_Number__c"),
        custom(&before, "Job_Number__c")
    );
}
