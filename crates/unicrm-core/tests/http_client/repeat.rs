//! Retries judged by what a request does, and the DELETE answered 404 after an unknown outcome.

use std::time::Duration;

use unicrm_core::Error;
use unicrm_core::http::{Method, Request};
use unicrm_core::time::RecordingSleeper;
use wiremock::matchers::method;
use wiremock::{Mock, MockServer, ResponseTemplate};

use super::client;

async fn count(server: &MockServer) -> usize {
    server.received_requests().await.unwrap().len()
}

#[tokio::test]
async fn a_put_that_is_not_repeatable_is_sent_once_after_a_5xx() {
    let server = MockServer::start().await;
    Mock::given(method("PUT"))
        .respond_with(ResponseTemplate::new(502))
        .mount(&server)
        .await;
    let sleeper = RecordingSleeper::new();
    let c = client(&server, &sleeper).await;
    // Appends a phone row without an id: sending it twice would add two rows.
    let req = Request::new(Method::PUT, c.url("parties/1").unwrap()).repeatable(false);
    let err = c.send(req).await.unwrap_err();
    assert_eq!(err.status(), Some(502));
    assert!(err.outcome_unknown());
    assert_eq!(count(&server).await, 1);
    assert!(sleeper.delays().is_empty());
    // The same PUT by default is repeatable and retried.
    let req = Request::new(Method::PUT, c.url("parties/1").unwrap());
    c.send(req).await.unwrap_err();
    assert_eq!(count(&server).await, 1 + 6);
}

#[tokio::test]
async fn a_post_marked_repeatable_is_retried() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(503))
        .up_to_n_times(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(200).set_body_string(r#"{"ok":true}"#))
        .mount(&server)
        .await;
    let sleeper = RecordingSleeper::new();
    let c = client(&server, &sleeper).await;
    let req = Request::new(Method::POST, c.url("search").unwrap()).repeatable(true);
    let resp = c.send(req).await.unwrap();
    assert_eq!(resp.status, 200);
    assert!(!resp.already_applied);
    assert_eq!(sleeper.delays(), vec![Duration::from_millis(200)]);
    assert_eq!((c.stats().requests, c.stats().retries), (2, 1));
}

#[tokio::test]
async fn a_post_whose_2xx_body_is_cut_is_sent_once_even_with_retries_left() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(
            ResponseTemplate::new(201).set_body_raw(r#"{"party":{"id":"#, "application/json"),
        )
        .mount(&server)
        .await;
    let sleeper = RecordingSleeper::new();
    let c = client(&server, &sleeper).await;
    let resp = c
        .send(Request::new(Method::POST, c.url("parties").unwrap()))
        .await
        .unwrap();
    assert_eq!(resp.status, 201);
    assert_eq!(count(&server).await, 1);
    // Marked not repeatable, a GET with a cut body is handed back as it came, not retried.
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(200).set_body_raw(r#"{"a":"#, "application/json"))
        .mount(&server)
        .await;
    let resp = c
        .send(c.get("report").unwrap().repeatable(false))
        .await
        .unwrap();
    assert_eq!(&resp.body[..], br#"{"a":"#);
    assert_eq!(count(&server).await, 2);
    assert!(sleeper.delays().is_empty());
}

#[tokio::test]
async fn a_delete_retried_after_an_unknown_outcome_and_answered_404_succeeded() {
    let server = MockServer::start().await;
    Mock::given(method("DELETE"))
        .respond_with(ResponseTemplate::new(504))
        .up_to_n_times(1)
        .mount(&server)
        .await;
    Mock::given(method("DELETE"))
        .respond_with(ResponseTemplate::new(404).set_body_string(r#"{"message":"gone"}"#))
        .mount(&server)
        .await;
    let sleeper = RecordingSleeper::new();
    let c = client(&server, &sleeper).await;
    let resp = c
        .send(Request::new(Method::DELETE, c.url("parties/7").unwrap()))
        .await
        .unwrap();
    assert!(resp.already_applied);
    assert_eq!(resp.status, 204);
    assert!(resp.body.is_empty());
    assert_eq!(resp.url.path(), "/api/v2/parties/7");
    assert_eq!(count(&server).await, 2);
}

#[tokio::test]
async fn a_delete_answered_404_at_once_is_not_found() {
    let server = MockServer::start().await;
    Mock::given(method("DELETE"))
        .respond_with(ResponseTemplate::new(404))
        .mount(&server)
        .await;
    let sleeper = RecordingSleeper::new();
    let c = client(&server, &sleeper).await;
    let err = c
        .send(Request::new(Method::DELETE, c.url("parties/7").unwrap()))
        .await
        .unwrap_err();
    assert!(err.is_not_found(), "{err:?}");
    assert_eq!(count(&server).await, 1);
}

#[tokio::test]
async fn a_delete_answered_404_after_a_429_is_not_found() {
    // A 429 means the vendor did not act: the record was never there to delete.
    let server = MockServer::start().await;
    Mock::given(method("DELETE"))
        .respond_with(ResponseTemplate::new(429).insert_header("Retry-After", "1"))
        .up_to_n_times(1)
        .mount(&server)
        .await;
    Mock::given(method("DELETE"))
        .respond_with(ResponseTemplate::new(404))
        .mount(&server)
        .await;
    let sleeper = RecordingSleeper::new();
    let c = client(&server, &sleeper).await;
    let err = c
        .send(Request::new(Method::DELETE, c.url("parties/7").unwrap()))
        .await
        .unwrap_err();
    assert!(err.is_not_found(), "{err:?}");
    assert_eq!(count(&server).await, 2);
}

#[tokio::test]
async fn a_get_answered_404_after_a_5xx_stays_not_found() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(500))
        .up_to_n_times(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(404))
        .mount(&server)
        .await;
    let sleeper = RecordingSleeper::new();
    let c = client(&server, &sleeper).await;
    let err = c.send(c.get("parties/7").unwrap()).await.unwrap_err();
    assert!(matches!(err, Error::NotFound { .. }), "{err:?}");
}

#[tokio::test]
async fn a_delete_answered_404_after_several_unknown_outcomes_succeeded() {
    let server = MockServer::start().await;
    Mock::given(method("DELETE"))
        .respond_with(ResponseTemplate::new(500))
        .up_to_n_times(2)
        .mount(&server)
        .await;
    Mock::given(method("DELETE"))
        .respond_with(ResponseTemplate::new(404))
        .mount(&server)
        .await;
    let sleeper = RecordingSleeper::new();
    let c = client(&server, &sleeper).await;
    let resp = c
        .send(Request::new(Method::DELETE, c.url("parties/7").unwrap()))
        .await
        .unwrap();
    assert!(resp.already_applied);
    assert_eq!(count(&server).await, 3);
}

#[tokio::test]
async fn query_parameters_are_sent_and_absent_ones_leave_no_question_mark() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(wiremock::matchers::query_param("page", "2"))
        .and(wiremock::matchers::query_param("q", "a b&c"))
        .respond_with(ResponseTemplate::new(200).set_body_string("[]"))
        .expect(1)
        .mount(&server)
        .await;
    let sleeper = RecordingSleeper::new();
    let c = client(&server, &sleeper).await;
    let req = c
        .get("parties")
        .unwrap()
        .query("page", 2)
        .query("q", "a b&c");
    assert_eq!(req.full_url().query(), Some("page=2&q=a+b%26c"));
    c.send(req).await.unwrap();
    let plain = c.get("parties").unwrap();
    assert_eq!(
        plain.full_url().as_str(),
        format!("{}/api/v2/parties", server.uri())
    );
    assert!(!plain.full_url().as_str().contains('?'));
}
