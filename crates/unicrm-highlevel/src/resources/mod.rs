//! One struct per HighLevel resource.

pub(crate) mod contacts;
