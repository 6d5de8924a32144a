//! The exact requests the adapter sends, checked with wiremock: the `Version` header per
//! endpoint family, the bearer token, the search body, the refresh (and when none is made),
//! the agency → location exchange, and the reading of the fixtures' answers.

use std::sync::{Arc, Mutex};

use secrecy::ExposeSecret;
use serde_json::{Value, json};
use unicrm_core::auth::TokenSet;
use unicrm_core::http::RetryPolicy;
use unicrm_core::{Contact, ContactId, Crm, Error, ListParams};
use unicrm_highlevel::{HighLevelClient, OAuthSettings, Refusal};
use wiremock::matchers::{body_json, body_string_contains, header, method, path};
use wiremock::{Mock, MockServer, Request, ResponseTemplate};

const LOCATION: &str = "h8Qz3LmN5pRt7VwX2yBc";

fn fixture(name: &str) -> Value {
    let text = std::fs::read_to_string(format!(
        "{}/tests/fixtures/{name}",
        env!("CARGO_MANIFEST_DIR")
    ))
    .expect("fixture");
    serde_json::from_str(&text).expect("json")
}

fn no_retries() -> RetryPolicy {
    RetryPolicy {
        max_retries: 0,
        ..RetryPolicy::default()
    }
}

fn pit_client(server: &MockServer) -> HighLevelClient {
    HighLevelClient::builder()
        .base_url(server.uri())
        .location_id(LOCATION)
        .private_integration_token("pit-0c5f5c1e-1111-2222-3333-444455556666")
        .retry(no_retries())
        .build()
        .expect("client")
}

fn errors(name: &str) -> ResponseTemplate {
    let e = &fixture("errors.json")[name];
    ResponseTemplate::new(e["status"].as_u64().unwrap_or(500) as u16).set_body_json(&e["body"])
}

/// docs/vendors/highlevel-v2.md, "Contacts search and searchAfter": the body of the first
/// page, then the second page sent with the last hit's `searchAfter` copied verbatim.
#[tokio::test]
async fn a_listing_sends_the_search_body_with_version_and_bearer() {
    let server = MockServer::start().await;
    let page = fixture("contacts-search-page.json");
    let last_after = page["contacts"][2]["searchAfter"].clone();
    Mock::given(method("POST"))
        .and(path("/contacts/search"))
        .and(header("version", "2021-07-28"))
        .and(header(
            "authorization",
            "Bearer pit-0c5f5c1e-1111-2222-3333-444455556666",
        ))
        .and(body_json(json!({
            "locationId": LOCATION,
            "pageLimit": 3,
            "filters": [{"field": "dateUpdated", "operator": "range",
                         "value": {"gte": "2026-03-01T00:00:00.000Z"}}],
            "sort": [{"field": "dateUpdated", "direction": "asc"}],
        })))
        .respond_with(ResponseTemplate::new(200).set_body_json(&page))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/contacts/search"))
        .and(body_json(json!({
            "locationId": LOCATION,
            "pageLimit": 3,
            "filters": [{"field": "dateUpdated", "operator": "range",
                         "value": {"gte": "2026-03-01T00:00:00.000Z"}}],
            "sort": [{"field": "dateUpdated", "direction": "asc"}],
            "searchAfter": last_after,
        })))
        .respond_with(
            ResponseTemplate::new(200).set_body_json(json!({"contacts": [], "total": 57})),
        )
        .expect(1)
        .mount(&server)
        .await;
    let crm = pit_client(&server);
    let since = chrono::DateTime::parse_from_rfc3339("2026-03-01T00:00:00Z")
        .unwrap()
        .to_utc();
    let params = ListParams::new().page_size(3).updated_since(since);
    let first = crm.contacts().list(&params).await.expect("page 1");
    assert_eq!(first.items.len(), 3);
    assert_eq!(first.total, Some(57));
    let next = first.next.expect("57 in all: a next page");
    let second = crm
        .contacts()
        .list(&params.clone().cursor(Some(next)))
        .await
        .expect("page 2");
    assert!(second.items.is_empty() && second.next.is_none());
}

#[tokio::test]
async fn the_version_table_gives_calendars_their_own_value_and_the_token_endpoint_none() {
    let v = unicrm_highlevel::Versions::default();
    assert_eq!(
        v.for_path("calendars/events/appointments/x"),
        Some("2021-04-15")
    );
    assert_eq!(v.for_path("oauth/token"), None);
}

