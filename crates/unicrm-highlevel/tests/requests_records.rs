//! The exact requests of contact upsert, notes, tasks and appointments, checked with wiremock
//! (docs/vendors/highlevel-v2.md, "Duplicates and upsert", "Notes", "Tasks", "Calendars and
//! appointments").

use serde_json::{Value, json};
use unicrm_core::http::RetryPolicy;
use unicrm_core::{
    Crm, CrmExt, Email, Error, ListParams, NewContact, NewNote, NewTask, Note, NoteId, Patch,
    TaskId, TaskPatch, TaskStatus,
};
use unicrm_highlevel::HighLevelClient;
use wiremock::matchers::{body_json, header, method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

const LOCATION: &str = "h8Qz3LmN5pRt7VwX2yBc";
const JURGEN: &str = "Ct9fK2hL4mP6rT8vX0zB";

fn fixture(name: &str) -> Value {
    let text = std::fs::read_to_string(format!(
        "{}/tests/fixtures/{name}",
        env!("CARGO_MANIFEST_DIR")
    ))
    .expect("fixture");
    serde_json::from_str(&text).expect("json")
}

fn client(server: &MockServer) -> HighLevelClient {
    HighLevelClient::builder()
        .base_url(server.uri())
        .location_id(LOCATION)
        .private_integration_token("pit-0c5f5c1e-1111-2222-3333-444455556666")
        .retry(RetryPolicy {
            max_retries: 0,
            ..RetryPolicy::default()
        })
        .build()
        .expect("client")
}

fn ada(email: Option<&str>) -> NewContact {
    NewContact {
        first_name: Some("Ada".into()),
        emails: email
            .map(|a| Email {
                address: a.into(),
                primary: true,
                ..Default::default()
            })
            .into_iter()
            .collect(),
        ..Default::default()
    }
}

/// A create answered 500 (its outcome unknown) is not sent again as a create: the same body
/// goes to `POST /contacts/upsert`, which matches the email.
#[tokio::test]
async fn a_create_with_an_unknown_outcome_is_completed_by_upsert() {
    let server = MockServer::start().await;
    let body = json!({"locationId": LOCATION, "firstName": "Ada", "email": "ada@example.com"});
    Mock::given(method("POST"))
        .and(path("/contacts/"))
        .and(body_json(&body))
        .respond_with(ResponseTemplate::new(502))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/contacts/upsert"))
        .and(header("version", "2021-07-28"))
        .and(body_json(&body))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "new": false,
            "contact": {"id": "Ct1aB2cD3eF4gH5iJ6kL", "locationId": LOCATION,
                        "firstName": "Ada", "email": "ada@example.com"},
            "traceId": "0b1c2d3e-0000-4000-8000-000000000000",
        })))
        .expect(1)
        .mount(&server)
        .await;
    let c = client(&server);
    let made = c
        .contacts()
        .create(&ada(Some("ada@example.com")))
        .await
        .expect("upserted");
    assert_eq!(made.id.as_str(), "Ct1aB2cD3eF4gH5iJ6kL");
}

/// Without an email or phone upsert has nothing to match: the unknown outcome is returned
/// and nothing else is sent; a refused create (400 duplicate) is not upserted either.
#[tokio::test]
async fn a_create_without_match_keys_or_refused_is_not_upserted() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/contacts/"))
        .and(body_json(
            json!({"locationId": LOCATION, "firstName": "Ada"}),
        ))
        .respond_with(ResponseTemplate::new(503))
        .expect(1)
        .mount(&server)
        .await;
    let dup: Value = json!({"statusCode": 400, "message": "This location does not allow duplicated contacts.",
                            "meta": {"contactId": "Ct9fK2hL4mP6rT8vX0zB", "contactName": "x", "matchingField": "email"}});
    Mock::given(method("POST"))
        .and(path("/contacts/"))
        .and(body_json(
            json!({"locationId": LOCATION, "firstName": "Ada", "email": "ada@example.com"}),
        ))
        .respond_with(ResponseTemplate::new(400).set_body_json(dup))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/contacts/upsert"))
        .respond_with(ResponseTemplate::new(200))
        .expect(0)
        .mount(&server)
        .await;
    let c = client(&server);
    let e = c.contacts().create(&ada(None)).await.unwrap_err();
    assert!(e.outcome_unknown(), "{e:?}");
    let e = c
        .contacts()
        .create(&ada(Some("ada@example.com")))
        .await
        .unwrap_err();
    assert!(
        !e.outcome_unknown() && !matches!(e, Error::NotFound { .. }),
        "{e:?}"
    );
}

