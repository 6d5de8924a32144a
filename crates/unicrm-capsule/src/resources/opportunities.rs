//! Opportunities over `/opportunities`.
//!
//! Writes resolve names and pipelines to Capsule ids first: `stage_id` is the milestone; with
//! only `pipeline_id` the pipeline's first milestone is used; `status` won/lost without a
//! stage moves the deal to its pipeline's won/lost milestone; `lost_reason` is looked up by
//! name in `/lostreasons`.

use std::sync::Arc;

use async_trait::async_trait;
use unicrm_core::error::{Error, Result};
use unicrm_core::http::Method;
use unicrm_core::{
    ChangeSet, Checkpoint, ListParams, NewOpportunity, Opportunity, OpportunityId,
    OpportunityPatch, OpportunityStatus, Page, Patch, PipelineId, Resource, StageId,
};

use super::{EMBED, path_id};
use crate::capabilities::MAX_PAGE_SIZE;
use crate::client::{Api, CapsuleClient};
use crate::mapping::FieldDefs;
use crate::mapping::custom_fields::FieldEntity;
use crate::mapping::numeric_id;
use crate::mapping::opportunity::{
    ResolvedRefs, new_opportunity_to_wire, opportunity_from_wire, opportunity_patch_to_wire,
};
use crate::mapping::pipeline::StageIndex;
use crate::paging::{FirstPage, fetch_page, page_size};
use crate::wire::{self, Decoded, WireOpportunity};

fn first_page(params: &ListParams) -> FirstPage {
    let mut query = vec![
        ("perPage", page_size(params, MAX_PAGE_SIZE).to_string()),
        ("embed", EMBED.to_string()),
    ];
    if let Some(t) = &params.updated_since {
        query.push(("since", crate::mapping::format_datetime(t)));
    }
    match &params.search {
        Some(q) => {
            query.insert(0, ("q", q.clone()));
            FirstPage {
                path: "opportunities/search".into(),
                query,
            }
        }
        None => FirstPage {
            path: "opportunities".into(),
            query,
        },
    }
}

impl Api {
    /// One page of opportunities for the change feed, with the ids read and the `Date`.
    pub(crate) async fn opportunity_page_dated(
        &self,
        params: &ListParams,
    ) -> Result<crate::changes::FeedPage<Opportunity>> {
        let p = crate::paging::fetch_dated(
            self,
            &first_page(params),
            params,
            "opportunities",
            |_: &WireOpportunity| true,
            |o: &WireOpportunity| o.id,
        )
        .await?;
        Ok(crate::changes::FeedPage {
            items: self.map_opportunities(&p.items).await?,
            ids: p.all_ids,
            next: p.next,
            date: p.date,
        })
    }

    async fn map_opportunities(
        &self,
        items: &[Decoded<WireOpportunity>],
    ) -> Result<Vec<Opportunity>> {
        let ids: Vec<String> = items
            .iter()
            .flat_map(|d| d.wire.fields.iter().flatten())
            .filter_map(|f| f.definition.as_ref().and_then(|d| d.id))
            .map(|id| id.to_string())
            .collect();
        let defs = if ids.is_empty() {
            Arc::new(FieldDefs::default())
        } else {
            self.defs_covering(FieldEntity::Opportunities, ids.into_iter())
                .await?
        };
        let mut stages = self.stage_index(false).await?;
        let unknown = items.iter().any(|d| {
            d.wire
                .milestone
                .as_ref()
                .and_then(|m| m.id)
                .is_some_and(|m| !stages.knows(&m.to_string()))
        });
        if unknown {
            stages = self.stage_index(true).await?;
        }
        Ok(items
            .iter()
            .map(|d| opportunity_from_wire(d, &defs, &stages))
            .collect())
    }

    async fn opportunity_from_body(&self, body: &[u8]) -> Result<Opportunity> {
        let d = wire::decode_one::<WireOpportunity>(body, "opportunity")?;
        let mut v = self.map_opportunities(std::slice::from_ref(&d)).await?;
        v.pop()
            .ok_or_else(|| Error::decode("opportunity", "no opportunity in the answer"))
    }

    async fn get_opportunity(&self, id: &OpportunityId) -> Result<Opportunity> {
        let resp = self
            .get_path(
                &format!("opportunities/{}", path_id("opportunity", id.as_str())?),
                &[("embed", EMBED.into())],
            )
            .await?;
        self.opportunity_from_body(&resp.body).await
    }

    /// The milestone for a write: `stage_id`, else the won/lost milestone for a won/lost
    /// `status`, else the pipeline's first milestone.
    async fn resolve_milestone(
        &self,
        stage: Option<&StageId>,
        pipeline: Option<&PipelineId>,
        status: Option<&OpportunityStatus>,
    ) -> Result<Option<u64>> {
        if let Some(s) = stage {
            return numeric_id(s.as_str(), "stage_id").map(Some);
        }
        let closing = matches!(
            status,
            Some(OpportunityStatus::Won | OpportunityStatus::Lost)
        );
        let Some(p) = pipeline else {
            if closing {
                return Err(Error::validation(
                    "to close a Capsule opportunity set stage_id, or pipeline_id with status",
                ));
            }
            return Ok(None);
        };
        let find = |idx: &StageIndex| {
            idx.stages(p.as_str()).and_then(|stages| {
                let pick = match status {
                    Some(OpportunityStatus::Won) => stages.iter().find(|s| s.is_won),
                    Some(OpportunityStatus::Lost) => stages.iter().find(|s| s.is_lost),
                    _ => stages.iter().find(|s| !s.is_won && !s.is_lost),
                };
                pick.and_then(|s| s.id.as_u64())
            })
        };
        if let Some(m) = find(&*self.stage_index(false).await?) {
            return Ok(Some(m));
        }
        find(&*self.stage_index(true).await?)
            .map(Some)
            .ok_or_else(|| {
                Error::validation(format!("capsule pipeline {p} has no matching milestone"))
            })
    }
}

