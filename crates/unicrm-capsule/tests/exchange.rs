//! The exact HTTP exchanges of the adapter, against `wiremock`.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use chrono::{TimeZone, Utc};
use futures::TryStreamExt;
use secrecy::ExposeSecret;
use unicrm_capsule::{CapsuleClient, OAuthSettings, TokenSet};
use unicrm_core::http::RetryPolicy;
use unicrm_core::time::{ManualClock, RecordingSleeper};
use unicrm_core::*;
use wiremock::matchers::{body_string_contains, header, method, path, query_param};
use wiremock::{Mock, MockServer, ResponseTemplate};

fn retry() -> RetryPolicy {
    RetryPolicy {
        jitter: false,
        ..RetryPolicy::default()
    }
}

fn pat_client(server: &MockServer, sleeper: &RecordingSleeper) -> CapsuleClient {
    CapsuleClient::builder()
        .base_url(&format!("{}/api/v2", server.uri()))
        .personal_access_token("pat-123".to_string())
        .retry(retry())
        .sleeper(Arc::new(sleeper.clone()))
        .build()
        .unwrap()
}

fn user_body() -> serde_json::Value {
    serde_json::json!({"user": {"id": 6, "username": "jo", "name": "Jo Smith", "status": "ACTIVE"}})
}

// Through the deprecated sink adapter on purpose: it must keep working.
#[allow(deprecated)]
fn oauth_client(server: &MockServer, rotated: Arc<Mutex<Vec<String>>>) -> CapsuleClient {
    let settings = OAuthSettings {
        client_id: "cid".into(),
        client_secret: "csecret".to_string().into(),
        token_url: format!("{}/oauth/token", server.uri()),
        authorise_url: format!("{}/oauth/authorise", server.uri()),
        revoke_url: format!("{}/oauth/token/revoke", server.uri()),
    };
    let tokens = TokenSet {
        access_token: "old-access".to_string().into(),
        refresh_token: Some("r1".to_string().into()),
        expires_at: None,
    };
    CapsuleClient::builder()
        .base_url(&format!("{}/api/v2/", server.uri()))
        .oauth(settings, tokens)
        .token_sink(Arc::new(move |t: &TokenSet| {
            rotated.lock().unwrap().push(
                t.refresh_token
                    .as_ref()
                    .map(|r| r.expose_secret().to_string())
                    .unwrap_or_default(),
            )
        }))
        .retry(retry())
        .sleeper(Arc::new(RecordingSleeper::new()))
        .build()
        .unwrap()
}

#[tokio::test]
async fn bearer_header_is_sent_and_debug_is_redacted() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/api/v2/users/current"))
        .and(header("authorization", "Bearer pat-123"))
        .and(header("accept", "application/json"))
        .respond_with(ResponseTemplate::new(200).set_body_json(user_body()))
        .expect(1)
        .mount(&server)
        .await;
    let client = pat_client(&server, &RecordingSleeper::new());
    let user = client.current_user().await.unwrap();
    assert_eq!(user.id.as_str(), "6");
    assert_eq!(user.name.as_deref(), Some("Jo Smith"));
    let dbg = format!(
        "{client:?} {:?}",
        CapsuleClient::builder().personal_access_token("pat-123".to_string())
    );
    assert!(!dbg.contains("pat-123"), "{dbg}");
}

#[tokio::test]
async fn pat_401_is_unauthenticated_without_refresh() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(
            ResponseTemplate::new(401)
                .set_body_json(serde_json::json!({"message": "Unauthorized"})),
        )
        .expect(1)
        .mount(&server)
        .await;
    let err = pat_client(&server, &RecordingSleeper::new())
        .current_user()
        .await
        .unwrap_err();
    assert!(matches!(err, Error::Unauthenticated { .. }), "{err:?}");
}

#[tokio::test]
async fn oauth_401_refreshes_once_and_retries() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/api/v2/users/current"))
        .and(header("authorization", "Bearer old-access"))
        .respond_with(ResponseTemplate::new(401))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/api/v2/users/current"))
        .and(header("authorization", "Bearer new-access"))
        .respond_with(ResponseTemplate::new(200).set_body_json(user_body()))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/oauth/token"))
        .and(body_string_contains("grant_type=refresh_token"))
        .and(body_string_contains("refresh_token=r1"))
        .and(body_string_contains("client_id=cid"))
        .and(body_string_contains("client_secret=csecret"))
        .respond_with(ResponseTemplate::new(200).set_body_json(serde_json::json!({
            "access_token": "new-access", "token_type": "bearer", "expires_in": 604799,
            "refresh_token": "r2", "scope": "read write", "subdomain": "northwind"
        })))
        .expect(1)
        .mount(&server)
        .await;
    let rotated = Arc::new(Mutex::new(Vec::new()));
    let client = oauth_client(&server, rotated.clone());
    let user = client.current_user().await.unwrap();
    assert_eq!(user.username.as_deref(), Some("jo"));
    assert_eq!(*rotated.lock().unwrap(), ["r2"]);
}

