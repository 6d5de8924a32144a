//! # unicrm-tinycrm
//!
//! A small but complete unicrm adapter for Tinycrm, an imaginary CRM whose REST API is written
//! down in `API.md`. It is the template for adapters written outside the unicrm repository
//! (see `docs/writing-an-adapter.md` in unicrm): it depends on `unicrm-core` only, and proves
//! itself with `unicrm-testkit` from its tests.
//!
//! One file per concern, as in every unicrm adapter:
//!
//! | file | what |
//! | --- | --- |
//! | [`config`] | the builder: base URL, token, rate limit, retries |
//! | `auth.rs` | the token as core credentials |
//! | `client.rs` | [`TinycrmClient`] and its `Crm` impl |
//! | `errors.rs` | what Tinycrm cannot hold, refused before any request |
//! | `paging.rs` | Tinycrm's `after`/`next_after` paging as core cursors |
//! | [`capabilities`] | what the adapter supports, as data |
//! | `changes.rs` | the contact change feed (vendor-clock checkpoints, native deletions) |
//! | `resources/contact.rs` | `Resource<Contact>` |
//! | `mapping/*.rs` | wire ↔ unified, pure functions |
//! | `wire/*.rs` | Tinycrm's JSON, as serde types |
//!
//! ```no_run
//! use unicrm_core::{Contact, CrmExt, ListParams};
//! # async fn demo() -> unicrm_core::Result<()> {
//! let crm = unicrm_tinycrm::TinycrmClient::builder().token("secret").build()?;
//! let all: Vec<Contact> = crm.list_all(ListParams::new()).await?;
//! # Ok(()) }
//! ```
#![forbid(unsafe_code)]

mod auth;
pub mod capabilities;
mod changes;
mod client;
pub mod config;
mod errors;
mod mapping;
mod paging;
mod resources;
mod wire;

pub use client::TinycrmClient;
pub use config::TinycrmBuilder;

use std::num::NonZeroU32;
use std::sync::Arc;

use secrecy::ExposeSecret;
use unicrm_core::http::GovernorRateLimiter;
use unicrm_core::registry::{Adapter, CrmConfig};

/// The adapter's registry entry: `unicrm_core::registry::connect(&CrmConfig::new("tinycrm")
/// .token(…))` (or `unicrm::connect`) then returns a guarded Tinycrm client, with no change to
/// unicrm itself.
pub const ADAPTER: Adapter = Adapter::new(VENDOR, "Tinycrm (example adapter)", &["token"], connect);

/// A client from a registry config (unguarded: the registry guards it).
pub fn connect(config: &CrmConfig) -> unicrm_core::Result<Arc<dyn unicrm_core::Crm>> {
    let token = config.require("token")?.expose_secret().to_string();
    let mut b = TinycrmClient::builder().token(token);
    if let Some(url) = &config.options.base_url {
        b = b.base_url(url);
    }
    if let Some(n) = config.options.requests_per_second {
        b = b.rate_limiter(Arc::new(GovernorRateLimiter::per_second(
            n,
            NonZeroU32::MIN,
        )));
    }
    Ok(Arc::new(b.build()?))
}

/// Registers [`ADAPTER`] in the process-wide registry (call once at start-up).
pub fn register() {
    unicrm_core::registry::register(ADAPTER);
}

/// The vendor name (`Crm::vendor`).
pub const VENDOR: &str = "tinycrm";
