//! Creating a pipeline the target lacks, safely when several workers share the state: the
//! create is sent only under a lease on the pipeline (kind `pipeline`, its source id; the same
//! leases as records), and the target's pipelines are read again once the lease is held, so
//! a pipeline another worker created meanwhile is used, never created twice.

use std::time::Duration;

use unicrm_core::{CrmExt, ListParams, NewPipeline, Pipeline, ResourceKind};

use super::Migrator;
use crate::exit::CliError;

/// The lease kind of pipelines (no id map row: pipelines are matched by name).
const LEASE_KIND: &str = "pipeline";
/// How many times a worker asks for a pipeline's lease held by another worker, and how long
/// it waits between two asks (another worker's pipeline create takes one request).
const LEASE_TRIES: u32 = 30;
const LEASE_PAUSE: Duration = Duration::from_millis(500);

/// How the creation of a pipeline missing in the target ended.
#[derive(Debug)]
pub(super) enum PipelineCreate {
    /// Created by this worker.
    Created(Pipeline),
    /// Found in the target after taking the lease (another worker created it).
    Found(Pipeline),
    /// Not created, for this reason.
    Failed(String),
}

/// Whether two pipelines are the same by name (trimmed, any case) and purpose (a pipeline
/// without a stated purpose is an opportunity pipeline).
pub(super) fn same_pipeline(a: &Pipeline, b: &Pipeline) -> bool {
    let purpose = |p: &Pipeline| p.applies_to.clone().unwrap_or(ResourceKind::Opportunity);
    a.name.trim().to_lowercase() == b.name.trim().to_lowercase() && purpose(a) == purpose(b)
}

impl Migrator<'_> {
    /// Creates the target's image of source pipeline `p`, under its lease; `target` is the
    /// target's pipelines as last read (updated here).
    pub(super) async fn create_pipeline(
        &mut self,
        p: &Pipeline,
        target: &mut Vec<Pipeline>,
    ) -> Result<PipelineCreate, CliError> {
        let sid = p.id.to_string();
        for attempt in 0..LEASE_TRIES {
            if attempt > 0 {
                tokio::time::sleep(LEASE_PAUSE).await;
            }
            if !self.state.lease(LEASE_KIND, &sid).await? {
                continue;
            }
            let result = self.create_pipeline_leased(p, target).await;
            return self.release(LEASE_KIND, &sid, result).await;
        }
        Ok(PipelineCreate::Failed(
            "another worker sharing the state is creating it (leased); a later run matches it"
                .into(),
        ))
    }

    /// [`Migrator::create_pipeline`] under the pipeline's lease.
    async fn create_pipeline_leased(
        &mut self,
        p: &Pipeline,
        target: &mut Vec<Pipeline>,
    ) -> Result<PipelineCreate, CliError> {
        // Read again under the lease: another worker may have created it meanwhile.
        *target = self.target.list_all(ListParams::new()).await?;
        if let Some(t) = target.iter().find(|t| same_pipeline(t, p)) {
            return Ok(PipelineCreate::Found(t.clone()));
        }
        let new: NewPipeline = p.into();
        match self.target.pipelines().create(&new).await {
            Ok(created) => {
                target.push(created.clone());
                Ok(PipelineCreate::Created(created))
            }
            Err(e) => Ok(PipelineCreate::Failed(e.to_string())),
        }
    }
}
