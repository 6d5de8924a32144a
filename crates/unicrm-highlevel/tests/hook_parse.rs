//! `HighLevelHookEvents::parse` on deliveries the simulator signs (docs/vendors/highlevel-v2.md,
//! "Webhook events", "Webhook bodies"): the size cap at its exact boundary, deletions that
//! carry no record, `TaskComplete` as the only event that completes a task, replays, another
//! location's deliveries, and the source's fixed answers (vendor, retry status).

use std::sync::Arc;

use http::{HeaderMap, HeaderValue};
use serde_json::{Map, Value, json};
use unicrm_core::TaskStatus;
use unicrm_core::event::{AnyRecord, Event, EventAction};
use unicrm_core::time::Clock;
use unicrm_core::webhook::{WebhookError, WebhookSource};
use unicrm_highlevel::{HighLevelHookEvents, WebhookKeys};
use unicrm_sim::{HighLevelSim, HighLevelSimHandle, HighLevelSimOptions, SeedOptions, SimClock};

#[derive(Debug)]
struct VendorTime(SimClock);

impl Clock for VendorTime {
    fn now(&self) -> chrono::DateTime<chrono::Utc> {
        self.0.now()
    }
}

async fn sim() -> HighLevelSimHandle {
    HighLevelSim::start(HighLevelSimOptions {
        seed: SeedOptions {
            seed: 5,
            records: 0,
        },
        clock: SimClock::manual_default(),
        burst_max: 0,
        ..HighLevelSimOptions::default()
    })
    .await
    .expect("sim")
}

/// A source for `location` judging time on the simulator's clock.
fn source(sim: &HighLevelSimHandle, location: &str) -> HighLevelHookEvents {
    let keys = WebhookKeys::from_spki_base64(Some(&sim.webhook_public_key), None).expect("key");
    HighLevelHookEvents::new(keys, location).clock(Arc::new(VendorTime(sim.clock())))
}

fn fields(v: Value) -> Map<String, Value> {
    v.as_object().cloned().expect("an object")
}

/// The exact bytes of a delivery and its headers, signed by the simulator.
fn signed(sim: &HighLevelSimHandle, event: Value) -> (HeaderMap, Vec<u8>) {
    let (body, sig) = sim.signed_delivery(fields(event));
    let mut headers = HeaderMap::new();
    headers.insert("x-ghl-signature", HeaderValue::from_str(&sig).unwrap());
    (headers, body)
}

fn one(events: Vec<Event>) -> Event {
    assert_eq!(events.len(), 1, "{events:?}");
    events.into_iter().next().unwrap()
}

#[tokio::test]
async fn a_delivery_of_exactly_the_cap_is_parsed_and_one_byte_more_is_refused() {
    let sim = sim().await;
    let (headers, body) = signed(
        &sim,
        json!({"type": "ContactUpdate", "id": "Ct1aB2cD3eF4gH5iJ6kL", "firstName": "Ada"}),
    );
    let n = body.len();
    let tight = source(&sim, &sim.location_id).max_bytes(n - 1);
    assert_eq!(
        tight.parse(&headers, &body).unwrap_err(),
        WebhookError::TooLarge {
            size: n,
            limit: n - 1
        }
    );
    let exact = source(&sim, &sim.location_id).max_bytes(n);
    assert_eq!(WebhookSource::max_bytes(&exact), n);
    let e = one(exact.parse(&headers, &body).expect("exactly the cap"));
    assert_eq!(
        (e.action, e.id.as_str()),
        (EventAction::Updated, "Ct1aB2cD3eF4gH5iJ6kL")
    );
    // The same bytes again are a replay.
    assert!(matches!(
        exact.parse(&headers, &body),
        Err(WebhookError::BadSignature(_))
    ));
}

