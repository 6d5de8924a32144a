//! Capsule task ↔ unified [`Task`].
//!
//! | Capsule | unified |
//! |---|---|
//! | `description` (required) | `title` |
//! | `detail` | `description` |
//! | `dueOn` (required on create), `dueTime` (user's local time) | `due_date`, `due_time` |
//! | `status` `OPEN` / `COMPLETED` / `PENDING` | `status` open / completed / pending |
//! | `category` `{id, name}` | `category` (its name; written by id, looked up by name) |
//! | `party` | `contact_id` (person) or `account_id` (organisation) |
//! | `opportunity`, `kase` | `opportunity_id`, a `links` entry of kind `kase` |
//! | `owner`, `completedAt` | `owner_id` (`assignee_id` on write when no owner), `completed_at` |
//!
//! A Capsule task links to at most one record. Not stored: `priority`, `start_date`,
//! `lead_id`. Every task status other than completed is written as `OPEN`.

use chrono::NaiveTime;
use unicrm_core::error::{Error, Result};
use unicrm_core::{
    AccountId, ContactId, NewTask, OpportunityId, Patch, RecordLink, ResourceKind, Task, TaskId,
    TaskPatch, TaskStatus, UserId,
};

use super::{Body, IdRef, non_empty, numeric_id, patch_scalar, set_ref};
use crate::wire::{Decoded, WireTask};

/// `HH:MM:SS` or `HH:MM`.
pub fn parse_time(s: &str) -> Option<NaiveTime> {
    let s = s.trim();
    NaiveTime::parse_from_str(s, "%H:%M:%S")
        .or_else(|_| NaiveTime::parse_from_str(s, "%H:%M"))
        .ok()
}

fn status_from_wire(s: &str) -> TaskStatus {
    match s.trim().to_ascii_uppercase().as_str() {
        "OPEN" => TaskStatus::Open,
        "COMPLETED" => TaskStatus::Completed,
        "PENDING" => TaskStatus::Pending,
        _ => TaskStatus::Other(s.to_string()),
    }
}

fn status_to_wire(s: &TaskStatus) -> &str {
    match s {
        TaskStatus::Completed => "COMPLETED",
        TaskStatus::Pending => "PENDING",
        TaskStatus::Other(o) if o.eq_ignore_ascii_case("pending") => "PENDING",
        _ => "OPEN",
    }
}

/// The kind of a `kase` link.
pub fn kase_kind() -> ResourceKind {
    ResourceKind::Other("kase".into())
}

/// A task → unified.
pub fn task_from_wire(d: &Decoded<WireTask>) -> Task {
    let t = &d.wire;
    let (contact_id, account_id) = match &t.party {
        Some(p) => match (p.id, p.kind.as_deref()) {
            (Some(id), Some(k)) if k.eq_ignore_ascii_case("organisation") => {
                (None, Some(AccountId::from(id)))
            }
            (Some(id), _) => (Some(ContactId::from(id)), None),
            _ => (None, None),
        },
        None => (None, None),
    };
    let links = t
        .kase
        .as_ref()
        .and_then(|k| k.id)
        .map(|id| RecordLink {
            kind: Some(kase_kind()),
            id: id.to_string(),
            role: None,
        })
        .into_iter()
        .collect();
    Task {
        id: TaskId::from(t.id),
        title: t.description.clone().unwrap_or_default(),
        description: non_empty(&t.detail),
        due_date: t.due_on,
        due_time: t.due_time.as_deref().and_then(parse_time),
        start_date: None,
        status: non_empty(&t.status).map(|s| status_from_wire(&s)),
        priority: None,
        completed_at: t.completed_at,
        category: t.category.as_ref().and_then(|c| non_empty(&c.name)),
        owner_id: t.owner.as_ref().and_then(|o| o.id).map(UserId::from),
        assignee_id: None,
        contact_id,
        account_id,
        opportunity_id: t
            .opportunity
            .as_ref()
            .and_then(|o| o.id)
            .map(|id| OpportunityId::from(id.to_string())),
        lead_id: None,
        links,
        created_at: t.created_at,
        updated_at: t.updated_at,
        raw: Some(d.raw.clone()),
    }
}

fn kase_id(links: &[RecordLink]) -> Option<&str> {
    links
        .iter()
        .find(|l| l.kind.as_ref() == Some(&kase_kind()))
        .map(|l| l.id.as_str())
}

