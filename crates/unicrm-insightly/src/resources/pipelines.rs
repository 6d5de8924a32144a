//! Pipelines (`/Pipelines` + `/PipelineStages`): read-only. Stages are fetched from the flat
//! stage list and attached to their pipeline.

use std::sync::Arc;

use async_trait::async_trait;
use unicrm_core::{ListParams, Page, Pipeline, PipelineId, Resource, Result};

use crate::client::{Shared, VENDOR};
use crate::mapping::{pipeline, wire_id};
use crate::paging::{self, Listing};
use crate::wire::PipelineStageWire;

/// The pipelines of the instance, with their stages.
#[derive(Clone)]
pub struct PipelinesResource {
    shared: Arc<Shared>,
}

impl std::fmt::Debug for PipelinesResource {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("PipelinesResource")
    }
}

impl PipelinesResource {
    pub(crate) fn new(shared: Arc<Shared>) -> Self {
        PipelinesResource { shared }
    }

    async fn stages(&self) -> Result<Vec<PipelineStageWire>> {
        let raw = paging::fetch_all(&self.shared, &Listing::new("PipelineStages")).await?;
        pipeline::stages_from_json(&raw)
    }
}

#[async_trait]
impl Resource<Pipeline> for PipelinesResource {
    fn vendor(&self) -> &str {
        VENDOR
    }

    /// Every pipeline (`GET /Pipelines` and `GET /PipelineStages`, all pages), cut into pages
    /// of the size asked for.
    async fn list(&self, params: &ListParams) -> Result<Page<Pipeline>> {
        let raw = paging::fetch_all(&self.shared, &Listing::new("Pipelines")).await?;
        let stages = self.stages().await?;
        let items = raw
            .iter()
            .enumerate()
            .map(|(i, r)| pipeline::from_json_at(r, &stages, &format!("[{i}]")))
            .collect::<Result<Vec<_>>>()?;
        Page::slice(items, params)
    }

    async fn get(&self, id: &PipelineId) -> Result<Pipeline> {
        let n = wire_id("PIPELINE_ID", id.as_str())?;
        let raw = self.shared.get_object(&format!("Pipelines/{n}")).await?;
        let stages = self.stages().await?;
        pipeline::from_json(&raw, &stages)
    }
}
