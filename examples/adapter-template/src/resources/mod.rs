//! One struct per resource.

pub(crate) mod contact;
