//! The exact HTTP exchanges, against `wiremock`: auth header, pod URLs, retries, decoding,
//! partial PUTs, paging.

use std::num::NonZeroU32;
use std::sync::Arc;
use std::time::Duration;

use unicrm_core::http::RetryPolicy;
use unicrm_core::time::RecordingSleeper;
use unicrm_core::{ContactPatch, Crm, Error, ListParams, NewNote, NewTask, Patch, Task, TaskId};
use unicrm_insightly::{FetchAll, InsightlyClient};
use wiremock::matchers::{body_json, body_partial_json, header, method, path, query_param};
use wiremock::{Mock, MockServer, ResponseTemplate};

const KEY: &str = "3f2a9c1e-7b4d-4e8a-9c0f-5d6e7a8b9c0d";
const KEY_HEADER: &str = "Basic M2YyYTljMWUtN2I0ZC00ZThhLTljMGYtNWQ2ZTdhOGI5YzBkOg==";

fn fixture(name: &str) -> String {
    let path = format!("{}/tests/fixtures/{name}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

fn client(server: &MockServer, sleeper: &RecordingSleeper) -> InsightlyClient {
    InsightlyClient::builder()
        .api_key(KEY)
        .base_url(format!("{}/v3.1", server.uri()))
        .requests_per_second(NonZeroU32::new(1000).unwrap())
        .retry(RetryPolicy {
            jitter: false,
            ..RetryPolicy::default()
        })
        .sleeper(Arc::new(sleeper.clone()))
        .build()
        .unwrap()
}

fn json(body: String) -> ResponseTemplate {
    ResponseTemplate::new(200)
        .insert_header("content-type", "application/json; charset=utf-8")
        .set_body_string(body)
}

#[tokio::test]
async fn sends_the_documented_basic_header_and_reads_the_current_user() {
    let server = MockServer::start().await;
    let users: Vec<serde_json::Value> = serde_json::from_str(&fixture("users-list.json")).unwrap();
    Mock::given(method("GET"))
        .and(path("/v3.1/Users/Me"))
        .and(header("authorization", KEY_HEADER))
        .respond_with(json(users[0].to_string()))
        .expect(1)
        .mount(&server)
        .await;
    let c = client(&server, &RecordingSleeper::new());
    let me = c.current_user().await.unwrap();
    assert_eq!(me.id.as_str(), "501");
    assert_eq!(me.email.as_deref(), Some("ada@example.com"));
}

#[test]
fn pods_build_the_api_url() {
    let build = |pod: Option<&str>, base: Option<&str>| {
        let mut b = InsightlyClient::builder().api_key(KEY);
        if let Some(p) = pod {
            b = b.pod(p);
        }
        if let Some(u) = base {
            b = b.base_url(u);
        }
        b.build()
    };
    let c = build(None, None).unwrap();
    assert_eq!(c.base_url().as_str(), "https://api.na1.insightly.com/v3.1/");
    assert_eq!(c.pod(), Some("na1"));
    let c = build(Some("eu1"), None).unwrap();
    assert_eq!(c.base_url().as_str(), "https://api.eu1.insightly.com/v3.1/");
    let c = build(Some("au1"), Some("http://127.0.0.1:9/v3.1")).unwrap();
    assert_eq!(c.base_url().as_str(), "http://127.0.0.1:9/v3.1/");
    assert!(matches!(
        build(Some("eu1/../x"), None),
        Err(Error::Config { .. })
    ));
    assert!(matches!(
        InsightlyClient::builder().build(),
        Err(Error::Config { .. })
    ));
    assert!(matches!(
        InsightlyClient::builder().api_key("").build(),
        Err(Error::Config { .. })
    ));
}

#[test]
fn debug_output_never_shows_the_key() {
    let b = InsightlyClient::builder().api_key(KEY).pod("eu1");
    let dbg = format!("{b:?}");
    assert!(!dbg.contains(KEY) && !dbg.contains("M2YyYTlj"), "{dbg}");
    let c = b.build().unwrap();
    let dbg = format!("{c:?} {c:#?}");
    assert!(!dbg.contains(KEY) && !dbg.contains("M2YyYTlj"), "{dbg}");
    assert!(dbg.contains("REDACTED"));
}

#[tokio::test]
async fn burst_429_is_retried_after_retry_after() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/v3.1/Tasks/5001"))
        .respond_with(
            ResponseTemplate::new(429)
                .insert_header("Retry-After", "2")
                .insert_header("X-RateLimit-Limit", "100000")
                .insert_header("X-RateLimit-Remaining", "99990")
                .set_body_string(r#"{"Message":"API rate limit exceeded."}"#),
        )
        .up_to_n_times(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/v3.1/Tasks/5001"))
        .respond_with(
            json(fixture("task.json"))
                .insert_header("X-RateLimit-Limit", "100000")
                .insert_header("X-RateLimit-Remaining", "99989"),
        )
        .mount(&server)
        .await;
    let sleeper = RecordingSleeper::new();
    let c = client(&server, &sleeper);
    let t = c.tasks().get(&TaskId::from(5001u64)).await.unwrap();
    assert_eq!(t.title, "Send proposal");
    assert_eq!(sleeper.delays(), vec![Duration::from_secs(2)]);
    let s = c.stats();
    assert_eq!((s.requests, s.retries, s.rate_limited), (2, 1, 1));
    let rl = c.rate_limit_status();
    assert_eq!((rl.limit, rl.remaining), (Some(100000), Some(99989)));
}

#[tokio::test]
async fn daily_quota_429_is_quota_exhausted_and_not_retried() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/v3.1/Tasks/5001"))
        .respond_with(
            ResponseTemplate::new(429)
                .insert_header("Retry-After", "3600")
                .insert_header("X-RateLimit-Limit", "1000")
                .insert_header("X-RateLimit-Remaining", "0"),
        )
        .expect(1)
        .mount(&server)
        .await;
    let sleeper = RecordingSleeper::new();
    let c = client(&server, &sleeper);
    let err = c.tasks().get(&TaskId::from(5001u64)).await.unwrap_err();
    assert!(
        matches!(
            err,
            Error::QuotaExhausted {
                limit: Some(1000),
                ..
            }
        ),
        "{err:?}"
    );
    assert!(sleeper.delays().is_empty());
}

#[tokio::test]
async fn post_503_is_not_retried() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/v3.1/Tasks"))
        .respond_with(ResponseTemplate::new(503).set_body_string("<html>down</html>"))
        .expect(1)
        .mount(&server)
        .await;
    let sleeper = RecordingSleeper::new();
    let c = client(&server, &sleeper);
    let new = NewTask {
        title: "Call back".into(),
        ..NewTask::default()
    };
    let err = c.tasks().create(&new).await.unwrap_err();
    assert!(matches!(err, Error::Vendor { status: 503, .. }), "{err:?}");
    assert!(sleeper.delays().is_empty());
    assert_eq!(c.stats().requests, 1);
}

#[tokio::test]
async fn malformed_json_is_a_decode_error_with_its_path() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/v3.1/Tasks"))
        .respond_with(json(
            r#"[{"TASK_ID":1,"TITLE":"a"},{"TASK_ID":"x","TITLE":"b"}]"#.into(),
        ))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/v3.1/Tasks/7"))
        .respond_with(json(r#"{"TASK_ID":7,"TITLE":"#.into()))
        .mount(&server)
        .await;
    let c = client(&server, &RecordingSleeper::new());
    match c.tasks().list(&ListParams::new()).await.unwrap_err() {
        Error::Decode { path, .. } => assert_eq!(path, "[1].TASK_ID"),
        other => panic!("{other:?}"),
    }
    let err = c.tasks().get(&TaskId::from(7u64)).await.unwrap_err();
    assert!(matches!(err, Error::Decode { .. }), "{err:?}");
}

#[tokio::test]
async fn put_sends_only_the_touched_fields() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/v3.1/CustomFields/Contacts"))
        .respond_with(json(fixture("custom-fields-contacts.json")))
        .mount(&server)
        .await;
    Mock::given(method("PUT"))
        .and(path("/v3.1/Contacts"))
        .and(body_json(
            serde_json::json!({"CONTACT_ID": 1001, "TITLE": "CEO"}),
        ))
        .respond_with(json(fixture("contact.json")))
        .expect(1)
        .mount(&server)
        .await;
    let c = client(&server, &RecordingSleeper::new());
    let patch = ContactPatch {
        job_title: Patch::Set("CEO".into()),
        ..ContactPatch::default()
    };
    let updated = c.contacts().update(&1001u64.into(), &patch).await.unwrap();
    // Everything the caller did not touch is still there (it was never sent, so never wiped).
    assert_eq!(updated.first_name.as_deref(), Some("Zoë"));
    assert_eq!(updated.custom_fields.len(), 11);
}

#[tokio::test]
async fn wrong_pod_401_says_to_check_the_key_and_the_pod() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/v3.1/Users/Me"))
        .respond_with(
            ResponseTemplate::new(401).set_body_string(
                r#"{"Message":"Authorization has been denied for this request."}"#,
            ),
        )
        .mount(&server)
        .await;
    let c = client(&server, &RecordingSleeper::new());
    let err = c.current_user().await.unwrap_err();
    assert!(matches!(err, Error::Unauthenticated { .. }), "{err:?}");
    let msg = err.to_string();
    assert!(msg.contains("API key") && msg.contains("pod"), "{msg}");
    assert!(!msg.contains(KEY));
}

