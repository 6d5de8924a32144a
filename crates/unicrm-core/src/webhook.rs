//! Webhook deliveries as [`Event`]s: the trait an adapter implements for its vendor's
//! deliveries, and (feature `webhooks`) an embeddable axum receiver.
//!
//! A [`WebhookSource`] verifies one delivery (a signature where the vendor signs, a size cap
//! always) and parses it into events, then confirms them before they are trusted: a vendor
//! that signs nothing (Capsule) has its events confirmed by reading the records back, so a
//! forged "deleted" is never passed on. The receiver answers `413` to an oversized body, `401`
//! to a bad signature and `400` to a malformed one, and emits nothing for any of them.

use async_trait::async_trait;
use http::HeaderMap;

use crate::error::Result;
use crate::event::Event;

/// Why a delivery was rejected (nothing from it is emitted).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum WebhookError {
    /// The body is larger than the source accepts.
    #[error("delivery of {size} bytes is larger than the {limit}-byte limit")]
    TooLarge {
        /// Body size.
        size: usize,
        /// The limit.
        limit: usize,
    },
    /// The signature is missing or does not verify.
    #[error("delivery signature rejected: {0}")]
    BadSignature(String),
    /// The body is not a delivery of this vendor.
    #[error("malformed delivery: {0}")]
    Malformed(String),
}

impl WebhookError {
    /// The HTTP status a receiver answers with.
    pub fn status(&self) -> u16 {
        match self {
            WebhookError::TooLarge { .. } => 413,
            WebhookError::BadSignature(_) => 401,
            WebhookError::Malformed(_) => 400,
        }
    }
}

/// A vendor's webhook deliveries.
#[async_trait]
pub trait WebhookSource: Send + Sync {
    /// The vendor name.
    fn vendor(&self) -> &str;

    /// The largest body accepted.
    fn max_bytes(&self) -> usize {
        1 << 20
    }

    /// The status that tells this vendor to deliver again later: answered when the receiver
    /// is busy (its channel full) or the events cannot be confirmed yet. `503` by default; a
    /// vendor that retries only on another status says so (HighLevel retries only on `429`).
    fn retry_status(&self) -> u16 {
        503
    }

    /// Verifies and parses one delivery (never panics, whatever the bytes).
    fn parse(
        &self,
        headers: &HeaderMap,
        body: &[u8],
    ) -> std::result::Result<Vec<Event>, WebhookError>;

    /// Confirms parsed events before they are emitted: the default passes them on (for
    /// signed deliveries); a source of unsigned deliveries reads the records back and drops
    /// what the vendor does not confirm.
    async fn confirm(&self, events: Vec<Event>) -> Result<Vec<Event>> {
        Ok(events)
    }

    /// Verifies, parses and confirms one delivery.
    async fn receive(
        &self,
        headers: &HeaderMap,
        body: &[u8],
    ) -> std::result::Result<Result<Vec<Event>>, WebhookError> {
        if body.len() > self.max_bytes() {
            return Err(WebhookError::TooLarge {
                size: body.len(),
                limit: self.max_bytes(),
            });
        }
        let events = self.parse(headers, body)?;
        Ok(self.confirm(events).await)
    }
}

#[cfg(feature = "webhooks")]
mod receiver {
    use std::sync::Arc;

    use axum::Router;
    use axum::body::Bytes;
    use axum::extract::{DefaultBodyLimit, State};
    use axum::http::{HeaderMap, StatusCode};
    use axum::routing::post;
    use tokio::sync::mpsc;

    use super::WebhookSource;
    use crate::event::Event;

    #[derive(Clone)]
    struct Shared {
        source: Arc<dyn WebhookSource>,
        events: mpsc::Sender<Event>,
    }

    /// A router that takes deliveries with `POST` on `path` and sends their confirmed events
    /// to `events`. A delivery whose events cannot be confirmed (the vendor unreachable)
    /// answers the source's [`WebhookSource::retry_status`] (`503` by default), so the vendor
    /// delivers it again; so does a full or closed channel. Room for one event is taken
    /// before the delivery is parsed, so a busy receiver refuses a delivery before a source
    /// that remembers delivery ids has seen it (its redelivery is not taken for a replay);
    /// room for the others is taken before any is sent, so a delivery is passed on whole or
    /// not at all.
    pub fn webhook_router(
        path: &str,
        source: Arc<dyn WebhookSource>,
        events: mpsc::Sender<Event>,
    ) -> Router {
        let limit = source.max_bytes();
        Router::new()
            .route(path, post(deliver))
            // The body is read one byte past the limit, so an oversized one is told apart.
            .layer(DefaultBodyLimit::max(limit.saturating_add(1)))
            .with_state(Shared { source, events })
    }