#[tokio::test]
async fn second_401_is_unauthenticated() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/api/v2/users/current"))
        .respond_with(ResponseTemplate::new(401))
        .expect(2)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/oauth/token"))
        .respond_with(ResponseTemplate::new(200).set_body_json(serde_json::json!({
            "access_token": "new-access", "token_type": "Bearer", "refresh_token": "r2"
        })))
        .expect(1)
        .mount(&server)
        .await;
    let client = oauth_client(&server, Arc::default());
    let err = client.current_user().await.unwrap_err();
    assert!(matches!(err, Error::Unauthenticated { .. }), "{err:?}");
}

#[tokio::test]
async fn refused_refresh_is_unauthenticated() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(401))
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/oauth/token"))
        .respond_with(ResponseTemplate::new(400).set_body_json(serde_json::json!({
            "error": "invalid_grant", "error_description": "the refresh token is invalid or revoked"
        })))
        .expect(1)
        .mount(&server)
        .await;
    let err = oauth_client(&server, Arc::default())
        .current_user()
        .await
        .unwrap_err();
    match err {
        Error::Unauthenticated { message } => {
            assert!(message.contains("invalid_grant"), "{message}")
        }
        other => panic!("{other:?}"),
    }
}

#[tokio::test]
async fn rate_limited_429_waits_as_told() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/api/v2/users/current"))
        .respond_with(
            ResponseTemplate::new(429)
                .insert_header("retry-after", "7")
                .set_body_json(serde_json::json!({"error": "rate limit reached"})),
        )
        .up_to_n_times(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/api/v2/users/current"))
        .respond_with(ResponseTemplate::new(200).set_body_json(user_body()))
        .mount(&server)
        .await;
    let sleeper = RecordingSleeper::new();
    let client = pat_client(&server, &sleeper);
    client.current_user().await.unwrap();
    assert_eq!(sleeper.delays(), [Duration::from_secs(7)]);
    assert_eq!(client.stats().rate_limited, 1);
    assert_eq!(client.stats().retries, 1);
}

#[tokio::test]
async fn spent_budget_waits_for_the_reset_before_sending() {
    let server = MockServer::start().await;
    let now = Utc.with_ymd_and_hms(2025, 1, 1, 0, 0, 0).unwrap();
    let reset = (now + chrono::Duration::seconds(30))
        .timestamp()
        .to_string();
    Mock::given(method("GET"))
        .respond_with(
            ResponseTemplate::new(200)
                .insert_header("x-ratelimit-limit", "4000")
                .insert_header("x-ratelimit-remaining", "0")
                .insert_header("x-ratelimit-reset", reset.as_str())
                .set_body_json(user_body()),
        )
        .expect(2)
        .mount(&server)
        .await;
    let clock = ManualClock::new(now);
    let sleeper = RecordingSleeper::with_clock(clock.clone());
    let client = CapsuleClient::builder()
        .base_url(&format!("{}/api/v2", server.uri()))
        .personal_access_token("pat-123".to_string())
        .retry(retry())
        .clock(Arc::new(clock))
        .sleeper(Arc::new(sleeper.clone()))
        .build()
        .unwrap();
    client.current_user().await.unwrap();
    assert!(sleeper.delays().is_empty());
    // Remaining 0: the next request waits for the reset (+1 s) instead of drawing a 429.
    client.current_user().await.unwrap();
    assert_eq!(sleeper.delays(), [Duration::from_secs(31)]);
}

#[tokio::test]
async fn post_answered_503_is_not_retried() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/api/v2/parties"))
        .respond_with(ResponseTemplate::new(503).set_body_string("<html>busy</html>"))
        .expect(1)
        .mount(&server)
        .await;
    let sleeper = RecordingSleeper::new();
    let client = pat_client(&server, &sleeper);
    let new = NewAccount {
        name: "Acme".into(),
        ..Default::default()
    };
    let err = client.accounts().create(&new).await.unwrap_err();
    assert!(matches!(err, Error::Vendor { status: 503, .. }), "{err:?}");
    assert!(sleeper.delays().is_empty());
}

#[tokio::test]
async fn get_answered_503_is_retried() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(503))
        .up_to_n_times(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(200).set_body_json(user_body()))
        .mount(&server)
        .await;
    let sleeper = RecordingSleeper::new();
    pat_client(&server, &sleeper).current_user().await.unwrap();
    assert_eq!(sleeper.delays().len(), 1);
}

