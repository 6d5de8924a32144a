//! Tasks, their status filter and PENDING rule.

use super::*;

pub(crate) async fn list_tasks(State(app): State<Shared>, uri: Uri) -> ApiResult {
    let (q, paging) = paging(&uri, 100)?;
    let wanted: Vec<String> = match q.get("status") {
        None => vec!["OPEN".into()],
        Some(s) => s
            .split(',')
            .map(|s| s.trim().to_uppercase())
            .filter(|s| !s.is_empty())
            .collect(),
    };
    let db = app.lock();
    let items = db
        .tasks
        .values()
        .filter(|t| wanted.iter().any(|w| w == t.status));
    page_of(&app, &uri, &q, paging, "tasks", items, |t| {
        db.render_task(t)
    })
}

pub(crate) async fn show_tasks(State(app): State<Shared>, Path(ids): Path<String>) -> ApiResult {
    show_by_ids(&app, &ids, "task", "tasks", |db, id| {
        db.tasks.get(&id).map(|t| db.render_task(t))
    })
}

/// Applies a task body; returns true when the task became completed.
fn apply_task(
    db: &Db,
    t: &mut Task,
    obj: &Map<String, Value>,
    creating: bool,
    caller: u64,
) -> ApiResult<bool> {
    const R: &str = "task";
    match patch_str(obj, "description", R)? {
        Patch::Set(d) => t.description = d,
        Patch::Null => return Err(invalid("description is required", R, "description")),
        Patch::Absent if creating => {
            return Err(invalid("description is required", R, "description"));
        }
        Patch::Absent => {}
    }
    patch_str(obj, "detail", R)?.apply(&mut t.detail);
    match patch_str(obj, "dueOn", R)? {
        Patch::Set(d) => {
            t.due_on = parse_date(&d).ok_or_else(|| invalid("dueOn is invalid", R, "dueOn"))?;
        }
        Patch::Null => return Err(invalid("dueOn is required", R, "dueOn")),
        Patch::Absent if creating => return Err(invalid("dueOn is required", R, "dueOn")),
        Patch::Absent => {}
    }
    match patch_str(obj, "dueTime", R)? {
        Patch::Absent => {}
        Patch::Null => t.due_time = None,
        Patch::Set(s) => {
            let parsed = chrono::NaiveTime::parse_from_str(&s, "%H:%M:%S")
                .or_else(|_| chrono::NaiveTime::parse_from_str(&s, "%H:%M"))
                .map_err(|_| invalid("dueTime is invalid", R, "dueTime"))?;
            t.due_time = Some(parsed.format("%H:%M:%S").to_string());
        }
    }
    match patch_ref(obj, "category", R)? {
        Patch::Set(id) if !db.categories.contains_key(&id) => {
            return Err(invalid("category not found", R, "category"));
        }
        p => p.apply(&mut t.category),
    }
    match patch_ref(obj, "party", R)? {
        Patch::Set(id) if !db.parties.contains_key(&id) => {
            return Err(invalid("party not found", R, "party"));
        }
        p => p.apply(&mut t.party),
    }
    match patch_ref(obj, "opportunity", R)? {
        Patch::Set(id) if !db.opportunities.contains_key(&id) => {
            return Err(invalid("opportunity not found", R, "opportunity"));
        }
        p => p.apply(&mut t.opportunity),
    }
    match patch_ref(obj, "kase", R)? {
        Patch::Set(id) if !db.kases.kases.contains_key(&id) => {
            return Err(invalid("kase not found", R, "kase"));
        }
        p => p.apply(&mut t.kase),
    }
    let links = [t.party, t.opportunity, t.kase];
    if links.iter().filter(|l| l.is_some()).count() > 1 {
        return Err(invalid(
            "task can be linked to only one of party, opportunity or kase",
            R,
            "party",
        ));
    }
    owner(db, obj, R, &mut t.owner)?;
    let mut completed = false;
    match patch_str(obj, "status", R)? {
        Patch::Absent => {}
        Patch::Null => return Err(invalid("status is invalid", R, "status")),
        Patch::Set(s) => match s.to_uppercase().as_str() {
            "OPEN" => {
                t.status = "OPEN";
                t.completed_at = None;
                t.completed_by = None;
            }
            "COMPLETED" => {
                if t.status != "COMPLETED" {
                    t.status = "COMPLETED";
                    t.completed_at = Some(db.now());
                    t.completed_by = Some(caller);
                    completed = true;
                }
            }
            "PENDING" => {
                return Err(invalid("cannot set task status to PENDING", R, "status"));
            }
            _ => return Err(invalid("status is invalid", R, "status")),
        },
    }
    Ok(completed)
}

fn render_task_by_id(db: &Db, id: u64) -> Value {
    db.tasks.get(&id).map_or(Value::Null, |t| db.render_task(t))
}

