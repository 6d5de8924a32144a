//! The HTTP plumbing shared by the adapters.
//!
//! One request goes: rate limiter → budget check → credentials → send → classify the answer →
//! on 401 refresh once → retry per [`retry`]'s rules (with `backon`) → decode JSON with the
//! path of any bad value.

pub mod classify;
mod client;
pub mod link_header;
pub mod rate_limit;
pub mod retry;
pub mod retry_after;

pub use client::{HttpClient, HttpClientBuilder, HttpResponse, Request};
pub use rate_limit::{GovernorRateLimiter, QuotaCheck, QuotaTracker, RateLimiter};
pub use retry::RetryPolicy;

pub use http::{HeaderMap, HeaderValue, Method, StatusCode};
pub use url::Url;

/// Installs the `ring` crypto provider for rustls if no provider is installed yet.
/// [`HttpClientBuilder::build`] calls it; call it yourself before building other reqwest clients
/// in the same process.
pub fn install_crypto_provider() {
    let _ = rustls::crypto::ring::default_provider().install_default();
}