/// The unified opportunities resource.
#[derive(Clone)]
pub struct OpportunitiesResource {
    pub(crate) api: std::sync::Arc<Api>,
}

impl std::fmt::Debug for OpportunitiesResource {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OpportunitiesResource")
            .finish_non_exhaustive()
    }
}

#[async_trait]
impl Resource<Opportunity> for OpportunitiesResource {
    fn vendor(&self) -> &str {
        "capsule"
    }

    async fn list(&self, params: &ListParams) -> Result<Page<Opportunity>> {
        let (items, next) =
            fetch_page::<WireOpportunity>(&self.api, &first_page(params), params, "opportunities")
                .await?;
        Ok(Page {
            items: self.api.map_opportunities(&items).await?,
            next,
            total: None,
        })
    }

    async fn get(&self, id: &OpportunityId) -> Result<Opportunity> {
        self.api.get_opportunity(id).await
    }

    async fn create(&self, new: &NewOpportunity) -> Result<Opportunity> {
        let milestone = self
            .api
            .resolve_milestone(
                new.stage_id.as_ref(),
                new.pipeline_id.as_ref(),
                new.status.as_ref(),
            )
            .await?;
        let lost_reason = match &new.lost_reason {
            Some(name) => Some(Some(self.api.lost_reason_id(name).await?)),
            None => None,
        };
        let body = new_opportunity_to_wire(
            new,
            ResolvedRefs {
                milestone,
                lost_reason,
            },
        )?
        .wrap("opportunity")?;
        let resp = self
            .api
            .write(
                Method::POST,
                "opportunities",
                &[("embed", EMBED.into())],
                body,
            )
            .await?;
        self.api.opportunity_from_body(&resp.body).await
    }

    async fn update(&self, id: &OpportunityId, patch: &OpportunityPatch) -> Result<Opportunity> {
        let closing_without_stage = patch.stage_id.is_unchanged()
            && matches!(
                patch.status,
                Patch::Set(OpportunityStatus::Won | OpportunityStatus::Lost)
            );
        let needs_stored = !patch.tags.is_unchanged()
            || !patch.custom_fields.is_unchanged()
            || (closing_without_stage && patch.pipeline_id.is_unchanged());
        let stored = if needs_stored {
            Some(self.api.get_opportunity(id).await?)
        } else {
            None
        };
        let milestone = if !patch.stage_id.is_unchanged()
            || closing_without_stage
            || patch.pipeline_id.as_set().is_some()
        {
            let pipeline = patch
                .pipeline_id
                .as_set()
                .or_else(|| stored.as_ref().and_then(|s| s.pipeline_id.as_ref()));
            self.api
                .resolve_milestone(patch.stage_id.as_set(), pipeline, patch.status.as_set())
                .await?
        } else {
            None
        };
        let lost_reason = match &patch.lost_reason {
            Patch::Unchanged => None,
            Patch::Set(name) => Some(Some(self.api.lost_reason_id(name).await?)),
            Patch::Clear => Some(None),
        };
        let body = opportunity_patch_to_wire(
            patch,
            ResolvedRefs {
                milestone,
                lost_reason,
            },
            stored.as_ref(),
        )?;
        if body.is_empty() {
            return match stored {
                Some(s) => Ok(s),
                None => self.api.get_opportunity(id).await,
            };
        }
        let resp = self
            .api
            .write(
                Method::PUT,
                &format!("opportunities/{}", path_id("opportunity", id.as_str())?),
                &[("embed", EMBED.into())],
                body.wrap("opportunity")?,
            )
            .await?;
        self.api.opportunity_from_body(&resp.body).await
    }

    async fn delete(&self, id: &OpportunityId) -> Result<()> {
        self.api
            .delete_path(&format!(
                "opportunities/{}",
                path_id("opportunity", id.as_str())?
            ))
            .await
    }

    async fn changes_since(
        &self,
        checkpoint: &Checkpoint,
    ) -> Result<ChangeSet<Opportunity, OpportunityId>> {
        unicrm_core::collect_changes(checkpoint, self.change_stream(checkpoint.clone())).await
    }

    fn change_stream(&self, checkpoint: Checkpoint) -> unicrm_core::ChangeStream<'_, Opportunity> {
        crate::changes::opportunity_stream(&self.api, checkpoint)
    }
}

impl CapsuleClient {
    /// Many opportunities by id with multi-show (≤ 10 ids a request); missing ids are left out.
    pub async fn get_many_opportunities(&self, ids: &[u64]) -> Result<Vec<Opportunity>> {
        let mut out = Vec::new();
        for chunk in ids.chunks(10) {
            let list = chunk
                .iter()
                .map(u64::to_string)
                .collect::<Vec<_>>()
                .join(",");
            match self
                .api
                .get_path(&format!("opportunities/{list}"), &[("embed", EMBED.into())])
                .await
            {
                Ok(resp) => {
                    let items = wire::decode_list::<WireOpportunity>(&resp.body, "opportunities")?;
                    out.extend(self.api.map_opportunities(&items).await?);
                }
                Err(e) if e.is_not_found() => {
                    for id in chunk {
                        match self.api.get_opportunity(&OpportunityId::from(*id)).await {
                            Ok(o) => out.push(o),
                            Err(e) if e.is_not_found() => {}
                            Err(e) => return Err(e),
                        }
                    }
                }
                Err(e) => return Err(e),
            }
        }
        Ok(out)
    }
}
