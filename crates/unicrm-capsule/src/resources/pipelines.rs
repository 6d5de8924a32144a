//! Pipelines: the opportunity pipelines over `/pipelines`, each with its milestones
//! (`/pipelines/{id}/milestones`, one extra request per pipeline), then the project boards over
//! `/boards`, each with its stages (`/boards/{id}/stages`) and `applies_to: Project`.
//! Read-only.
//!
//! Ids: an opportunity pipeline keeps its bare number, a board is `board-<id>`
//! ([`crate::mapping::project`], "Pipeline ids"), so `get` serves both. The listing walks the
//! pipelines' `Link` pages and then the boards' (`status=active`, Capsule's default: archived
//! boards are left out); the last pipelines page's cursor is the first boards page's URL.

use std::sync::Arc;

use async_trait::async_trait;
use unicrm_core::error::Result;
use unicrm_core::{Cursor, ListParams, Page, Pipeline, PipelineId, Resource};

use super::path_id;
use crate::capabilities::MAX_PAGE_SIZE;
use crate::client::Api;
use crate::mapping::pipeline::pipeline_from_wire;
use crate::mapping::project::{board_from_wire, board_of_pipeline};
use crate::paging::{FirstPage, fetch_page, page_size};
use crate::wire::{self, Decoded, WireBoard, WireMilestone, WirePipeline, WireStage};

/// The unified pipelines resource: opportunity pipelines and project boards.
#[derive(Clone)]
pub struct PipelinesResource {
    pub(crate) api: Arc<Api>,
}

impl std::fmt::Debug for PipelinesResource {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PipelinesResource").finish_non_exhaustive()
    }
}

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

async fn board_with_stages(api: &Api, b: &Decoded<WireBoard>) -> Result<Pipeline> {
    let stages = api
        .all_pages::<WireStage>(
            &format!("boards/{}/stages", b.wire.id),
            "stages",
            &[("perPage", MAX_PAGE_SIZE.to_string())],
        )
        .await?;
    Ok(board_from_wire(b, &stages))
}

/// Every opportunity pipeline with its stages (boards are not included: opportunities
/// never sit on a board).
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

fn boards_first(params: &ListParams) -> FirstPage {
    FirstPage {
        path: "boards".into(),
        query: vec![("perPage", page_size(params, MAX_PAGE_SIZE).to_string())],
    }
}

/// Whether a cursor points into the boards listing.
fn is_boards_cursor(c: &Cursor) -> bool {
    url::Url::parse(c.as_str())
        .map(|u| u.path().trim_end_matches('/').ends_with("/boards"))
        .unwrap_or(false)
}

impl Api {
    async fn board_page(&self, params: &ListParams) -> Result<Page<Pipeline>> {
        let (rows, next) =
            fetch_page::<WireBoard>(self, &boards_first(params), params, "boards").await?;
        let mut items = Vec::with_capacity(rows.len());
        for b in &rows {
            items.push(board_with_stages(self, b).await?);
        }
        Ok(Page {
            items,
            next,
            total: None,
        })
    }

    /// The URL of the first boards page, as the cursor that follows the last pipelines page.
    fn boards_cursor(&self, params: &ListParams) -> Result<Cursor> {
        let first = boards_first(params);
        let mut url = self.http.url(&first.path)?;
        for (k, v) in &first.query {
            url.query_pairs_mut().append_pair(k, v);
        }
        Ok(Cursor::new(url.to_string()))
    }
}

#[async_trait]
impl Resource<Pipeline> for PipelinesResource {
    fn vendor(&self) -> &str {
        "capsule"
    }

    async fn list(&self, params: &ListParams) -> Result<Page<Pipeline>> {
        let api = &*self.api;
        if params.cursor.as_ref().is_some_and(is_boards_cursor) {
            return api.board_page(params).await;
        }
        let first = FirstPage {
            path: "pipelines".into(),
            query: vec![("perPage", page_size(params, MAX_PAGE_SIZE).to_string())],
        };
        let (rows, next) = fetch_page::<WirePipeline>(api, &first, params, "pipelines").await?;
        if rows.is_empty() && next.is_none() {
            let mut boards = params.clone();
            boards.cursor = None;
            return api.board_page(&boards).await;
        }
        let mut items = Vec::with_capacity(rows.len());
        for p in &rows {
            items.push(with_stages(api, p).await?);
        }
        let next = match next {
            Some(n) => Some(n),
            None => Some(api.boards_cursor(params)?),
        };
        Ok(Page {
            items,
            next,
            total: None,
        })
    }

    async fn get(&self, id: &PipelineId) -> Result<Pipeline> {
        let api = &*self.api;
        if let Some(board) = board_of_pipeline(id.as_str()) {
            let resp = api.get_path(&format!("boards/{board}"), &[]).await?;
            let b = wire::decode_one::<WireBoard>(&resp.body, "board")?;
            return board_with_stages(api, &b).await;
        }
        let resp = api
            .get_path(
                &format!("pipelines/{}", path_id("pipeline", id.as_str())?),
                &[],
            )
            .await?;
        let p = wire::decode_one::<WirePipeline>(&resp.body, "pipeline")?;
        with_stages(api, &p).await
    }
}
