//! HighLevel task ↔ unified `Task` (docs/vendors/highlevel-v2.md, "Tasks").
//!
//! | HighLevel | unified |
//! | --- | --- |
//! | `contactId` + `id` | `id` = `<contactId>:<taskId>` (see `resources/sub_id.rs`) |
//! | `title` | `title` |
//! | `body` | `description` |
//! | `dueDate` (ISO, UTC) | `due_date`, and `due_time` unless it is midnight UTC (a date alone is written as midnight) |
//! | `completed` | `status`: `completed` or `open` |
//! | `assignedTo` | `owner_id` (HighLevel's only person on a task) |
//! | `contactId` | `contact_id` |
//! | `businessId` (live, read only) | `account_id` |
//!
//! HighLevel tasks have no priority, category or timestamps. A create needs `title`,
//! `dueDate` and `completed`, so a task without `due_date` is a `Validation` error. `dueDate`
//! is written without milliseconds (the echoed `.000Z` form was reported refused, "Uncertain"
//! in the Tasks section). A status change goes through `PUT …/completed`.

use chrono::{NaiveDate, NaiveTime};
use serde_json::Value;
use unicrm_core::{Error, NewTask, Patch, RawPayload, Result, Task, TaskPatch, TaskStatus};

use super::fields;
use crate::resources::sub_id;
use crate::wire::task::{WireTask, WireTaskWrite};

/// A task from its JSON; `contact` is the contact it was listed under.
pub(crate) fn from_wire(value: Value, contact: Option<&str>) -> Result<Task> {
    let (w, raw) = crate::wire::record_value::<WireTask>(&value)?;
    Ok(from_parsed(w, raw, contact))
}

/// A decoded task and its raw payload, mapped.
pub(crate) fn from_parsed(w: WireTask, raw: RawPayload, contact: Option<&str>) -> Task {
    let contact_id = w.contact_id.clone().or(contact.map(str::to_string));
    let id = match &contact_id {
        Some(c) => sub_id::join(c, &w.id),
        None => w.id.clone(),
    };
    let due = fields::time(w.due_date.as_deref());
    Task {
        id: id.into(),
        title: w.title.unwrap_or_default(),
        description: w.body.filter(|b| !b.is_empty()),
        due_date: due.map(|d| d.date_naive()),
        due_time: due.map(|d| d.time()).filter(|t| *t != NaiveTime::MIN),
        status: Some(if w.completed.unwrap_or(false) {
            TaskStatus::Completed
        } else {
            TaskStatus::Open
        }),
        owner_id: w.assigned_to.map(Into::into),
        contact_id: contact_id.map(Into::into),
        account_id: w.business_id.map(Into::into),
        raw: Some(raw),
        ..Default::default()
    }
}

/// `dueDate` as written: `YYYY-MM-DDTHH:MM:SSZ`.
pub(crate) fn due_date(date: NaiveDate, time: Option<NaiveTime>) -> String {
    date.and_time(time.unwrap_or(NaiveTime::MIN))
        .and_utc()
        .format("%Y-%m-%dT%H:%M:%SZ")
        .to_string()
}

fn completed(status: Option<&TaskStatus>) -> bool {
    status == Some(&TaskStatus::Completed)
}

/// The body of `POST /contacts/{contactId}/tasks`.
pub(crate) fn to_create(t: &NewTask) -> Result<WireTaskWrite> {
    if t.title.trim().is_empty() {
        return Err(Error::validation("a HighLevel task needs a title"));
    }
    let Some(date) = t.due_date else {
        return Err(Error::validation("a HighLevel task needs a due_date"));
    };
    Ok(WireTaskWrite {
        title: Some(t.title.clone()),
        body: t.description.clone().map(Some),
        due_date: Some(due_date(date, t.due_time)),
        completed: Some(completed(t.status.as_ref())),
        assigned_to: t.owner_id.as_ref().map(|u| Some(u.to_string())),
        vendor_fields: t.vendor_fields.clone(),
    })
}

/// What an update sends: the `PUT …/tasks/{id}` body (if any field but the status changes)
/// and the `completed` value for `PUT …/completed` (if the status changes). `current` is the
/// task as stored, needed when only one of `due_date` and `due_time` changes.
pub(crate) fn to_patch(
    p: &TaskPatch,
    current: Option<&Task>,
) -> Result<(Option<WireTaskWrite>, Option<bool>)> {
    if !p.contact_id.is_unchanged() {
        return Err(Error::validation(
            "a HighLevel task cannot move to another contact",
        ));
    }
    let mut w = WireTaskWrite::default();
    match &p.title {
        Patch::Unchanged => {}
        Patch::Set(t) if !t.trim().is_empty() => w.title = Some(t.clone()),
        _ => return Err(Error::validation("a HighLevel task needs a title")),
    }
    w.body = match &p.description {
        Patch::Unchanged => None,
        Patch::Set(d) => Some(Some(d.clone())),
        Patch::Clear => Some(Some(String::new())),
    };
    w.assigned_to = match &p.owner_id {
        Patch::Unchanged => None,
        Patch::Set(u) => Some(Some(u.to_string())),
        Patch::Clear => Some(None),
    };
    if matches!(p.due_date, Patch::Clear) {
        return Err(Error::validation("a HighLevel task needs a due_date"));
    }
    if !p.due_date.is_unchanged() || !p.due_time.is_unchanged() {
        let date = match &p.due_date {
            Patch::Set(d) => Some(*d),
            _ => current.and_then(|c| c.due_date),
        };
        let time = match &p.due_time {
            Patch::Set(t) => Some(*t),
            Patch::Clear => None,
            Patch::Unchanged => current.and_then(|c| c.due_time),
        };
        let date = date.ok_or_else(|| Error::validation("a HighLevel task needs a due_date"))?;
        w.due_date = Some(due_date(date, time));
    }
    w.vendor_fields = p.vendor_fields.clone();
    let status = match &p.status {
        Patch::Unchanged => None,
        Patch::Set(s) => Some(completed(Some(s))),
        Patch::Clear => Some(false),
    };
    let any = w.title.is_some()
        || w.body.is_some()
        || w.assigned_to.is_some()
        || w.due_date.is_some()
        || !w.vendor_fields.is_empty();
    Ok((any.then_some(w), status))
}