/// docs/vendors/highlevel-v2.md, "Notes": the create goes under the contact, without
/// `locationId`; the answer's id becomes `<contactId>:<noteId>`.
#[tokio::test]
async fn a_note_is_created_under_its_contact_without_location() {
    let server = MockServer::start().await;
    let note = fixture("notes-list.json")["notes"][0].clone();
    Mock::given(method("POST"))
        .and(path(format!("/contacts/{JURGEN}/notes")))
        .and(header("version", "2021-07-28"))
        .and(body_json(
            json!({"body": "Called", "title": "Delivery schedule"}),
        ))
        .respond_with(ResponseTemplate::new(201).set_body_json(json!({"note": note})))
        .expect(1)
        .mount(&server)
        .await;
    let made = client(&server)
        .notes()
        .create(&NewNote {
            content: "Called".into(),
            title: Some("Delivery schedule".into()),
            contact_id: Some(JURGEN.into()),
            ..Default::default()
        })
        .await
        .expect("created");
    assert_eq!(made.id.as_str(), format!("{JURGEN}:Nt3eB5oD7yX9zA1cE3gI"));
    // No contact: refused before anything is sent, as something HighLevel cannot hold; a bare
    // id names nothing.
    let e = client(&server)
        .notes()
        .create(&NewNote {
            content: "x".into(),
            ..Default::default()
        })
        .await
        .unwrap_err();
    assert!(matches!(e, Error::Unsupported { .. }), "{e:?}");
    let e = client(&server)
        .notes()
        .get(&NoteId::from("Nt3eB5oD7yX9zA1cE3gI"))
        .await
        .unwrap_err();
    assert!(matches!(e, Error::NotFound { .. }), "{e:?}");
}

/// docs/vendors/highlevel-v2.md, "Tasks": the create carries `title`, `dueDate` (no
/// milliseconds) and `completed`; a status change is `PUT …/completed`, other fields `PUT
/// …/tasks/{id}`.
#[tokio::test]
async fn task_writes_send_due_date_and_completed_apart() {
    let server = MockServer::start().await;
    let task = fixture("tasks-list.json")["tasks"][0].clone();
    Mock::given(method("POST"))
        .and(path(format!("/contacts/{JURGEN}/tasks")))
        .and(body_json(
            json!({"title": "Send list", "dueDate": "2026-03-10T09:00:00Z", "completed": false}),
        ))
        .respond_with(ResponseTemplate::new(201).set_body_json(json!({"task": task})))
        .expect(1)
        .mount(&server)
        .await;
    let tid = "Tk8sA0kB2cD4eF6gH8iJ";
    Mock::given(method("PUT"))
        .and(path(format!("/contacts/{JURGEN}/tasks/{tid}")))
        .and(body_json(json!({"title": "Send the list"})))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"task": task})))
        .expect(1)
        .mount(&server)
        .await;
    let mut done = task.clone();
    done["completed"] = json!(true);
    Mock::given(method("PUT"))
        .and(path(format!("/contacts/{JURGEN}/tasks/{tid}/completed")))
        .and(body_json(json!({"completed": true})))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"task": done})))
        .expect(1)
        .mount(&server)
        .await;
    let c = client(&server);
    let made = c
        .tasks()
        .create(&NewTask {
            title: "Send list".into(),
            due_date: chrono::NaiveDate::from_ymd_opt(2026, 3, 10),
            due_time: chrono::NaiveTime::from_hms_opt(9, 0, 0),
            contact_id: Some(JURGEN.into()),
            ..Default::default()
        })
        .await
        .expect("created");
    assert_eq!(made.status, Some(TaskStatus::Open));
    let updated = c
        .tasks()
        .update(
            &TaskId::from(format!("{JURGEN}:{tid}")),
            &TaskPatch {
                title: Patch::Set("Send the list".into()),
                status: Patch::Set(TaskStatus::Completed),
                ..Default::default()
            },
        )
        .await
        .expect("updated");
    assert_eq!(updated.status, Some(TaskStatus::Completed));
}

