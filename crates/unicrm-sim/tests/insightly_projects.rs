//! The Insightly simulator's projects, milestones, project pipeline and custom field
//! definitions over raw HTTP: one test per item of docs/vendors/insightly-v3.1-addendum.md,
//! "Simulator must reproduce" (items 10–17, 20, 24–27, 29 for these resources), plus the
//! seeds, a fault and the wire shape of the vendor's example payloads (`tests/fixtures/insightly/`).

use base64::Engine;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use unicrm_sim::{FaultConfig, InsightlySim, InsightlySimHandle, InsightlySimOptions, SeedOptions};

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

    /// The seeded projects.
    async fn projects(&self) -> Vec<Value> {
        let (s, v) = self.get("Projects").await;
        assert_eq!(s, 200);
        v.as_array().expect("array").clone()
    }

    /// The seeded project on the project pipeline, and one with milestones.
    async fn on_pipeline_and_with_milestones(&self) -> (u64, u64) {
        let all = self.projects().await;
        let on = all
            .iter()
            .find(|p| !p["PIPELINE_ID"].is_null())
            .expect("a project on a pipeline");
        let mut with = None;
        for p in all.iter().filter(|p| p["PIPELINE_ID"].is_null()) {
            let id = p["PROJECT_ID"].as_u64().expect("id");
            let (_, m) = self.get(&format!("Projects/{id}/Milestones")).await;
            if m.as_array().is_some_and(|a| !a.is_empty()) {
                with = Some(id);
            }
        }
        (
            on["PROJECT_ID"].as_u64().expect("id"),
            with.expect("a project with milestones"),
        )
    }
}

fn fixture(name: &str) -> Value {
    let path = format!(
        "{}/tests/fixtures/insightly/{name}",
        env!("CARGO_MANIFEST_DIR")
    );
    serde_json::from_str(&std::fs::read_to_string(path).expect("fixture")).expect("json")
}

fn keys(v: &Value) -> std::collections::BTreeSet<String> {
    v.as_object().expect("object").keys().cloned().collect()
}

#[tokio::test]
async fn seeds_at_least_three_projects_categories_and_a_project_pipeline() {
    let t = T::new().await;
    let projects = t.projects().await;
    assert!(projects.len() >= 3, "{projects:?}");
    let (_, cats) = t.get("ProjectCategories").await;
    let cats = cats.as_array().expect("array");
    assert!(cats.len() >= 2);
    assert!(cats.iter().any(|c| c["ACTIVE"] == json!(false)));
    let (_, pipes) = t.get("Pipelines").await;
    let project_pipes: Vec<&Value> = pipes
        .as_array()
        .expect("array")
        .iter()
        .filter(|p| p["FOR_PROJECTS"] == json!(true))
        .collect();
    assert_eq!(project_pipes.len(), 1);
    assert_eq!(project_pipes[0]["FOR_OPPORTUNITIES"], json!(false));
}

/// The simulator's project has exactly the keys of the vendor's example `project.json`, and
/// its custom field definitions the keys of `custom-fields-projects.json`.
#[tokio::test]
async fn project_and_definitions_have_the_vendor_shape() {
    let t = T::new().await;
    let id = t.projects().await[0]["PROJECT_ID"].as_u64().expect("id");
    let (_, p) = t.get(&format!("Projects/{id}")).await;
    assert_eq!(keys(&p), keys(&fixture("project.json")));
    let want_item = keys(&fixture("project.json")["CUSTOMFIELDS"][0]);
    assert_eq!(keys(&p["CUSTOMFIELDS"][0]), want_item);
    let want_link = keys(&fixture("project.json")["LINKS"][0]);
    assert_eq!(keys(&p["LINKS"][0]), want_link);
    assert!(
        p["LINKED_EMAIL_ADDRESS"]
            .as_str()
            .is_some_and(|e| e.ends_with("@mailbox.insight.ly"))
    );
    let (_, defs) = t.get("CustomFields/Projects").await;
    let fx = fixture("custom-fields-projects.json");
    assert_eq!(keys(&defs[0]), keys(&fx[0]));
    let names = |v: &Value| -> Vec<String> {
        v.as_array()
            .expect("array")
            .iter()
            .map(|d| d["FIELD_NAME"].as_str().unwrap_or("").to_string())
            .collect()
    };
    for n in names(&fx) {
        assert!(names(&defs).contains(&n), "{n} missing from {defs}");
    }
    let modules = defs
        .as_array()
        .expect("array")
        .iter()
        .find(|d| d["FIELD_NAME"] == "Modules__c")
        .expect("Modules__c");
    let option_ids: Vec<u64> = modules["CUSTOM_FIELD_OPTIONS"]
        .as_array()
        .expect("options")
        .iter()
        .map(|o| o["OPTION_ID"].as_u64().expect("id"))
        .collect();
    assert_eq!(option_ids, [3, 1, 2], "alphabetical, ids out of order");
    let (_, ms) = t.get("Milestones").await;
    let fx_ref = fixture("project-reference.json");
    assert_eq!(
        keys(&ms[0]),
        keys(&fx_ref["GET /Projects/3002/Milestones"][0])
    );
    let (_, cats) = t.get("ProjectCategories").await;
    assert_eq!(keys(&cats[0]), keys(&fx_ref["GET /ProjectCategories"][0]));
}

