//! The Insightly simulator over raw HTTP, the rest of docs/vendors/insightly-v3.1-addendum.md,
//! "Simulator must reproduce": items 17 (write side: category writes), 21 (activity sets), 22
//! (no lead conversion), 23 (lead statuses without the converted one), and the read-only custom fields of "Field types and
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
        self.call_as(&self.sim.api_key.clone(), method, path, body)
            .await
    }

    async fn call_as(
        &self,
        key: &str,
        method: Method,
        path: &str,
        body: Option<Value>,
    ) -> (StatusCode, Value) {
        let auth = format!(
            "Basic {}",
            base64::engine::general_purpose::STANDARD.encode(format!("{key}:"))
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

fn fixture(name: &str) -> Value {
    let path = format!(
        "{}/tests/fixtures/insightly/{name}",
        env!("CARGO_MANIFEST_DIR")
    );
    serde_json::from_str(&std::fs::read_to_string(&path).expect("fixture")).expect("json")
}

fn keys(v: &Value) -> Vec<String> {
    v.as_object()
        .map(|o| o.keys().cloned().collect())
        .unwrap_or_default()
}

fn titled<'a>(list: &'a Value, title: &str) -> Option<&'a Value> {
    list.as_array()?.iter().find(|r| r["TITLE"] == title)
}

// Item 21: `GET /ActivitySets` → array with `ACTIVITIES` (the vendor's shape); `POST` → 405;
// an assignment to a project echoes the body and creates the set's task (due START + 2 days)
// and event (START + 7 days at 14:00, 60 minutes) linked to the project; an unknown set → 404.
#[tokio::test]
async fn item_21_activity_sets_and_their_assignment() {
    let t = T::new().await;
    let (s, sets) = t.get("ActivitySets").await;
    assert_eq!(s, 200);
    let want = fixture("activity-sets.json");
    let mut got_keys = keys(&sets[0]);
    let mut want_keys = keys(&want[0]);
    got_keys.sort();
    want_keys.sort();
    assert_eq!(got_keys, want_keys);
    // The vendor's activities, but for the category: its id is the instance's "Call".
    let (_, categories) = t.get("TaskCategories").await;
    let call = categories
        .as_array()
        .expect("array")
        .iter()
        .find(|c| c["CATEGORY_NAME"] == "Call")
        .expect("a Call category")["CATEGORY_ID"]
        .clone();
    let mut want_activities = want[0]["ACTIVITIES"].clone();
    want_activities[0]["CATEGORY_ID"] = call.clone();
    assert_eq!(sets[0]["ACTIVITIES"], want_activities);
    let (s, one) = t.get("ActivitySets/41").await;
    assert_eq!(
        (s, &one["NAME"]),
        (StatusCode::OK, &json!("Proposal follow-up"))
    );
    let (s, _) = t
        .call(Method::POST, "ActivitySets", Some(json!({"NAME": "x"})))
        .await;
    assert_eq!(s, 405);

    let (project, _) = t.first("Projects", "PROJECT_ID").await;
    let body = json!({"ACTIVITYSET_ID": 41, "START_DATE": "2024-03-11 00:00:00"});
    let (s, echo) = t
        .call(
            Method::POST,
            &format!("Projects/{project}/ActivitySetAssignment"),
            Some(body.clone()),
        )
        .await;
    assert!(s.is_success(), "{s} {echo}");
    assert_eq!(echo, body);
    let (_, tasks) = t.get(&format!("Projects/{project}/Tasks")).await;
    let task = titled(&tasks, "Call to confirm receipt of the proposal").expect("the task");
    assert_eq!(task["DUE_DATE"], "2024-03-13 00:00:00");
    assert_eq!(task["CATEGORY_ID"], call);
    let (_, events) = t.get(&format!("Projects/{project}/Events")).await;
    let event = titled(&events, "Review meeting").expect("the event");
    assert_eq!(event["START_DATE_UTC"], "2024-03-18 14:00:00");
    assert_eq!(event["END_DATE_UTC"], "2024-03-18 15:00:00");
    // The event activity is not a task, nor the task an event.
    assert!(titled(&tasks, "Review meeting").is_none());
    assert!(titled(&events, "Call to confirm receipt of the proposal").is_none());

    let (s, _) = t
        .call(
            Method::POST,
            &format!("Projects/{project}/ActivitySetAssignment"),
            Some(json!({"ACTIVITYSET_ID": 99, "START_DATE": "2024-03-11 00:00:00"})),
        )
        .await;
    assert_eq!(s, 404);
    let (s, _) = t
        .call(
            Method::POST,
            "Projects/999999/ActivitySetAssignment",
            Some(body.clone()),
        )
        .await;
    assert_eq!(s, 404);
}