/// docs/vendors/highlevel-v2.md, "Notes": a full listing searches the contacts by
/// `dateAdded` (stable while the walk runs) and lists each contact's notes once.
#[tokio::test]
async fn a_note_listing_walks_the_contacts_by_date_added() {
    let server = MockServer::start().await;
    let hits = json!({"contacts": [
        {"id": "CtA000000000000000000", "searchAfter": [1, "CtA000000000000000000"]},
        {"id": JURGEN, "searchAfter": [2, JURGEN]},
    ], "total": 2});
    Mock::given(method("POST"))
        .and(path("/contacts/search"))
        .and(body_json(json!({"locationId": LOCATION, "pageLimit": 500,
                              "sort": [{"field": "dateAdded", "direction": "asc"}]})))
        .respond_with(ResponseTemplate::new(200).set_body_json(hits))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/contacts/CtA000000000000000000/notes"))
        .respond_with(ResponseTemplate::new(400).set_body_json(
            json!({"statusCode": 400, "message": "Contact with id CtA000000000000000000 not found"}),
        ))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path(format!("/contacts/{JURGEN}/notes")))
        .respond_with(ResponseTemplate::new(200).set_body_json(fixture("notes-list.json")))
        .expect(1)
        .mount(&server)
        .await;
    let all: Vec<Note> = client(&server)
        .list_all(ListParams::new())
        .await
        .expect("listed");
    let ids: Vec<_> = all.iter().map(|n| n.id.to_string()).collect();
    assert_eq!(
        ids,
        [
            format!("{JURGEN}:Nt3eB5oD7yX9zA1cE3gI"),
            format!("{JURGEN}:Nt8kW0mQ2sU4wY6aC8eG")
        ]
    );
}

/// docs/vendors/highlevel-v2.md, "Calendars and appointments": calendars carry `Version:
/// 2021-04-15`; a create without a calendar takes the location's first; the answer is the
/// bare object; a deleted appointment reads back `deleted: true`, which is `NotFound`; the
/// delete sends `{}`.
#[tokio::test]
async fn appointment_requests_use_the_calendars_version_and_bare_bodies() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/calendars/"))
        .and(header("version", "2021-04-15"))
        .and(wiremock::matchers::query_param("locationId", LOCATION))
        .respond_with(ResponseTemplate::new(200).set_body_json(
            json!({"calendars": [{"id": "Ca1lE3nD5aR7iD9xY2zQ", "name": "Tastings"}]}),
        ))
        .expect(1)
        .mount(&server)
        .await;
    let mut bare = fixture("appointment.json")["appointment"].clone();
    bare["status"] = json!("booked");
    Mock::given(method("POST"))
        .and(path("/calendars/events/appointments"))
        .and(header("version", "2021-04-15"))
        .and(body_json(json!({
            "calendarId": "Ca1lE3nD5aR7iD9xY2zQ", "locationId": LOCATION, "contactId": JURGEN,
            "startTime": "2026-03-12T10:00:00+00:00", "endTime": "2026-03-12T10:30:00+00:00",
            "title": "Tasting", "meetingLocationType": "custom"
        })))
        .respond_with(ResponseTemplate::new(200).set_body_json(&bare))
        .expect(1)
        .mount(&server)
        .await;
    let id = "Ap6tM8nT0aB2cD4eF6gH";
    let mut gone = fixture("appointment.json");
    gone["appointment"]["deleted"] = json!(true);
    Mock::given(method("GET"))
        .and(path(format!("/calendars/events/appointments/{id}")))
        .respond_with(ResponseTemplate::new(200).set_body_json(gone))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("DELETE"))
        .and(path(format!("/calendars/events/{id}")))
        .and(header("version", "2021-04-15"))
        .and(body_json(json!({})))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"succeeded": true})))
        .expect(1)
        .mount(&server)
        .await;
    let c = client(&server);
    let start = chrono::DateTime::parse_from_rfc3339("2026-03-12T11:00:00+01:00")
        .unwrap()
        .to_utc();
    let made = c
        .engagements()
        .create(&unicrm_core::NewEngagement {
            kind: unicrm_core::EngagementKind::Meeting,
            subject: Some("Tasting".into()),
            start_at: Some(start),
            end_at: Some(start + chrono::Duration::minutes(30)),
            contact_id: Some(JURGEN.into()),
            ..Default::default()
        })
        .await
        .expect("created");
    assert_eq!(made.id.as_str(), id);
    c.engagements().delete(&id.into()).await.expect("deleted");
    let e = c.engagements().get(&id.into()).await.unwrap_err();
    assert!(matches!(e, Error::NotFound { .. }), "{e:?}");
}