#[tokio::test]
async fn method_not_allowed_is_unsupported() {
    let server = MockServer::start().await;
    Mock::given(method("DELETE"))
        .respond_with(ResponseTemplate::new(405).set_body_string(
            r#"{"Message":"The requested resource does not support http method 'DELETE'."}"#,
        ))
        .mount(&server)
        .await;
    let c = client(&server, &RecordingSleeper::new());
    let err = c.tasks().delete(&TaskId::from(1u64)).await.unwrap_err();
    assert!(err.is_unsupported(), "{err:?}");
}

#[tokio::test]
async fn notes_are_created_under_their_parent() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/v3.1/Contacts/1001/Notes"))
        .and(body_json(
            serde_json::json!({"TITLE": "Call", "BODY": "<p>hi</p>"}),
        ))
        .respond_with(json(fixture("note.json")))
        .expect(1)
        .mount(&server)
        .await;
    let c = client(&server, &RecordingSleeper::new());
    let new = NewNote {
        title: Some("Call".into()),
        content: "<p>hi</p>".into(),
        contact_id: Some(1001u64.into()),
        ..NewNote::default()
    };
    let n = c.notes().create(&new).await.unwrap();
    assert_eq!(n.id.as_str(), "8001");
    assert_eq!(n.contact_id.as_ref().map(|c| c.as_str()), Some("1001"));
}

