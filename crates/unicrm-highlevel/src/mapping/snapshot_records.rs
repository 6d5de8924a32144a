//! The notes, tasks and appointment fixtures mapped both directions (wire → unified, and the
//! unified record back to its create and patch bodies). `raw` is left out of the unified
//! snapshots (it is the fixture itself).

use serde_json::Value;
use unicrm_core::{NewNote, NewTask, NotePatch, Patch, TaskPatch, TaskStatus};

use super::{note, task};

fn fixture(name: &str) -> Value {
    let path = format!("{}/tests/fixtures/{name}", env!("CARGO_MANIFEST_DIR"));
    let text = std::fs::read_to_string(&path).unwrap_or_default();
    serde_json::from_str(&text).unwrap_or(Value::Null)
}

fn unified<T: serde::Serialize>(records: &[T]) -> Value {
    let mut v = serde_json::to_value(records).unwrap_or(Value::Null);
    for r in v.as_array_mut().into_iter().flatten() {
        if let Some(m) = r.as_object_mut() {
            m.remove("raw");
        }
    }
    v
}

#[test]
fn notes_list_fixture_both_directions() {
    let body = fixture("notes-list.json");
    let notes: Vec<_> = body["notes"]
        .as_array()
        .cloned()
        .unwrap_or_default()
        .into_iter()
        .map(|n| note::from_wire(n, None).expect("maps"))
        .collect();
    assert_eq!(notes.len(), 2);
    insta::assert_json_snapshot!("notes_list__unified", unified(&notes));
    let creates: Vec<_> = notes
        .iter()
        .map(|n| note::to_create(&NewNote::from(n)).expect("create body"))
        .collect();
    insta::assert_json_snapshot!("notes_list__create_bodies", creates);
    let patch = NotePatch {
        content: Patch::Set("Rescheduled".into()),
        title: Patch::Clear,
        ..Default::default()
    };
    insta::assert_json_snapshot!(
        "notes_list__patch_body",
        note::to_patch(&patch).expect("patch")
    );
}

#[test]
fn tasks_list_fixture_both_directions() {
    let body = fixture("tasks-list.json");
    let tasks: Vec<_> = body["tasks"]
        .as_array()
        .cloned()
        .unwrap_or_default()
        .into_iter()
        .map(|t| task::from_wire(t, None).expect("maps"))
        .collect();
    assert_eq!(tasks.len(), 2);
    insta::assert_json_snapshot!("tasks_list__unified", unified(&tasks));
    let creates: Vec<_> = tasks
        .iter()
        .map(|t| {
            let mut new = NewTask::from(t);
            // account_id (businessId) is read only.
            new.account_id = None;
            task::to_create(&new).expect("create body")
        })
        .collect();
    insta::assert_json_snapshot!("tasks_list__create_bodies", creates);
    let patch = TaskPatch {
        status: Patch::Set(TaskStatus::Completed),
        due_time: Patch::Set(chrono::NaiveTime::from_hms_opt(15, 0, 0).unwrap_or_default()),
        ..Default::default()
    };
    let (body, completed) = task::to_patch(&patch, Some(&tasks[0])).expect("patch");
    insta::assert_json_snapshot!("tasks_list__patch_body", (body, completed));
}

#[test]
fn appointment_fixture_both_directions() {
    let body = fixture("appointment.json");
    let e = super::engagement::from_wire(body["appointment"].clone()).expect("maps");
    assert_eq!(e.kind, unicrm_core::EngagementKind::Appointment);
    insta::assert_json_snapshot!("appointment__unified", unified(std::slice::from_ref(&e)));
    let new = unicrm_core::NewEngagement {
        // Participants are read only.
        participants: vec![],
        ..unicrm_core::NewEngagement::from(&e)
    };
    let create = super::engagement::to_create(&new, "h8Qz3LmN5pRt7VwX2yBc", "Ca1lE3nD5aR7iD9xY2zQ")
        .expect("create body");
    insta::assert_json_snapshot!("appointment__create_body", create);
    let patch = unicrm_core::EngagementPatch {
        status: Patch::Set(unicrm_core::EngagementStatus::Cancelled),
        kind: Patch::Set(unicrm_core::EngagementKind::Meeting),
        location: Patch::Clear,
        ..Default::default()
    };
    insta::assert_json_snapshot!(
        "appointment__patch_body",
        super::engagement::to_patch(&patch).expect("patch")
    );
}

/// No fixture holds a calendar: this `GET /calendars/` answer carries every key the reference
/// lists for a calendar ("Calendars and appointments"), with one inactive calendar and one
/// with `null` team members. Read-only: there is no write direction.
#[test]
fn calendars_as_engagement_types() {
    let body = serde_json::json!({"calendars": [
        {"id": "Ca1lE3nD5aR7iD9xY2zQ", "locationId": "h8Qz3LmN5pRt7VwX2yBc",
         "name": "Beratungsgespräch", "description": "30 Minuten, per Video",
         "calendarType": "round_robin", "groupId": "Gr0uP1dE2fG3hI4jK5lM",
         "teamMembers": [{"userId": "Us1aB2cD3eF4gH5iJ6kL", "priority": 0.5},
                         {"userId": "Us7mN8oP9qR0sT1uV2wX"}],
         "isActive": true, "slotDuration": 30, "widgetSlug": "beratung"},
        {"id": "Ca9zY8xW7vU6tS5rQ4pO", "name": "Alte Sprechstunde",
         "calendarType": "event", "teamMembers": null, "isActive": false}
    ], "traceId": "t-1"});
    let bytes = serde_json::to_vec(&body).unwrap_or_default();
    let types = crate::pages::calendars(&bytes).expect("maps");
    assert_eq!(types.len(), 2);
    // `raw` keeps each calendar's text as sent, unknown keys included.
    let raw = types[0].raw.as_ref().map(|r| r.to_value());
    assert_eq!(raw.as_ref(), Some(&body["calendars"][0]));
    insta::assert_json_snapshot!("calendars__unified", unified(&types));
    let one = serde_json::json!({"calendar": body["calendars"][1], "traceId": "t-2"});
    let single =
        crate::pages::calendar(&serde_json::to_vec(&one).unwrap_or_default()).expect("maps");
    assert_eq!(
        unified(std::slice::from_ref(&single)),
        unified(&types[1..]),
        "GET /calendars/{{id}} maps as the listing does"
    );
}
