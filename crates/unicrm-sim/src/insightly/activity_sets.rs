//! Activity sets (`/ActivitySets`): read-only templates of tasks and events, applied to a
//! record with `POST /{Object}/{id}/ActivitySetAssignment` (docs/vendors/insightly-v3.1-addendum.md,
//! "Activity sets"). The seeded set is the vendor's example (`activity-sets.json`); applying
//! it creates one task per `Task` activity (due `START_DATE` + `DUE_DAYS_AFTER_START` days,
//! or `END_DATE` − `DUE_DAYS_BEFORE_END`) and one event per `Event` activity (on the same
//! rule with the `EVENT_…` offsets, at `EVENT_TIME`, `DURATION` minutes long), each linked to
//! the record. `ACTIVITY_TYPE` values are undocumented; the simulator uses `Task` and `Event`.

use chrono::{Duration, NaiveDateTime, NaiveTime};
use serde_json::{Map, Value};

use super::schema::parse_dt;
use super::store::{Db, Ordered, RefTable};

/// The vendor's example sets, verbatim.
const EXAMPLE: &str = include_str!("activity_sets.json");

/// The keys of an `APIActivitySet`, in the vendor's order.
const SET_KEYS: &[&str] = &[
    "ACTIVITYSET_ID",
    "NAME",
    "FOR_CONTACTS",
    "FOR_ORGANISATIONS",
    "FOR_OPPORTUNITIES",
    "FOR_PROJECTS",
    "FOR_LEADS",
    "OWNER_USER_ID",
    "ACTIVITIES",
];

/// The task categories of the vendor's example, by id (docs/vendors/insightly-v3.1-addendum.md,
/// "Uncertain points": `Call` 13, `Meeting` 14).
const EXAMPLE_CATEGORIES: &[(u64, &str)] = &[(13, "Call"), (14, "Meeting")];

/// The id of the instance's task category named like the example's category `id`.
fn category_here(db: &Db, id: u64) -> Option<Value> {
    let (_, name) = EXAMPLE_CATEGORIES.iter().find(|(c, _)| *c == id)?;
    let table = db.reference("TaskCategories")?;
    table
        .rows
        .iter()
        .find(|r| r.get("CATEGORY_NAME").and_then(Value::as_str) == Some(name))
        .and_then(|r| r.get(table.id_key).cloned())
}

/// Adds the `/ActivitySets` list to the instance: the vendor's example, each `CATEGORY_ID`
/// replaced by the id of the instance's category of the same name (the seeded task
/// categories have ids of their own).
pub(crate) fn seed(db: &mut Db) {
    let mut sets: Vec<Map<String, Value>> = serde_json::from_str(EXAMPLE).unwrap_or_default();
    for a in sets
        .iter_mut()
        .filter_map(|s| s.get_mut("ACTIVITIES").and_then(Value::as_array_mut))
        .flatten()
    {
        if let Some(c) = a.get("CATEGORY_ID").and_then(Value::as_u64) {
            if let Some(here) = category_here(db, c) {
                a["CATEGORY_ID"] = here;
            }
        }
    }
    let rows = sets
        .into_iter()
        .map(|s| {
            Ordered(
                SET_KEYS
                    .iter()
                    .map(|k| (*k, s.get(*k).cloned().unwrap_or(Value::Null)))
                    .collect(),
            )
        })
        .collect();
    db.refs.push(RefTable {
        path: "ActivitySets",
        id_key: "ACTIVITYSET_ID",
        rows,
    });
}

/// What applying one activity creates: its kind (`true` for an event) and the record body.
pub(crate) struct Planned {
    pub(crate) event: bool,
    pub(crate) body: Map<String, Value>,
}

/// The date an activity falls on: `start` + `after` days, else `end` − `before` days, else
/// `start`.
fn day_of(
    start: NaiveDateTime,
    end: Option<NaiveDateTime>,
    after: Option<i64>,
    before: Option<i64>,
) -> NaiveDateTime {
    match (after, before, end) {
        (Some(a), _, _) => start + Duration::days(a),
        (None, Some(b), Some(e)) => e - Duration::days(b),
        _ => start,
    }
}

