//! Seeding a location's contact sub-records from the vendor-neutral dataset: notes and tasks
//! (each on a contact: HighLevel keeps them under `/contacts/{id}/…`), and calendars with
//! appointments. A neutral note or task linked to no person goes on the contact its id picks,
//! since HighLevel has no other home for it. Ids are deterministic (`id20` of the dataset
//! ids), so the same seed gives the same location.

use chrono::{Duration, NaiveTime};
use serde_json::{Map, Value, json};

use super::store::{Db, id20, iso};
use crate::seed::Dataset;

fn obj(v: Value) -> Map<String, Value> {
    match v {
        Value::Object(m) => m,
        _ => Map::new(),
    }
}

/// The contact id a neutral record linked to `person` (or, unlinked, numbered `n`) lands on.
fn contact_for(data: &Dataset, person: Option<u64>, n: u64) -> Option<String> {
    let count = data.people.len() as u64;
    if count == 0 {
        return None;
    }
    let p = person.unwrap_or_else(|| data.people[(n % count) as usize].id);
    Some(id20("Ct", p))
}

/// The calendars every seeded location has: one event calendar and one round robin that
/// take bookings, and a retired class-booking calendar (`isActive: false`, no appointments).
pub(crate) const CALENDARS: &[(&str, &str)] = &[
    ("Discovery calls", "event"),
    ("Demos", "round_robin"),
    ("Onboarding workshop (retired)", "class_booking"),
];
/// The calendars appointments are seeded on (the first ones, still active).
const BOOKED_CALENDARS: usize = 2;

/// Adds notes, tasks, calendars and appointments to `db`.
pub(crate) fn add(data: &Dataset, db: &mut Db, location: &str) {
    let user = |owner: u64| id20("Us", 1000 + owner);
    for n in &data.notes {
        let Some(contact) = contact_for(data, n.person_id, n.id) else {
            continue;
        };
        let id = id20("Nt", 7000 + n.id);
        db.notes.insert(
            id.clone(),
            obj(json!({
                "id": id,
                "body": n.content,
                "bodyText": n.content,
                "userId": user(n.owner_id),
                "dateAdded": iso(n.created_at),
                "contactId": contact,
                "title": n.title,
                "pinned": false,
                "relations": [],
            })),
        );
    }
    for t in &data.tasks {
        let Some(contact) = contact_for(data, t.person_id, t.id) else {
            continue;
        };
        let id = id20("Tk", 8000 + t.id);
        let due = t
            .due_on
            .and_time(NaiveTime::from_hms_opt(9, 0, 0).unwrap_or_default());
        let mut task = obj(json!({
            "id": id,
            "title": t.description,
            "assignedTo": user(t.owner_id),
            "dueDate": iso(due.and_utc()),
            "completed": t.completed,
            "contactId": contact,
        }));
        if let Some(d) = &t.detail {
            task.insert("body".into(), json!(d));
        }
        db.tasks.insert(id, task);
    }
    for (i, (name, kind)) in CALENDARS.iter().enumerate() {
        db.calendars.push(obj(json!({
            "id": id20("Ca", 9000 + i as u64),
            "locationId": location,
            "name": name,
            "description": "",
            "calendarType": kind,
            "groupId": id20("Gr", 9100),
            "teamMembers": data.users.iter().take(2).map(|u| json!({"userId": user(u.id)})).collect::<Vec<_>>(),
            "isActive": i < BOOKED_CALENDARS,
        })));
    }
    // One appointment per task-bearing person, at most 3 per calendar: an hour from the
    // task's creation, on the first calendar.
    for (i, t) in data.tasks.iter().take(2 * BOOKED_CALENDARS).enumerate() {
        let Some(contact) = contact_for(data, t.person_id, t.id) else {
            continue;
        };
        let cal = i % BOOKED_CALENDARS;
        let id = id20("Ap", 9500 + t.id);
        let start = t.created_at + Duration::hours(24 * (i as i64 + 1));
        let status = ["confirmed", "new", "showed"][i % 3];
        db.appointments.insert(
            id.clone(),
            obj(json!({
                "id": id,
                "calendarId": id20("Ca", 9000 + cal as u64),
                "locationId": location,
                "contactId": contact,
                "groupId": id20("Gr", 9100),
                "title": format!("Call about {}", t.description),
                "appointmentStatus": status,
                "appoinmentStatus": status,
                "status": "booked",
                "assignedUserId": user(t.owner_id),
                "users": [user(t.owner_id)],
                "address": "https://meet.example.com/room",
                "startTime": iso(start),
                "endTime": iso(start + Duration::minutes(30)),
                "dateAdded": iso(t.created_at),
                "dateUpdated": iso(t.updated_at.max(t.created_at)),
                "isRecurring": false,
                "deleted": false,
            })),
        );
    }
}
