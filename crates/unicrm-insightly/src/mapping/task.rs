//! Task ↔ `/Tasks` (docs/vendors/insightly-v3.1.md §11.7).
//!
//! | unified | Insightly |
//! |---|---|
//! | `title`, `description` | `TITLE`, `DETAILS` |
//! | `status` | `STATUS` (`NOT STARTED`, `IN PROGRESS`, `WAITING`, `COMPLETED`, `DEFERRED`); `COMPLETED: true` reads as completed; unified `open` is written `NOT STARTED`, unified `pending` (Capsule's inactive tasks) `DEFERRED` |
//! | `priority` | `PRIORITY` (1 low, 2 medium, 3 high) |
//! | `start_date`, `due_date`, `completed_at` | `START_DATE`, `DUE_DATE`, `COMPLETED_DATE_UTC` |
//! | `owner_id`, `assignee_id` | `OWNER_USER_ID`, `RESPONSIBLE_USER_ID` |
//! | `opportunity_id` | `OPPORTUNITY_ID` (or the first `Opportunity` link) |
//! | `contact_id`, `account_id`, `lead_id` | the first `LINKS` to a `Contact`, `Organisation`, `Lead` |
//! | `links` | `LINKS` |
//!
//! Tasks have no `TAGS`. Task `CUSTOMFIELDS`, `CATEGORY_ID`, `PERCENT_COMPLETE`, reminders and
//! project fields are kept in `raw` (the unified task has no home for them).

use serde_json::value::RawValue;
use unicrm_core::{
    NewTask, Patch, ResourceKind, Result, Task, TaskPatch, TaskPriority, TaskStatus,
};

use super::{Mode, dates, id, links, put, put_id, put_str, text};
use crate::wire::{Body, TaskWire};

/// Reads `STATUS` (and `COMPLETED`).
pub fn status(status: Option<&str>, completed: Option<bool>) -> Option<TaskStatus> {
    if completed == Some(true) {
        return Some(TaskStatus::Completed);
    }
    status
        .filter(|s| !s.trim().is_empty())
        .map(TaskStatus::parse)
}

/// Writes `STATUS`.
pub fn status_wire(s: &TaskStatus) -> String {
    match s {
        TaskStatus::Open | TaskStatus::NotStarted => "NOT STARTED".into(),
        TaskStatus::InProgress => "IN PROGRESS".into(),
        TaskStatus::Waiting => "WAITING".into(),
        // Insightly has no "inactive, not done" status: DEFERRED is the nearest. A migration
        // reads the task back and reports the changed status as a loss.
        TaskStatus::Deferred | TaskStatus::Pending => "DEFERRED".into(),
        TaskStatus::Completed => "COMPLETED".into(),
        other => other.as_str().to_string(),
    }
}

/// Reads `PRIORITY`.
pub fn priority(p: i64) -> TaskPriority {
    match p {
        1 => TaskPriority::Low,
        2 => TaskPriority::Medium,
        3 => TaskPriority::High,
        n => TaskPriority::Other(n.to_string()),
    }
}

/// Writes `PRIORITY`.
pub fn priority_wire(p: &TaskPriority) -> Result<i64> {
    match p {
        TaskPriority::Low => Ok(1),
        TaskPriority::Medium => Ok(2),
        TaskPriority::High => Ok(3),
        other => other.as_str().trim().parse::<i64>().map_err(|_| {
            unicrm_core::Error::validation(format!(
                "task priority {:?} has no Insightly equivalent (1 low, 2 medium, 3 high)",
                other.as_str()
            ))
        }),
    }
}

/// Reads a task from its JSON text.
pub fn from_json(text: &RawValue) -> Result<Task> {
    from_json_at(text, "")
}

/// [`from_json`], with `prefix` prepended to decode error paths.
pub fn from_json_at(text: &RawValue, prefix: &str) -> Result<Task> {
    let (w, raw) = super::decode_wire::<TaskWire>(text.get(), prefix)?;
    Ok(from_wire(w, raw))
}

