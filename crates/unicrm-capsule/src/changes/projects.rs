//! The project feed: `GET /kases?since=` plus `GET /kases/deleted?since=`, exactly as the
//! opportunity feed (see the parent module's docs: vendor-clock checkpoint, overlap
//! de-duplication, deletions winning, checkpoint held under shifting pages).

use unicrm_core::error::Result;
use unicrm_core::page::collect_pages;
use unicrm_core::{ChangeSet, Checkpoint, ListParams, Project, ProjectId};

use super::{Listing, assemble, deleted_since, feed_params, since_of};
use crate::client::Api;

/// Changes of projects.
pub(crate) async fn project_changes(
    api: &Api,
    checkpoint: &Checkpoint,
) -> Result<ChangeSet<Project, ProjectId>> {
    let since = since_of(checkpoint);
    let pages = collect_pages(
        "capsule project feed",
        feed_params(api, since),
        |params: ListParams| async move { api.project_page_dated(&params).await },
    )
    .await?;
    let mut listing = Listing::default();
    let mut last_ids = Vec::new();
    for page in pages {
        listing.push(page, &mut last_ids);
    }
    let deleted = deleted_since(api, "kases", since).await?;
    Ok(assemble(listing, deleted, ProjectId::from, checkpoint))
}
