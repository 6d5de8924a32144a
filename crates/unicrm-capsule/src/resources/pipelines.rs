//! Pipelines over `/pipelines`, each with its milestones (`/pipelines/{id}/milestones`, one
//! extra request per pipeline). Read-only.

use async_trait::async_trait;
use unicrm_core::error::Result;
use unicrm_core::{ListParams, Page, Pipeline, PipelineId, Resource};

use super::path_id;
use crate::capabilities::MAX_PAGE_SIZE;
use crate::client::Api;
use crate::mapping::pipeline::pipeline_from_wire;
use crate::paging::{FirstPage, fetch_page, page_size};
use crate::wire::{self, Decoded, WireMilestone, WirePipeline};

async fn with_stages(api: &Api, p: &Decoded<WirePipeline>) -> Result<Pipeline> {
    let milestones = api
        .all_pages::<WireMilestone>(
            &format!("pipelines/{}/milestones", p.wire.id),
            "milestones",
            &[("perPage", MAX_PAGE_SIZE.to_string())],
        )
        .await?;
    Ok(pipeline_from_wire(p, &milestones))
}

/// Every pipeline with its stages.
pub(crate) async fn all_pipelines(api: &Api) -> Result<Vec<Pipeline>> {
    let rows = api
        .all_pages::<WirePipeline>(
            "pipelines",
            "pipelines",
            &[("perPage", MAX_PAGE_SIZE.to_string())],
        )
        .await?;
    let mut out = Vec::with_capacity(rows.len());
    for p in &rows {
        out.push(with_stages(api, p).await?);
    }
    Ok(out)
}

#[async_trait]
impl Resource<Pipeline> for Api {
    fn vendor(&self) -> &str {
        "capsule"
    }

    async fn list(&self, params: &ListParams) -> Result<Page<Pipeline>> {
        let first = FirstPage {
            path: "pipelines".into(),
            query: vec![("perPage", page_size(params, MAX_PAGE_SIZE).to_string())],
        };
        let (rows, next) = fetch_page::<WirePipeline>(self, &first, params, "pipelines").await?;
        let mut items = Vec::with_capacity(rows.len());
        for p in &rows {
            items.push(with_stages(self, p).await?);
        }
        Ok(Page {
            items,
            next,
            total: None,
        })
    }

    async fn get(&self, id: &PipelineId) -> Result<Pipeline> {
        let resp = self
            .get_path(
                &format!("pipelines/{}", path_id("pipeline", id.as_str())?),
                &[],
            )
            .await?;
        let p = wire::decode_one::<WirePipeline>(&resp.body, "pipeline")?;
        with_stages(self, &p).await
    }
}
