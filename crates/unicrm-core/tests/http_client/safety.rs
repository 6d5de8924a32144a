//! The origin rule, plain http, and secrets kept out of `Debug`.

use std::sync::Arc;

use unicrm_core::auth::{
    BasicCredentials, BearerToken, RefreshingTokenCache, SecretString, TokenSet,
};
use unicrm_core::http::{HeaderValue, HttpClientBuilder, Method, Request, Url};
use unicrm_core::time::RecordingSleeper;
use unicrm_core::{Cursor, Error};
use wiremock::matchers::method;
use wiremock::{Mock, MockServer, ResponseTemplate};

use super::{FixedRefresher, client};

const SECRET: &str = "s3cr3t-9f8e7d";

#[tokio::test]
async fn cursors_and_next_links_stay_on_the_origin() {
    let server = MockServer::start().await;
    let sleeper = RecordingSleeper::new();
    let c = client(&server, &sleeper).await;
    let ours = format!("{}/api/v2/parties?page=2", server.uri());
    assert_eq!(c.cursor_url(&Cursor::new(&ours)).unwrap().as_str(), ours);
    let base = Url::parse(&server.uri()).unwrap();
    let port = base.port().unwrap();
    for forged in [
        "https://evil.example/api/v2/parties?page=2".to_string(),
        format!("http://127.0.0.1:{}/api/v2/parties", port.wrapping_add(1)),
        format!("https://127.0.0.1:{port}/api/v2/parties"),
        format!("http://localhost:{port}/api/v2/parties"),
    ] {
        let err = c.cursor_url(&Cursor::new(&forged)).unwrap_err();
        assert!(matches!(err, Error::UnsafeUrl { .. }), "{forged}: {err:?}");
        let err = c
            .send(Request::new(Method::GET, Url::parse(&forged).unwrap()))
            .await
            .unwrap_err();
        assert!(matches!(err, Error::UnsafeUrl { .. }), "{forged}: {err:?}");
    }
    for garbage in ["", "page=2", "/api/v2/parties", "\u{0}"] {
        let err = c.cursor_url(&Cursor::new(garbage)).unwrap_err();
        assert!(matches!(err, Error::Paging { .. }), "{garbage:?}: {err:?}");
    }
    assert!(server.received_requests().await.unwrap().is_empty());
}

#[tokio::test]
async fn a_next_link_to_another_host_is_not_followed() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(
            ResponseTemplate::new(200)
                .insert_header("Link", r#"<https://evil.example/steal?page=2>; rel="next""#)
                .set_body_string(r#"{"parties":[]}"#),
        )
        .mount(&server)
        .await;
    let sleeper = RecordingSleeper::new();
    let c = client(&server, &sleeper).await;
    let resp = c.send(c.get("parties").unwrap()).await.unwrap();
    let next = resp.next_link().unwrap();
    let err = c.send(Request::new(Method::GET, next)).await.unwrap_err();
    assert!(matches!(err, Error::UnsafeUrl { .. }), "{err:?}");
    assert_eq!(server.received_requests().await.unwrap().len(), 1);
}

#[test]
fn plain_http_off_loopback_needs_the_callers_consent() {
    let err = HttpClientBuilder::new("t", "http://crm.example.com/api/v2")
        .unwrap()
        .build()
        .unwrap_err();
    assert!(matches!(err, Error::UnsafeUrl { .. }), "{err:?}");
    assert!(
        HttpClientBuilder::new("t", "http://crm.example.com/api/v2")
            .unwrap()
            .allow_insecure_http(true)
            .build()
            .is_ok()
    );
    for ok in [
        "http://127.0.0.1:1/",
        "http://localhost:1/",
        "http://[::1]:1/",
        "https://crm.example.com/",
    ] {
        assert!(
            HttpClientBuilder::new("t", ok).unwrap().build().is_ok(),
            "{ok}"
        );
    }
}

#[tokio::test]
async fn debug_never_shows_a_secret() {
    let server = MockServer::start().await;
    let tokens = || TokenSet {
        access_token: SecretString::from(format!("{SECRET}-access")),
        refresh_token: Some(SecretString::from(format!("{SECRET}-refresh"))),
        expires_at: None,
    };
    let cache = RefreshingTokenCache::new(tokens(), Arc::new(FixedRefresher));
    let bearer = BearerToken::new(SECRET.to_string());
    let basic = BasicCredentials::new(SECRET.to_string(), SECRET.to_string());
    let builder = HttpClientBuilder::new("t", &server.uri())
        .unwrap()
        .credentials(Arc::new(bearer.clone()));
    let built_debug = format!("{builder:?}");
    let client = builder.build().unwrap();
    let oauth_client = HttpClientBuilder::new("t", &server.uri())
        .unwrap()
        .credentials(Arc::new(RefreshingTokenCache::new(
            tokens(),
            Arc::new(FixedRefresher),
        )))
        .build()
        .unwrap();
    // A header value not marked sensitive is redacted by name; one marked sensitive by flag.
    let plain = HeaderValue::from_str(&format!("Bearer {SECRET}")).unwrap();
    let mut flagged = HeaderValue::from_str(SECRET).unwrap();
    flagged.set_sensitive(true);
    let req = Request::new(Method::POST, client.url("parties").unwrap())
        .header("authorization", plain.clone())
        .header("x-api-key", plain.clone())
        .header("cookie", plain)
        .header("x-custom-token", flagged)
        .json(&serde_json::json!({ "password": SECRET }))
        .unwrap();
    Mock::given(method("GET"))
        .respond_with(
            ResponseTemplate::new(200)
                .insert_header("set-cookie", format!("session={SECRET}").as_str())
                .set_body_string("{}"),
        )
        .mount(&server)
        .await;
    let resp = client.send(client.get("x").unwrap()).await.unwrap();
    let shown = [
        format!("{:?}", tokens()),
        format!("{cache:?}"),
        format!("{bearer:?}"),
        format!("{basic:?}"),
        built_debug,
        format!("{client:?}"),
        format!("{oauth_client:#?}"),
        format!("{req:?}"),
        format!("{req:#?}"),
        format!("{resp:?}"),
    ];
    for s in &shown {
        assert!(!s.contains(SECRET), "{s}");
    }
    assert!(
        shown[7].contains("[REDACTED]") && shown[7].contains("body_bytes"),
        "{}",
        shown[7]
    );
    assert!(shown[9].contains("[REDACTED]"), "{}", shown[9]);
    // What is shown is still useful.
    assert!(
        shown[4].starts_with("HttpClientBuilder") && shown[4].contains(&server.uri()),
        "{}",
        shown[4]
    );
    assert!(
        shown[5].starts_with("HttpClient {") && shown[5].contains("BearerToken([REDACTED])"),
        "{}",
        shown[5]
    );
    assert!(
        shown[7].contains("POST") && shown[7].contains("/parties"),
        "{}",
        shown[7]
    );
    assert!(shown[9].contains("status: 200"), "{}", shown[9]);
}

#[tokio::test]
async fn accessors_report_the_configuration() {
    let server = MockServer::start().await;
    let sleeper = RecordingSleeper::new();
    let c = client(&server, &sleeper).await;
    assert_eq!(c.vendor(), "test");
    assert_eq!(c.base_url().as_str(), format!("{}/api/v2/", server.uri()));
    assert_eq!(
        c.url("/parties/1").unwrap().as_str(),
        format!("{}/api/v2/parties/1", server.uri())
    );
    assert_eq!(c.get("x").unwrap().method, Method::GET);
    assert!(c.last_rate_limit().is_empty());
    assert_eq!(c.stats(), unicrm_core::crm::ClientStats::default());
}
