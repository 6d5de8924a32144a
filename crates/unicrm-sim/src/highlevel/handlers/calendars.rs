//! `/calendars/*` and `GET /contacts/{id}/appointments` (docs/vendors/highlevel-v2.md,
//! "Calendars and appointments"; "Simulator must reproduce", items 32–34). Appointments are
//! soft-deleted: a deleted one reads back with `deleted: true` and leaves the listings.

use axum::Extension;
use axum::body::Bytes;
use axum::extract::{Path, RawQuery, State};
use chrono::{DateTime, Duration, Utc};
use http::StatusCode;
use serde_json::{Map, Value, json};

use super::contacts::not_found;
use super::{ApiErr, Caller, Res, Shared, body_object, ok, same_location, whitelist};
use crate::highlevel::store::{Db, iso};
use crate::web::Query;

/// Create/update body keys ("Calendars and appointments", create body).
const KEYS: &[&str] = &[
    "calendarId",
    "locationId",
    "contactId",
    "startTime",
    "endTime",
    "title",
    "appointmentStatus",
    "assignedUserId",
    "address",
    "meetingLocationType",
    "meetingLocationId",
    "description",
    "notes",
    "ignoreDateRange",
    "ignoreFreeSlotValidation",
    "toNotify",
    "rrule",
];

fn time(v: Option<&Value>) -> Option<DateTime<Utc>> {
    match v? {
        Value::String(s) => DateTime::parse_from_rfc3339(s).ok().map(|t| t.to_utc()),
        Value::Number(n) => n.as_i64().and_then(DateTime::from_timestamp_millis),
        _ => None,
    }
}

fn text<'a>(m: &'a Map<String, Value>, k: &str) -> Option<&'a str> {
    m.get(k).and_then(Value::as_str)
}

fn live(a: &Map<String, Value>) -> bool {
    a.get("deleted") != Some(&json!(true))
}

/// Another live, not cancelled appointment of `calendar` overlapping `[start, end)`.
fn slot_taken(
    db: &Db,
    calendar: &str,
    start: DateTime<Utc>,
    end: DateTime<Utc>,
    except: Option<&str>,
) -> bool {
    db.appointments.values().any(|a| {
        live(a)
            && text(a, "calendarId") == Some(calendar)
            && text(a, "id") != except
            && text(a, "appointmentStatus") != Some("cancelled")
            && matches!((time(a.get("startTime")), time(a.get("endTime"))), (Some(s), Some(e)) if s < end && start < e)
    })
}

fn slot_refused() -> ApiErr {
    ApiErr::new(
        StatusCode::BAD_REQUEST,
        "The slot you have selected is no longer available.",
    )
}

/// `GET /calendars/?locationId=…[&groupId]` → `{calendars}`.
pub(crate) async fn calendars(
    State(sim): State<Shared>,
    Extension(caller): Extension<Caller>,
    RawQuery(raw): RawQuery,
) -> Res {
    let q = Query::parse(raw);
    let Some(location) = q.get("locationId") else {
        return Err(ApiErr::unprocessable(vec![
            "locationId should not be empty".into(),
        ]));
    };
    same_location(&caller, Some(location))?;
    let group = q.get("groupId");
    let db = sim.read();
    let list: Vec<Value> = db
        .calendars
        .iter()
        .filter(|c| group.is_none_or(|g| text(c, "groupId") == Some(g)))
        .map(|c| Value::Object(c.clone()))
        .collect();
    ok(StatusCode::OK, json!({"calendars": list}))
}

/// `GET /calendars/{calendarId}` → `{calendar}`.
pub(crate) async fn calendar(State(sim): State<Shared>, Path(id): Path<String>) -> Res {
    let db = sim.read();
    let c = db
        .calendars
        .iter()
        .find(|c| text(c, "id") == Some(id.as_str()))
        .ok_or_else(ApiErr::not_found)?;
    ok(StatusCode::OK, json!({"calendar": c}))
}