// Item 10: POST /Projects lacking PROJECT_NAME or STATUS → 400; "in progress" stored as
// IN PROGRESS; "Paused" → 400.
#[tokio::test]
async fn item_10_project_name_and_status_required_status_normalised() {
    let t = T::new().await;
    let (s, _) = t
        .call(
            Method::POST,
            "Projects",
            Some(json!({"STATUS": "NOT STARTED"})),
        )
        .await;
    assert_eq!(s, 400);
    let (s, _) = t
        .call(Method::POST, "Projects", Some(json!({"PROJECT_NAME": "x"})))
        .await;
    assert_eq!(s, 400);
    let (s, p) = t
        .call(
            Method::POST,
            "Projects",
            Some(json!({"PROJECT_NAME": "x", "STATUS": "in progress"})),
        )
        .await;
    assert!(s.is_success(), "{s} {p}");
    assert_eq!(p["STATUS"], "IN PROGRESS");
    let (s, v) = t
        .call(
            Method::POST,
            "Projects",
            Some(json!({"PROJECT_NAME": "x", "STATUS": "Paused"})),
        )
        .await;
    assert_eq!(s, 400);
    assert!(v["Message"].is_string());
}

// Item 11: OPPORTUNITY_ID on POST is accepted and ignored.
#[tokio::test]
async fn item_11_opportunity_id_is_read_only() {
    let t = T::new().await;
    let (_, opps) = t.get("Opportunities?top=1").await;
    let opp = opps[0]["OPPORTUNITY_ID"].as_u64().expect("opportunity");
    let (s, p) = t
        .call(
            Method::POST,
            "Projects",
            Some(json!({"PROJECT_NAME": "x", "STATUS": "NOT STARTED", "OPPORTUNITY_ID": opp})),
        )
        .await;
    assert!(s.is_success());
    assert!(p["OPPORTUNITY_ID"].is_null(), "{p}");
}

// Item 12: PIPELINE_ID of an opportunity-only pipeline, or a STAGE_ID of another pipeline → 400.
#[tokio::test]
async fn item_12_project_pipeline_and_its_stages_only() {
    let t = T::new().await;
    let (_, pipes) = t.get("Pipelines").await;
    let pipes = pipes.as_array().expect("array");
    let opp_only = pipes
        .iter()
        .find(|p| p["FOR_PROJECTS"] == json!(false))
        .expect("an opportunity pipeline")["PIPELINE_ID"]
        .clone();
    let proj = pipes
        .iter()
        .find(|p| p["FOR_PROJECTS"] == json!(true))
        .expect("a project pipeline")["PIPELINE_ID"]
        .clone();
    let (_, stages) = t.get("PipelineStages").await;
    let foreign = stages
        .as_array()
        .expect("array")
        .iter()
        .find(|s| s["PIPELINE_ID"] != proj)
        .expect("a stage of another pipeline")["STAGE_ID"]
        .clone();
    let base = json!({"PROJECT_NAME": "x", "STATUS": "NOT STARTED"});
    let with = |extra: Value| {
        let mut b = base.clone();
        b.as_object_mut()
            .expect("object")
            .extend(extra.as_object().expect("object").clone());
        b
    };
    let (s, _) = t
        .call(
            Method::POST,
            "Projects",
            Some(with(json!({"PIPELINE_ID": opp_only}))),
        )
        .await;
    assert_eq!(s, 400);
    let (s, _) = t
        .call(
            Method::POST,
            "Projects",
            Some(with(json!({"PIPELINE_ID": proj, "STAGE_ID": foreign}))),
        )
        .await;
    assert_eq!(s, 400);
    let (s, p) = t
        .call(
            Method::POST,
            "Projects",
            Some(with(json!({"PIPELINE_ID": proj}))),
        )
        .await;
    assert!(s.is_success());
    assert!(p["STAGE_ID"].is_u64(), "the first stage: {p}");
}

