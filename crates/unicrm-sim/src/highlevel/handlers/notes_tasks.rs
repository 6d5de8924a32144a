//! Notes and tasks, sub-resources of a contact: `/contacts/{contactId}/notes[/{id}]` and
//! `/contacts/{contactId}/tasks[/{id}[/completed]]` (docs/vendors/highlevel-v2.md, "Notes",
//! "Tasks"; "Simulator must reproduce", items 15, 26, 27). An unknown contact is item 12's
//! 400; an unknown note or task of a known contact the generic 404.

use axum::Extension;
use axum::body::Bytes;
use axum::extract::{Path, State};
use chrono::{DateTime, Utc};
use http::StatusCode;
use serde_json::{Map, Value, json};

use super::contacts::not_found;
use super::{ApiErr, Caller, Res, Shared, body_object, ok, same_location, whitelist};
use crate::highlevel::store::{Db, iso};

/// Note body keys (docs/vendors/highlevel-v2.md, "Notes"); anything else, `locationId`
/// included, is item 15's 422.
const NOTE_KEYS: &[&str] = &["body", "userId", "title", "color", "pinned"];
/// Task body keys ("Tasks").
const TASK_KEYS: &[&str] = &["title", "body", "dueDate", "completed", "assignedTo"];

/// Which sub-resource a route serves.
#[derive(Debug, Clone, Copy)]
enum Kind {
    Note,
    Task,
}

impl Kind {
    fn one(self) -> &'static str {
        match self {
            Kind::Note => "note",
            Kind::Task => "task",
        }
    }
    fn many(self) -> &'static str {
        match self {
            Kind::Note => "notes",
            Kind::Task => "tasks",
        }
    }
    fn keys(self) -> &'static [&'static str] {
        match self {
            Kind::Note => NOTE_KEYS,
            Kind::Task => TASK_KEYS,
        }
    }
    /// The webhook `type` of a create, an update and a delete (tasks have no update event;
    /// completing one is `TaskComplete`).
    fn event(self, what: &str) -> Option<&'static str> {
        match (self, what) {
            (Kind::Note, "create") => Some("NoteCreate"),
            (Kind::Note, "update") => Some("NoteUpdate"),
            (Kind::Note, _) => Some("NoteDelete"),
            (Kind::Task, "create") => Some("TaskCreate"),
            (Kind::Task, "complete") => Some("TaskComplete"),
            (Kind::Task, "delete") => Some("TaskDelete"),
            (Kind::Task, _) => None,
        }
    }
    fn table(self, db: &mut Db) -> &mut std::collections::BTreeMap<String, Map<String, Value>> {
        match self {
            Kind::Note => &mut db.notes,
            Kind::Task => &mut db.tasks,
        }
    }
}

fn emit(sim: &Shared, event: Option<&str>, record: &Map<String, Value>) {
    if let Some(e) = event {
        crate::highlevel::webhooks::emit(sim, e, record.clone());
    }
}

/// The contact must exist (400 otherwise) and be the caller's location's (403).
fn check_contact(db: &Db, caller: &Caller, contact: &str) -> Result<(), ApiErr> {
    let c = db.contacts.get(contact).ok_or_else(|| not_found(contact))?;
    same_location(caller, c.record.get("locationId").and_then(Value::as_str))
}

/// `body` without its HTML tags (the live `bodyText`).
fn text_of(html: &str) -> String {
    let mut out = String::with_capacity(html.len());
    let mut in_tag = false;
    for ch in html.chars() {
        match ch {
            '<' => in_tag = true,
            '>' if in_tag => in_tag = false,
            c if !in_tag => out.push(c),
            _ => {}
        }
    }
    out
}

/// A task's `dueDate` as HighLevel echoes it: ISO with milliseconds and `Z` (item 27).
fn due(v: &Value) -> Result<Value, ApiErr> {
    let bad = || ApiErr::unprocessable(vec!["dueDate must be a valid ISO 8601 date string".into()]);
    let s = v.as_str().ok_or_else(bad)?;
    let t = DateTime::parse_from_rfc3339(s).map_err(|_| bad())?;
    Ok(json!(iso(t.with_timezone(&Utc))))
}

