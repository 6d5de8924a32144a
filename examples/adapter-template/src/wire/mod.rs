//! Tinycrm's JSON (`API.md`), as serde types.

pub(crate) mod contact;
pub(crate) mod user;