// Item 22: there is no convert route (any verb → 404), and `CONVERTED` is read-only.
#[tokio::test]
async fn item_22_no_lead_conversion() {
    let t = T::new().await;
    let (lead, _) = t.first("Leads", "LEAD_ID").await;
    for m in [Method::POST, Method::GET, Method::PUT] {
        let (s, _) = t
            .call(m.clone(), &format!("Leads/{lead}/Convert"), Some(json!({})))
            .await;
        assert_eq!(s, 404, "{m}");
    }
    let (s, after) = t
        .call(
            Method::PUT,
            "Leads",
            Some(json!({"LEAD_ID": lead, "CONVERTED": true})),
        )
        .await;
    assert_eq!(s, 200, "{after}");
    assert_eq!(after["CONVERTED"], false);
    let (_, back) = t.get(&format!("Leads/{lead}")).await;
    assert_eq!(back["CONVERTED"], false);
}

// Item 23: `GET /LeadStatuses` hides the converted status; `?include_converted=true` shows it.
#[tokio::test]
async fn item_23_lead_statuses_hide_the_converted_one() {
    let t = T::new().await;
    let names = |v: &Value| -> Vec<String> {
        v.as_array()
            .expect("array")
            .iter()
            .filter_map(|s| s["LEAD_STATUS"].as_str().map(str::to_string))
            .collect()
    };
    let (s, plain) = t.get("LeadStatuses").await;
    assert_eq!(s, 200);
    assert!(!names(&plain).contains(&"Converted".to_string()), "{plain}");
    assert!(names(&plain).contains(&"Qualified".to_string()));
    let (_, all) = t.get("LeadStatuses?include_converted=true").await;
    assert_eq!(names(&all).len(), names(&plain).len() + 1);
    assert!(names(&all).contains(&"Converted".to_string()), "{all}");
}

// Item 17 (write side): `POST /ProjectCategories` and `/TaskCategories` as a non-admin → 403;
// as admin with a 7-character colour → 400, else the new active category; `DELETE` of an
// unused category → 202 and `ACTIVE: false` (still listed); of one in use → 409. A project
// then takes the new category id.
#[tokio::test]
async fn item_17_category_writes() {
    let t = T::new().await;
    let (_, users) = t.get("Users").await;
    let non_admin = users
        .as_array()
        .expect("users")
        .iter()
        .find(|u| u["ADMINISTRATOR"] == false)
        .and_then(|u| u["USER_ID"].as_u64())
        .expect("a non-admin user");
    let key = t
        .sim
        .user_keys()
        .into_iter()
        .find(|(u, _)| *u == non_admin)
        .expect("its key")
        .1;
    for list in ["ProjectCategories", "TaskCategories"] {
        let body = json!({"CATEGORY_NAME": "Refit", "BACKGROUND_COLOR": "1E88E5"});
        let (s, _) = t
            .call_as(&key, Method::POST, list, Some(body.clone()))
            .await;
        assert_eq!(s, 403, "{list}");
        let (s, _) = t
            .call(
                Method::POST,
                list,
                Some(json!({"CATEGORY_NAME": "Refit", "BACKGROUND_COLOR": "1E88E5F"})),
            )
            .await;
        assert_eq!(s, 400, "{list}");
        let (s, created) = t.call(Method::POST, list, Some(body)).await;
        assert!(s.is_success(), "{list}: {s} {created}");
        assert_eq!(created["ACTIVE"], true);
        assert_eq!(created["CATEGORY_NAME"], "Refit");
        let id = created["CATEGORY_ID"].as_u64().expect("id");
        let (s, _) = t
            .call_as(&key, Method::DELETE, &format!("{list}/{id}"), None)
            .await;
        assert_eq!(s, 403);
        let (s, _) = t.call(Method::DELETE, &format!("{list}/{id}"), None).await;
        assert_eq!(s, 202, "{list}");
        let (_, after) = t.get(&format!("{list}/{id}")).await;
        assert_eq!(after["ACTIVE"], false);
    }
    // A new project category is taken by a project, and then cannot be deleted.
    let (_, created) = t
        .call(
            Method::POST,
            "ProjectCategories",
            Some(json!({"CATEGORY_NAME": "Fit-out"})),
        )
        .await;
    let id = created["CATEGORY_ID"].as_u64().expect("id");
    let (s, p) = t
        .call(
            Method::POST,
            "Projects",
            Some(json!({"PROJECT_NAME": "Fit-out", "STATUS": "NOT STARTED", "CATEGORY_ID": id})),
        )
        .await;
    assert!(s.is_success(), "{s} {p}");
    assert_eq!(p["CATEGORY_ID"], id);
    let (s, _) = t
        .call(Method::DELETE, &format!("ProjectCategories/{id}"), None)
        .await;
    assert_eq!(s, 409);
}
