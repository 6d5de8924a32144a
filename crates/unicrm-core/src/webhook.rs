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
    /// answers `503`, so the vendor delivers it again; a full or closed channel too.
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
        match s.source.receive(&headers, &body).await {
            Err(rejected) => {
                tracing::warn!(vendor = s.source.vendor(), error = %rejected, "webhook delivery rejected");
                status(rejected.status())
            }
            Ok(Err(e)) => {
                tracing::warn!(vendor = s.source.vendor(), error = %e, "webhook events not confirmed; the vendor will deliver again");
                StatusCode::SERVICE_UNAVAILABLE
            }
            Ok(Ok(events)) => {
                for e in events {
                    if s.events.send(e).await.is_err() {
                        return StatusCode::SERVICE_UNAVAILABLE;
                    }
                }
                StatusCode::NO_CONTENT
            }
        }
    }
}

#[cfg(feature = "webhooks")]
pub use receiver::webhook_router;
