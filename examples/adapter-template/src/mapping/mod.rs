//! Wire ↔ unified, as pure functions.

pub(crate) mod contact;
pub(crate) mod user;
