//! `Resource<Pipeline>` over `GET /opportunities/pipelines?locationId=…` (camelCase here,
//! unlike the opportunity search; docs/vendors/highlevel-v2.md, "Pipelines"). The vendor
//! answers the whole list; core's `Page::slice` pages it. Pipelines are read-only in v2
//! (their CRUD exists only under `Version: v3`).

use async_trait::async_trait;
use unicrm_core::http::Method;
use unicrm_core::{ListParams, Page, Pipeline, PipelineId, Resource, Result};

use crate::VENDOR;
use crate::client::Api;
use crate::mapping::pipeline as map;
use crate::wire::opportunity::WirePipelines;

/// HighLevel's pipelines.
#[derive(Debug, Clone)]
pub(crate) struct Pipelines {
    pub(crate) api: Api,
}

impl Pipelines {
    async fn all(&self) -> Result<Vec<Pipeline>> {
        let req = self
            .api
            .request(Method::GET, "opportunities/pipelines")?
            .query("locationId", &*self.api.location_id);
        let all: WirePipelines = self.api.send(req).await?.json()?;
        all.pipelines.into_iter().map(map::from_wire).collect()
    }
}

#[async_trait]
impl Resource<Pipeline> for Pipelines {
    fn vendor(&self) -> &str {
        VENDOR
    }

    async fn list(&self, params: &ListParams) -> Result<Page<Pipeline>> {
        Page::slice(self.all().await?, params)
    }

    /// There is no single-pipeline endpoint: the list, searched.
    async fn get(&self, id: &PipelineId) -> Result<Pipeline> {
        crate::client::check_id("pipeline", id.as_str())?;
        self.all()
            .await?
            .into_iter()
            .find(|p| &p.id == id)
            .ok_or_else(|| unicrm_core::Error::NotFound {
                message: format!("{VENDOR} has no pipeline {id}"),
            })
    }
}
