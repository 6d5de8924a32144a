//! Projects over `/kases` (docs/vendors/capsule-v2-addendum.md, "Projects"); the mapping
//! rules, owner/team and stage semantics are in [`crate::mapping::project`].
//!
//! Listing follows `Link` paging with `embed=tags,fields`; `updated_since` becomes `since`
//! and `search` uses `/kases/search?q=`. Writes resolve `pipeline_id` (a board, `board-<id>`)
//! without `stage_id` to the board's first stage. A create with neither owner nor team gets
//! the token's user as owner (Capsule refuses a project with neither). The change feed is
//! the same `since` + `/kases/deleted?since=` feed as for opportunities
//! ([`crate::changes::projects`]).

use std::sync::Arc;

use async_trait::async_trait;
use unicrm_core::error::{Error, Result};
use unicrm_core::http::Method;
use unicrm_core::{
    ChangeSet, Checkpoint, ListParams, NewProject, Page, Patch, PipelineId, Project, ProjectId,
    ProjectPatch, Resource, StageId,
};

use super::{EMBED, path_id};
use crate::capabilities::MAX_PAGE_SIZE;
use crate::client::Api;
use crate::mapping::FieldDefs;
use crate::mapping::custom_fields::FieldEntity;
use crate::mapping::numeric_id;
use crate::mapping::project::{
    ProjectRefs, board_of_pipeline, new_project_to_wire, patch_needs_stored, project_from_wire,
    project_patch_to_wire,
};
use crate::paging::{FirstPage, fetch_page, page_size};
use crate::wire::{self, Decoded, WireKase};

/// The unified projects resource over Capsule's kases.
#[derive(Clone)]
pub struct ProjectsResource {
    pub(crate) api: Arc<Api>,
}

impl std::fmt::Debug for ProjectsResource {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ProjectsResource").finish_non_exhaustive()
    }
}

pub(crate) fn first_page(params: &ListParams) -> FirstPage {
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
                path: "kases/search".into(),
                query,
            }
        }
        None => FirstPage {
            path: "kases".into(),
            query,
        },
    }
}

impl Api {
    /// Maps kases, loading the field definitions and board index they need.
    pub(crate) async fn map_projects(&self, items: &[Decoded<WireKase>]) -> Result<Vec<Project>> {
        let ids: Vec<String> = items
            .iter()
            .flat_map(|d| d.wire.fields.iter().flatten())
            .filter_map(|f| f.definition.as_ref().and_then(|d| d.id))
            .map(|id| id.to_string())
            .collect();
        let defs = if ids.is_empty() {
            Arc::new(FieldDefs::default())
        } else {
            self.defs_covering(FieldEntity::Kases, ids.into_iter())
                .await?
        };
        let stage_ids: Vec<u64> = items
            .iter()
            .filter_map(|d| d.wire.stage.as_ref().and_then(|s| s.id))
            .filter_map(|s| u64::try_from(s).ok())
            .collect();
        let mut boards = if stage_ids.is_empty() {
            Arc::default()
        } else {
            self.board_index(false).await?
        };
        if stage_ids.iter().any(|s| !boards.knows(*s)) {
            boards = self.board_index(true).await?;
        }
        Ok(items
            .iter()
            .map(|d| project_from_wire(d, &defs, &boards))
            .collect())
    }

    /// One page of projects for the change feed, with the ids read and the `Date`.
    pub(crate) async fn project_page_dated(
        &self,
        params: &ListParams,
    ) -> Result<crate::changes::FeedPage<Project>> {
        let p = crate::paging::fetch_dated(
            self,
            &first_page(params),
            params,
            "kases",
            |_: &WireKase| true,
            |k: &WireKase| k.id,
        )
        .await?;
        Ok(crate::changes::FeedPage {
            items: self.map_projects(&p.items).await?,
            ids: p.all_ids,
            next: p.next,
            date: p.date,
        })
    }

    async fn project_from_body(&self, body: &[u8]) -> Result<Project> {
        let d = wire::decode_one::<WireKase>(body, "kase")?;
        let mut v = self.map_projects(std::slice::from_ref(&d)).await?;
        v.pop()
            .ok_or_else(|| Error::decode("kase", "no kase in the answer"))
    }