fn tasks_page(from: u64, n: u64) -> String {
    let items: Vec<serde_json::Value> = (from..from + n)
        .map(|i| serde_json::json!({"TASK_ID": i, "TITLE": format!("t{i}")}))
        .collect();
    serde_json::Value::Array(items).to_string()
}

#[tokio::test]
async fn a_page_and_its_cursor() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/v3.1/Tasks"))
        .and(query_param("skip", "0"))
        .and(query_param("top", "2"))
        .and(query_param("count_total", "true"))
        .respond_with(json(tasks_page(1, 2)).insert_header("X-Total-Count", "3"))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/v3.1/Tasks"))
        .and(query_param("skip", "2"))
        .respond_with(json(tasks_page(3, 1)).insert_header("X-Total-Count", "3"))
        .expect(1)
        .mount(&server)
        .await;
    let c = client(&server, &RecordingSleeper::new());
    let p = c
        .tasks()
        .list(&ListParams::new().page_size(2))
        .await
        .unwrap();
    assert_eq!(p.items.len(), 2);
    assert_eq!(p.total, Some(3));
    let next = p.next.clone().unwrap();
    assert_eq!(next.as_str(), "2");
    let p = c
        .tasks()
        .list(&ListParams::new().page_size(2).cursor(Some(next)))
        .await
        .unwrap();
    assert_eq!(p.items.len(), 1);
    assert!(p.next.is_none());
}

