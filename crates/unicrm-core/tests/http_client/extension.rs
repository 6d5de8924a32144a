//! Extension points over HTTP: a plugged error-body parser and rate-limit reader, a connection
//! pool shared by two clients, options applied through `ClientOptions`.

use std::sync::Arc;

use chrono::{DateTime, Utc};
use unicrm_core::Error;
use unicrm_core::http::{
    ClientOptions, ConnectionPool, ErrorBody, ErrorBodyParser, HeaderMap, HttpClientBuilder,
    RateLimitHeaders, RateLimitReader,
};
use unicrm_core::time::RecordingSleeper;
use wiremock::matchers::{header, method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

use super::policy;

/// A vendor whose errors are `{"problem": …, "bad": [field, …]}`.
#[derive(Debug)]
struct ProblemParser;

impl ErrorBodyParser for ProblemParser {
    fn parse(&self, _status: u16, _headers: &HeaderMap, body: &[u8]) -> ErrorBody {
        let v: serde_json::Value = serde_json::from_slice(body).unwrap_or_default();
        ErrorBody {
            message: v["problem"].as_str().map(str::to_string),
            code: None,
            fields: v["bad"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(|f| f.as_str())
                .map(|f| unicrm_core::FieldError {
                    field: Some(f.to_string()),
                    resource: None,
                    message: "invalid".into(),
                })
                .collect(),
        }
    }
}

/// A vendor whose budget is `Budget-Left`.
#[derive(Debug)]
struct BudgetReader;

impl RateLimitReader for BudgetReader {
    fn read(&self, headers: &HeaderMap, _now: DateTime<Utc>) -> RateLimitHeaders {
        RateLimitHeaders {
            limit: None,
            remaining: headers
                .get("budget-left")
                .and_then(|v| v.to_str().ok())
                .and_then(|v| v.parse().ok()),
            reset: None,
        }
    }
}

#[tokio::test]
async fn plugged_parser_and_reader_are_used_by_send() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/things"))
        .respond_with(
            ResponseTemplate::new(422)
                .set_body_string(r#"{"problem":"rejected","bad":["name","size"]}"#),
        )
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/things"))
        .respond_with(ResponseTemplate::new(429).insert_header("Budget-Left", "0"))
        .mount(&server)
        .await;
    let sleeper = RecordingSleeper::default();
    let c = HttpClientBuilder::new("v", &server.uri())
        .unwrap()
        .retry(policy())
        .sleeper(Arc::new(sleeper.clone()))
        .error_parser(Arc::new(ProblemParser))
        .rate_limit_reader(Arc::new(BudgetReader))
        .build()
        .unwrap();
    let req =
        unicrm_core::http::Request::new(unicrm_core::http::Method::POST, c.url("things").unwrap());
    let err = c.send(req).await.unwrap_err();
    assert_eq!(
        err.to_string(),
        "validation failed: rejected (name: invalid; size: invalid)"
    );
    let err = c.send(c.get("things").unwrap()).await.unwrap_err();
    assert!(matches!(err, Error::QuotaExhausted { .. }), "{err:?}");
    // The reading went to the budget tracker too.
    assert_eq!(c.last_rate_limit().remaining, Some(0));
}

#[tokio::test]
async fn two_clients_share_one_pool_and_keep_their_own_user_agent() {
    let server = MockServer::start().await;
    for ua in ["tenant-a", "tenant-b"] {
        Mock::given(method("GET"))
            .and(path("/ping"))
            .and(header("user-agent", ua))
            .respond_with(ResponseTemplate::new(200).set_body_string(format!(r#"{{"ua":"{ua}"}}"#)))
            .expect(1)
            .mount(&server)
            .await;
    }
    let pool = ConnectionPool::new().unwrap();
    let handles_before = pool.handles();
    let shared = ClientOptions::new().connection_pool(pool.clone());
    let build = |ua: &str| {
        HttpClientBuilder::new("v", &server.uri())
            .unwrap()
            .options(
                &shared
                    .clone()
                    .merged_with(ClientOptions::new().user_agent(ua)),
            )
            .build()
            .unwrap()
    };
    let a = build("tenant-a");
    let b = build("tenant-b");
    assert!(a.connection_pool().same_as(&pool));
    assert!(b.connection_pool().same_as(a.connection_pool()));
    // Two clients hold the pool: two more handles than before (plus the options' own).
    assert_eq!(pool.handles(), handles_before + 3);
    let own = HttpClientBuilder::new("v", &server.uri())
        .unwrap()
        .build()
        .unwrap();
    assert!(!own.connection_pool().same_as(&pool));
    for (c, ua) in [(&a, "tenant-a"), (&b, "tenant-b")] {
        let v: serde_json::Value = c.get_json("ping", &[]).await.unwrap();
        assert_eq!(v["ua"], ua);
    }
}
