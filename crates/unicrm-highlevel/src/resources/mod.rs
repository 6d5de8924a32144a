//! One struct per HighLevel resource.

pub(crate) mod contact_walk;
pub(crate) mod contacts;
pub(crate) mod engagements;
pub(crate) mod notes;
pub(crate) mod sub_id;
pub(crate) mod tasks;