/// `GET /calendars/events` (item 32): `startTime`/`endTime` (epoch ms) and one of
/// `calendarId`, `userId`, `groupId`, else 422; live events overlapping the window.
pub(crate) async fn events(
    State(sim): State<Shared>,
    Extension(caller): Extension<Caller>,
    RawQuery(raw): RawQuery,
) -> Res {
    let q = Query::parse(raw);
    let mut problems = Vec::new();
    let location = q.get("locationId");
    if location.is_none() {
        problems.push("locationId should not be empty".to_string());
    }
    let ms = |k: &str| {
        q.get(k)
            .and_then(|v| v.parse::<i64>().ok())
            .and_then(DateTime::from_timestamp_millis)
    };
    let (start, end) = (ms("startTime"), ms("endTime"));
    if start.is_none() {
        problems.push("startTime should not be empty".into());
    }
    if end.is_none() {
        problems.push("endTime should not be empty".into());
    }
    let (calendar, user, group) = (q.get("calendarId"), q.get("userId"), q.get("groupId"));
    if calendar.is_none() && user.is_none() && group.is_none() {
        problems.push("calendarId, userId or groupId is required".into());
    }
    let (Some(start), Some(end), true) = (start, end, problems.is_empty()) else {
        return Err(ApiErr::unprocessable(problems));
    };
    same_location(&caller, location)?;
    let db = sim.read();
    let events: Vec<Value> = db
        .appointments
        .values()
        .filter(|a| live(a))
        .filter(|a| calendar.is_none_or(|c| text(a, "calendarId") == Some(c)))
        .filter(|a| group.is_none_or(|g| text(a, "groupId") == Some(g)))
        .filter(|a| {
            user.is_none_or(|u| {
                text(a, "assignedUserId") == Some(u)
                    || a.get("users").and_then(Value::as_array).is_some_and(|us| us.contains(&json!(u)))
            })
        })
        .filter(|a| matches!((time(a.get("startTime")), time(a.get("endTime"))), (Some(s), Some(e)) if s < end && start < e))
        .map(|a| Value::Object(a.clone()))
        .collect();
    ok(StatusCode::OK, json!({"events": events}))
}

/// `GET /calendars/events/appointments/{id}` (item 33) → `{"appointment": {…}}`, deleted
/// ones included (`deleted: true`).
pub(crate) async fn appointment(
    State(sim): State<Shared>,
    Extension(caller): Extension<Caller>,
    Path(id): Path<String>,
) -> Res {
    let db = sim.read();
    let a = db.appointments.get(&id).ok_or_else(ApiErr::not_found)?;
    same_location(&caller, text(a, "locationId"))?;
    ok(StatusCode::OK, json!({"appointment": a}))
}

/// Applies a written body; the status's live misspelling follows it.
fn merge(a: &mut Map<String, Value>, body: Map<String, Value>) {
    for (k, v) in body {
        match k.as_str() {
            "ignoreDateRange" | "ignoreFreeSlotValidation" | "toNotify" | "locationId" => {}
            "appointmentStatus" => {
                a.insert("appoinmentStatus".into(), v.clone());
                a.insert(k, v);
            }
            "startTime" | "endTime" => {
                // Kept as sent (ISO with an offset), as HighLevel echoes it.
                a.insert(k, v);
            }
            _ => {
                a.insert(k, v);
            }
        }
    }
}

/// `POST /calendars/events/appointments` (item 34): 200 with the bare object, `status:
/// "booked"`; a taken slot is a 400 unless `ignoreFreeSlotValidation` is true.
pub(crate) async fn create(
    State(sim): State<Shared>,
    Extension(caller): Extension<Caller>,
    bytes: Bytes,
) -> Res {
    let body = body_object(&bytes)?;
    whitelist(&body, KEYS)?;
    let missing: Vec<String> = ["calendarId", "locationId", "contactId", "startTime"]
        .iter()
        .filter(|k| text(&body, k).is_none())
        .map(|k| format!("{k} should not be empty"))
        .collect();
    if !missing.is_empty() {
        return Err(ApiErr::unprocessable(missing));
    }
    same_location(&caller, text(&body, "locationId"))?;
    let Some(start) = time(body.get("startTime")) else {
        return Err(ApiErr::unprocessable(vec![
            "startTime must be a valid ISO 8601 date string".into(),
        ]));
    };
    let end = time(body.get("endTime")).unwrap_or(start + Duration::minutes(30));
    let now = sim.clock.now();
    let mut db = sim.write();
    let contact = text(&body, "contactId").unwrap_or_default().to_string();
    if !db.contacts.contains_key(&contact) {
        return Err(not_found(&contact));
    }
    let calendar = text(&body, "calendarId").unwrap_or_default().to_string();
    let Some(cal) = db
        .calendars
        .iter()
        .find(|c| text(c, "id") == Some(calendar.as_str()))
        .cloned()
    else {
        return Err(ApiErr::new(StatusCode::BAD_REQUEST, "Calendar not found"));
    };
    let ignore = body.get("ignoreFreeSlotValidation") == Some(&json!(true));
    if !ignore && slot_taken(&db, &calendar, start, end, None) {
        return Err(slot_refused());
    }
    let id = db.new_id("Ap");
    let mut a = Map::new();
    a.insert("id".into(), json!(id));
    a.insert("locationId".into(), json!(sim.location_id));
    a.insert(
        "groupId".into(),
        cal.get("groupId").cloned().unwrap_or(Value::Null),
    );
    a.insert("status".into(), json!("booked"));
    a.insert("appointmentStatus".into(), json!("new"));
    a.insert("appoinmentStatus".into(), json!("new"));
    a.insert("isRecurring".into(), json!(false));
    a.insert("deleted".into(), json!(false));
    a.insert("endTime".into(), json!(iso(end)));
    a.insert("dateAdded".into(), json!(iso(now)));
    a.insert("dateUpdated".into(), json!(iso(now)));
    merge(&mut a, body);
    db.appointments.insert(id, a.clone());
    crate::highlevel::webhooks::emit_appointment(&sim, "AppointmentCreate", &a);
    ok(StatusCode::OK, Value::Object(a))
}

