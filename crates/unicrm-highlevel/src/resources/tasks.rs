//! `Resource<Task>` over `/contacts/{contactId}/tasks[/{id}[/completed]]`
//! (docs/vendors/highlevel-v2.md, "Tasks"). Ids are `<contactId>:<taskId>` (`sub_id.rs`);
//! a listing walks the contacts (`contact_walk.rs`, where its cost is set out). A status
//! change is `PUT …/completed`; other fields go in `PUT …/tasks/{id}`.

use std::sync::Arc;

use async_trait::async_trait;
use futures::FutureExt;
use futures::stream::BoxStream;
use serde_json::Value;
use unicrm_core::http::Method;
use unicrm_core::{ListParams, NewTask, Page, Resource, Result, Task, TaskId, TaskPatch};

use super::contact_walk::{self, Fetch};
use super::sub_id;
use crate::VENDOR;
use crate::client::{Api, check_id};
use crate::mapping::task as map;
use crate::wire::task::WireTaskOne;

/// HighLevel's tasks.
#[derive(Debug, Clone)]
pub(crate) struct Tasks {
    pub(crate) api: Api,
}

/// `GET /contacts/{contact}/tasks`, mapped.
async fn of_contact(api: Api, contact: String) -> Result<Vec<Task>> {
    check_id("contact", &contact)?;
    let req = api
        .request(Method::GET, &format!("contacts/{contact}/tasks"))?
        .repeatable(true);
    crate::pages::tasks(&api.send(req).await?.body, &contact)
}

impl Tasks {
    fn fetch(&self) -> Fetch<Task> {
        let api = self.api.clone();
        Arc::new(move |contact| of_contact(api.clone(), contact).boxed())
    }

    async fn one(&self, req: unicrm_core::http::Request, contact: &str) -> Result<Task> {
        let v: Value = self.api.send(req).await?.json()?;
        let task = match serde_json::from_value::<WireTaskOne>(v.clone()) {
            Ok(one) => one.task,
            Err(_) => v,
        };
        map::from_wire(task, Some(contact))
    }
}

#[async_trait]
impl Resource<Task> for Tasks {
    fn vendor(&self) -> &str {
        VENDOR
    }

    async fn list(&self, params: &ListParams) -> Result<Page<Task>> {
        contact_walk::list_page(&self.api, &self.fetch(), params).await
    }

    fn stream_listing(&self, params: ListParams) -> BoxStream<'_, Result<Task>> {
        if params.cursor.is_some() || params.max_pages.is_some() {
            return unicrm_core::crm::default_listing(self, params);
        }
        contact_walk::stream_all(self.api.clone(), self.fetch(), |t: &Task| t.id.to_string())
    }

    async fn get(&self, id: &TaskId) -> Result<Task> {
        let (contact, task) = sub_id::split("task", id.as_str())?;
        let req = self
            .api
            .request(Method::GET, &format!("contacts/{contact}/tasks/{task}"))?;
        self.one(req, contact).await
    }

    async fn create(&self, new: &NewTask) -> Result<Task> {
        let Some(contact) = &new.contact_id else {
            // Tasks live under a contact (docs/vendors/highlevel-v2.md, Tasks).
            return Err(unicrm_core::Error::unsupported(
                "tasks without contact_id",
                crate::VENDOR,
            ));
        };
        check_id("contact", contact.as_str())?;
        let body = map::to_create(new)?;
        // Not repeatable: a task create whose outcome is unknown is not sent again.
        let req = self
            .api
            .request(Method::POST, &format!("contacts/{contact}/tasks"))?
            .json(&body)?;
        self.one(req, contact.as_str()).await
    }

    async fn update(&self, id: &TaskId, patch: &TaskPatch) -> Result<Task> {
        let (contact, task) = sub_id::split("task", id.as_str())?;
        let path = format!("contacts/{contact}/tasks/{task}");
        // Only one of the due date and time changes: the other is read first.
        let current = if patch.due_date.is_unchanged() != patch.due_time.is_unchanged() {
            Some(self.get(id).await?)
        } else {
            None
        };
        let (body, completed) = map::to_patch(patch, current.as_ref())?;
        let mut last = None;
        if let Some(body) = body {
            let req = self
                .api
                .request(Method::PUT, &path)?
                .json(&body)?
                .repeatable(true);
            last = Some(self.one(req, contact).await?);
        }
        if let Some(done) = completed {
            let req = self
                .api
                .request(Method::PUT, &format!("{path}/completed"))?
                .json(&serde_json::json!({ "completed": done }))?
                .repeatable(true);
            last = Some(self.one(req, contact).await?);
        }
        match last {
            Some(t) => Ok(t),
            None => self.get(id).await,
        }
    }

    async fn delete(&self, id: &TaskId) -> Result<()> {
        let (contact, task) = sub_id::split("task", id.as_str())?;
        let req = self
            .api
            .request(Method::DELETE, &format!("contacts/{contact}/tasks/{task}"))?;
        self.api.send(req).await.map(drop)
    }
}
