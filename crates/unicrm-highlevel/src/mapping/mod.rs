//! Wire ↔ unified, pure functions (one file per record type).

pub(crate) mod account;
pub(crate) mod contact;
pub(crate) mod engagement;
pub(crate) mod engagement_type;
pub(crate) mod field;
pub(crate) mod fields;
pub(crate) mod note;
pub(crate) mod opportunity;
pub(crate) mod pipeline;
pub(crate) mod task;
pub(crate) mod user;

#[cfg(test)]
mod snapshot_records;
#[cfg(test)]
mod snapshot_tests;
#[cfg(test)]
mod snapshot_tests_deals;
#[cfg(test)]
mod snapshot_tests_hooks;
