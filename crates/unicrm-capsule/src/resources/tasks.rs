//! Tasks over `/tasks`. Listings send `status=open,completed,pending` (Capsule lists open tasks
//! only by default, and PENDING tasks — those of closed opportunities and projects — are
//! listed only when asked for: docs/vendors/capsule-v2-addendum.md, "Tasks created by tracks;
//! task status"). No search, no `since`: the change feed scans ids (see [`crate::changes`]).

use async_trait::async_trait;
use unicrm_core::error::Result;
use unicrm_core::http::Method;
use unicrm_core::{
    ChangeSet, Checkpoint, ListParams, NewTask, Page, Patch, Resource, Task, TaskId, TaskPatch,
};

use super::path_id;
use crate::capabilities::MAX_PAGE_SIZE;
use crate::client::Api;
use crate::mapping::task::{new_task_to_wire, task_from_wire, task_patch_to_wire};
use crate::paging::{FirstPage, fetch_page, page_size};
use crate::wire::{self, WireTask};

/// Every status, so that no task is missing from a listing.
pub(crate) const ALL_STATUSES: &str = "open,completed,pending";

/// The first request of a task listing.
pub(crate) fn first_page(params: &ListParams) -> FirstPage {
    FirstPage {
        path: "tasks".into(),
        query: vec![
            ("status", ALL_STATUSES.into()),
            ("perPage", page_size(params, MAX_PAGE_SIZE).to_string()),
        ],
    }
}

fn task_path(id: &TaskId) -> Result<String> {
    Ok(format!("tasks/{}", path_id("task", id.as_str())?))
}

/// The unified tasks resource.
#[derive(Clone)]
pub struct TasksResource {
    pub(crate) api: std::sync::Arc<Api>,
}

impl std::fmt::Debug for TasksResource {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TasksResource").finish_non_exhaustive()
    }
}

#[async_trait]
impl Resource<Task> for TasksResource {
    fn vendor(&self) -> &str {
        "capsule"
    }

    async fn list(&self, params: &ListParams) -> Result<Page<Task>> {
        let (items, next) =
            fetch_page::<WireTask>(&self.api, &first_page(params), params, "tasks").await?;
        Ok(Page {
            items: items.iter().map(task_from_wire).collect(),
            next,
            total: None,
        })
    }

    async fn get(&self, id: &TaskId) -> Result<Task> {
        let resp = self.api.get_path(&task_path(id)?, &[]).await?;
        Ok(task_from_wire(&wire::decode_one::<WireTask>(
            &resp.body, "task",
        )?))
    }

    async fn create(&self, new: &NewTask) -> Result<Task> {
        let category = match &new.category {
            Some(name) => Some(self.api.category_id(name).await?),
            None => None,
        };
        let body = new_task_to_wire(new, category)?.wrap("task")?;
        let resp = self.api.write(Method::POST, "tasks", &[], body).await?;
        Ok(task_from_wire(&wire::decode_one::<WireTask>(
            &resp.body, "task",
        )?))
    }

    async fn update(&self, id: &TaskId, patch: &TaskPatch) -> Result<Task> {
        let category = match &patch.category {
            Patch::Unchanged => Patch::Unchanged,
            Patch::Set(name) => Patch::Set(self.api.category_id(name).await?),
            Patch::Clear => Patch::Clear,
        };
        let body = task_patch_to_wire(patch, category)?;
        if body.is_empty() {
            return Resource::<Task>::get(self, id).await;
        }
        let resp = self
            .api
            .write(Method::PUT, &task_path(id)?, &[], body.wrap("task")?)
            .await?;
        Ok(task_from_wire(&wire::decode_one::<WireTask>(
            &resp.body, "task",
        )?))
    }

    async fn delete(&self, id: &TaskId) -> Result<()> {
        self.api.delete_path(&task_path(id)?).await
    }

    fn change_stream(&self, checkpoint: Checkpoint) -> unicrm_core::ChangeStream<'_, Task> {
        crate::changes::scan::task_stream(&self.api, checkpoint)
    }

    async fn changes_since(&self, checkpoint: &Checkpoint) -> Result<ChangeSet<Task, TaskId>> {
        crate::changes::scan::task_changes(&self.api, checkpoint).await
    }
}