/// The one record a task or note links to, as `(key, id)`; an error when several are given.
pub fn single_link(
    contact: Option<&ContactId>,
    account: Option<&AccountId>,
    opportunity: Option<&OpportunityId>,
    kase: Option<&str>,
) -> Result<Option<(&'static str, u64)>> {
    let mut found = Vec::new();
    if let Some(c) = contact {
        found.push(("party", numeric_id(c.as_str(), "contact_id")?));
    }
    if let Some(a) = account {
        found.push(("party", numeric_id(a.as_str(), "account_id")?));
    }
    if let Some(o) = opportunity {
        found.push(("opportunity", numeric_id(o.as_str(), "opportunity_id")?));
    }
    if let Some(k) = kase {
        found.push(("kase", numeric_id(k, "links.kase")?));
    }
    match found.as_slice() {
        [] => Ok(None),
        [one] => Ok(Some(*one)),
        _ => Err(Error::validation(
            "Capsule links a task or note to one record only: set one of contact_id, account_id, opportunity_id or a kase link",
        )),
    }
}

/// The body of `POST /tasks`. `category_id` is the id of the task's category, looked up by
/// name.
pub fn new_task_to_wire(n: &NewTask, category_id: Option<u64>) -> Result<Body> {
    if n.title.trim().is_empty() {
        return Err(Error::validation("a task needs a title"));
    }
    let Some(due) = n.due_date else {
        return Err(Error::Validation {
            message: "a Capsule task needs a due date".into(),
            fields: vec![unicrm_core::FieldError {
                field: Some("due_date".into()),
                resource: Some("task".into()),
                message: "dueOn is required".into(),
            }],
        });
    };
    let mut b = Body::new();
    b.set("description", &n.title)?;
    if let Some(d) = &n.description {
        b.set("detail", d)?;
    }
    b.set("dueOn", &due)?;
    if let Some(t) = &n.due_time {
        b.set("dueTime", &t.format("%H:%M:%S").to_string())?;
    }
    if let Some(s) = &n.status {
        b.set("status", status_to_wire(s))?;
    }
    if let Some(c) = category_id {
        b.set("category", &IdRef { id: c })?;
    }
    if let Some(owner) = n.owner_id.as_ref().or(n.assignee_id.as_ref()) {
        set_ref(&mut b, "owner", owner.as_str(), "owner_id")?;
    }
    if let Some((key, id)) = single_link(
        n.contact_id.as_ref(),
        n.account_id.as_ref(),
        n.opportunity_id.as_ref(),
        kase_id(&n.links),
    )? {
        b.set(key, &IdRef { id })?;
    }
    b.merge_vendor_fields(&n.vendor_fields)?;
    Ok(b)
}

/// The body of `PUT /tasks/{id}`. `category` is the looked-up category id when the patch
/// touches `category` (`Set(id)` or `Clear`).
pub fn task_patch_to_wire(p: &TaskPatch, category: Patch<u64>) -> Result<Body> {
    let mut b = Body::new();
    match &p.title {
        Patch::Unchanged => {}
        Patch::Set(t) if !t.trim().is_empty() => b.set("description", t)?,
        _ => return Err(Error::validation("a task needs a title")),
    }
    patch_scalar(&mut b, "detail", &p.description)?;
    match &p.due_date {
        Patch::Unchanged => {}
        Patch::Set(d) => b.set("dueOn", d)?,
        Patch::Clear => return Err(Error::validation("a Capsule task needs a due date")),
    }
    patch_scalar(
        &mut b,
        "dueTime",
        &p.due_time.clone().map(|t| t.format("%H:%M:%S").to_string()),
    )?;
    match &p.status {
        Patch::Unchanged => {}
        Patch::Set(s) => b.set("status", status_to_wire(s))?,
        Patch::Clear => b.set("status", "OPEN")?,
    }
    match category {
        Patch::Unchanged => {}
        Patch::Set(id) => b.set("category", &IdRef { id })?,
        Patch::Clear => b.set_null("category")?,
    }
    match (&p.owner_id, &p.assignee_id) {
        (Patch::Set(o), _) | (Patch::Unchanged, Patch::Set(o)) => b.set(
            "owner",
            &IdRef {
                id: numeric_id(o.as_str(), "owner_id")?,
            },
        )?,
        _ => {}
    }
    let touched = [
        !p.contact_id.is_unchanged(),
        !p.account_id.is_unchanged(),
        !p.opportunity_id.is_unchanged(),
        !p.links.is_unchanged(),
    ];
    if touched.iter().any(|t| *t) {
        let links = p.links.as_set().map(Vec::as_slice).unwrap_or_default();
        let link = single_link(
            p.contact_id.as_set(),
            p.account_id.as_set(),
            p.opportunity_id.as_set(),
            kase_id(links),
        )?;
        // Capsule keeps one link: setting one clears the others.
        for key in ["party", "opportunity", "kase"] {
            match link {
                Some((k, id)) if k == key => b.set(key, &IdRef { id })?,
                _ => b.set_null(key)?,
            }
        }
    }
    b.merge_vendor_fields(&p.vendor_fields)?;
    Ok(b)
}