/// The deliveries of a task write: `first` (created/updated), then `task/completed` if it was.
fn task_deliveries(db: &Db, id: u64, first: &str, completed: bool) -> Vec<Delivery> {
    let mut d = hooks::collect(db, first, |db, _| render_task_by_id(db, id));
    if completed {
        d.extend(hooks::collect(db, "task/completed", |db, _| {
            render_task_by_id(db, id)
        }));
    }
    d
}

/// The status `t` reads with: an `OPEN` task of a closed opportunity or project is
/// `PENDING` — not completed but no longer relevant (docs/vendors/capsule-v2-addendum.md,
/// Tracks, and task status; item 8).
pub(super) fn pending_if_closed(db: &Db, t: &Task) -> &'static str {
    let closed = t
        .opportunity
        .and_then(|o| db.opportunities.get(&o))
        .and_then(|o| db.milestones.get(&o.milestone))
        .is_some_and(|m| m.complete)
        || t.kase
            .and_then(|k| db.kases.kases.get(&k))
            .is_some_and(|k| k.status == "CLOSED");
    if closed && t.status == "OPEN" {
        "PENDING"
    } else {
        t.status
    }
}

/// After opportunity `id` moved: closing it turns its `OPEN` tasks `PENDING`, reopening
/// turns its `PENDING` tasks `OPEN` again (each such task's `updatedAt` advances).
pub(super) fn sync_tasks_of(db: &mut Db, id: u64) {
    let closed = db
        .opportunities
        .get(&id)
        .and_then(|o| db.milestones.get(&o.milestone))
        .is_some_and(|m| m.complete);
    let now = db.now();
    for t in db.tasks.values_mut().filter(|t| t.opportunity == Some(id)) {
        let next = match (closed, t.status) {
            (true, "OPEN") => "PENDING",
            (false, "PENDING") => "OPEN",
            _ => continue,
        };
        t.status = next;
        t.updated_at = bump(t.updated_at, now);
    }
}

pub(crate) async fn create_task(
    State(app): State<Shared>,
    Extension(caller): Extension<Caller>,
    body: Body,
) -> ApiResult {
    let input = envelope(&body, "task")?;
    let (id, value, deliveries) = {
        let mut db = app.lock();
        let t0 = db.now();
        let id = db.id();
        let mut t = Task {
            id,
            description: String::new(),
            detail: None,
            due_on: t0.date_naive(),
            due_time: None,
            status: "OPEN",
            category: None,
            party: None,
            opportunity: None,
            kase: None,
            has_track: false,
            owner: Some(caller.user).filter(|u| db.users.contains_key(u)),
            completed_at: None,
            completed_by: None,
            created_at: t0,
            updated_at: t0,
        };
        let completed = apply_task(&db, &mut t, &input, true, caller.user)?;
        t.status = pending_if_closed(&db, &t);
        db.tasks.insert(id, t);
        let value = render_task_by_id(&db, id);
        let d = task_deliveries(&db, id, "task/created", completed);
        (id, value, d)
    };
    created_with(&app, deliveries, "tasks", id, "task", value)
}

pub(crate) async fn update_task(
    State(app): State<Shared>,
    Extension(caller): Extension<Caller>,
    Path(id): Path<String>,
    body: Body,
) -> ApiResult {
    let id = one_id(&id)?;
    let input = envelope(&body, "task")?;
    let (value, deliveries) = {
        let mut db = app.lock();
        let mut t = db.tasks.get(&id).cloned().ok_or(ApiError::NotFound)?;
        let completed = apply_task(&db, &mut t, &input, false, caller.user)?;
        t.status = pending_if_closed(&db, &t);
        t.updated_at = bump(t.updated_at, db.now());
        db.tasks.insert(id, t);
        let value = render_task_by_id(&db, id);
        let d = task_deliveries(&db, id, "task/updated", completed);
        (value, d)
    };
    updated_with(&app, deliveries, "task", value)
}

pub(crate) async fn delete_task(State(app): State<Shared>, Path(id): Path<String>) -> ApiResult {
    let id = one_id(&id)?;
    app.lock().tasks.remove(&id).ok_or(ApiError::NotFound)?;
    Ok(no_content())
}

/// After project `id` closed or reopened (item 8): closing turns its `OPEN` tasks `PENDING`,
/// reopening turns its `PENDING` tasks `OPEN` again (each such task's `updatedAt` advances).
pub(super) fn sync_tasks_of_kase(db: &mut Db, id: u64) {
    let closed = db
        .kases
        .kases
        .get(&id)
        .is_some_and(|k| k.status == "CLOSED");
    let now = db.now();
    for t in db.tasks.values_mut().filter(|t| t.kase == Some(id)) {
        let next = match (closed, t.status) {
            (true, "OPEN") => "PENDING",
            (false, "PENDING") => "OPEN",
            _ => continue,
        };
        t.status = next;
        t.updated_at = bump(t.updated_at, now);
    }
}