#[tokio::test]
async fn deletions_carry_no_record_whatever_their_body_holds() {
    let sim = sim().await;
    let src = source(&sim, &sim.location_id);
    let cases = [
        json!({"type": "ContactDelete", "id": "Ct1aB2cD3eF4gH5iJ6kL", "firstName": "Ada"}),
        json!({"type": "NoteDelete", "id": "Nt1", "contactId": "Ct1", "body": "Called"}),
        json!({"type": "TaskDelete", "id": "Tk1", "contactId": "Ct1", "title": "Call back",
            "completed": false, "dateAdded": "2026-03-04T16:40:03.512Z"}),
        json!({"type": "AppointmentDelete", "appointment": {"id": "Ap1", "calendarId": "Ca1",
            "contactId": "Ct1", "title": "Intro", "startTime": "2031-01-02T10:00:00Z",
            "endTime": "2031-01-02T10:30:00Z", "appointmentStatus": "cancelled"}}),
    ];
    let mut ids = Vec::new();
    for case in cases {
        let (headers, body) = signed(&sim, case.clone());
        let e = one(src.parse(&headers, &body).expect("parsed"));
        assert_eq!(e.action, EventAction::Deleted, "{case}");
        assert!(e.record.is_none(), "{case}: {:?}", e.record);
        ids.push(e.id);
    }
    assert_eq!(ids, ["Ct1aB2cD3eF4gH5iJ6kL", "Ct1:Nt1", "Ct1:Tk1", "Ap1"]);
    // The same events as creations carry their record.
    let (headers, body) = signed(
        &sim,
        json!({"type": "NoteCreate", "id": "Nt2", "contactId": "Ct1", "body": "Called"}),
    );
    let e = one(src.parse(&headers, &body).expect("parsed"));
    assert_eq!(e.action, EventAction::Created);
    assert!(matches!(e.record, Some(AnyRecord::Note(_))));
}

fn task_status(e: &Event) -> Option<TaskStatus> {
    match &e.record {
        Some(AnyRecord::Task(t)) => t.status.clone(),
        other => panic!("not a task: {other:?}"),
    }
}

#[tokio::test]
async fn only_task_complete_completes_a_task() {
    let sim = sim().await;
    let src = source(&sim, &sim.location_id);
    let (headers, body) = signed(
        &sim,
        json!({"type": "TaskCreate", "id": "Tk1", "contactId": "Ct1", "title": "Call back",
            "completed": false}),
    );
    let e = one(src.parse(&headers, &body).expect("parsed"));
    assert_eq!(
        (e.action, task_status(&e)),
        (EventAction::Created, Some(TaskStatus::Open))
    );
    // `TaskComplete` bodies need not say `completed` (the event's name does).
    let (headers, body) = signed(
        &sim,
        json!({"type": "TaskComplete", "id": "Tk1", "contactId": "Ct1", "title": "Call back"}),
    );
    let e = one(src.parse(&headers, &body).expect("parsed"));
    assert_eq!(
        (e.action, e.id.as_str(), task_status(&e)),
        (EventAction::Updated, "Ct1:Tk1", Some(TaskStatus::Completed))
    );
    // A note or task event without `contactId` is malformed.
    let (headers, body) = signed(&sim, json!({"type": "TaskCreate", "id": "Tk2"}));
    assert!(matches!(
        src.parse(&headers, &body),
        Err(WebhookError::Malformed(_))
    ));
}

#[tokio::test]
async fn another_locations_delivery_gives_no_event() {
    let sim = sim().await;
    let elsewhere = source(&sim, "LcOtherLocation00001");
    let (headers, body) = signed(
        &sim,
        json!({"type": "ContactCreate", "id": "Ct1aB2cD3eF4gH5iJ6kL", "firstName": "Ada"}),
    );
    assert_eq!(elsewhere.parse(&headers, &body).expect("verified"), vec![]);
    assert_eq!(elsewhere.vendor(), "highlevel");
    // HighLevel delivers again only after a 429 ("Webhook retries").
    assert_eq!(elsewhere.retry_status(), 429);
    // Types without a unified event give none.
    let (headers, body) = signed(
        &sim,
        json!({"type": "OpportunityCreate", "id": "Op1", "contactId": "Ct1"}),
    );
    let here = source(&sim, &sim.location_id);
    assert_eq!(here.parse(&headers, &body).expect("verified"), vec![]);
}