/// `PUT /calendars/events/appointments/{id}` (partial) → the bare object.
pub(crate) async fn update(
    State(sim): State<Shared>,
    Extension(caller): Extension<Caller>,
    Path(id): Path<String>,
    bytes: Bytes,
) -> Res {
    let body = body_object(&bytes)?;
    whitelist(&body, KEYS)?;
    let now = sim.clock.now();
    let mut db = sim.write();
    let mut a = db
        .appointments
        .get(&id)
        .filter(|a| live(a))
        .cloned()
        .ok_or_else(ApiErr::not_found)?;
    same_location(&caller, text(&a, "locationId"))?;
    let ignore = body.get("ignoreFreeSlotValidation") == Some(&json!(true));
    let moves = body.contains_key("startTime")
        || body.contains_key("endTime")
        || body.contains_key("calendarId");
    merge(&mut a, body);
    let (Some(start), Some(end)) = (time(a.get("startTime")), time(a.get("endTime"))) else {
        return Err(ApiErr::unprocessable(vec![
            "startTime must be a valid ISO 8601 date string".into(),
        ]));
    };
    let calendar = text(&a, "calendarId").unwrap_or_default().to_string();
    if moves && !ignore && slot_taken(&db, &calendar, start, end, Some(&id)) {
        return Err(slot_refused());
    }
    a.insert("dateUpdated".into(), json!(iso(now)));
    db.appointments.insert(id, a.clone());
    crate::highlevel::webhooks::emit_appointment(&sim, "AppointmentUpdate", &a);
    ok(StatusCode::OK, Value::Object(a))
}

/// `DELETE /calendars/events/{id}` (item 33) → `{"succeeded": true}`; the appointment is
/// kept with `deleted: true`.
pub(crate) async fn delete(
    State(sim): State<Shared>,
    Extension(caller): Extension<Caller>,
    Path(id): Path<String>,
) -> Res {
    let now = sim.clock.now();
    let mut db = sim.write();
    let a = db
        .appointments
        .get_mut(&id)
        .filter(|a| a.get("deleted") != Some(&json!(true)))
        .ok_or_else(ApiErr::not_found)?;
    same_location(&caller, a.get("locationId").and_then(Value::as_str))?;
    a.insert("deleted".into(), json!(true));
    a.insert("dateUpdated".into(), json!(iso(now)));
    let gone = a.clone();
    crate::highlevel::webhooks::emit_appointment(&sim, "AppointmentDelete", &gone);
    ok(StatusCode::OK, json!({"succeeded": true}))
}

/// `GET /contacts/{contactId}/appointments` → `{events}` (live ones).
pub(crate) async fn of_contact(
    State(sim): State<Shared>,
    Extension(caller): Extension<Caller>,
    Path(contact): Path<String>,
) -> Res {
    let db = sim.read();
    let c = db
        .contacts
        .get(&contact)
        .ok_or_else(|| not_found(&contact))?;
    same_location(&caller, c.record.get("locationId").and_then(Value::as_str))?;
    let events: Vec<Value> = db
        .appointments
        .values()
        .filter(|a| live(a) && text(a, "contactId") == Some(contact.as_str()))
        .map(|a| Value::Object(a.clone()))
        .collect();
    ok(StatusCode::OK, json!({"events": events}))
}
