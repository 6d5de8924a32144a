//! One struct per HighLevel resource.

pub(crate) mod accounts;
pub(crate) mod contact_walk;
pub(crate) mod contacts;
pub(crate) mod engagement_types;
pub(crate) mod engagements;
pub(crate) mod field_definitions;
pub(crate) mod notes;
pub(crate) mod offset;
pub(crate) mod opportunities;
pub(crate) mod pipelines;
pub(crate) mod sub_id;
pub(crate) mod tasks;
pub(crate) mod users;
