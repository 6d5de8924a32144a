//! The shared HTTP client against `wiremock`: retries, idempotency, decoding, credentials.

#[path = "http_client/extension.rs"]
mod extension;
#[path = "http_client/limits.rs"]
mod limits;
#[path = "http_client/repeat.rs"]
mod repeat;
#[path = "http_client/safety.rs"]
mod safety;
#[path = "http_client/transport.rs"]
mod transport;

use std::sync::Arc;
use std::time::Duration;

use serde::Deserialize;
use unicrm_core::auth::{BearerToken, RefreshingTokenCache, TokenRefresher, TokenSet};
use unicrm_core::http::{HttpClient, HttpClientBuilder, Method, Request, RetryPolicy};
use unicrm_core::time::RecordingSleeper;
use unicrm_core::{Error, Result};
use wiremock::matchers::{header, method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

pub(crate) fn policy() -> RetryPolicy {
    RetryPolicy {
        jitter: false,
        ..RetryPolicy::default()
    }
}

pub(crate) async fn client(server: &MockServer, sleeper: &RecordingSleeper) -> HttpClient {
    HttpClientBuilder::new("test", &format!("{}/api/v2", server.uri()))
        .unwrap()
        .credentials(Arc::new(BearerToken::new("tok".to_string())))
        .retry(policy())
        .sleeper(Arc::new(sleeper.clone()))
        .build()
        .unwrap()
}

#[derive(Debug, Deserialize)]
pub(crate) struct Parties {
    pub(crate) parties: Vec<Party>,
}

#[derive(Debug, Deserialize)]
#[allow(dead_code)]
pub(crate) struct Party {
    id: u64,
}

#[tokio::test]
async fn get_429_with_retry_after_is_retried_after_the_advertised_delay() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/api/v2/parties"))
        .respond_with(ResponseTemplate::new(429).insert_header("Retry-After", "2"))
        .up_to_n_times(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/api/v2/parties"))
        .and(header("authorization", "Bearer tok"))
        .respond_with(ResponseTemplate::new(200).set_body_string(r#"{"parties":[{"id":1}]}"#))
        .mount(&server)
        .await;
    let sleeper = RecordingSleeper::new();
    let c = client(&server, &sleeper).await;
    let body: Parties = c.get_json("parties", &[]).await.unwrap();
    assert_eq!(body.parties.len(), 1);
    assert_eq!(sleeper.delays(), vec![Duration::from_secs(2)]);
    let stats = c.stats();
    assert_eq!(
        (stats.requests, stats.retries, stats.rate_limited),
        (2, 1, 1)
    );
}

#[tokio::test]
async fn post_503_is_not_retried() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/api/v2/parties"))
        .respond_with(ResponseTemplate::new(503).set_body_string("<html>down</html>"))
        .expect(1)
        .mount(&server)
        .await;
    let sleeper = RecordingSleeper::new();
    let c = client(&server, &sleeper).await;
    let req = Request::new(Method::POST, c.url("parties").unwrap())
        .json(&serde_json::json!({"party": {"type": "person"}}))
        .unwrap();
    let err = c.send(req).await.unwrap_err();
    assert!(matches!(err, Error::Vendor { status: 503, .. }), "{err:?}");
    assert!(sleeper.delays().is_empty());
}

#[tokio::test]
async fn get_503_is_retried_with_backoff_then_gives_up() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(503))
        .expect(6)
        .mount(&server)
        .await;
    let sleeper = RecordingSleeper::new();
    let c = client(&server, &sleeper).await;
    let err = c.send(c.get("parties").unwrap()).await.unwrap_err();
    assert_eq!(err.status(), Some(503));
    let ms: Vec<u128> = sleeper.delays().iter().map(|d| d.as_millis()).collect();
    assert_eq!(ms, [200, 400, 800, 1600, 3200]);
}

#[tokio::test]
async fn malformed_json_is_a_decode_error_with_the_path() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(
            ResponseTemplate::new(200).set_body_string(r#"{"parties":[{"id":1},{"id":"x"}]}"#),
        )
        .mount(&server)
        .await;
    let sleeper = RecordingSleeper::new();
    let c = client(&server, &sleeper).await;
    let err = c.get_json::<Parties>("parties", &[]).await.unwrap_err();
    match err {
        Error::Decode { path, .. } => assert_eq!(path, "parties[1].id"),
        other => panic!("{other:?}"),
    }
}

