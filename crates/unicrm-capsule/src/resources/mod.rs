//! The unified resources over Capsule's endpoints: one file per resource.

pub mod notes;
pub mod opportunities;
pub mod parties;
pub mod pipelines;
pub mod tasks;
pub mod users;

use unicrm_core::error::{Error, Result};
use unicrm_core::{ListParams, Record};

/// The numeric id of a record path (a non-numeric id cannot exist in Capsule).
pub(crate) fn path_id(kind: &str, id: &str) -> Result<u64> {
    id.trim().parse::<u64>().map_err(|_| Error::NotFound {
        message: format!("capsule {kind} ids are numbers; {id:?} cannot exist"),
    })
}

/// `Unsupported` when `params` asks for search or `updated_since` on a resource without them.
pub(crate) fn reject_filters<R: Record>(
    params: &ListParams,
    search: bool,
    since: bool,
) -> Result<()> {
    if params.search.is_some() && !search {
        return Err(Error::unsupported(format!("{}.search", R::KIND), "capsule"));
    }
    if params.updated_since.is_some() && !since {
        return Err(Error::unsupported(
            format!("{}.updated_since", R::KIND),
            "capsule",
        ));
    }
    Ok(())
}

/// `embed=tags,fields`, so tags and custom fields arrive with each page.
pub(crate) const EMBED: &str = "tags,fields";
