//! Projects (`/Projects`; docs/vendors/insightly-v3.1-addendum.md, "Projects"): the generic
//! object pattern ([`ProjectSpec`] for [`ObjectResource`]) wrapped by [`ProjectsResource`],
//! which adds what projects do differently:
//!
//! - **pipeline and stage** are changed through `PUT /Projects/{id}/Pipeline`
//!   (`{"PIPELINE_ID", "PIPELINE_STAGE_CHANGE": {"STAGE_ID"}}`), `PUT /Projects/{id}/PipelineStage`
//!   (`{"STAGE_ID"}`) and `DELETE /Projects/{id}/Pipeline` (both cleared), never the plain
//!   `PUT /Projects`. Their answers are ignored (the swagger types them as an array of change
//!   objects, which looks wrong) and the project is read again.
//! - **milestones** are read on `get` (`GET /Projects/{id}/Milestones`, an array or a single
//!   object, 200 or 201) for projects off-pipeline: a project has either milestones or a
//!   pipeline, never both. Listings leave them empty (one request per record otherwise).
//!   They are written on `create` and `update` as a whole list (`resources/milestones.rs`).
//! - the change feed is the generic one (`/Projects/Search?updated_after_utc=` and a confirmed
//!   id scan for deletions, see [`crate::changes`]).

use std::sync::Arc;

use async_trait::async_trait;
use futures::stream::BoxStream;
use serde_json::value::RawValue;
use unicrm_core::http::{Method, Request};
use unicrm_core::{
    ChangeSet, Checkpoint, Error, ListParams, NewProject, Page, Patch, Project, ProjectId,
    ProjectPatch, Record, Resource, ResourceKind, Result,
};

use super::{LinkScope, ObjectResource, ObjectSpec};
use crate::client::{Shared, VENDOR};
use crate::mapping::lead::LeadPicklists;
use crate::mapping::{self, Definitions, Mode, wire_id};
use crate::wire::{Body, MilestoneWire, decode_array, decode_at};

/// `/Projects` for the generic resource.
#[derive(Debug)]
pub struct ProjectSpec;

impl ObjectSpec for ProjectSpec {
    type R = Project;
    const PATH: &'static str = "Projects";
    const ID_KEY: &'static str = "PROJECT_ID";
    const CUSTOM_FIELDS: bool = true;

    fn default_search_field(_q: &str) -> &'static str {
        "PROJECT_NAME"
    }
    fn read(
        raw: &RawValue,
        defs: &Definitions,
        _lists: &LeadPicklists,
        prefix: &str,
    ) -> Result<Project> {
        mapping::project::from_json_at(raw, defs, prefix)
    }
    fn create_body(new: &NewProject, defs: &Definitions, _lists: &LeadPicklists) -> Result<Body> {
        mapping::project::create_body(new, defs)
    }
    fn patch_body(
        patch: &ProjectPatch,
        defs: &Definitions,
        _lists: &LeadPicklists,
    ) -> Result<Body> {
        mapping::project::patch_body(patch, defs, Mode::Update)
    }
    fn link_scopes(patch: &ProjectPatch) -> Vec<LinkScope> {
        [
            LinkScope::all(&patch.links),
            LinkScope::single(ResourceKind::Contact, &patch.contact_id),
            LinkScope::single(ResourceKind::Account, &patch.account_id),
            LinkScope::single(ResourceKind::Opportunity, &patch.opportunity_id),
        ]
        .into_iter()
        .flatten()
        .collect()
    }
    fn make_id(id: u64) -> ProjectId {
        id.into()
    }
}

/// One request a patch's pipeline or stage change needs, relative to `Projects/{id}/`.
#[derive(Debug, Clone, PartialEq)]
pub struct PipelineChange {
    /// `PUT` or `DELETE`.
    pub method: Method,
    /// `Pipeline` or `PipelineStage`.
    pub path: &'static str,
    /// The JSON body (`None` for the `DELETE`).
    pub body: Option<serde_json::Value>,
}

