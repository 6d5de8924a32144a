#![doc = include_str!("../docs.md")]
#![forbid(unsafe_code)]

pub mod auth;
mod cache;
mod capabilities;
pub mod changes;
mod client;
pub mod config;
pub mod errors;
pub mod mapping;
pub mod paging;
pub mod rate_limit;
pub mod resources;
pub mod wire;

pub use capabilities::capabilities;
pub use client::{InsightlyClient, VENDOR};
pub use config::InsightlyClientBuilder;
pub use resources::FetchAll;

use std::sync::Arc;

use secrecy::ExposeSecret;
use unicrm_core::registry::{Adapter, CrmConfig};

/// Insightly as a registry adapter (`unicrm_core::registry`): the credential `api_key`; the
/// options `pod`, `base_url` (wins over the pod) and `requests_per_second` (default: one request per 105 ms, about 9.5/s).
pub const ADAPTER: Adapter = Adapter::new(VENDOR, "Insightly (API v3.1)", &["api_key"], connect);

/// A client from a registry config (unguarded; `unicrm_core::registry::connect` guards it).
pub fn connect(config: &CrmConfig) -> unicrm_core::Result<Arc<dyn unicrm_core::Crm>> {
    let key = config.require("api_key")?.expose_secret().to_string();
    let mut b = InsightlyClient::builder().api_key(key);
    if let Some(n) = config.options.requests_per_second {
        b = b.requests_per_second(n);
    }
    if let Some(pod) = &config.options.pod {
        b = b.pod(pod);
    }
    if let Some(url) = &config.options.base_url {
        b = b.base_url(url);
    }
    Ok(Arc::new(b.build()?))
}

/// Registers [`ADAPTER`] in the process-wide registry.
pub fn register() {
    unicrm_core::registry::register(ADAPTER);
}
