//! # unicrm-core
//!
//! The vendor-neutral heart of unicrm:
//!
//! - [`models`]: unified CRM records (contacts, accounts, opportunities, tasks, notes, users,
//!   pipelines, leads) with their new-record and patch types, and the shared value types
//!   (typed ids, [`Money`], addresses, emails, phones, websites, tags, typed
//!   custom fields);
//! - [`crm`]: the object-safe async traits an adapter implements ([`Resource`], [`Crm`]) and the
//!   conveniences every caller gets for free ([`CrmExt`]: streams over every page, change feeds);
//! - [`page`]: list parameters, pages and opaque, serializable cursors;
//! - [`change`]: the change-feed types;
//! - [`capability`]: what an adapter can do, as typed data, and [`guard`](mod@guard), the one place it is
//!   enforced before an adapter is called;
//! - [`registry`]: a serde [`CrmConfig`] → [`connect`] → a guarded `Arc<dyn Crm>`, over the
//!   adapters registered in a [`Registry`];
//! - [`error`]: the one [`Error`] type, grouped by what a caller can do about it;
//! - [`http`] and [`auth`]: the HTTP plumbing adapters share — base URLs, error
//!   classification, retries with idempotency rules, rate limiting, `Link` headers,
//!   credentials and a single-flight refreshing token cache.
#![forbid(unsafe_code)]

pub mod auth;
pub mod capability;
pub mod change;
pub mod crm;
pub mod error;
pub mod event;
pub mod guard;
pub mod http;
pub mod models;
pub mod page;
pub mod patch;
pub mod registry;
pub mod sync;
pub mod time;
pub mod webhook;

pub use capability::{
    Capabilities, DeletionDetection, Filter, Filters, Operation, Operations, ResourceCapabilities,
};
pub use change::{Change, ChangeSet, Checkpoint, fingerprint};
pub use crm::{ChangeStream, Crm, CrmExt, Record, Resource, ResourceExt, collect_changes};
pub use error::{Error, FieldError, Result};
pub use guard::{Guarded, guard};
pub use models::*;
pub use page::{Cursor, DEFAULT_MAX_PAGES, ListParams, Page};
pub use patch::Patch;
pub use registry::{Adapter, CrmConfig, Registry, connect};
