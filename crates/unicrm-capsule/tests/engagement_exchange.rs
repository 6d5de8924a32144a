//! The exact HTTP exchanges of the engagement resources, against `wiremock`: the documented
//! create body (docs/vendors/capsule-v2-addendum.md, "Entries as engagements" example), a
//! create after an unknown outcome is not sent twice, and the fixtures as answers.

use std::sync::Arc;

use unicrm_capsule::CapsuleClient;
use unicrm_core::http::RetryPolicy;
use unicrm_core::time::RecordingSleeper;
use unicrm_core::*;
use wiremock::matchers::{body_json, method, path, query_param};
use wiremock::{Mock, MockServer, ResponseTemplate};

fn fixture(name: &str) -> serde_json::Value {
    let p = format!("{}/tests/fixtures/{name}", env!("CARGO_MANIFEST_DIR"));
    serde_json::from_slice(&std::fs::read(p).unwrap()).unwrap()
}

fn client(server: &MockServer) -> CapsuleClient {
    CapsuleClient::builder()
        .base_url(&format!("{}/api/v2", server.uri()))
        .personal_access_token("pat-123".to_string())
        .retry(RetryPolicy {
            jitter: false,
            ..RetryPolicy::default()
        })
        .sleeper(Arc::new(RecordingSleeper::default()))
        .build()
        .unwrap()
}

#[tokio::test]
async fn a_call_is_posted_as_the_documented_entry() {
    let server = MockServer::start().await;
    let mut answer =
        fixture("entries-global.json")["GET /api/v2/entries?perPage=4"]["body"]["entries"][0]
            .clone();
    answer["id"] = 55012460.into();
    Mock::given(method("POST"))
        .and(path("/api/v2/entries"))
        .and(body_json(serde_json::json!({"entry": {
            "type": "note",
            "party": {"id": 900002},
            "activityType": {"id": -3},
            "entryAt": "2025-03-18T10:30:00Z",
            "content": "Called Zoë about delivery windows. Wants Tuesdays."
        }})))
        .respond_with(
            ResponseTemplate::new(201).set_body_json(serde_json::json!({"entry": answer})),
        )
        .expect(1)
        .mount(&server)
        .await;
    let c = client(&server);
    let e = c
        .engagements()
        .create(&NewEngagement {
            kind: EngagementKind::Call,
            body: Some("Called Zoë about delivery windows. Wants Tuesdays.".into()),
            start_at: Some(
                chrono::DateTime::parse_from_rfc3339("2025-03-18T10:30:00Z")
                    .unwrap()
                    .to_utc(),
            ),
            contact_id: Some(ContactId::from(900002u64)),
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(e.kind, EngagementKind::Call);
    assert_eq!(e.id.as_str(), "55012460");
}

#[tokio::test]
async fn a_create_after_a_5xx_is_not_sent_again() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/api/v2/entries"))
        .respond_with(ResponseTemplate::new(503))
        .expect(1)
        .mount(&server)
        .await;
    let c = client(&server);
    let r = c
        .engagements()
        .create(&NewEngagement {
            kind: EngagementKind::Meeting,
            body: Some("Met".into()),
            account_id: Some(AccountId::from(900001u64)),
            ..Default::default()
        })
        .await;
    assert!(r.is_err());
}

#[tokio::test]
async fn reading_a_task_record_or_a_plain_note_as_an_engagement_is_not_found() {
    let server = MockServer::start().await;
    let entries =
        fixture("entries-global.json")["GET /api/v2/entries?perPage=4"]["body"]["entries"].clone();
    let task = entries[2].clone();
    Mock::given(method("GET"))
        .and(path("/api/v2/entries/55012451"))
        .respond_with(ResponseTemplate::new(200).set_body_json(serde_json::json!({"entry": task})))
        .mount(&server)
        .await;
    let mut note = fixture("entry-meeting.json");
    note["entry"]["activityType"] = serde_json::json!({"id": -1, "name": "Note"});
    note["entry"]["id"] = 1.into();
    Mock::given(method("GET"))
        .and(path("/api/v2/entries/1"))
        .respond_with(ResponseTemplate::new(200).set_body_json(note))
        .mount(&server)
        .await;
    let c = client(&server);
    for id in ["55012451", "1"] {
        let r = c.engagements().get(&EngagementId::from(id)).await;
        assert!(r.unwrap_err().is_not_found(), "{id}");
    }
    // The task record is not a note either; the plain note is.
    assert!(
        c.notes()
            .get(&NoteId::from("55012451"))
            .await
            .unwrap_err()
            .is_not_found()
    );
    assert_eq!(
        c.notes().get(&NoteId::from("1")).await.unwrap().id.as_str(),
        "1"
    );
}

#[tokio::test]
async fn engagement_listing_filters_the_global_feed_and_follows_link() {
    let server = MockServer::start().await;
    let page = fixture("entries-global.json")["GET /api/v2/entries?perPage=4"]["body"].clone();
    let next = format!("{}/api/v2/entries?perPage=4&page=2", server.uri());
    Mock::given(method("GET"))
        .and(path("/api/v2/entries"))
        .and(query_param("perPage", "4"))
        .and(wiremock::matchers::query_param_is_missing("page"))
        .respond_with(
            ResponseTemplate::new(200)
                .insert_header("Link", format!("<{next}>; rel=\"next\"").as_str())
                .set_body_json(page),
        )
        .expect(1)
        .mount(&server)
        .await;
    let c = client(&server);
    let p = c
        .engagements()
        .list(&ListParams::new().page_size(4))
        .await
        .unwrap();
    let ids: Vec<&str> = p.items.iter().map(|e| e.id.as_str()).collect();
    assert_eq!(ids, ["55012460", "55012455", "55012450"]);
    assert_eq!(p.next.as_ref().map(|c| c.as_str()), Some(next.as_str()));
}
