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
//! - [`capability`]: what an adapter can do, as data;
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
pub mod http;
pub mod models;
pub mod page;
pub mod patch;
pub mod time;

pub use capability::{Capabilities, DeletionDetection, ResourceCapabilities};
pub use change::{Change, ChangeSet, Checkpoint};
pub use crm::{Crm, CrmExt, Record, Resource, ResourceExt};
pub use error::{Error, FieldError, Result};
pub use models::*;
pub use page::{Cursor, DEFAULT_MAX_PAGES, ListParams, Page};
pub use patch::Patch;