// Item 13: PUT …/PipelineStage → 200 and the new stage; DELETE …/Pipeline → 202 and both null;
// PUT …/Pipeline with PIPELINE_STAGE_CHANGE → 200.
#[tokio::test]
async fn item_13_pipeline_and_stage_routes() {
    let t = T::new().await;
    let (id, _) = t.on_pipeline_and_with_milestones().await;
    let (_, before) = t.get(&format!("Projects/{id}")).await;
    let pipeline = before["PIPELINE_ID"].clone();
    let (_, stages) = t.get("PipelineStages").await;
    let own: Vec<Value> = stages
        .as_array()
        .expect("array")
        .iter()
        .filter(|s| s["PIPELINE_ID"] == pipeline)
        .map(|s| s["STAGE_ID"].clone())
        .collect();
    let other_stage = own
        .iter()
        .find(|s| **s != before["STAGE_ID"])
        .expect("another stage")
        .clone();
    let (s, _) = t
        .call(
            Method::PUT,
            &format!("Projects/{id}/PipelineStage"),
            Some(json!({"STAGE_ID": other_stage})),
        )
        .await;
    assert_eq!(s, 200);
    assert_eq!(
        t.get(&format!("Projects/{id}")).await.1["STAGE_ID"],
        other_stage
    );
    let (s, _) = t
        .call(Method::DELETE, &format!("Projects/{id}/Pipeline"), None)
        .await;
    assert_eq!(s, 202);
    let (_, off) = t.get(&format!("Projects/{id}")).await;
    assert!(off["PIPELINE_ID"].is_null() && off["STAGE_ID"].is_null());
    let (s, _) = t
        .call(
            Method::PUT,
            &format!("Projects/{id}/Pipeline"),
            Some(json!({"PIPELINE_ID": pipeline, "PIPELINE_STAGE_CHANGE": {"STAGE_ID": own[0]}})),
        )
        .await;
    assert_eq!(s, 200);
    let (_, on) = t.get(&format!("Projects/{id}")).await;
    assert_eq!(
        (on["PIPELINE_ID"].clone(), on["STAGE_ID"].clone()),
        (pipeline, own[0].clone())
    );
    // A stage change on a missing project is a 404.
    let (s, _) = t
        .call(
            Method::PUT,
            "Projects/99/PipelineStage",
            Some(json!({"STAGE_ID": own[0]})),
        )
        .await;
    assert_eq!(s, 404);
}

