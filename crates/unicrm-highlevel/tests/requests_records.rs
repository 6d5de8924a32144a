//! The exact requests of contact upsert, notes, tasks and appointments, checked with wiremock
//! (docs/vendors/highlevel-v2.md, "Duplicates and upsert", "Notes", "Tasks", "Calendars and
//! appointments").

use serde_json::{Value, json};
use unicrm_core::http::RetryPolicy;
use unicrm_core::{Crm, Email, Error, NewContact};
use unicrm_highlevel::HighLevelClient;
use wiremock::matchers::{body_json, header, method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

const LOCATION: &str = "h8Qz3LmN5pRt7VwX2yBc";

fn client(server: &MockServer) -> HighLevelClient {
    HighLevelClient::builder()
        .base_url(server.uri())
        .location_id(LOCATION)
        .private_integration_token("pit-0c5f5c1e-1111-2222-3333-444455556666")
        .retry(RetryPolicy {
            max_retries: 0,
            ..RetryPolicy::default()
        })
        .build()
        .expect("client")
}

fn ada(email: Option<&str>) -> NewContact {
    NewContact {
        first_name: Some("Ada".into()),
        emails: email
            .map(|a| Email {
                address: a.into(),
                primary: true,
                ..Default::default()
            })
            .into_iter()
            .collect(),
        ..Default::default()
    }
}

/// A create answered 500 (its outcome unknown) is not sent again as a create: the same body
/// goes to `POST /contacts/upsert`, which matches the email.
#[tokio::test]
async fn a_create_with_an_unknown_outcome_is_completed_by_upsert() {
    let server = MockServer::start().await;
    let body = json!({"locationId": LOCATION, "firstName": "Ada", "email": "ada@example.com"});
    Mock::given(method("POST"))
        .and(path("/contacts/"))
        .and(body_json(&body))
        .respond_with(ResponseTemplate::new(502))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/contacts/upsert"))
        .and(header("version", "2021-07-28"))
        .and(body_json(&body))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "new": false,
            "contact": {"id": "Ct1aB2cD3eF4gH5iJ6kL", "locationId": LOCATION,
                        "firstName": "Ada", "email": "ada@example.com"},
            "traceId": "0b1c2d3e-0000-4000-8000-000000000000",
        })))
        .expect(1)
        .mount(&server)
        .await;
    let c = client(&server);
    let made = c
        .contacts()
        .create(&ada(Some("ada@example.com")))
        .await
        .expect("upserted");
    assert_eq!(made.id.as_str(), "Ct1aB2cD3eF4gH5iJ6kL");
}

/// Without an email or phone upsert has nothing to match: the unknown outcome is returned
/// and nothing else is sent; a refused create (400 duplicate) is not upserted either.
#[tokio::test]
async fn a_create_without_match_keys_or_refused_is_not_upserted() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/contacts/"))
        .and(body_json(
            json!({"locationId": LOCATION, "firstName": "Ada"}),
        ))
        .respond_with(ResponseTemplate::new(503))
        .expect(1)
        .mount(&server)
        .await;
    let dup: Value = json!({"statusCode": 400, "message": "This location does not allow duplicated contacts.",
                            "meta": {"contactId": "Ct9fK2hL4mP6rT8vX0zB", "contactName": "x", "matchingField": "email"}});
    Mock::given(method("POST"))
        .and(path("/contacts/"))
        .and(body_json(
            json!({"locationId": LOCATION, "firstName": "Ada", "email": "ada@example.com"}),
        ))
        .respond_with(ResponseTemplate::new(400).set_body_json(dup))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/contacts/upsert"))
        .respond_with(ResponseTemplate::new(200))
        .expect(0)
        .mount(&server)
        .await;
    let c = client(&server);
    let e = c.contacts().create(&ada(None)).await.unwrap_err();
    assert!(e.outcome_unknown(), "{e:?}");
    let e = c
        .contacts()
        .create(&ada(Some("ada@example.com")))
        .await
        .unwrap_err();
    assert!(
        !e.outcome_unknown() && !matches!(e, Error::NotFound { .. }),
        "{e:?}"
    );
}
