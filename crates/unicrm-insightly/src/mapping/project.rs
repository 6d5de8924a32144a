//! Project ↔ `/Projects` (docs/vendors/insightly-v3.1-addendum.md, "Projects").
//!
//! | unified | Insightly |
//! |---|---|
//! | `name`, `description` | `PROJECT_NAME`, `PROJECT_DETAILS` |
//! | `status` | `STATUS` (`NOT STARTED`, `IN PROGRESS`, `DEFERRED`, `CANCELLED`, `ABANDONED`, `COMPLETED`; any case in, upper-case with a space out; unknown values kept as they are) |
//! | `pipeline_id`, `stage_id` | `PIPELINE_ID`, `STAGE_ID` (a `FOR_PROJECTS` pipeline); written in the POST body, but changed through `PUT /Projects/{id}/Pipeline` and `/PipelineStage` (see `resources/projects.rs`) |
//! | `category_id` | `CATEGORY_ID` (→ `/ProjectCategories`) |
//! | `opportunity_id` | `OPPORTUNITY_ID` (read-only at the vendor), else the first `Opportunity` link; written as an `Opportunity` link |
//! | `account_id`, `contact_id` | the first `LINKS` to an `Organisation`, a `Contact` |
//! | `owner_id`, `assignee_id` | `OWNER_USER_ID`, `RESPONSIBLE_USER_ID` |
//! | `start_date`, `closed_date` | `STARTED_DATE`, `COMPLETED_DATE` (date with `00:00:00`; never inferred from the status) |
//! | `picture_url`, `last_activity_at`, `next_activity_at` | `IMAGE_URL`, `LAST_ACTIVITY_DATE_UTC`, `NEXT_ACTIVITY_DATE_UTC` (read only) |
//! | `milestones` | `GET /Projects/{id}/Milestones` (read by `get`, not by listings) |
//! | `tags`, `custom_fields`, `links` | `TAGS`, `CUSTOMFIELDS`, `LINKS` |
//!
//! Insightly projects have no expected end date, no team and no stage name: `expected_close_date`,
//! `team_id` and `stage_name` stay empty. `LINKED_EMAIL_ADDRESS`, `VISIBLE_TO` are kept in `raw`.
//! `STATUS` is required: a new project without a status is sent as `NOT STARTED`. Capsule's
//! `open` and `closed` have no Insightly value: they are written as the nearest ones,
//! `IN PROGRESS` and `COMPLETED` (a migration reads the record back and reports the change).

use serde_json::value::RawValue;
use unicrm_core::{
    Milestone, NewProject, Patch, Project, ProjectPatch, ProjectStatus, RecordLink, ResourceKind,
    Result,
};

use super::{Mode, custom_fields, dates, id, links, put, put_id, put_str, tags, text, wire_id};
use crate::wire::{Body, MilestoneWire, ProjectWire};

/// Reads `STATUS` (case-insensitive; unknown values kept).
pub fn status(s: &str) -> ProjectStatus {
    ProjectStatus::parse(s)
}

/// Writes `STATUS`: upper-case with a space for the known values.
pub fn status_wire(s: &ProjectStatus) -> String {
    match s {
        ProjectStatus::Open => "IN PROGRESS".into(),
        ProjectStatus::Closed => "COMPLETED".into(),
        ProjectStatus::Other(v) => v.clone(),
        known => known.as_str().replace('_', " ").to_ascii_uppercase(),
    }
}

/// Reads a project from its JSON text.
pub fn from_json(text: &RawValue, defs: &custom_fields::Definitions) -> Result<Project> {
    from_json_at(text, defs, "")
}

/// [`from_json`], with `prefix` prepended to decode error paths.
pub fn from_json_at(
    text: &RawValue,
    defs: &custom_fields::Definitions,
    prefix: &str,
) -> Result<Project> {
    super::read_json(text, prefix, |w: ProjectWire, raw| from_wire(w, raw, defs))
}

/// Maps a decoded project.
pub fn from_wire(
    w: ProjectWire,
    raw: unicrm_core::RawPayload,
    defs: &custom_fields::Definitions,
) -> Project {
    let all_links = links::read(&w.links);
    Project {
        id: w.project_id.map(Into::into).unwrap_or_default(),
        name: text(&w.project_name).unwrap_or_default(),
        description: text(&w.project_details),
        status: text(&w.status).map(|s| status(&s)),
        pipeline_id: id(w.pipeline_id),
        stage_id: id(w.stage_id),
        stage_name: None,
        category_id: w.category_id.map(|c| c.to_string()),
        account_id: links::first_of(&all_links, &ResourceKind::Account).map(Into::into),
        contact_id: links::first_of(&all_links, &ResourceKind::Contact).map(Into::into),
        opportunity_id: id(w.opportunity_id)
            .or_else(|| links::first_of(&all_links, &ResourceKind::Opportunity).map(Into::into)),
        owner_id: id(w.owner_user_id),
        assignee_id: id(w.responsible_user_id),
        team_id: None,
        start_date: dates::date(w.started_date.as_ref()),
        expected_close_date: None,
        closed_date: dates::date(w.completed_date.as_ref()),
        picture_url: text(&w.image_url),
        last_activity_at: dates::datetime(w.last_activity_date_utc.as_ref()),
        next_activity_at: dates::datetime(w.next_activity_date_utc.as_ref()),
        milestones: Vec::new(),
        tags: tags::read(&w.tags),
        custom_fields: custom_fields::read(&w.customfields, defs),
        links: all_links,
        created_at: dates::datetime(w.date_created_utc.as_ref()),
        updated_at: dates::datetime(w.date_updated_utc.as_ref()),
        raw: Some(raw),
    }
}

