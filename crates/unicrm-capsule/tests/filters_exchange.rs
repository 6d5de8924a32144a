//! The Filters API exchanges of the people-only listing, against `wiremock`
//! (docs/vendors/capsule-v2-addendum.md, "Filters API" and "Listing only people").
//!
//! The re-POST of the body to the `Link` URL is implied by the documentation, not stated
//! (confidence M), and whether every tenant has the endpoint is not said: the adapter codes
//! for both readings, and the tests below say so — one test per reading.

use futures::TryStreamExt;
use unicrm_capsule::CapsuleClient;
use unicrm_core::*;
use wiremock::matchers::{body_string, method, path, query_param};
use wiremock::{Mock, MockServer, ResponseTemplate};

const PEOPLE: &str =
    r#"{"filter":{"conditions":[{"field":"type","operator":"is","value":"person"}]}}"#;

fn client(server: &MockServer) -> CapsuleClient {
    CapsuleClient::builder()
        .base_url(&format!("{}/api/v2", server.uri()))
        .personal_access_token("pat-123".to_string())
        .build()
        .unwrap()
}

fn person(id: u64) -> serde_json::Value {
    serde_json::json!({"id": id, "type": "person", "firstName": "P", "lastName": id.to_string()})
}

async fn no_walk(server: &MockServer) {
    Mock::given(method("GET"))
        .and(path("/api/v2/parties"))
        .respond_with(ResponseTemplate::new(500))
        .expect(0)
        .mount(server)
        .await;
}

/// Reading 1 (the documented one): the endpoint pages by `Link`, and the next page is the
/// same body POSTed to the link's URL.
#[tokio::test]
async fn people_are_listed_by_posting_the_same_body_to_the_link_url() {
    let server = MockServer::start().await;
    no_walk(&server).await;
    let next = format!(
        "{}/api/v2/parties/filters/results?perPage=100&embed=tags,fields&page=2",
        server.uri()
    );
    Mock::given(method("POST"))
        .and(path("/api/v2/parties/filters/results"))
        .and(query_param("page", "2"))
        .and(body_string(PEOPLE))
        .respond_with(
            ResponseTemplate::new(200).set_body_json(serde_json::json!({"parties": [person(3)]})),
        )
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/api/v2/parties/filters/results"))
        .and(query_param("perPage", "100"))
        .and(query_param("embed", "tags,fields"))
        .and(body_string(PEOPLE))
        .respond_with(
            ResponseTemplate::new(200)
                .insert_header("link", format!("<{next}>; rel=\"next\"").as_str())
                .set_body_json(serde_json::json!({"parties": [person(1), person(2)]})),
        )
        .expect(1)
        .mount(&server)
        .await;
    let c = client(&server);
    let people: Vec<Contact> = c
        .contacts()
        .stream_all(ListParams::new())
        .try_collect()
        .await
        .unwrap();
    let ids: Vec<&str> = people.iter().map(|p| p.id.as_str()).collect();
    assert_eq!(ids, ["1", "2", "3"]);
}

/// Reading 1b: a server that ignored the condition still yields only people (the type is
/// checked again client-side).
#[tokio::test]
async fn organisations_in_filter_results_are_dropped() {
    let server = MockServer::start().await;
    no_walk(&server).await;
    Mock::given(method("POST"))
        .and(path("/api/v2/parties/filters/results"))
        .respond_with(ResponseTemplate::new(200).set_body_json(serde_json::json!({
            "parties": [person(1), {"id": 2, "type": "organisation", "name": "Org"}]
        })))
        .mount(&server)
        .await;
    let people: Vec<Contact> = client(&server).list_all(ListParams::new()).await.unwrap();
    assert_eq!(people.len(), 1);
    assert_eq!(people[0].id.as_str(), "1");
}

/// Reading 2: where the endpoint is missing (404 or 405), the listing falls back to walking
/// `GET /parties` and dropping organisations, as before the Filters API.
#[tokio::test]
async fn a_missing_filter_endpoint_falls_back_to_the_parties_walk() {
    for status in [404, 405] {
        let server = MockServer::start().await;
        Mock::given(method("POST"))
            .and(path("/api/v2/parties/filters/results"))
            .respond_with(
                ResponseTemplate::new(status)
                    .set_body_json(serde_json::json!({"message": "Could not find resource"})),
            )
            .expect(1)
            .mount(&server)
            .await;
        Mock::given(method("GET"))
            .and(path("/api/v2/parties"))
            .respond_with(ResponseTemplate::new(200).set_body_json(serde_json::json!({
                "parties": [{"id": 2, "type": "organisation", "name": "Org"}, person(5)]
            })))
            .expect(1)
            .mount(&server)
            .await;
        let people: Vec<Contact> = client(&server).list_all(ListParams::new()).await.unwrap();
        assert_eq!(people.len(), 1, "{status}");
        assert_eq!(people[0].id.as_str(), "5");
    }
}

/// The filter is a read: a 422 (our body refused) is an error, never a silent fallback.
#[tokio::test]
async fn a_refused_filter_is_an_error() {
    let server = MockServer::start().await;
    no_walk(&server).await;
    Mock::given(method("POST"))
        .and(path("/api/v2/parties/filters/results"))
        .respond_with(ResponseTemplate::new(422).set_body_json(serde_json::json!({
            "message": "Validation Failed",
            "errors": [{"message": "invalid field name", "resource": "filter", "field": "field"}]
        })))
        .mount(&server)
        .await;
    let err = client(&server)
        .contacts()
        .list(&ListParams::new())
        .await
        .unwrap_err();
    assert!(matches!(err, Error::Validation { .. }), "{err}");
}

/// Accounts use the same endpoint with `type is organisation`; `updated_since` keeps the
/// second-precision `GET /parties?since=` walk.
#[tokio::test]
async fn accounts_filter_by_organisation_and_since_keeps_the_walk() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/api/v2/parties/filters/results"))
        .and(body_string(
            r#"{"filter":{"conditions":[{"field":"type","operator":"is","value":"organisation"}]}}"#,
        ))
        .respond_with(ResponseTemplate::new(200).set_body_json(serde_json::json!({
            "parties": [{"id": 2, "type": "organisation", "name": "Org"}]
        })))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/api/v2/parties"))
        .and(query_param("since", "2025-03-01T00:00:00Z"))
        .respond_with(ResponseTemplate::new(200).set_body_json(serde_json::json!({
            "parties": [person(7), {"id": 8, "type": "organisation", "name": "New"}]
        })))
        .expect(1)
        .mount(&server)
        .await;
    let c = client(&server);
    let accounts: Vec<Account> = c.list_all(ListParams::new()).await.unwrap();
    assert_eq!(accounts[0].id.as_str(), "2");
    let since = chrono::DateTime::parse_from_rfc3339("2025-03-01T00:00:00Z")
        .unwrap()
        .with_timezone(&chrono::Utc);
    let people = c
        .contacts()
        .list(&ListParams::new().updated_since(since))
        .await
        .unwrap();
    assert_eq!(people.items.len(), 1);
    assert_eq!(people.items[0].id.as_str(), "7");
}
