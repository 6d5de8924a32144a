//! The HTTP plumbing shared by the adapters.
//!
//! One request goes: origin check → rate limiter → budget check → credentials → send →
//! classify the answer → on 401 refresh once (through the limiter again) → retry per
//! [`retry`]'s rules (with `backon`) → decode JSON with the path of any bad value.
//!
//! Extension points: an adapter plugs its [`ErrorBodyParser`] and [`RateLimitReader`] into
//! [`HttpClientBuilder`]; [`ClientOptions`] (with a shared [`ConnectionPool`]) is what every
//! adapter builder accepts.

pub mod classify;
mod client;
pub mod link_header;
mod options;
pub mod rate_limit;
#[cfg(feature = "redis")]
pub mod rate_limit_redis;
#[cfg(feature = "redis")]
pub(crate) mod redis_conn;
mod request;
pub mod retry;
pub mod retry_after;
mod send;
pub mod telemetry;

pub use classify::{ErrorBody, ErrorBodyParser, GenericErrorBody};
pub use client::{
    HttpClient, HttpClientBuilder, check_transport_security, is_loopback, parse_base_url,
};
pub use options::{ClientOptions, ConnectionPool};
pub use rate_limit::{GovernorRateLimiter, QuotaCheck, QuotaTracker, RateLimiter};
pub use request::{HttpResponse, Request};
pub use retry::{Repeatable, RetryClass, RetryPolicy};
pub use retry_after::{RateLimitHeaders, RateLimitReader, StandardRateLimitHeaders};

pub use http::{HeaderMap, HeaderValue, Method, StatusCode};
pub use url::Url;

/// Installs the `ring` crypto provider for rustls if no provider is installed yet.
/// [`HttpClientBuilder::build`] calls it; call it yourself before building other reqwest clients
/// in the same process.
pub fn install_crypto_provider() {
    let _ = rustls::crypto::ring::default_provider().install_default();
}