/// Maps a milestone (`RESPONSIBLE_USER` → `assignee_id`).
pub fn milestone(w: &MilestoneWire) -> Milestone {
    Milestone {
        id: w.milestone_id.map(|i| i.to_string()),
        title: text(&w.title).unwrap_or_default(),
        completed: w.completed.unwrap_or(false),
        due_date: dates::date(w.due_date.as_ref()),
        completed_at: dates::datetime(w.completed_date_utc.as_ref()),
        owner_id: id(w.owner_user_id),
        assignee_id: id(w.responsible_user),
    }
}

/// Every link a new project asks for: `links`, `contact_id`, `account_id`, `opportunity_id`.
pub fn wanted_links(new: &NewProject) -> Vec<RecordLink> {
    let mut all = new.links.clone();
    if let Some(c) = &new.contact_id {
        all.push(links::link(ResourceKind::Contact, c.as_str()));
    }
    if let Some(a) = &new.account_id {
        all.push(links::link(ResourceKind::Account, a.as_str()));
    }
    if let Some(o) = &new.opportunity_id {
        all.push(links::link(ResourceKind::Opportunity, o.as_str()));
    }
    links::dedup(all)
}

/// The POST body for a new project (`STATUS` defaults to `NOT STARTED`; pipeline and stage
/// go in the body).
pub fn create_body(new: &NewProject, defs: &custom_fields::Definitions) -> Result<Body> {
    if !new.milestones.is_empty() {
        return Err(unicrm_core::Error::unsupported(
            "project.milestones (create)",
            crate::VENDOR,
        ));
    }
    let links = wanted_links(new);
    let p = ProjectPatch::from(new.clone());
    let mut body = fields(&p, defs, Mode::Create)?;
    if new.status.is_none() {
        body.set("STATUS", "NOT STARTED")?;
    }
    put_id(&mut body, "PIPELINE_ID", &p.pipeline_id)?;
    put_id(&mut body, "STAGE_ID", &p.stage_id)?;
    body.strip_nulls();
    super::with_links(body, &links)
}

/// The PUT fields of a patch, without the pipeline and stage (those go through
/// `/Projects/{id}/Pipeline` and `/PipelineStage`) and without links (`/Links`).
pub fn patch_body(p: &ProjectPatch, defs: &custom_fields::Definitions, mode: Mode) -> Result<Body> {
    if !p.milestones.is_unchanged() {
        return Err(unicrm_core::Error::unsupported(
            "project.milestones (update)",
            crate::VENDOR,
        ));
    }
    fields(p, defs, mode)
}

fn fields(p: &ProjectPatch, defs: &custom_fields::Definitions, mode: Mode) -> Result<Body> {
    let mut b = Body::new();
    put_str(&mut b, "PROJECT_NAME", &p.name)?;
    put_str(&mut b, "PROJECT_DETAILS", &p.description)?;
    match &p.status {
        Patch::Unchanged => {}
        // STATUS is required: a cleared status goes back to the first one.
        Patch::Clear => b.set("STATUS", "NOT STARTED")?,
        Patch::Set(s) => b.set("STATUS", &status_wire(s))?,
    }
    put(&mut b, "CATEGORY_ID", &p.category_id, |c| {
        wire_id("CATEGORY_ID", c)
    })?;
    put_id(&mut b, "OWNER_USER_ID", &p.owner_id)?;
    put_id(&mut b, "RESPONSIBLE_USER_ID", &p.assignee_id)?;
    put(&mut b, "STARTED_DATE", &p.start_date, |d| {
        Ok(dates::format_date(d))
    })?;
    put(&mut b, "COMPLETED_DATE", &p.closed_date, |d| {
        Ok(dates::format_date(d))
    })?;
    super::finish_tagged(b, &p.tags, &p.custom_fields, defs, mode, &p.vendor_fields)
}

/// The body of a milestone for `POST`/`PUT /Projects/{id}/Milestones` (`MILESTONE_ID` when
/// it has an id; `DUE_DATE` and `COMPLETED` are required by the vendor, so a milestone
/// without a due date is refused).
pub fn milestone_body(m: &Milestone) -> Result<Body> {
    let mut b = Body::new();
    if let Some(id) = &m.id {
        b.set("MILESTONE_ID", &wire_id("MILESTONE_ID", id)?)?;
    }
    b.set("TITLE", &m.title)?;
    b.set("COMPLETED", &m.completed)?;
    let due = m
        .due_date
        .as_ref()
        .ok_or_else(|| unicrm_core::Error::Validation {
            message: "milestone: a due date is required".into(),
            fields: vec![unicrm_core::FieldError {
                field: Some("milestones.due_date".into()),
                resource: Some("project".into()),
                message: "required".into(),
            }],
        })?;
    b.set("DUE_DATE", &dates::format_date(due))?;
    if let Some(o) = &m.owner_id {
        b.set("OWNER_USER_ID", &wire_id("OWNER_USER_ID", o.as_str())?)?;
    }
    if let Some(a) = &m.assignee_id {
        b.set(
            "RESPONSIBLE_USER",
            &wire_id("RESPONSIBLE_USER", a.as_str())?,
        )?;
    }
    Ok(b)
}
