//! HighLevel's JSON, as serde types. Unknown keys are skipped; an absent key and `null` mean
//! the same (docs/vendors/highlevel-v2.md, reading rules in the preamble).

pub(crate) mod appointment;
pub(crate) mod business;
pub(crate) mod contact;
pub(crate) mod field;
pub(crate) mod note;
pub(crate) mod opportunity;
pub(crate) mod task;
pub(crate) mod user;