/// The pipeline request a patch asks for, if any:
///
/// | `pipeline_id` | `stage_id` | request |
/// |---|---|---|
/// | set | set | `PUT Pipeline {"PIPELINE_ID", "PIPELINE_STAGE_CHANGE": {"STAGE_ID"}}` |
/// | set | unchanged | `PUT Pipeline {"PIPELINE_ID"}` (the vendor picks the stage) |
/// | unchanged | set | `PUT PipelineStage {"STAGE_ID"}` |
/// | cleared | unchanged or cleared | `DELETE Pipeline` |
/// | unchanged | cleared | `DELETE Pipeline` (a stage cannot be cleared alone) |
/// | cleared | set, or set | cleared | a validation error |
pub fn pipeline_change(patch: &ProjectPatch) -> Result<Option<PipelineChange>> {
    let stage = |s: &unicrm_core::StageId| wire_id("STAGE_ID", s.as_str());
    let change = match (&patch.pipeline_id, &patch.stage_id) {
        (Patch::Unchanged, Patch::Unchanged) => return Ok(None),
        (Patch::Set(p), s) => {
            let mut body =
                serde_json::json!({ "PIPELINE_ID": wire_id("PIPELINE_ID", p.as_str())? });
            match s {
                Patch::Set(s) => {
                    body["PIPELINE_STAGE_CHANGE"] = serde_json::json!({ "STAGE_ID": stage(s)? });
                }
                Patch::Unchanged => {}
                Patch::Clear => return Err(mismatch()),
            }
            PipelineChange {
                method: Method::PUT,
                path: "Pipeline",
                body: Some(body),
            }
        }
        (Patch::Unchanged, Patch::Set(s)) => PipelineChange {
            method: Method::PUT,
            path: "PipelineStage",
            body: Some(serde_json::json!({ "STAGE_ID": stage(s)? })),
        },
        (Patch::Clear, Patch::Set(_)) => return Err(mismatch()),
        (Patch::Clear | Patch::Unchanged, _) => PipelineChange {
            method: Method::DELETE,
            path: "Pipeline",
            body: None,
        },
    };
    Ok(Some(change))
}

fn mismatch() -> Error {
    Error::Validation {
        message: "project: a stage needs a pipeline (pipeline_id and stage_id must be set or \
                  cleared together)"
            .into(),
        fields: vec![unicrm_core::FieldError {
            field: Some("stage_id".into()),
            resource: Some("project".into()),
            message: "a stage needs a pipeline".into(),
        }],
    }
}

/// Reads a milestones answer: an array of milestones or a single one.
pub fn milestones_from_json(bytes: &[u8]) -> Result<Vec<unicrm_core::Milestone>> {
    let trimmed = bytes.iter().position(|b| !b.is_ascii_whitespace());
    let wire: Vec<MilestoneWire> = match trimmed.map(|i| bytes[i]) {
        None => Vec::new(),
        Some(b'[') => decode_array(bytes)?
            .iter()
            .enumerate()
            .map(|(i, r)| decode_at(r.get(), &format!("[{i}]")))
            .collect::<Result<_>>()?,
        Some(_) => {
            let raw = crate::wire::decode_object(bytes)?;
            vec![decode_at(raw.get(), "")?]
        }
    };
    Ok(wire.iter().map(mapping::project::milestone).collect())
}

/// Insightly projects: [`ObjectResource`] plus the pipeline routes and milestones.
pub struct ProjectsResource {
    objects: ObjectResource<ProjectSpec>,
}

impl std::fmt::Debug for ProjectsResource {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("ProjectsResource")
    }
}

impl ProjectsResource {
    pub(crate) fn new(shared: Arc<Shared>) -> Self {
        ProjectsResource {
            objects: ObjectResource::new(shared),
        }
    }

    /// The generic object resource underneath (listings, feed).
    pub(crate) fn objects(&self) -> &ObjectResource<ProjectSpec> {
        &self.objects
    }

    fn shared(&self) -> &Shared {
        &self.objects.shared
    }

    /// The project's milestones (`GET /Projects/{id}/Milestones`).
    pub async fn milestones(&self, id: &ProjectId) -> Result<Vec<unicrm_core::Milestone>> {
        let n = wire_id("PROJECT_ID", id.as_str())?;
        let path = format!("Projects/{n}/Milestones");
        let resp = self.shared().send(self.shared().http.get(&path)?).await?;
        milestones_from_json(&resp.body)
    }