// Item 14: POST …/Milestones → 201 with MILESTONE_ID and PROJECT_ID; without DUE_DATE → 400; on
// a project with a pipeline → 400; DELETE → 202. Also: a pipeline on a project with milestones
// → 400 (Uncertain #4).
#[tokio::test]
async fn item_14_milestones_and_the_pipeline_rule() {
    let t = T::new().await;
    let (on_pipeline, with_ms) = t.on_pipeline_and_with_milestones().await;
    let body =
        json!({"TITLE": "Design sign-off", "DUE_DATE": "2024-04-30 00:00:00", "COMPLETED": false});
    let (s, v) = t
        .call(
            Method::POST,
            &format!("Projects/{with_ms}/Milestones"),
            Some(body.clone()),
        )
        .await;
    assert_eq!(s, 201);
    let m = &v[0];
    assert_eq!(m["PROJECT_ID"].as_u64(), Some(with_ms));
    assert_eq!(m["DUE_DATE"], "2024-04-30 00:00:00");
    let mid = m["MILESTONE_ID"].as_u64().expect("id");
    let (s, _) = t
        .call(
            Method::POST,
            &format!("Projects/{with_ms}/Milestones"),
            Some(json!({"TITLE": "x", "COMPLETED": false})),
        )
        .await;
    assert_eq!(s, 400);
    let (s, _) = t
        .call(
            Method::POST,
            &format!("Projects/{on_pipeline}/Milestones"),
            Some(body),
        )
        .await;
    assert_eq!(s, 400);
    let (_, pipes) = t.get("Pipelines").await;
    let proj = pipes
        .as_array()
        .expect("array")
        .iter()
        .find(|p| p["FOR_PROJECTS"] == json!(true))
        .expect("project pipeline")["PIPELINE_ID"]
        .clone();
    let (s, _) = t
        .call(
            Method::PUT,
            &format!("Projects/{with_ms}/Pipeline"),
            Some(json!({"PIPELINE_ID": proj})),
        )
        .await;
    assert_eq!(s, 400);
    let (s, _) = t
        .call(
            Method::PUT,
            "Projects",
            Some(json!({"PROJECT_ID": with_ms, "PIPELINE_ID": proj})),
        )
        .await;
    assert_eq!(s, 400);
    let (s, v) = t
        .call(
            Method::PUT,
            &format!("Projects/{with_ms}/Milestones"),
            Some(json!({"MILESTONE_ID": mid, "COMPLETED": true})),
        )
        .await;
    assert_eq!(s, 201);
    assert_eq!(v[0]["COMPLETED"], json!(true));
    assert!(v[0]["COMPLETED_DATE_UTC"].is_string());
    let (s, _) = t
        .call(
            Method::DELETE,
            &format!("Projects/{with_ms}/Milestones/{mid}"),
            None,
        )
        .await;
    assert_eq!(s, 202);
    let (s, _) = t
        .call(
            Method::DELETE,
            &format!("Projects/{with_ms}/Milestones/{mid}"),
            None,
        )
        .await;
    assert_eq!(s, 404);
}

// Item 15: GET /Milestones/Search?field_name=PROJECT_ID&field_value=… → that project's.
#[tokio::test]
async fn item_15_milestones_search_by_project() {
    let t = T::new().await;
    let (_, with_ms) = t.on_pipeline_and_with_milestones().await;
    let (s, v) = t
        .get(&format!(
            "Milestones/Search?field_name=PROJECT_ID&field_value={with_ms}"
        ))
        .await;
    assert_eq!(s, 200);
    let list = v.as_array().expect("array");
    assert!(!list.is_empty());
    assert!(
        list.iter()
            .all(|m| m["PROJECT_ID"].as_u64() == Some(with_ms))
    );
    let (s, _) = t.get("Milestones/Search?field_name=PROJECT_ID").await;
    assert_eq!(s, 400);
    let id = list[0]["MILESTONE_ID"].as_u64().expect("id");
    assert_eq!(t.get(&format!("Milestones/{id}")).await.0, 200);
    assert_eq!(t.get("Milestones/1").await.0, 404);
}

// Item 16 (the project side): POST /Projects/{id}/Notes → a note linked to the project, listed
// by GET /Projects/{id}/Notes.
#[tokio::test]
async fn item_16_project_notes() {
    let t = T::new().await;
    let id = t.projects().await[0]["PROJECT_ID"].as_u64().expect("id");
    let (s, n) = t
        .call(
            Method::POST,
            &format!("Projects/{id}/Notes"),
            Some(json!({"TITLE": "Site visit", "BODY": "ok"})),
        )
        .await;
    assert!(s.is_success(), "{s} {n}");
    let nid = n["NOTE_ID"].as_u64().expect("note id");
    let (_, notes) = t.get(&format!("Projects/{id}/Notes")).await;
    assert!(
        notes
            .as_array()
            .expect("array")
            .iter()
            .any(|x| x["NOTE_ID"].as_u64() == Some(nid))
    );
}

// Item 17 (project categories, read side): an array of {CATEGORY_ID, CATEGORY_NAME, ACTIVE,
// BACKGROUND_COLOR}; a deactivated one stays listed.
#[tokio::test]
async fn item_17_project_categories() {
    let t = T::new().await;
    let (s, v) = t.get("ProjectCategories").await;
    assert_eq!(s, 200);
    for c in v.as_array().expect("array") {
        assert_eq!(
            keys(c),
            ["ACTIVE", "BACKGROUND_COLOR", "CATEGORY_ID", "CATEGORY_NAME"]
                .map(String::from)
                .into()
        );
        assert!(c["BACKGROUND_COLOR"].as_str().is_some_and(|b| b.len() <= 6));
    }
    // The write side (admin-only POST, DELETE): insightly_addendum_more.rs, item 17.
    // A project takes an existing category only.
    let (s, _) = t
        .call(
            Method::POST,
            "Projects",
            Some(json!({"PROJECT_NAME": "x", "STATUS": "NOT STARTED", "CATEGORY_ID": 999})),
        )
        .await;
    assert_eq!(s, 400);
}

