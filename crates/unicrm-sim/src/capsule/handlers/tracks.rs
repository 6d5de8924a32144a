//! Tracks (docs/vendors/capsule-v2-addendum.md, "Track definitions", "Track instances",
//! "Tasks created by tracks"; items 5, 28, 29): `GET /trackdefinitions[/{id}]` (the vendor's
//! example definitions), `POST /tracks` (applies a definition to a project or an opportunity
//! and creates its tasks), `GET /tracks/{id}`, `GET /kases/{id}/tracks`, and the `tracks` of a
//! new project (`POST /kases`).
//!
//! Due dates: a `TRACK_START` task is due `daysAfter` days (`TRACK_DAYS`), weekdays
//! (`TRACK_WORKDAYS`) or weeks (`TRACK_WEEKS`) after the track date — before it for an
//! `END_DATE` track — and a `LAST_TASK` task counts from the task before it. Categories that
//! the tenant does not have are left off; the assignee rule is not simulated (the project's or
//! opportunity's owner, else the caller, gets every task).

use chrono::{Datelike, Duration, NaiveDate, Weekday};

use super::*;
use crate::capsule::model::Track;

const R: &str = "track";

/// `GET /trackdefinitions`.
pub(crate) async fn list_track_definitions(State(app): State<Shared>) -> ApiResult {
    let db = app.lock();
    Ok(ok(
        json!({ "trackDefinitions": db.kases.track_definitions }),
    ))
}

/// `GET /trackdefinitions/{id}`.
pub(crate) async fn show_track_definition(
    State(app): State<Shared>,
    Path(id): Path<String>,
) -> ApiResult {
    let id = one_id(&id)?;
    let db = app.lock();
    let d = definition(&db, id).ok_or(ApiError::NotFound)?;
    Ok(ok(json!({ "trackDefinition": d })))
}

fn definition(db: &Db, id: u64) -> Option<Value> {
    db.kases
        .track_definitions
        .iter()
        .find(|d| d["id"].as_u64() == Some(id))
        .cloned()
}

/// `n` steps of `rule` from `from`, forward or (`back`) backward.
fn shift(from: NaiveDate, n: i64, rule: &str, back: bool) -> NaiveDate {
    let sign = if back { -1 } else { 1 };
    match rule {
        "TRACK_WEEKS" => from + Duration::weeks(n * sign),
        "TRACK_WORKDAYS" => {
            let mut d = from;
            let mut left = n;
            while left > 0 {
                d += Duration::days(sign);
                if !matches!(d.weekday(), Weekday::Sat | Weekday::Sun) {
                    left -= 1;
                }
            }
            d
        }
        _ => from + Duration::days(n * sign),
    }
}

/// What the project or opportunity a track is applied to is.
#[derive(Clone, Copy)]
pub(crate) enum Target {
    Kase(u64),
    Opportunity(u64),
}