/// Maps a decoded task.
pub fn from_wire(w: TaskWire, raw: unicrm_core::RawPayload) -> Task {
    let all_links = links::read(&w.links);
    Task {
        id: w.task_id.map(Into::into).unwrap_or_default(),
        title: text(&w.title).unwrap_or_default(),
        description: text(&w.details),
        due_date: dates::date(w.due_date.as_ref()),
        due_time: None,
        start_date: dates::date(w.start_date.as_ref()),
        status: status(w.status.as_deref(), w.completed),
        priority: w.priority.map(priority),
        completed_at: dates::datetime(w.completed_date_utc.as_ref()),
        category: None,
        owner_id: id(w.owner_user_id),
        assignee_id: id(w.responsible_user_id),
        contact_id: links::first_of(&all_links, &ResourceKind::Contact).map(Into::into),
        account_id: links::first_of(&all_links, &ResourceKind::Account).map(Into::into),
        opportunity_id: id(w.opportunity_id)
            .or_else(|| links::first_of(&all_links, &ResourceKind::Opportunity).map(Into::into)),
        lead_id: links::first_of(&all_links, &ResourceKind::Lead).map(Into::into),
        links: all_links,
        created_at: dates::datetime(w.date_created_utc.as_ref()),
        updated_at: dates::datetime(w.date_updated_utc.as_ref()),
        raw: Some(raw),
    }
}

/// Every link a new task asks for: `links`, `contact_id`, `account_id`, `lead_id`
/// (`opportunity_id` is the `OPPORTUNITY_ID` field).
pub fn wanted_links(new: &NewTask) -> Vec<unicrm_core::RecordLink> {
    let mut all = new.links.clone();
    if let Some(c) = &new.contact_id {
        all.push(links::link(ResourceKind::Contact, c.as_str()));
    }
    if let Some(a) = &new.account_id {
        all.push(links::link(ResourceKind::Account, a.as_str()));
    }
    if let Some(l) = &new.lead_id {
        all.push(links::link(ResourceKind::Lead, l.as_str()));
    }
    // The opportunity link follows from OPPORTUNITY_ID; sending both could duplicate it.
    links::without(
        links::dedup(all),
        &ResourceKind::Opportunity,
        new.opportunity_id.as_ref().map(|o| o.as_str()),
    )
}

/// The POST body for a new task.
pub fn create_body(new: &NewTask) -> Result<Body> {
    let links = wanted_links(new);
    let body = patch_body(&TaskPatch::from(new.clone()), Mode::Create)?;
    super::with_links(body, &links)
}

/// The fields of a patch (see [`super::contact::patch_body`]).
pub fn patch_body(p: &TaskPatch, mode: Mode) -> Result<Body> {
    let mut b = Body::new();
    put_str(&mut b, "TITLE", &p.title)?;
    put_str(&mut b, "DETAILS", &p.description)?;
    put(&mut b, "DUE_DATE", &p.due_date, |d| {
        Ok(dates::format_date(d))
    })?;
    put(&mut b, "START_DATE", &p.start_date, |d| {
        Ok(dates::format_date(d))
    })?;
    match &p.status {
        Patch::Unchanged => {}
        Patch::Clear => b.null("STATUS"),
        Patch::Set(s) => b.set("STATUS", &status_wire(s))?,
    }
    put(&mut b, "PRIORITY", &p.priority, priority_wire)?;
    put(&mut b, "COMPLETED_DATE_UTC", &p.completed_at, |d| {
        Ok(dates::format_datetime(d))
    })?;
    put_id(&mut b, "OWNER_USER_ID", &p.owner_id)?;
    put_id(&mut b, "RESPONSIBLE_USER_ID", &p.assignee_id)?;
    put_id(&mut b, "OPPORTUNITY_ID", &p.opportunity_id)?;
    super::finish(b, mode, &p.vendor_fields)
}
