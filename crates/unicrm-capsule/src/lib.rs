#![doc = include_str!("../docs.md")]
#![forbid(unsafe_code)]

/// The vendor name (`Crm::vendor`, the registry's key).
pub const VENDOR: &str = "capsule";

pub mod auth;
pub mod capabilities;
pub mod changes;
mod client;
pub mod config;
pub mod errors;
pub mod hook_events;

pub mod filters;
pub mod hooks;
pub mod mapping;
pub mod paging;
pub mod repeat;
pub mod resources;
pub mod wire;

pub use auth::{CapsuleOAuth, CapsuleTokenFields, CapsuleTokens, OAuthSettings};
pub use client::CapsuleClient;
pub use config::{CapsuleClientBuilder, DEFAULT_BASE_URL};
pub use hook_events::CapsuleHookEvents;
pub use hooks::{
    Delivery, DeliveryError, DeliveryParser, HookChange, HookEvent, NewRestHook, RestHook,
    RestHooks, parse_delivery,
};
pub use resources::parties::PartyRecord;
#[allow(deprecated)]
pub use unicrm_core::auth::TokenSink;
pub use unicrm_core::auth::{MemoryTokenStore, TokenSet, TokenStore};
pub use unicrm_core::http::RetryPolicy;

use std::sync::Arc;

use secrecy::ExposeSecret;
use unicrm_core::registry::{Adapter, CrmConfig};

/// Capsule as a registry adapter (`unicrm_core::registry`): the credential `token` (a personal
/// access token); the options `base_url` and `requests_per_second` (a client-side pace; by
/// default only Capsule's `X-RateLimit-*` budget paces the client).
pub const ADAPTER: Adapter = Adapter::new("capsule", "Capsule CRM (API v2)", &["token"], connect);

/// A client from a registry config (unguarded; `unicrm_core::registry::connect` guards it).
pub fn connect(config: &CrmConfig) -> unicrm_core::Result<Arc<dyn unicrm_core::Crm>> {
    let token = config.require("token")?.expose_secret().to_string();
    let mut b = CapsuleClient::builder().personal_access_token(token);
    if let Some(url) = &config.options.base_url {
        b = b.base_url(url);
    }
    if let Some(n) = config.options.requests_per_second {
        b = b.rate_limiter(Arc::new(
            unicrm_core::http::GovernorRateLimiter::per_second(n, n),
        ));
    }
    Ok(Arc::new(b.build()?))
}

/// Registers [`ADAPTER`] in the process-wide registry.
pub fn register() {
    unicrm_core::registry::register(ADAPTER);
}
