//! # unicrm-highlevel
//!
//! The unicrm adapter for HighLevel (GoHighLevel / LeadConnector API v2), written only
//! against `unicrm-core`. Vendor facts are cited from `docs/vendors/highlevel-v2.md` by
//! section title.
//!
//! | file | what |
//! | --- | --- |
//! | [`config`] | the builder: base URL, location, PIT or OAuth tokens, `Version` table, pace |
//! | [`auth`] | OAuth 2.0: consent URL, code exchange, refresh with rotation, agency → location tokens |
//! | `client.rs` | [`HighLevelClient`], its `Crm` impl, and the request plumbing (`Version`, errors) |
//! | [`errors`] | the error-body parser, the kinds of refusal, the rate-limit headers |
//! | [`pages`] | page bodies → unified records, without a client (the mapping-cost figure) |
//! | `paging.rs` | `searchAfter` paging as core cursors |
//! | [`capabilities`] | what the adapter supports, as data |
//! | `changes.rs` | the contact change feed (`dateUpdated`, the vendor's clock) |
//! | [`hooks`] | webhook deliveries: Ed25519 (and legacy RSA) signatures, replays, unified events |
//! | [`hook_events`] | [`HighLevelHookEvents`]: core's `WebhookSource` (deliveries → `Event`s) |
//! | `resources/*.rs` | one struct per resource |
//! | `mapping/*.rs` | wire ↔ unified, pure functions |
//! | `wire/*.rs` | HighLevel's JSON, as serde types |
//!
//! ```no_run
//! use unicrm_core::{Contact, CrmExt, ListParams};
//! # async fn demo() -> unicrm_core::Result<()> {
//! let crm = unicrm_highlevel::HighLevelClient::builder()
//!     .location_id("h8Qz3LmN5pRt7VwX2yBc")
//!     .private_integration_token("pit-…")
//!     .build()?;
//! let all: Vec<Contact> = crm.list_all(ListParams::new()).await?;
//! # Ok(()) }
//! ```
#![forbid(unsafe_code)]

pub mod auth;
pub mod capabilities;
mod capabilities_records;
mod changes;
mod client;
pub mod config;
pub mod errors;
pub mod hook_events;
pub mod hooks;
mod mapping;
pub mod pages;
mod paging;
mod resources;
mod wire;

pub use auth::{HighLevelOAuth, HighLevelTokens, OAuthSettings, UserType};
pub use client::HighLevelClient;
pub use config::{DEFAULT_BASE_URL, HighLevelBuilder, Versions};
pub use errors::{Refusal, refusal};
pub use hook_events::HighLevelHookEvents;
pub use hooks::{Delivery, DeliveryError, HookEvent, WebhookKeys, WebhookVerifier};
#[allow(deprecated)]
pub use unicrm_core::auth::TokenSink;
pub use unicrm_core::auth::{MemoryTokenStore, TokenSet, TokenStore};

use std::sync::Arc;

use secrecy::ExposeSecret;
use unicrm_core::registry::{Adapter, CrmConfig};

/// The vendor name (`Crm::vendor`).
pub const VENDOR: &str = "highlevel";

/// HighLevel as a registry adapter: the credential `token` (a sub-account private
/// integration token) and the option `location_id` (required); `base_url`,
/// `requests_per_second` (a client-side pace instead of the default 98 per 10 s),
/// `company_id` (lets users be listed by `GET /users/search`), `currency` (the location's,
/// `USD` by default) and `feed_page_size` (a number: the change streams' page, so the batch,
/// size) as options.
pub const ADAPTER: Adapter = Adapter::new(
    VENDOR,
    "HighLevel (LeadConnector API v2)",
    &["token"],
    connect,
);

/// A client from a registry config (unguarded: the registry guards it).
pub fn connect(config: &CrmConfig) -> unicrm_core::Result<Arc<dyn unicrm_core::Crm>> {
    let token = config.require("token")?.expose_secret().to_string();
    let location = config.options.location_id.clone().ok_or_else(|| {
        unicrm_core::Error::config("highlevel: the option location_id is required")
    })?;
    let mut b = HighLevelClient::builder()
        .private_integration_token(token)
        .location_id(location);
    if let Some(url) = &config.options.base_url {
        b = b.base_url(url);
    }
    // Adapter options: `company_id` (users search) and `currency` (opportunity amounts).
    let other = |k: &str| config.options.other.get(k).and_then(|v| v.as_str());
    if let Some(company) = other("company_id") {
        b = b.company_id(company);
    }
    if let Some(code) = other("currency") {
        b = b.currency(unicrm_core::Currency::new(code).ok_or_else(|| {
            unicrm_core::Error::config("highlevel: the option currency is a 3-letter code")
        })?);
    }
    if let Some(v) = config.options.other.get("feed_page_size") {
        let n = v
            .as_u64()
            .and_then(|n| u32::try_from(n).ok())
            .filter(|n| *n > 0);
        b = b.feed_page_size(n.ok_or_else(|| {
            unicrm_core::Error::config("highlevel: the option feed_page_size is a positive number")
        })?);
    }
    if let Some(n) = config.options.requests_per_second {
        b = b.rate_limiter(Arc::new(
            unicrm_core::http::GovernorRateLimiter::per_second(n, std::num::NonZeroU32::MIN),
        ));
    }
    Ok(Arc::new(b.build()?))
}

/// Registers [`ADAPTER`] in the process-wide registry (call once at start-up).
pub fn register() {
    unicrm_core::registry::register(ADAPTER);
}
