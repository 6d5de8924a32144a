//! One struct per HighLevel resource.

pub(crate) mod accounts;
pub(crate) mod contacts;
pub(crate) mod field_definitions;
pub(crate) mod offset;
pub(crate) mod opportunities;
pub(crate) mod pipelines;
pub(crate) mod users;