#[tokio::test]
async fn truncated_body_on_get_is_retried_and_on_post_is_not() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(
            ResponseTemplate::new(200).set_body_raw(r#"{"parties":[{"id":1},"#, "application/json"),
        )
        .up_to_n_times(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(200).set_body_string(r#"{"parties":[{"id":1}]}"#))
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .respond_with(
            ResponseTemplate::new(201).set_body_raw(r#"{"party":{"id":"#, "application/json"),
        )
        .expect(1)
        .mount(&server)
        .await;
    let sleeper = RecordingSleeper::new();
    let c = client(&server, &sleeper).await;
    let body: Parties = c.get_json("parties", &[]).await.unwrap();
    assert_eq!(body.parties.len(), 1);
    assert_eq!(sleeper.delays().len(), 1);
    // A create is never re-sent: its body is handed back and the adapter reports the decode error.
    let req = Request::new(Method::POST, c.url("parties").unwrap());
    let resp = c.send(req).await.unwrap();
    assert!(matches!(
        resp.json::<serde_json::Value>(),
        Err(Error::Decode { .. })
    ));
}

#[tokio::test]
async fn a_body_that_stays_garbled_is_a_decode_error_after_the_retries() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(
            ResponseTemplate::new(200).set_body_raw("{\"parties\":[tru", "application/json"),
        )
        .expect(6)
        .mount(&server)
        .await;
    let sleeper = RecordingSleeper::new();
    let c = client(&server, &sleeper).await;
    match c.get_json::<Parties>("parties", &[]).await {
        Err(Error::Decode { path, message }) => {
            assert_eq!(path, ".");
            assert!(message.contains("not valid JSON"), "{message}");
        }
        other => panic!("{other:?}"),
    }
}

#[tokio::test]
async fn spent_budget_with_near_reset_waits_then_proceeds() {
    use unicrm_core::time::ManualClock;
    let now = chrono::DateTime::parse_from_rfc3339("2025-01-01T00:00:00Z")
        .unwrap()
        .with_timezone(&chrono::Utc);
    let clock = ManualClock::new(now);
    let server = MockServer::start().await;
    let reset = now.timestamp() + 5;
    Mock::given(method("GET"))
        .respond_with(
            ResponseTemplate::new(200)
                .insert_header("X-RateLimit-Limit", "4000")
                .insert_header("X-RateLimit-Remaining", "0")
                .insert_header("X-RateLimit-Reset", reset.to_string().as_str())
                .set_body_string(r#"{"parties":[]}"#),
        )
        .mount(&server)
        .await;
    let sleeper = RecordingSleeper::with_clock(clock.clone());
    let c = HttpClientBuilder::new("test", &server.uri())
        .unwrap()
        .retry(policy())
        .sleeper(Arc::new(sleeper.clone()))
        .clock(Arc::new(clock))
        .build()
        .unwrap();
    c.get_json::<Parties>("parties", &[]).await.unwrap();
    assert!(sleeper.delays().is_empty());
    c.get_json::<Parties>("parties", &[]).await.unwrap();
    // Until the reset, plus one second for clock skew between us and the vendor.
    assert_eq!(sleeper.delays(), vec![Duration::from_secs(6)]);
}

#[tokio::test]
async fn spent_budget_with_far_reset_is_quota_exhausted() {
    let server = MockServer::start().await;
    let reset = chrono::Utc::now().timestamp() + 3000;
    Mock::given(method("GET"))
        .respond_with(
            ResponseTemplate::new(429)
                .insert_header("X-RateLimit-Limit", "4000")
                .insert_header("X-RateLimit-Remaining", "0")
                .insert_header("X-RateLimit-Reset", reset.to_string().as_str())
                .set_body_string(r#"{"error":"rate limit reached"}"#),
        )
        .expect(1)
        .mount(&server)
        .await;
    let sleeper = RecordingSleeper::new();
    let c = client(&server, &sleeper).await;
    let err = c.send(c.get("parties").unwrap()).await.unwrap_err();
    match err {
        Error::QuotaExhausted { resets_at, limit } => {
            assert_eq!(limit, Some(4000));
            assert_eq!(resets_at.unwrap().timestamp(), reset);
        }
        other => panic!("{other:?}"),
    }
    // The next call fails fast without a request.
    assert!(matches!(
        c.send(c.get("parties").unwrap()).await,
        Err(Error::QuotaExhausted { .. })
    ));
}

#[derive(Debug)]
pub(crate) struct FixedRefresher;

#[async_trait::async_trait]
impl TokenRefresher for FixedRefresher {
    async fn refresh(&self, _rt: &unicrm_core::auth::SecretString) -> Result<TokenSet> {
        Ok(TokenSet {
            access_token: "new".to_string().into(),
            refresh_token: None,
            expires_at: None,
        })
    }
}

#[tokio::test]
async fn unauthorized_refreshes_once_then_retries() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(header("authorization", "Bearer old"))
        .respond_with(ResponseTemplate::new(401).set_body_string(r#"{"message":"Unauthorized"}"#))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(header("authorization", "Bearer new"))
        .respond_with(ResponseTemplate::new(200).set_body_string(r#"{"parties":[]}"#))
        .expect(1)
        .mount(&server)
        .await;
    let cache = RefreshingTokenCache::new(
        TokenSet {
            access_token: "old".to_string().into(),
            refresh_token: Some("rt".to_string().into()),
            expires_at: None,
        },
        Arc::new(FixedRefresher),
    );
    let c = HttpClientBuilder::new("test", &server.uri())
        .unwrap()
        .credentials(Arc::new(cache))
        .build()
        .unwrap();
    c.get_json::<Parties>("parties", &[]).await.unwrap();
}

/// A parser that says a 401 cannot be cured by new credentials.
#[derive(Debug)]
struct NoRefreshFor401s;

impl unicrm_core::http::ErrorBodyParser for NoRefreshFor401s {
    fn parse(
        &self,
        _status: u16,
        _headers: &unicrm_core::http::HeaderMap,
        body: &[u8],
    ) -> unicrm_core::http::ErrorBody {
        unicrm_core::http::classify::parse_error_body(body)
    }
    fn refresh_may_help(
        &self,
        _status: u16,
        _headers: &unicrm_core::http::HeaderMap,
        body: &[u8],
    ) -> bool {
        !String::from_utf8_lossy(body).contains("scope")
    }
}

#[tokio::test]
async fn a_401_the_parser_calls_incurable_is_not_refreshed() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(
            ResponseTemplate::new(401)
                .set_body_string(r#"{"message":"not authorized for this scope"}"#),
        )
        .expect(1)
        .mount(&server)
        .await;
    let cache = RefreshingTokenCache::new(
        TokenSet {
            access_token: "old".to_string().into(),
            refresh_token: Some("rt".to_string().into()),
            expires_at: None,
        },
        Arc::new(FixedRefresher),
    );
    let c = HttpClientBuilder::new("test", &server.uri())
        .unwrap()
        .credentials(Arc::new(cache))
        .error_parser(Arc::new(NoRefreshFor401s))
        .build()
        .unwrap();
    let err = c.send(c.get("parties").unwrap()).await.unwrap_err();
    assert!(matches!(err, Error::Unauthenticated { .. }), "{err:?}");
    // One request, no refresh: the old token is still the one sent.
    assert_eq!(server.received_requests().await.unwrap().len(), 1);
}

#[tokio::test]
async fn another_origin_is_never_fetched() {
    let ours = MockServer::start().await;
    let other = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(200).set_body_string(r#"{"parties":[]}"#))
        .mount(&other)
        .await;
    let sleeper = RecordingSleeper::new();
    let c = client(&ours, &sleeper).await;
    let url =
        unicrm_core::http::Url::parse(&format!("{}/api/v2/parties?page=2", other.uri())).unwrap();
    let err = c.send(Request::new(Method::GET, url)).await.unwrap_err();
    assert!(matches!(err, Error::UnsafeUrl { .. }), "{err:?}");
    assert!(!err.to_string().contains("page=2"), "{err}");
    assert!(other.received_requests().await.unwrap().is_empty());
    assert!(ours.received_requests().await.unwrap().is_empty());
    assert_eq!(c.stats().requests, 0);
}

#[tokio::test]
async fn connection_refused_is_a_transport_error_after_retries() {
    // A port nothing listens on.
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    drop(listener);
    let sleeper = RecordingSleeper::new();
    let c = HttpClientBuilder::new("test", &format!("http://127.0.0.1:{port}/"))
        .unwrap()
        .retry(RetryPolicy {
            max_retries: 2,
            ..policy()
        })
        .sleeper(Arc::new(sleeper.clone()))
        .build()
        .unwrap();
    let req = Request::new(Method::POST, c.url("parties").unwrap());
    let err = c.send(req).await.unwrap_err();
    assert!(matches!(err, Error::Transport { .. }), "{err:?}");
    // Connect failures are retried even for POST: nothing was sent.
    assert_eq!(sleeper.delays().len(), 2);
}
