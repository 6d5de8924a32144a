//! The project feed: `GET /kases?since=` plus `GET /kases/deleted?since=`, exactly as the
//! opportunity feed (see the parent module's docs: vendor-clock checkpoint, overlap
//! de-duplication, deletions winning, checkpoint held under shifting pages), as a stream of
//! batches ([`super::stream`]).

use unicrm_core::{ChangeStream, Checkpoint, ListParams, Project, ProjectId};

use super::stream::since_stream;
use crate::client::Api;

/// The change stream of projects.
pub(crate) fn project_stream(api: &Api, checkpoint: Checkpoint) -> ChangeStream<'_, Project> {
    since_stream(
        api,
        checkpoint,
        "capsule project feed",
        "kases",
        move |params: ListParams| async move { api.project_page_dated(&params).await },
        ProjectId::from,
    )
}