/// An unknown contact id answers 400 (docs/vendors/highlevel-v2.md, "Errors"): `NotFound`.
#[tokio::test]
async fn an_unknown_contact_is_not_found_and_a_bad_id_sends_nothing() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/contacts/Ct0nOtThErE000000000"))
        .and(header("version", "2021-07-28"))
        .respond_with(errors("contact_not_found"))
        .expect(1)
        .mount(&server)
        .await;
    let crm = pit_client(&server);
    let err = crm
        .contacts()
        .get(&ContactId::new("Ct0nOtThErE000000000"))
        .await
        .unwrap_err();
    assert!(matches!(err, Error::NotFound { .. }), "{err:?}");
    let err = crm
        .contacts()
        .get(&ContactId::new("../users"))
        .await
        .unwrap_err();
    assert!(matches!(err, Error::NotFound { .. }), "{err:?}");
    assert_eq!(crm.stats().requests, 1);
}

#[tokio::test]
async fn a_contact_is_read_from_the_get_fixture() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/contacts/Ct9fK2hL4mP6rT8vX0zB"))
        .respond_with(ResponseTemplate::new(200).set_body_json(fixture("contact.json")))
        .mount(&server)
        .await;
    let c: Contact = pit_client(&server)
        .contacts()
        .get(&ContactId::new("Ct9fK2hL4mP6rT8vX0zB"))
        .await
        .expect("contact");
    assert_eq!(c.first_name.as_deref(), Some("Jürgen"));
    assert_eq!(c.emails.len(), 2);
    assert!(c.emails[0].primary);
    assert_eq!(
        c.account_id.as_ref().map(|a| a.as_str()),
        Some("66f1c2d3e4a5b6c7d8e9f0a1")
    );
    assert_eq!(c.custom_fields.len(), 5);
}

// Through the deprecated sink adapter on purpose: it must keep working.
#[allow(deprecated)]
fn oauth_client(server: &MockServer, sink: Arc<Mutex<Vec<String>>>) -> HighLevelClient {
    HighLevelClient::builder()
        .base_url(server.uri())
        .location_id(LOCATION)
        .oauth(
            OAuthSettings::new("client-1", "secret-1".to_string()),
            TokenSet {
                access_token: "at-0".to_string().into(),
                refresh_token: Some("rt-0".to_string().into()),
                expires_at: None,
            },
        )
        .token_sink(Arc::new(move |t: &TokenSet| {
            sink.lock().unwrap().push(
                t.refresh_token
                    .as_ref()
                    .map(|r| r.expose_secret().to_string())
                    .unwrap_or_default(),
            )
        }))
        .retry(no_retries())
        .build()
        .expect("client")
}

fn token_body(n: u32) -> Value {
    json!({"access_token": format!("at-{n}"), "token_type": "Bearer", "expires_in": 86399,
           "refresh_token": format!("rt-{n}"), "scope": "contacts.readonly contacts.write",
           "userType": "Location", "locationId": LOCATION, "companyId": "Cm4Kp9Rs2Tv6Xy8Za1Bd"})
}

/// docs/vendors/highlevel-v2.md, "Token refresh and rotation": an expired token draws one
/// refresh (a form without `Version` or `Authorization`, with `user_type`), the rotated pair
/// is stored, and the call is sent again with the new token.
#[tokio::test]
async fn an_expired_token_is_refreshed_once_and_the_rotated_pair_stored() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/contacts/Ct9fK2hL4mP6rT8vX0zB"))
        .and(header("authorization", "Bearer at-0"))
        .respond_with(errors("invalid_or_expired_token"))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/contacts/Ct9fK2hL4mP6rT8vX0zB"))
        .and(header("authorization", "Bearer at-1"))
        .respond_with(ResponseTemplate::new(200).set_body_json(fixture("contact.json")))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/oauth/token"))
        .and(header("content-type", "application/x-www-form-urlencoded"))
        .and(body_string_contains("grant_type=refresh_token"))
        .and(body_string_contains("refresh_token=rt-0"))
        .and(body_string_contains("user_type=Location"))
        .and(body_string_contains("client_id=client-1"))
        .respond_with(ResponseTemplate::new(200).set_body_json(token_body(1)))
        .expect(1)
        .mount(&server)
        .await;
    let stored = Arc::new(Mutex::new(Vec::new()));
    let crm = oauth_client(&server, stored.clone());
    crm.contacts()
        .get(&ContactId::new("Ct9fK2hL4mP6rT8vX0zB"))
        .await
        .expect("read after one refresh");
    assert_eq!(*stored.lock().unwrap(), ["rt-1"]);
    let token_calls: Vec<Request> = server
        .received_requests()
        .await
        .unwrap()
        .into_iter()
        .filter(|r| r.url.path() == "/oauth/token")
        .collect();
    assert_eq!(token_calls.len(), 1);
    assert!(token_calls[0].headers.get("version").is_none());
    assert!(token_calls[0].headers.get("authorization").is_none());
}