fn fmt(t: NaiveDateTime) -> String {
    t.format("%Y-%m-%d %H:%M:%S").to_string()
}

/// The tasks and events set `set_id` creates from `START_DATE` (and `END_DATE`), with the
/// `ACTIVITY_ASSIGNMENTS` overrides of the responsible user; `None` when there is no such
/// set or a date does not parse.
pub(crate) fn plan(db: &Db, body: &Map<String, Value>) -> Option<Vec<Planned>> {
    let set_id = body.get("ACTIVITYSET_ID").and_then(Value::as_u64)?;
    let set = db
        .reference("ActivitySets")?
        .rows
        .iter()
        .find(|r| r.id("ACTIVITYSET_ID") == Some(set_id))?;
    let date = |k: &str| match body.get(k).and_then(Value::as_str) {
        Some(s) => parse_dt(s).ok().flatten(),
        None => None,
    };
    let start = date("START_DATE")?;
    let end = date("END_DATE");
    let overrides: Vec<&Value> = body
        .get("ACTIVITY_ASSIGNMENTS")
        .and_then(Value::as_array)
        .map(|a| a.iter().collect())
        .unwrap_or_default();
    let activities = set.get("ACTIVITIES")?.as_array()?;
    let mut out = Vec::new();
    for a in activities {
        let num = |k: &str| a.get(k).and_then(Value::as_i64);
        let copy = |m: &mut Map<String, Value>, from: &str, to: &str| {
            if let Some(v) = a.get(from).filter(|v| !v.is_null()) {
                m.insert(to.into(), v.clone());
            }
        };
        let mut m = Map::new();
        copy(&mut m, "ACTIVITY_NAME", "TITLE");
        copy(&mut m, "ACTIVITY_DETAILS", "DETAILS");
        copy(&mut m, "OWNER_USER_ID", "OWNER_USER_ID");
        let responsible = overrides
            .iter()
            .find(|o| o.get("ACTIVITY_ID") == a.get("ACTIVITY_ID"))
            .and_then(|o| o.get("RESPONSIBLE_USER_ID"))
            .filter(|v| !v.is_null())
            .or_else(|| a.get("RESPONSIBLE_USER_ID").filter(|v| !v.is_null()));
        let event = a.get("ACTIVITY_TYPE").and_then(Value::as_str) == Some("Event");
        if event {
            let day = day_of(
                start,
                end,
                num("EVENT_DAYS_AFTER_START"),
                num("EVENT_DAYS_BEFORE_END"),
            );
            let time = a
                .get("EVENT_TIME")
                .and_then(Value::as_str)
                .and_then(|t| NaiveTime::parse_from_str(t, "%H:%M").ok())
                .unwrap_or(NaiveTime::MIN);
            let at = day.date().and_time(time);
            let minutes = num("DURATION").unwrap_or(0).max(0);
            m.insert("START_DATE_UTC".into(), fmt(at).into());
            m.insert(
                "END_DATE_UTC".into(),
                fmt(at + Duration::minutes(minutes)).into(),
            );
            copy(&mut m, "ALL_DAY", "ALL_DAY");
        } else {
            let day = day_of(
                start,
                end,
                num("DUE_DAYS_AFTER_START"),
                num("DUE_DAYS_BEFORE_END"),
            );
            m.insert(
                "DUE_DATE".into(),
                fmt(day.date().and_time(NaiveTime::MIN)).into(),
            );
            m.insert(
                "START_DATE".into(),
                fmt(start.date().and_time(NaiveTime::MIN)).into(),
            );
            m.insert("STATUS".into(), "NOT STARTED".into());
            copy(&mut m, "CATEGORY_ID", "CATEGORY_ID");
            copy(&mut m, "PUBLICLY_VISIBLE", "PUBLICLY_VISIBLE");
            if let Some(r) = responsible {
                m.insert("RESPONSIBLE_USER_ID".into(), r.clone());
            }
        }
        out.push(Planned { event, body: m });
    }
    Some(out)
}
