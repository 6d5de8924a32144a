//! Transport failures over a raw socket (a body cut short, a server that never answers) and
//! body handling (size cap, empty and non-JSON bodies).

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;
use unicrm_core::Error;
use unicrm_core::error::TransportKind;
use unicrm_core::http::{HttpClient, HttpClientBuilder, Method, Request, RetryPolicy};
use unicrm_core::time::RecordingSleeper;
use wiremock::matchers::method;
use wiremock::{Mock, MockServer, ResponseTemplate};

use super::{client, policy};

/// A server that answers every connection with `reply` and then closes it; counts connections.
async fn raw_server(reply: &'static str) -> (String, Arc<AtomicUsize>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let hits = Arc::new(AtomicUsize::new(0));
    let h = hits.clone();
    tokio::spawn(async move {
        while let Ok((mut sock, _)) = listener.accept().await {
            h.fetch_add(1, Ordering::SeqCst);
            tokio::spawn(async move {
                let mut buf = [0u8; 4096];
                let _ = sock.read(&mut buf).await;
                if !reply.is_empty() {
                    let _ = sock.write_all(reply.as_bytes()).await;
                    let _ = sock.shutdown().await;
                } else {
                    // Never answer; hold the connection until the client gives up.
                    let _ = sock.read(&mut buf).await;
                }
            });
        }
    });
    (format!("http://{addr}/"), hits)
}

fn raw_client(base: &str, sleeper: &RecordingSleeper, retries: usize) -> HttpClient {
    HttpClientBuilder::new("test", base)
        .unwrap()
        .retry(RetryPolicy {
            max_retries: retries,
            ..policy()
        })
        .sleeper(Arc::new(sleeper.clone()))
        .timeout(Duration::from_millis(300))
        .build()
        .unwrap()
}

const CUT: &str = "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: 100\r\n\r\n{\"parties\":[";

#[tokio::test]
async fn a_body_cut_short_is_interrupted_retried_for_get_not_for_post() {
    let (base, hits) = raw_server(CUT).await;
    let sleeper = RecordingSleeper::new();
    let c = raw_client(&base, &sleeper, 2);
    let err = c.send(c.get("parties").unwrap()).await.unwrap_err();
    assert!(
        matches!(
            err,
            Error::Transport {
                kind: TransportKind::Interrupted,
                ..
            }
        ),
        "{err:?}"
    );
    assert!(err.outcome_unknown());
    assert_eq!(hits.load(Ordering::SeqCst), 3);
    let err = c
        .send(Request::new(Method::POST, c.url("parties").unwrap()))
        .await
        .unwrap_err();
    assert!(err.outcome_unknown(), "{err:?}");
    assert_eq!(hits.load(Ordering::SeqCst), 4);
}

#[tokio::test]
async fn a_server_that_never_answers_times_out_retried_for_get_not_for_post() {
    // The server never answers at all, so the outcome does not depend on how long we wait.
    let (base, hits) = raw_server("").await;
    let sleeper = RecordingSleeper::new();
    let c = raw_client(&base, &sleeper, 1);
    let err = c.send(c.get("parties").unwrap()).await.unwrap_err();
    assert!(
        matches!(
            err,
            Error::Transport {
                kind: TransportKind::Timeout,
                ..
            }
        ),
        "{err:?}"
    );
    assert_eq!(hits.load(Ordering::SeqCst), 2);
    let err = c
        .send(Request::new(Method::POST, c.url("parties").unwrap()))
        .await
        .unwrap_err();
    assert!(matches!(
        err,
        Error::Transport {
            kind: TransportKind::Timeout,
            ..
        }
    ));
    assert_eq!(hits.load(Ordering::SeqCst), 3);
}

#[tokio::test]
async fn bodies_up_to_the_cap_are_read_and_larger_ones_refused() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(200).set_body_string(r#"{"a":"0123456789"}"#))
        .mount(&server)
        .await;
    let build = |cap: usize| {
        HttpClientBuilder::new("test", &server.uri())
            .unwrap()
            .retry(RetryPolicy::none())
            .max_body_bytes(cap)
            .build()
            .unwrap()
    };
    let len = r#"{"a":"0123456789"}"#.len();
    let ok = build(len).send(build(len).get("x").unwrap()).await.unwrap();
    assert_eq!(ok.body.len(), len);
    let c = build(len - 1);
    let err = c.send(c.get("x").unwrap()).await.unwrap_err();
    assert!(
        matches!(err, Error::Transport { kind: TransportKind::Other, ref message, .. } if message.contains("larger than")),
        "{err:?}"
    );
}

#[tokio::test]
async fn empty_and_non_json_2xx_bodies_are_handed_back_as_they_are() {
    let server = MockServer::start().await;
    Mock::given(method("DELETE"))
        .respond_with(ResponseTemplate::new(200).insert_header("content-type", "application/json"))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(200).set_body_raw("<html>ok", "text/html"))
        .mount(&server)
        .await;
    let sleeper = RecordingSleeper::new();
    let c = client(&server, &sleeper).await;
    let resp = c
        .send(Request::new(Method::DELETE, c.url("parties/1").unwrap()))
        .await
        .unwrap();
    assert!(resp.body.is_empty() && !resp.already_applied);
    let resp = c.send(c.get("page").unwrap()).await.unwrap();
    assert_eq!(&resp.body[..], b"<html>ok");
    assert_eq!(resp.header("content-type"), Some("text/html"));
    assert_eq!(server.received_requests().await.unwrap().len(), 2);
    assert!(sleeper.delays().is_empty());
}