#[tokio::test]
async fn a_whole_listing_of_1234_records_costs_three_requests() {
    let server = MockServer::start().await;
    for (skip, n) in [(0u64, 500u64), (500, 500), (1000, 234)] {
        Mock::given(method("GET"))
            .and(path("/v3.1/Tasks"))
            .and(query_param("skip", skip.to_string()))
            .and(query_param("top", "500"))
            .respond_with(json(tasks_page(skip + 1, n)).insert_header("X-Total-Count", "1234"))
            .expect(1)
            .mount(&server)
            .await;
    }
    let c = client(&server, &RecordingSleeper::new());
    let all: Vec<Task> = c.fetch_all(&ListParams::new()).await.unwrap();
    assert_eq!(all.len(), 1234);
    let ids: Vec<u64> = all.iter().map(|t| t.id.as_u64().unwrap()).collect();
    assert_eq!(ids, (1..=1234).collect::<Vec<_>>(), "kept in order");
    assert_eq!(c.stats().requests, 3);
}

#[tokio::test]
async fn search_and_updated_since_use_the_search_endpoint() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/v3.1/Tasks/Search"))
        .and(query_param("field_name", "TITLE"))
        .and(query_param("field_value", "Send proposal"))
        .respond_with(json("[]".into()))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/v3.1/Tasks/Search"))
        .and(query_param("updated_after_utc", "2024-03-02T17:04:10Z"))
        .respond_with(json("[]".into()))
        .expect(1)
        .mount(&server)
        .await;
    let c = client(&server, &RecordingSleeper::new());
    c.tasks()
        .list(&ListParams::new().search("Send proposal"))
        .await
        .unwrap();
    let t = chrono::DateTime::parse_from_rfc3339("2024-03-02T17:04:11.400Z")
        .unwrap()
        .to_utc();
    c.tasks()
        .list(&ListParams::new().updated_since(t))
        .await
        .unwrap();
}

#[tokio::test]
async fn unsupported_operations_say_so() {
    let server = MockServer::start().await;
    let c = client(&server, &RecordingSleeper::new());
    let err = c.users().create(&Default::default()).await.unwrap_err();
    assert!(err.is_unsupported());
    let err = c
        .custom_field_definitions(unicrm_core::ResourceKind::Note)
        .await
        .unwrap_err();
    assert!(err.is_unsupported());
    assert!(
        !c.capabilities()
            .resource(&unicrm_core::ResourceKind::User)
            .operations
            .create
    );
}

#[tokio::test]
async fn lead_status_labels_come_from_one_cached_picklist_fetch() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/v3.1/LeadStatuses"))
        .and(query_param("include_converted", "true"))
        .respond_with(json(
            r#"[{"LEAD_STATUS_ID":81,"LEAD_STATUS":"Not Contacted","DEFAULT_STATUS":true,"STATUS_TYPE":1,"FIELD_ORDER":1},
                {"LEAD_STATUS_ID":84,"LEAD_STATUS":"Qualified","DEFAULT_STATUS":false,"STATUS_TYPE":1,"FIELD_ORDER":2}]"#
                .to_string(),
        ))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/v3.1/LeadSources"))
        .respond_with(json(
            r#"[{"LEAD_SOURCE_ID":71,"LEAD_SOURCE":"Web","DEFAULT_VALUE":true,"FIELD_ORDER":1}]"#
                .to_string(),
        ))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/v3.1/Leads/6001"))
        .respond_with(json(fixture("lead.json")))
        .expect(2)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/v3.1/Leads"))
        .and(body_partial_json(serde_json::json!({"LEAD_STATUS_ID": 84})))
        .respond_with(json(fixture("lead.json")))
        .expect(1)
        .mount(&server)
        .await;
    let c = client(&server, &RecordingSleeper::new());
    let id = unicrm_core::LeadId::from("6001");
    for _ in 0..2 {
        let l = c.leads().get(&id).await.unwrap();
        assert_eq!(l.status.as_deref(), Some("Not Contacted"));
        assert_eq!(l.lead_source.as_deref(), Some("Web"));
    }
    c.leads()
        .create(&unicrm_core::NewLead {
            last_name: Some("Núñez".into()),
            status: Some("QUALIFIED".into()),
            ..Default::default()
        })
        .await
        .unwrap();
}