/// Only a bad or expired token is refreshed: a missing scope, an agency PIT, a Company token,
/// another location and a missing `Version` fail at once, each its own kind, and the
/// single-use refresh token is not spent.
#[tokio::test]
async fn other_refusals_do_not_refresh() {
    for (scenario, kind) in [
        ("scope_missing", Refusal::ScopeMissing),
        ("agency_pit_on_location_endpoint", Refusal::UserTypeMismatch),
        ("company_oauth_token_on_location_scope", Refusal::AuthClass),
        ("wrong_location", Refusal::WrongLocation),
        ("missing_version_header", Refusal::VersionMissing),
    ] {
        let server = MockServer::start().await;
        Mock::given(method("GET"))
            .respond_with(errors(scenario))
            .expect(1)
            .mount(&server)
            .await;
        Mock::given(method("POST"))
            .and(path("/oauth/token"))
            .respond_with(ResponseTemplate::new(200).set_body_json(token_body(1)))
            .expect(0)
            .mount(&server)
            .await;
        let stored = Arc::new(Mutex::new(Vec::new()));
        let crm = oauth_client(&server, stored.clone());
        let err = crm
            .contacts()
            .get(&ContactId::new("Ct9fK2hL4mP6rT8vX0zB"))
            .await
            .unwrap_err();
        assert_eq!(
            unicrm_highlevel::refusal(&err),
            Some(kind),
            "{scenario}: {err:?}"
        );
        assert!(stored.lock().unwrap().is_empty(), "{scenario}");
    }
}

/// docs/vendors/highlevel-v2.md, "Location tokens from an agency token".
#[tokio::test]
async fn an_agency_token_is_exchanged_for_a_location_token() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/oauth/locationToken"))
        .and(header("authorization", "Bearer company-at"))
        .and(header("version", "2021-07-28"))
        .and(header("content-type", "application/x-www-form-urlencoded"))
        .and(body_string_contains("companyId=Cm4Kp9Rs2Tv6Xy8Za1Bd"))
        .and(body_string_contains(format!("locationId={LOCATION}")))
        .respond_with(ResponseTemplate::new(201).set_body_json(json!({
            "access_token": "loc-at", "token_type": "Bearer", "expires_in": 86399,
            "scope": "contacts.readonly oauth.readonly oauth.write", "locationId": LOCATION,
            "userType": "Location", "userId": "Us1aB2cD3eF4gH5iJ6kL"})))
        .expect(1)
        .mount(&server)
        .await;
    let oauth = unicrm_highlevel::HighLevelOAuth::new(
        OAuthSettings::new("client-1", "secret-1".to_string()),
        &server.uri(),
    )
    .unwrap();
    let t = oauth
        .location_token(
            &"company-at".to_string().into(),
            "Cm4Kp9Rs2Tv6Xy8Za1Bd",
            LOCATION,
        )
        .await
        .expect("minted");
    assert_eq!(t.tokens.access_token.expose_secret(), "loc-at");
    assert_eq!(t.location_id.as_deref(), Some(LOCATION));
    assert!(t.scopes.iter().any(|s| s == "oauth.write"));
    // A bad code: the token endpoint's own envelope.
    Mock::given(method("POST"))
        .and(path("/oauth/token"))
        .respond_with(errors("oauth_bad_code"))
        .mount(&server)
        .await;
    let err = oauth
        .exchange_code("nope", "https://app.example/cb")
        .await
        .unwrap_err();
    assert!(matches!(err, Error::Unauthenticated { .. }), "{err:?}");
    assert!(
        err.to_string().contains("Authorization code not found"),
        "{err}"
    );
    let url = oauth.authorize_url(
        "https://app.example/cb",
        &["contacts.readonly", "contacts.write"],
        Some("s1"),
    );
    assert!(
        url.starts_with(
            "https://marketplace.gohighlevel.com/v2/oauth/chooselocation?response_type=code"
        ),
        "{url}"
    );
    assert!(
        url.contains("scope=contacts.readonly+contacts.write") && url.contains("state=s1"),
        "{url}"
    );
}