    pub(crate) async fn get_project(&self, id: &ProjectId) -> Result<Project> {
        let resp = self
            .get_path(
                &format!("kases/{}", path_id("project", id.as_str())?),
                &[("embed", EMBED.into())],
            )
            .await?;
        self.project_from_body(&resp.body).await
    }

    /// The stage to write: `stage_id`, else the first stage of the `pipeline_id` board.
    async fn resolve_stage(
        &self,
        stage: Option<&StageId>,
        pipeline: Option<&PipelineId>,
    ) -> Result<Option<u64>> {
        if let Some(s) = stage {
            return numeric_id(s.as_str(), "stage_id").map(Some);
        }
        let Some(p) = pipeline else {
            return Ok(None);
        };
        let board = board_of_pipeline(p.as_str()).ok_or_else(|| {
            Error::validation(format!(
                "a Capsule project's pipeline_id is a board (board-<id>), got {p}"
            ))
        })?;
        for refresh in [false, true] {
            if let Some(s) = self.board_index(refresh).await?.first_stage(board) {
                return Ok(Some(s));
            }
        }
        Err(Error::validation(format!(
            "capsule board {board} has no stage"
        )))
    }
}

#[async_trait]
impl Resource<Project> for ProjectsResource {
    fn vendor(&self) -> &str {
        "capsule"
    }

    async fn list(&self, params: &ListParams) -> Result<Page<Project>> {
        let (items, next) =
            fetch_page::<WireKase>(&self.api, &first_page(params), params, "kases").await?;
        Ok(Page {
            items: self.api.map_projects(&items).await?,
            next,
            total: None,
        })
    }

    async fn get(&self, id: &ProjectId) -> Result<Project> {
        self.api.get_project(id).await
    }

    async fn create(&self, new: &NewProject) -> Result<Project> {
        let stage = self
            .api
            .resolve_stage(new.stage_id.as_ref(), new.pipeline_id.as_ref())
            .await?;
        let default_owner = if new.owner_id.is_none() && new.team_id.is_none() {
            Some(self.api.current_user_id().await?)
        } else {
            None
        };
        let body = new_project_to_wire(
            new,
            &ProjectRefs {
                stage,
                default_owner,
            },
        )?
        .wrap("kase")?;
        let resp = self
            .api
            .write(Method::POST, "kases", &[("embed", EMBED.into())], body)
            .await?;
        self.api.project_from_body(&resp.body).await
    }

    async fn update(&self, id: &ProjectId, patch: &ProjectPatch) -> Result<Project> {
        let stored = if patch_needs_stored(patch) {
            Some(self.api.get_project(id).await?)
        } else {
            None
        };
        let stage = match (&patch.stage_id, &patch.pipeline_id) {
            (Patch::Set(s), _) => Some(Some(numeric_id(s.as_str(), "stage_id")?)),
            (Patch::Clear, _) => Some(None),
            (Patch::Unchanged, Patch::Set(p)) => Some(self.api.resolve_stage(None, Some(p)).await?),
            (Patch::Unchanged, Patch::Clear) => Some(None),
            (Patch::Unchanged, Patch::Unchanged) => None,
        };
        let body = project_patch_to_wire(patch, stage, stored.as_ref())?;
        if body.is_empty() {
            return match stored {
                Some(s) => Ok(s),
                None => self.api.get_project(id).await,
            };
        }
        let resp = self
            .api
            .write(
                Method::PUT,
                &format!("kases/{}", path_id("project", id.as_str())?),
                &[("embed", EMBED.into())],
                body.wrap("kase")?,
            )
            .await?;
        self.api.project_from_body(&resp.body).await
    }

    async fn delete(&self, id: &ProjectId) -> Result<()> {
        self.api
            .delete_path(&format!("kases/{}", path_id("project", id.as_str())?))
            .await
    }

    async fn changes_since(
        &self,
        checkpoint: &Checkpoint,
    ) -> Result<ChangeSet<Project, ProjectId>> {
        unicrm_core::collect_changes(checkpoint, self.change_stream(checkpoint.clone())).await
    }

    fn change_stream(&self, checkpoint: Checkpoint) -> unicrm_core::ChangeStream<'_, Project> {
        crate::changes::projects::project_stream(&self.api, checkpoint)
    }
}
