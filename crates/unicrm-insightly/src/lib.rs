#![doc = include_str!("../docs.md")]
#![forbid(unsafe_code)]

pub mod auth;
mod cache;
mod capabilities;
pub mod changes;
mod client;
pub mod config;
pub mod deletion_scan;
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
    if let Some(share) = deletion_scan_share_from_env()? {
        b = b.deletion_scan_share(share);
    }
    Ok(Arc::new(b.build()?))
}

/// `INSIGHTLY_DELETION_SCAN_SHARE`: the share of the daily quota the deletion scans of each
/// feed may use (a fraction, `0.1` = 10 %, the default; see [`deletion_scan`]).
pub const DELETION_SCAN_SHARE_VAR: &str = "INSIGHTLY_DELETION_SCAN_SHARE";

fn deletion_scan_share_from_env() -> unicrm_core::Result<Option<f64>> {
    match std::env::var(DELETION_SCAN_SHARE_VAR) {
        Ok(v) if !v.trim().is_empty() => {
            let share: f64 = v.trim().parse().map_err(|_| {
                unicrm_core::Error::config(format!(
                    "{DELETION_SCAN_SHARE_VAR} must be a fraction such as 0.1, not {v:?}"
                ))
            })?;
            deletion_scan::check_share(share).map(Some)
        }
        _ => Ok(None),
    }
}

/// Registers [`ADAPTER`] in the process-wide registry.
pub fn register() {
    unicrm_core::registry::register(ADAPTER);
}
