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

/// The vendor name (`Crm::vendor`).
pub const VENDOR: &str = "tinycrm";