    async fn deliver(State(s): State<Shared>, headers: HeaderMap, body: Bytes) -> StatusCode {
        let status = |n: u16| StatusCode::from_u16(n).unwrap_or(StatusCode::BAD_REQUEST);
        let busy = status(s.source.retry_status());
        let Ok(first) = s.events.try_reserve() else {
            tracing::warn!(
                vendor = s.source.vendor(),
                "webhook receiver busy; the vendor will deliver again"
            );
            return busy;
        };
        match s.source.receive(&headers, &body).await {
            Err(rejected) => {
                tracing::warn!(vendor = s.source.vendor(), error = %rejected, "webhook delivery rejected");
                status(rejected.status())
            }
            Ok(Err(e)) => {
                tracing::warn!(vendor = s.source.vendor(), error = %e, "webhook events not confirmed; the vendor will deliver again");
                busy
            }
            Ok(Ok(events)) => {
                let mut events = events.into_iter();
                let Some(head) = events.next() else {
                    return StatusCode::NO_CONTENT;
                };
                let rest: Vec<Event> = events.collect();
                let permits = if rest.is_empty() {
                    None
                } else {
                    match s.events.try_reserve_many(rest.len()) {
                        Ok(p) => Some(p),
                        Err(_) => {
                            tracing::warn!(
                                vendor = s.source.vendor(),
                                "webhook receiver busy; the vendor will deliver again"
                            );
                            return busy;
                        }
                    }
                };
                first.send(head);
                if let Some(permits) = permits {
                    for (permit, e) in permits.zip(rest) {
                        permit.send(e);
                    }
                }
                StatusCode::NO_CONTENT
            }
        }
    }
}

#[cfg(feature = "webhooks")]
pub use receiver::webhook_router;

#[cfg(all(test, feature = "webhooks"))]
mod tests {
    use std::sync::Arc;

    use super::*;
    use crate::ResourceKind;
    use crate::event::{EventAction, EventSource};

    /// Deliveries whose body is a list of contact ids, one event each; `retry` overrides the
    /// busy status.
    struct Ids(Option<u16>);

    #[async_trait]
    impl WebhookSource for Ids {
        fn vendor(&self) -> &str {
            "ids"
        }
        fn retry_status(&self) -> u16 {
            self.0.unwrap_or(503)
        }
        fn parse(
            &self,
            _headers: &HeaderMap,
            body: &[u8],
        ) -> std::result::Result<Vec<Event>, WebhookError> {
            let text =
                std::str::from_utf8(body).map_err(|e| WebhookError::Malformed(e.to_string()))?;
            Ok(text
                .split(',')
                .filter(|s| !s.is_empty())
                .map(|id| Event {
                    vendor: "ids".into(),
                    kind: ResourceKind::Contact,
                    action: EventAction::Updated,
                    id: id.into(),
                    record: None,
                    occurred_at: None,
                    source: EventSource::Webhook,
                })
                .collect())
        }
    }

    async fn serve(source: Ids, capacity: usize) -> (String, tokio::sync::mpsc::Receiver<Event>) {
        let (tx, rx) = tokio::sync::mpsc::channel(capacity);
        let app = webhook_router("/hook", Arc::new(source), tx);
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        (format!("http://{addr}/hook"), rx)
    }

    async fn post(url: &str, body: &'static str) -> u16 {
        reqwest::Client::new()
            .post(url)
            .body(body)
            .send()
            .await
            .unwrap()
            .status()
            .as_u16()
    }

    #[test]
    fn the_default_retry_status_is_503() {
        struct Plain;
        impl WebhookSource for Plain {
            fn vendor(&self) -> &str {
                "plain"
            }
            fn parse(
                &self,
                _: &HeaderMap,
                _: &[u8],
            ) -> std::result::Result<Vec<Event>, WebhookError> {
                Ok(Vec::new())
            }
        }
        assert_eq!(Plain.retry_status(), 503);
    }

    #[tokio::test]
    async fn a_full_channel_answers_the_sources_retry_status_and_passes_nothing_on() {
        crate::http::install_crypto_provider();
        for (retry, want) in [(None, 503), (Some(429), 429)] {
            let (url, mut rx) = serve(Ids(retry), 2).await;
            assert_eq!(post(&url, "a").await, 204);
            assert_eq!(post(&url, "b").await, 204);
            // Full: refused before parsing, with the source's status.
            assert_eq!(post(&url, "c").await, want);
            assert_eq!(rx.recv().await.map(|e| e.id).as_deref(), Some("a"));
            // Room for one, but the delivery has two events: refused whole.
            assert_eq!(post(&url, "d,e").await, want);
            assert_eq!(rx.recv().await.map(|e| e.id).as_deref(), Some("b"));
            assert!(
                rx.try_recv().is_err(),
                "nothing of a refused delivery is passed on"
            );
            // Room again: the redelivery goes through whole.
            assert_eq!(post(&url, "d,e").await, 204);
            let got: Vec<String> = [rx.recv().await, rx.recv().await]
                .into_iter()
                .flatten()
                .map(|e| e.id)
                .collect();
            assert_eq!(got, ["d", "e"]);
            // A closed channel: the same status.
            drop(rx);
            assert_eq!(post(&url, "f").await, want);
        }
    }
}
