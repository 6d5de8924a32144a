//! The exact project exchanges against `wiremock` (docs/vendors/insightly-v3.1-addendum.md,
//! "Project endpoints"): a stage change is `PUT /Projects/{id}/PipelineStage`, never a
//! `STAGE_ID` in the plain `PUT /Projects`; its answer (an array per the swagger) is ignored
//! and the project read again; milestones are read on `get` for a project off-pipeline.

use std::num::NonZeroU32;

use unicrm_core::{Crm, Patch, ProjectId, ProjectPatch, ProjectStatus};
use unicrm_insightly::InsightlyClient;
use wiremock::matchers::{body_json, method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

fn fixture(name: &str) -> String {
    let path = format!("{}/tests/fixtures/{name}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

fn json(body: String) -> ResponseTemplate {
    ResponseTemplate::new(200)
        .insert_header("content-type", "application/json; charset=utf-8")
        .set_body_string(body)
}

fn client(server: &MockServer) -> InsightlyClient {
    InsightlyClient::builder()
        .api_key("3f2a9c1e-7b4d-4e8a-9c0f-5d6e7a8b9c0d")
        .base_url(format!("{}/v3.1", server.uri()))
        .requests_per_second(NonZeroU32::new(1000).unwrap())
        .build()
        .unwrap()
}

async fn mount_definitions(server: &MockServer) {
    Mock::given(method("GET"))
        .and(path("/v3.1/CustomFields/Projects"))
        .respond_with(json(fixture("custom-fields-projects.json")))
        .mount(server)
        .await;
}

#[tokio::test]
async fn a_stage_change_goes_through_pipeline_stage_and_the_rest_through_put() {
    let server = MockServer::start().await;
    mount_definitions(&server).await;
    Mock::given(method("PUT"))
        .and(path("/v3.1/Projects/3001/PipelineStage"))
        .and(body_json(serde_json::json!({"STAGE_ID": 35})))
        // The swagger's array of change objects: ignored.
        .respond_with(json(r#"[{"STAGE_ID": 35}]"#.into()))
        .expect(1)
        .mount(&server)
        .await;
    let mut after: serde_json::Value = serde_json::from_str(&fixture("project.json")).unwrap();
    after["STAGE_ID"] = 35.into();
    after["STATUS"] = "DEFERRED".into();
    Mock::given(method("PUT"))
        .and(path("/v3.1/Projects"))
        .and(body_json(
            serde_json::json!({"STATUS": "DEFERRED", "PROJECT_ID": 3001}),
        ))
        .respond_with(json(after.to_string()))
        .expect(1)
        .mount(&server)
        .await;
    let c = client(&server);
    let patch = ProjectPatch {
        stage_id: Patch::Set("35".into()),
        status: Patch::Set(ProjectStatus::Deferred),
        ..ProjectPatch::default()
    };
    let p = c
        .projects()
        .update(&ProjectId::from(3001u64), &patch)
        .await
        .unwrap();
    assert_eq!(p.stage_id.as_ref().map(|s| s.as_str()), Some("35"));
    assert!(
        p.milestones.is_empty(),
        "on a pipeline: no milestone request"
    );
}

#[tokio::test]
async fn leaving_the_pipeline_is_a_delete_then_a_read() {
    let server = MockServer::start().await;
    mount_definitions(&server).await;
    Mock::given(method("DELETE"))
        .and(path("/v3.1/Projects/3001/Pipeline"))
        .respond_with(ResponseTemplate::new(202))
        .expect(1)
        .mount(&server)
        .await;
    let mut off: serde_json::Value = serde_json::from_str(&fixture("project.json")).unwrap();
    off["PIPELINE_ID"] = serde_json::Value::Null;
    off["STAGE_ID"] = serde_json::Value::Null;
    Mock::given(method("GET"))
        .and(path("/v3.1/Projects/3001"))
        .respond_with(json(off.to_string()))
        .expect(1)
        .mount(&server)
        .await;
    let all: serde_json::Value = serde_json::from_str(&fixture("project-reference.json")).unwrap();
    // Milestones answer 201, as the swagger says.
    Mock::given(method("GET"))
        .and(path("/v3.1/Projects/3001/Milestones"))
        .respond_with(
            ResponseTemplate::new(201)
                .insert_header("content-type", "application/json")
                .set_body_string(all["GET /Projects/3002/Milestones"].to_string()),
        )
        .expect(1)
        .mount(&server)
        .await;
    let c = client(&server);
    let p = c
        .projects()
        .update(
            &ProjectId::from(3001u64),
            &ProjectPatch {
                pipeline_id: Patch::Clear,
                ..ProjectPatch::default()
            },
        )
        .await
        .unwrap();
    assert!(p.pipeline_id.is_none());
    assert_eq!(p.milestones.len(), 2);
    assert_eq!(p.milestones[1].title, "Livraison du matériel");
}