#[tokio::test]
async fn malformed_json_is_decode_error_with_path() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/api/v2/parties"))
        .respond_with(ResponseTemplate::new(200).set_body_string(
            r#"{"parties":[{"id":1,"type":"person","lastName":"A"},{"id":2,"type":"person","createdAt":12}]}"#,
        ))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/api/v2/users"))
        .respond_with(ResponseTemplate::new(200).set_body_string(r#"{"users":[{"id":1},"#))
        .mount(&server)
        .await;
    let client = pat_client(&server, &RecordingSleeper::new());
    match client
        .contacts()
        .list(&ListParams::new())
        .await
        .unwrap_err()
    {
        Error::Decode { path, .. } => assert_eq!(path, "parties[1].createdAt"),
        other => panic!("{other:?}"),
    }
    assert!(matches!(
        client.users().list(&ListParams::new()).await.unwrap_err(),
        Error::Decode { .. }
    ));
}

#[tokio::test]
async fn link_with_commas_is_followed_verbatim() {
    let server = MockServer::start().await;
    let next = format!(
        "{}/api/v2/parties?page=2&perPage=2&embed=tags,fields",
        server.uri()
    );
    Mock::given(method("GET"))
        .and(path("/api/v2/parties"))
        .and(query_param("page", "2"))
        .respond_with(ResponseTemplate::new(200).set_body_json(serde_json::json!({
            "parties": [{"id": 3, "type": "organisation", "name": "C", "tags": [], "fields": []}]
        })))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/api/v2/parties"))
        .and(query_param("perPage", "2"))
        .and(query_param("embed", "tags,fields"))
        .respond_with(
            ResponseTemplate::new(200)
                .insert_header("link", format!("<{next}>; rel=\"next\"").as_str())
                .set_body_json(serde_json::json!({
                    "parties": [
                        {"id": 1, "type": "person", "lastName": "A", "tags": [], "fields": []},
                        {"id": 2, "type": "person", "lastName": "B", "tags": [], "fields": []}
                    ]
                })),
        )
        .up_to_n_times(1)
        .mount(&server)
        .await;
    let client = pat_client(&server, &RecordingSleeper::new());
    let all: Vec<_> = client.list_all_parties_for_test().await;
    assert_eq!(all, ["1", "2", "3"]);
    let requests = server.received_requests().await.unwrap();
    assert_eq!(requests.len(), 2);
    // wiremock rebuilds the host; the path and query are the next link's, commas untouched.
    assert_eq!(requests[1].url.path(), "/api/v2/parties");
    assert_eq!(
        requests[1].url.query(),
        Some("page=2&perPage=2&embed=tags,fields"),
        "the next link ({next}) is requested as given"
    );
    assert_eq!(
        requests[0].url.query(),
        Some("perPage=2&embed=tags%2Cfields"),
    );
}

trait ListAll {
    async fn list_all_parties_for_test(&self) -> Vec<String>;
}

impl ListAll for CapsuleClient {
    async fn list_all_parties_for_test(&self) -> Vec<String> {
        let mut out = Vec::new();
        let mut params = ListParams::new().page_size(2);
        loop {
            let page = self.list_parties(&params).await.unwrap();
            out.extend(page.items.iter().map(|p| p.id().to_string()));
            match page.next {
                Some(n) => params.cursor = Some(n),
                None => return out,
            }
        }
    }
}

#[tokio::test]
async fn contact_stream_skips_organisation_only_pages() {
    let server = MockServer::start().await;
    let next = format!("{}/api/v2/parties?page=2", server.uri());
    Mock::given(method("GET"))
        .and(query_param("page", "2"))
        .respond_with(ResponseTemplate::new(200).set_body_json(serde_json::json!({
            "parties": [{"id": 3, "type": "person", "lastName": "C"}]
        })))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .respond_with(
            ResponseTemplate::new(200)
                .insert_header("link", format!("<{next}>; rel=\"next\"").as_str())
                .set_body_json(serde_json::json!({
                    "parties": [{"id": 1, "type": "organisation", "name": "Org"}]
                })),
        )
        .mount(&server)
        .await;
    let client = pat_client(&server, &RecordingSleeper::new());
    let contacts: Vec<Contact> = client
        .contacts()
        .stream_all(ListParams::new())
        .try_collect()
        .await
        .unwrap();
    assert_eq!(contacts.len(), 1);
    assert_eq!(contacts[0].id.as_str(), "3");
}

#[tokio::test]
async fn leads_and_unsupported_filters() {
    let server = MockServer::start().await;
    // Through the guard, as `connect` hands it out: it refuses before any request.
    let client = unicrm_core::guard(Arc::new(pat_client(&server, &RecordingSleeper::new())));
    assert!(
        client
            .leads()
            .list(&ListParams::new())
            .await
            .unwrap_err()
            .is_unsupported()
    );
    assert!(
        client
            .tasks()
            .list(&ListParams::new().search("x"))
            .await
            .unwrap_err()
            .is_unsupported()
    );
    assert!(
        client
            .pipelines()
            .create(&NewPipeline::default())
            .await
            .unwrap_err()
            .is_unsupported()
    );
    let caps = client.capabilities();
    assert!(!caps.resource(&ResourceKind::Lead).operations.list);
    assert!(caps.resource(&ResourceKind::Contact).filters.search);
    assert_eq!(
        caps.resource(&ResourceKind::Task).deletions,
        DeletionDetection::IdScan
    );
    assert!(server.received_requests().await.unwrap().is_empty());
}