/// Validates and merges a written body into `record`.
fn merge(
    kind: Kind,
    record: &mut Map<String, Value>,
    body: Map<String, Value>,
) -> Result<(), ApiErr> {
    for (k, v) in body {
        match (kind, k.as_str()) {
            (Kind::Note, "body") => {
                let text = v.as_str().unwrap_or_default().to_string();
                record.insert("bodyText".into(), json!(text_of(&text)));
                record.insert(k, json!(text));
            }
            (Kind::Task, "dueDate") => {
                record.insert(k, due(&v)?);
            }
            (Kind::Task, "completed") if !v.is_boolean() => {
                return Err(ApiErr::unprocessable(vec![
                    "completed must be a boolean value".into(),
                ]));
            }
            _ => {
                record.insert(k, v);
            }
        }
    }
    Ok(())
}

/// The record `id` of `contact` (404 when it is not that contact's).
fn find<'a>(
    kind: Kind,
    db: &'a mut Db,
    contact: &str,
    id: &str,
) -> Result<&'a mut Map<String, Value>, ApiErr> {
    kind.table(db)
        .get_mut(id)
        .filter(|r| r.get("contactId").and_then(Value::as_str) == Some(contact))
        .ok_or_else(ApiErr::not_found)
}

async fn list(kind: Kind, sim: Shared, caller: Caller, contact: String) -> Res {
    let mut db = sim.write();
    check_contact(&db, &caller, &contact)?;
    let items: Vec<Value> = kind
        .table(&mut db)
        .values()
        .filter(|r| r.get("contactId").and_then(Value::as_str) == Some(contact.as_str()))
        .map(|r| Value::Object(r.clone()))
        .collect();
    ok(StatusCode::OK, json!({ kind.many(): items }))
}

async fn create(kind: Kind, sim: Shared, caller: Caller, contact: String, bytes: Bytes) -> Res {
    let body = body_object(&bytes)?;
    whitelist(&body, kind.keys())?;
    let required: &[&str] = match kind {
        Kind::Note => &["body"],
        Kind::Task => &["title", "dueDate", "completed"],
    };
    let missing: Vec<String> = required
        .iter()
        .filter(|k| body.get(**k).is_none_or(Value::is_null))
        .map(|k| format!("{k} should not be empty"))
        .collect();
    if !missing.is_empty() {
        return Err(ApiErr::unprocessable(missing));
    }
    let now = sim.clock.now();
    let mut db = sim.write();
    check_contact(&db, &caller, &contact)?;
    let id = db.new_id(match kind {
        Kind::Note => "Nt",
        Kind::Task => "Tk",
    });
    let mut record = Map::new();
    record.insert("id".into(), json!(id));
    record.insert("contactId".into(), json!(contact));
    if let Kind::Note = kind {
        record.insert("userId".into(), Value::Null);
        record.insert("pinned".into(), json!(false));
        record.insert("relations".into(), json!([]));
        record.insert("dateAdded".into(), json!(iso(now)));
    }
    merge(kind, &mut record, body)?;
    kind.table(&mut db).insert(id, record.clone());
    emit(&sim, kind.event("create"), &record);
    ok(StatusCode::CREATED, json!({ kind.one(): record }))
}

async fn get(kind: Kind, sim: Shared, caller: Caller, contact: String, id: String) -> Res {
    let mut db = sim.write();
    check_contact(&db, &caller, &contact)?;
    let r = find(kind, &mut db, &contact, &id)?.clone();
    ok(StatusCode::OK, json!({ kind.one(): r }))
}

async fn update(
    kind: Kind,
    sim: Shared,
    caller: Caller,
    contact: String,
    id: String,
    bytes: Bytes,
) -> Res {
    let body = body_object(&bytes)?;
    whitelist(&body, kind.keys())?;
    let mut db = sim.write();
    check_contact(&db, &caller, &contact)?;
    let r = find(kind, &mut db, &contact, &id)?;
    let mut next = r.clone();
    let completes =
        body.get("completed") == Some(&json!(true)) && r.get("completed") != Some(&json!(true));
    merge(kind, &mut next, body)?;
    *r = next.clone();
    emit(
        &sim,
        kind.event(if completes { "complete" } else { "update" }),
        &next,
    );
    ok(StatusCode::OK, json!({ kind.one(): next }))
}