// Item 20: GET /Projects/{id}/LinkEmailAddress → {"EMAIL": "…@mailbox.insight.ly"};
// GET /Contacts/{id}/LinkEmailAddress → 404.
#[tokio::test]
async fn item_20_project_mail_drop() {
    let t = T::new().await;
    let p = &t.projects().await[0];
    let id = p["PROJECT_ID"].as_u64().expect("id");
    let (s, v) = t.get(&format!("Projects/{id}/LinkEmailAddress")).await;
    assert_eq!(s, 200);
    assert_eq!(v["EMAIL"], p["LINKED_EMAIL_ADDRESS"]);
    assert!(
        v["EMAIL"]
            .as_str()
            .is_some_and(|e| e.ends_with("@mailbox.insight.ly"))
    );
    let (_, c) = t.get("Contacts?top=1").await;
    let cid = c[0]["CONTACT_ID"].as_u64().expect("contact");
    assert_eq!(
        t.get(&format!("Contacts/{cid}/LinkEmailAddress")).await.0,
        404
    );
}

// Item 24: /CustomFields/Projects and /CustomFields/Project → the same (FIELD_FOR "PROJECT");
// /CustomFields/Bogus → every definition of the instance.
#[tokio::test]
async fn item_24_custom_fields_object_names() {
    let t = T::new().await;
    let (s, plural) = t.get("CustomFields/Projects").await;
    assert_eq!(s, 200);
    let (_, singular) = t.get("CustomFields/Project").await;
    assert_eq!(plural, singular);
    assert!(
        plural
            .as_array()
            .expect("array")
            .iter()
            .all(|d| d["FIELD_FOR"] == "PROJECT")
    );
    let (s, bogus) = t.get("CustomFields/Bogus").await;
    assert_eq!(s, 200);
    let (_, all) = t.get("CustomFields").await;
    assert_eq!(bogus, all);
    let fors: std::collections::BTreeSet<&str> = bogus
        .as_array()
        .expect("array")
        .iter()
        .filter_map(|d| d["FIELD_FOR"].as_str())
        .collect();
    assert!(
        fors.contains("PROJECT") && fors.contains("CONTACT"),
        "{fors:?}"
    );
}

// Item 25: /CustomFields/Projects/Search?fieldName=Go_Live__c → one definition object; without
// fieldName → 400.
#[tokio::test]
async fn item_25_custom_field_search_by_field_name() {
    let t = T::new().await;
    let (s, d) = t
        .get("CustomFields/Projects/Search?fieldName=Go_Live__c")
        .await;
    assert_eq!(s, 200);
    assert!(d.is_object(), "{d}");
    assert_eq!(d["FIELD_NAME"], "Go_Live__c");
    assert_eq!(d["FIELD_TYPE"], "DATE");
    assert_eq!(t.get("CustomFields/Projects/Search").await.0, 400);
    assert_eq!(
        t.get("CustomFields/Projects/Search?field_name=Go_Live__c")
            .await
            .0,
        400
    );
    assert_eq!(
        t.get("CustomFields/Projects/Search?fieldName=Nope__c")
            .await
            .0,
        404
    );
}

// Item 26: POST /CustomFields/Projects → 405 (definitions are read-only through the API).
#[tokio::test]
async fn item_26_custom_fields_are_read_only() {
    let t = T::new().await;
    for m in [Method::POST, Method::PUT, Method::DELETE] {
        let (s, _) = t
            .call(
                m.clone(),
                "CustomFields/Projects",
                Some(json!({"FIELD_NAME": "x"})),
            )
            .await;
        assert_eq!(s, 405, "{m}");
    }
}