    /// `project` with its milestones, when it is off-pipeline (milestones and a pipeline
    /// exclude each other).
    async fn with_milestones(&self, mut project: Project) -> Result<Project> {
        if project.pipeline_id.is_none() {
            project.milestones = self.milestones(&project.id).await?;
        }
        Ok(project)
    }
}

#[async_trait]
impl Resource<Project> for ProjectsResource {
    fn vendor(&self) -> &str {
        VENDOR
    }

    /// One page of `GET /Projects` (or `/Search`, `/SearchByTag`), as for every object; no
    /// milestones.
    async fn list(&self, params: &ListParams) -> Result<Page<Project>> {
        self.objects.list(params).await
    }

    fn stream_listing(&self, params: ListParams) -> BoxStream<'_, Result<Project>> {
        self.objects.stream_listing(params)
    }

    /// `GET /Projects/{id}`, then its milestones when it has no pipeline.
    async fn get(&self, id: &ProjectId) -> Result<Project> {
        let p = self.objects.get(id).await?;
        self.with_milestones(p).await
    }

    /// `POST /Projects` (pipeline and stage in the body). Not retried after an unknown
    /// outcome (core's write rules).
    ///
    /// Milestones (docs/vendors/insightly-v3.1-addendum.md, "Projects") are checked first
    /// (a due date each; never with a pipeline), then created on the new project.
    async fn create(&self, new: &NewProject) -> Result<Project> {
        if new.milestones.is_empty() {
            let p = self.objects.create(new).await?;
            return self.with_milestones(p).await;
        }
        if new.pipeline_id.is_some() || new.stage_id.is_some() {
            return Err(super::milestones::both_refused());
        }
        super::milestones::check(&new.milestones)?;
        let bare = NewProject {
            milestones: Vec::new(),
            ..new.clone()
        };
        let p = self.objects.create(&bare).await?;
        super::milestones::write(self.shared(), &p.id, &new.milestones, &[]).await?;
        // Read again: the milestone writes moved the project's `DATE_UPDATED_UTC`.
        self.get(&p.id).await
    }

    /// The pipeline change first (`/Pipeline`, `/PipelineStage`), then `PUT /Projects` with
    /// the other fields and the links through `/Links`; the project is read again.
    ///
    /// `milestones` is written as a whole list after the other fields (see
    /// `resources/milestones.rs`); a patch that sets a pipeline and milestones is refused.
    async fn update(&self, id: &ProjectId, patch: &ProjectPatch) -> Result<Project> {
        let n = wire_id("PROJECT_ID", id.as_str())?;
        let milestones = match &patch.milestones {
            Patch::Unchanged => None,
            Patch::Clear => Some(Vec::new()),
            Patch::Set(m) => Some(m.clone()),
        };
        if let Some(m) = &milestones {
            if !m.is_empty() && matches!(patch.pipeline_id, Patch::Set(_)) {
                return Err(super::milestones::both_refused());
            }
            super::milestones::check(m)?;
        }
        if let Some(change) = pipeline_change(patch)? {
            let url = self
                .shared()
                .http
                .url(&format!("Projects/{n}/{}", change.path))?;
            let mut req = Request::new(change.method, url);
            if let Some(body) = &change.body {
                req = req.json(body)?;
            }
            self.shared().send(req).await?;
        }
        let rest = ProjectPatch {
            pipeline_id: Patch::Unchanged,
            stage_id: Patch::Unchanged,
            milestones: Patch::Unchanged,
            ..patch.clone()
        };
        let p = self.objects.update(id, &rest).await?;
        if let Some(wanted) = milestones {
            let existing = self.milestones(id).await?;
            super::milestones::write(self.shared(), id, &wanted, &existing).await?;
            return self.get(id).await;
        }
        self.with_milestones(p).await
    }

    async fn delete(&self, id: &ProjectId) -> Result<()> {
        self.objects.delete(id).await
    }

    async fn changes_since(
        &self,
        checkpoint: &Checkpoint,
    ) -> Result<ChangeSet<Project, <Project as Record>::Id>> {
        self.objects.changes_since(checkpoint).await
    }

    fn change_stream(&self, checkpoint: Checkpoint) -> unicrm_core::ChangeStream<'_, Project> {
        self.objects.change_stream(checkpoint)
    }
}
