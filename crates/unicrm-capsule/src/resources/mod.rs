//! The unified resources over Capsule's endpoints: one file per resource.

pub mod field_definitions;

pub mod engagement_types;
pub mod engagements;
pub mod notes;
pub mod opportunities;
pub mod parties;
pub mod pipelines;
pub mod projects;
pub mod tasks;
pub mod users;

use unicrm_core::error::{Error, Result};

/// The numeric id of a record path (a non-numeric id cannot exist in Capsule).
pub(crate) fn path_id(kind: &str, id: &str) -> Result<u64> {
    id.trim().parse::<u64>().map_err(|_| Error::NotFound {
        message: format!("capsule {kind} ids are numbers; {id:?} cannot exist"),
    })
}

/// `embed=tags,fields`, so tags and custom fields arrive with each page.
pub(crate) const EMBED: &str = "tags,fields";