// Item 27: PUT /Projects with a `;`-joined MULTISELECT → stored, read back with CUSTOM_FIELD_ID;
// a DROPDOWN value that is not an option → 400; a NUMERIC sent as "12" → stored as 12.
#[tokio::test]
async fn item_27_project_custom_field_values() {
    let t = T::new().await;
    let id = t.projects().await[0]["PROJECT_ID"].as_u64().expect("id");
    let (s, p) = t
        .call(
            Method::PUT,
            "Projects",
            Some(json!({"PROJECT_ID": id, "CUSTOMFIELDS": [
                {"FIELD_NAME": "Modules__c", "FIELD_VALUE": "Sensors;Smart control"},
                {"FIELD_NAME": "Fittings_Count__c", "FIELD_VALUE": "12"}
            ]})),
        )
        .await;
    assert!(s.is_success(), "{s} {p}");
    let field = |p: &Value, name: &str| -> Value {
        p["CUSTOMFIELDS"]
            .as_array()
            .expect("array")
            .iter()
            .find(|f| f["FIELD_NAME"] == name)
            .cloned()
            .unwrap_or(Value::Null)
    };
    let (_, back) = t.get(&format!("Projects/{id}")).await;
    let m = field(&back, "Modules__c");
    assert_eq!(m["FIELD_VALUE"], "Sensors;Smart control");
    assert_eq!(m["CUSTOM_FIELD_ID"], "Modules__c");
    assert_eq!(field(&back, "Fittings_Count__c")["FIELD_VALUE"], json!(12));
    let (s, _) = t
        .call(
            Method::PUT,
            "Projects",
            Some(json!({"PROJECT_ID": id, "CUSTOMFIELDS": [
                {"FIELD_NAME": "Site_Type__c", "FIELD_VALUE": "Spaceport"}
            ]})),
        )
        .await;
    assert_eq!(s, 400);
}

// Item 29 (projects): POST answers the configured success status, DELETE → 202 and then 404.
#[tokio::test]
async fn item_29_project_write_statuses() {
    let t = T::new().await;
    let (s, p) = t
        .call(
            Method::POST,
            "Projects",
            Some(json!({"PROJECT_NAME": "x", "STATUS": "DEFERRED"})),
        )
        .await;
    assert_eq!(s, 200, "the default create status");
    let id = p["PROJECT_ID"].as_u64().expect("id");
    let (s, _) = t
        .call(Method::DELETE, &format!("Projects/{id}"), None)
        .await;
    assert_eq!(s, 202);
    assert_eq!(t.get(&format!("Projects/{id}")).await.0, 404);
    assert_eq!(t.get(&format!("Projects/{id}/Milestones")).await.0, 404);
}

/// The fault layer covers the project routes like every other.
#[tokio::test]
async fn faults_reach_the_project_routes() {
    let t = T::new().await;
    t.sim.set_faults(FaultConfig {
        seed: 1,
        error_rate: 1.0,
        ..FaultConfig::default()
    });
    let (s, _) = t.get("Projects").await;
    assert!(s.is_server_error(), "{s}");
    let (s, _) = t.get("CustomFields/Projects").await;
    assert!(s.is_server_error(), "{s}");
    t.sim.set_faults(FaultConfig::default());
    assert_eq!(t.get("Projects").await.0, 200);
}

/// The change feed's inputs: /Projects/Search?updated_after_utc= lists a project updated since.
#[tokio::test]
async fn projects_search_updated_after() {
    let t = T::new().await;
    let id = t.projects().await[1]["PROJECT_ID"].as_u64().expect("id");
    let (_, before) = t.get(&format!("Projects/{id}")).await;
    let since = before["DATE_UPDATED_UTC"]
        .as_str()
        .expect("date")
        .replace(' ', "T");
    let (_, none) = t
        .get(&format!("Projects/Search?updated_after_utc={since}Z"))
        .await;
    assert!(
        !none
            .as_array()
            .expect("array")
            .iter()
            .any(|p| p["PROJECT_ID"].as_u64() == Some(id))
    );
    let (s, _) = t
        .call(
            Method::PUT,
            "Projects",
            Some(json!({"PROJECT_ID": id, "PROJECT_DETAILS": "changed"})),
        )
        .await;
    assert!(s.is_success());
    let (_, some) = t
        .get(&format!("Projects/Search?updated_after_utc={since}Z"))
        .await;
    assert!(
        some.as_array()
            .expect("array")
            .iter()
            .any(|p| p["PROJECT_ID"].as_u64() == Some(id))
    );
}