/// Applies definition `def_id` to `target` from `date`: creates the track and its tasks.
pub(crate) fn apply(
    db: &mut Db,
    def_id: u64,
    target: Target,
    date: NaiveDate,
    caller: u64,
) -> ApiResult<u64> {
    let def = definition(db, def_id)
        .ok_or_else(|| invalid("track definition not found", R, "definition"))?;
    let (rule, owner) = match target {
        Target::Kase(k) => (
            "CASEFILE",
            db.kases
                .kases
                .get(&k)
                .ok_or_else(|| invalid("kase not found", R, "kase"))?
                .owner,
        ),
        Target::Opportunity(o) => (
            "OPPORTUNITY",
            db.opportunities
                .get(&o)
                .ok_or_else(|| invalid("opportunity not found", R, "opportunity"))?
                .owner,
        ),
    };
    if def["captureRule"].as_str() != Some(rule) {
        return Err(invalid(
            "track definition does not apply to this record",
            R,
            "definition",
        ));
    }
    let back = def["direction"].as_str() == Some("END_DATE");
    let mut task_defs: Vec<Value> = def["taskDefinitions"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    task_defs.sort_by_key(|t| t["displayOrder"].as_i64().unwrap_or(0));
    let now = db.now();
    let mut tasks = Vec::new();
    let mut last = date;
    for td in &task_defs {
        let n = td["daysAfter"].as_i64().unwrap_or(0).max(0);
        let rule = td["dayDelayRule"].as_str().unwrap_or("TRACK_DAYS");
        let from = if td["daysAfterRule"].as_str() == Some("LAST_TASK") {
            last
        } else {
            date
        };
        let due = shift(from, n, rule, back);
        last = due;
        let category = td["category"]["id"]
            .as_u64()
            .filter(|c| db.categories.contains_key(c));
        let id = db.id();
        let (kase, opportunity) = match target {
            Target::Kase(k) => (Some(k), None),
            Target::Opportunity(o) => (None, Some(o)),
        };
        let mut t = Task {
            id,
            description: td["description"].as_str().unwrap_or_default().to_string(),
            detail: None,
            due_on: due,
            due_time: None,
            status: "OPEN",
            category,
            party: None,
            opportunity,
            kase,
            has_track: true,
            owner: owner.or(Some(caller)).filter(|u| db.users.contains_key(u)),
            completed_at: None,
            completed_by: None,
            created_at: now,
            updated_at: now,
        };
        t.status = pending_if_closed(db, &t);
        db.tasks.insert(id, t);
        tasks.push(id);
    }
    let id = db.id();
    let (kase, opportunity) = match target {
        Target::Kase(k) => (Some(k), None),
        Target::Opportunity(o) => (None, Some(o)),
    };
    db.kases.tracks.insert(
        id,
        Track {
            id,
            description: def["description"].as_str().unwrap_or_default().to_string(),
            direction: def["direction"]
                .as_str()
                .unwrap_or("START_DATE")
                .to_string(),
            track_date_on: date,
            kase,
            opportunity,
            tasks,
        },
    );
    Ok(id)
}

fn render(db: &Db, t: &Track) -> Value {
    let tasks: Vec<Value> = t
        .tasks
        .iter()
        .filter_map(|id| db.tasks.get(id))
        .map(|task| json!({"id": task.id, "description": task.description}))
        .collect();
    json!({
        "id": t.id,
        "description": t.description,
        "direction": t.direction,
        "trackDateOn": t.track_date_on.format("%Y-%m-%d").to_string(),
        "tasks": tasks,
    })
}

/// `POST /tracks`: `definition` (not `trackDefinition`) and `kase` or `opportunity`;
/// `trackDateOn` defaults to today (a `startDate` key is ignored).
pub(crate) async fn create_track(
    State(app): State<Shared>,
    Extension(caller): Extension<Caller>,
    body: Body,
) -> ApiResult {
    let input = envelope(&body, "track")?;
    let (id, value) = {
        let mut db = app.lock();
        let def = input
            .get("definition")
            .and_then(ref_id)
            .ok_or_else(|| invalid("track definition is required", R, "definition"))?;
        let target = match (
            input.get("kase").and_then(ref_id),
            input.get("opportunity").and_then(ref_id),
        ) {
            (Some(k), None) => Target::Kase(k),
            (None, Some(o)) => Target::Opportunity(o),
            _ => {
                return Err(invalid(
                    "track must be linked to either a kase or an opportunity",
                    R,
                    "kase",
                ));
            }
        };
        let date = match input.get("trackDateOn").and_then(Value::as_str) {
            Some(s) => {
                parse_date(s).ok_or_else(|| invalid("trackDateOn is invalid", R, "trackDateOn"))?
            }
            None => db.now().date_naive(),
        };
        let id = apply(&mut db, def, target, date, caller.user)?;
        let value = db
            .kases
            .tracks
            .get(&id)
            .map_or(Value::Null, |t| render(&db, t));
        (id, value)
    };
    created_with(&app, Vec::new(), "tracks", id, "track", value)
}

/// `GET /tracks/{id}`: still answers after its project is deleted (item 9).
pub(crate) async fn show_track(State(app): State<Shared>, Path(id): Path<String>) -> ApiResult {
    let id = one_id(&id)?;
    let db = app.lock();
    let t = db.kases.tracks.get(&id).ok_or(ApiError::NotFound)?;
    Ok(ok(json!({ "track": render(&db, t) })))
}

/// The tracks `keep` selects, as `{"tracks": […]}`.
fn tracks_where(db: &Db, keep: impl Fn(&Track) -> bool) -> ApiResult {
    let tracks: Vec<Value> = db
        .kases
        .tracks
        .values()
        .filter(|t| keep(t))
        .map(|t| render(db, t))
        .collect();
    Ok(ok(json!({ "tracks": tracks })))
}

/// `GET /kases/{id}/tracks`.
pub(crate) async fn kase_tracks(State(app): State<Shared>, Path(id): Path<String>) -> ApiResult {
    let id = one_id(&id)?;
    let db = app.lock();
    if !db.kases.kases.contains_key(&id) {
        return Err(ApiError::NotFound);
    }
    tracks_where(&db, |t| t.kase == Some(id))
}

/// `GET /opportunities/{id}/tracks`.
pub(crate) async fn opportunity_tracks(
    State(app): State<Shared>,
    Path(id): Path<String>,
) -> ApiResult {
    let id = one_id(&id)?;
    let db = app.lock();
    if !db.opportunities.contains_key(&id) {
        return Err(ApiError::NotFound);
    }
    tracks_where(&db, |t| t.opportunity == Some(id))
}