async fn delete(kind: Kind, sim: Shared, caller: Caller, contact: String, id: String) -> Res {
    let mut db = sim.write();
    check_contact(&db, &caller, &contact)?;
    find(kind, &mut db, &contact, &id)?;
    if let Some(gone) = kind.table(&mut db).remove(&id) {
        emit(&sim, kind.event("delete"), &gone);
    }
    ok(StatusCode::OK, json!({"succeded": true}))
}

/// `GET /contacts/{contactId}/notes` → `{notes}` (no paging).
pub(crate) async fn notes(
    State(sim): State<Shared>,
    Extension(caller): Extension<Caller>,
    Path(contact): Path<String>,
) -> Res {
    list(Kind::Note, sim, caller, contact).await
}

/// `POST /contacts/{contactId}/notes` → 201 `{note}`.
pub(crate) async fn note_create(
    State(sim): State<Shared>,
    Extension(caller): Extension<Caller>,
    Path(contact): Path<String>,
    bytes: Bytes,
) -> Res {
    create(Kind::Note, sim, caller, contact, bytes).await
}

/// `GET|PUT|DELETE /contacts/{contactId}/notes/{id}`.
pub(crate) async fn note(
    State(sim): State<Shared>,
    Extension(caller): Extension<Caller>,
    method: http::Method,
    Path((contact, id)): Path<(String, String)>,
    bytes: Bytes,
) -> Res {
    one(Kind::Note, method, sim, caller, contact, id, bytes).await
}

/// `GET /contacts/{contactId}/tasks` → `{tasks}` (no paging).
pub(crate) async fn tasks(
    State(sim): State<Shared>,
    Extension(caller): Extension<Caller>,
    Path(contact): Path<String>,
) -> Res {
    list(Kind::Task, sim, caller, contact).await
}

/// `POST /contacts/{contactId}/tasks` → 201 `{task}` (item 27: `title`, `dueDate`,
/// `completed` required).
pub(crate) async fn task_create(
    State(sim): State<Shared>,
    Extension(caller): Extension<Caller>,
    Path(contact): Path<String>,
    bytes: Bytes,
) -> Res {
    create(Kind::Task, sim, caller, contact, bytes).await
}

/// `GET|PUT|DELETE /contacts/{contactId}/tasks/{taskId}`.
pub(crate) async fn task(
    State(sim): State<Shared>,
    Extension(caller): Extension<Caller>,
    method: http::Method,
    Path((contact, id)): Path<(String, String)>,
    bytes: Bytes,
) -> Res {
    one(Kind::Task, method, sim, caller, contact, id, bytes).await
}

/// `PUT /contacts/{contactId}/tasks/{taskId}/completed` `{"completed": bool}` → `{task}`.
pub(crate) async fn task_completed(
    State(sim): State<Shared>,
    Extension(caller): Extension<Caller>,
    Path((contact, id)): Path<(String, String)>,
    bytes: Bytes,
) -> Res {
    let body = body_object(&bytes)?;
    whitelist(&body, &["completed"])?;
    if !body.get("completed").is_some_and(Value::is_boolean) {
        return Err(ApiErr::unprocessable(vec![
            "completed must be a boolean value".into(),
        ]));
    }
    update(Kind::Task, sim, caller, contact, id, bytes).await
}

async fn one(
    kind: Kind,
    method: http::Method,
    sim: Shared,
    caller: Caller,
    contact: String,
    id: String,
    bytes: Bytes,
) -> Res {
    match method {
        http::Method::PUT => update(kind, sim, caller, contact, id, bytes).await,
        http::Method::DELETE => delete(kind, sim, caller, contact, id).await,
        _ => get(kind, sim, caller, contact, id).await,
    }
}
