//! The numbered behaviours of `docs/vendors/highlevel-v2.md`, "Simulator must reproduce", that
//! concern contacts' sub-records and upsert (items 17, 26, 27), calendars (32–34) and the
//! webhook emitter (38), one test per item named after its number, over raw HTTP.

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use unicrm_sim::{HighLevelSim, HighLevelSimHandle, HighLevelSimOptions, SeedOptions, SimClock};

struct T {
    sim: HighLevelSimHandle,
    http: reqwest::Client,
}

struct Answer {
    status: StatusCode,
    body: Value,
}

impl T {
    async fn start(records: usize) -> T {
        let _ = rustls::crypto::ring::default_provider().install_default();
        let sim = HighLevelSim::start(HighLevelSimOptions {
            seed: SeedOptions { seed: 42, records },
            clock: SimClock::manual_default(),
            ..HighLevelSimOptions::default()
        })
        .await
        .expect("start");
        T {
            sim,
            http: reqwest::Client::new(),
        }
    }

    async fn call(&self, method: Method, path: &str, version: &str, body: Option<Value>) -> Answer {
        let mut r = self
            .http
            .request(method, format!("{}{path}", self.sim.base_url))
            .header("Version", version)
            .bearer_auth(&self.sim.token);
        if let Some(b) = body {
            r = r.json(&b);
        }
        let resp = r.send().await.expect("send");
        let status = resp.status();
        let text = resp.text().await.unwrap_or_default();
        Answer {
            status,
            body: serde_json::from_str(&text).unwrap_or(Value::String(text)),
        }
    }

    async fn contacts_api(&self, method: Method, path: &str, body: Option<Value>) -> Answer {
        self.call(method, path, "2021-07-28", body).await
    }

    async fn calendars_api(&self, method: Method, path: &str, body: Option<Value>) -> Answer {
        self.call(method, path, "2021-04-15", body).await
    }

    fn loc(&self) -> String {
        self.sim.location_id.clone()
    }
}

#[tokio::test]
async fn item_17_upsert_matches_email_then_phone() {
    let t = T::start(3).await;
    let loc = t.loc();
    let first = t
        .contacts_api(
            Method::POST,
            "contacts/upsert",
            Some(json!({"locationId": loc, "firstName": "Ada", "email": "ada@example.com", "phone": "+441234567890"})),
        )
        .await;
    assert_eq!(first.status, StatusCode::OK, "{}", first.body);
    assert_eq!(first.body["new"], json!(true));
    assert!(first.body["traceId"].is_string());
    let id = first.body["contact"]["id"].as_str().unwrap().to_string();
    // Same email (other case): the same contact, updated.
    let again = t
        .contacts_api(
            Method::POST,
            "contacts/upsert",
            Some(json!({"locationId": loc, "lastName": "Lovelace", "email": "ADA@example.com"})),
        )
        .await;
    assert_eq!(again.body["new"], json!(false));
    assert_eq!(again.body["contact"]["id"], json!(id));
    assert_eq!(again.body["contact"]["firstName"], json!("Ada"));
    assert_eq!(again.body["contact"]["lastName"], json!("Lovelace"));
    // No email, the phone matches.
    let by_phone = t
        .contacts_api(
            Method::POST,
            "contacts/upsert",
            Some(json!({"locationId": loc, "phone": "+441234567890", "city": "London"})),
        )
        .await;
    assert_eq!(by_phone.body["new"], json!(false));
    assert_eq!(by_phone.body["contact"]["id"], json!(id));
    // Email matches another contact first: that one is updated, not the phone's.
    let other = t
        .contacts_api(
            Method::POST,
            "contacts/upsert",
            Some(json!({"locationId": loc, "email": "grace@example.com"})),
        )
        .await;
    assert_eq!(other.body["new"], json!(true));
    let grace = other.body["contact"]["id"].as_str().unwrap().to_string();
    let both = t
        .contacts_api(
            Method::POST,
            "contacts/upsert",
            Some(json!({"locationId": loc, "email": "grace@example.com", "phone": "+441234567890", "title": "x"})),
        )
        .await;
    assert_eq!(
        both.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "unknown property"
    );
    let both = t
        .contacts_api(
            Method::POST,
            "contacts/upsert",
            Some(
                json!({"locationId": loc, "email": "grace@example.com", "phone": "+441234567890"}),
            ),
        )
        .await;
    assert_eq!(both.body["contact"]["id"], json!(grace));
    // Without a location: 422.
    let none = t
        .contacts_api(
            Method::POST,
            "contacts/upsert",
            Some(json!({"email": "x@example.com"})),
        )
        .await;
    assert_eq!(none.status, StatusCode::UNPROCESSABLE_ENTITY);
    let got = t
        .contacts_api(Method::GET, &format!("contacts/{id}"), None)
        .await;
    assert_eq!(got.body["contact"]["city"], json!("London"));
}

fn first_contact(t: &T) -> String {
    t.sim.contacts()[0]["id"].as_str().unwrap().to_string()
}

#[tokio::test]
async fn item_26_notes_envelopes_body_text_and_no_date_updated() {
    let t = T::start(6).await;
    assert!(t.sim.notes().len() >= 3, "seeded notes");
    let c = first_contact(&t);
    let made = t
        .contacts_api(
            Method::POST,
            &format!("contacts/{c}/notes"),
            Some(json!({"body": "<p>Called <b>Ada</b></p>", "title": "Call"})),
        )
        .await;
    assert_eq!(made.status, StatusCode::CREATED, "{}", made.body);
    let note = &made.body["note"];
    assert_eq!(note["bodyText"], json!("Called Ada"));
    assert_eq!(note["contactId"], json!(c));
    assert_eq!(note["userId"], Value::Null);
    assert!(note["dateAdded"].is_string() && note.get("dateUpdated").is_none());
    let id = note["id"].as_str().unwrap().to_string();
    let list = t
        .contacts_api(Method::GET, &format!("contacts/{c}/notes"), None)
        .await;
    assert!(
        list.body["notes"]
            .as_array()
            .unwrap()
            .iter()
            .any(|n| n["id"] == json!(id))
    );
    assert!(list.body["traceId"].is_string());
    let got = t
        .contacts_api(Method::GET, &format!("contacts/{c}/notes/{id}"), None)
        .await;
    assert_eq!(got.body["note"]["title"], json!("Call"));
    let put = t
        .contacts_api(
            Method::PUT,
            &format!("contacts/{c}/notes/{id}"),
            Some(json!({"body": "plain"})),
        )
        .await;
    assert_eq!(
        (
            put.body["note"]["body"].clone(),
            put.body["note"]["bodyText"].clone()
        ),
        (json!("plain"), json!("plain"))
    );
    // locationId on a note body is item 15's 422; no body is a 422 too.
    let extra = t
        .contacts_api(
            Method::POST,
            &format!("contacts/{c}/notes"),
            Some(json!({"body": "x", "locationId": t.loc()})),
        )
        .await;
    assert_eq!(extra.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        extra.body["message"],
        json!(["property locationId should not exist"])
    );
    let empty = t
        .contacts_api(
            Method::POST,
            &format!("contacts/{c}/notes"),
            Some(json!({})),
        )
        .await;
    assert_eq!(empty.status, StatusCode::UNPROCESSABLE_ENTITY);
    let del = t
        .contacts_api(Method::DELETE, &format!("contacts/{c}/notes/{id}"), None)
        .await;
    assert_eq!(del.body["succeded"], json!(true));
    let gone = t
        .contacts_api(Method::GET, &format!("contacts/{c}/notes/{id}"), None)
        .await;
    assert_eq!(gone.status, StatusCode::NOT_FOUND);
    let nobody = t
        .contacts_api(Method::GET, "contacts/Ct0nOtThErE000000000/notes", None)
        .await;
    assert_eq!(nobody.status, StatusCode::BAD_REQUEST);
    assert_eq!(
        nobody.body["message"],
        json!("Contact with id Ct0nOtThErE000000000 not found")
    );
}

#[tokio::test]
async fn item_27_tasks_need_title_due_date_completed_and_echo_milliseconds() {
    let t = T::start(6).await;
    assert!(t.sim.tasks().len() >= 3, "seeded tasks");
    let c = first_contact(&t);
    let missing = t
        .contacts_api(
            Method::POST,
            &format!("contacts/{c}/tasks"),
            Some(json!({"title": "x"})),
        )
        .await;
    assert_eq!(missing.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        missing.body["message"],
        json!([
            "dueDate should not be empty",
            "completed should not be empty"
        ])
    );
    let made = t
        .contacts_api(
            Method::POST,
            &format!("contacts/{c}/tasks"),
            Some(json!({"title": "Call back", "dueDate": "2031-01-02T09:30:00Z", "completed": false})),
        )
        .await;
    assert_eq!(made.status, StatusCode::CREATED, "{}", made.body);
    assert_eq!(
        made.body["task"]["dueDate"],
        json!("2031-01-02T09:30:00.000Z")
    );
    let id = made.body["task"]["id"].as_str().unwrap().to_string();
    let done = t
        .contacts_api(
            Method::PUT,
            &format!("contacts/{c}/tasks/{id}/completed"),
            Some(json!({"completed": true})),
        )
        .await;
    assert_eq!(done.status, StatusCode::OK);
    assert_eq!(done.body["task"]["completed"], json!(true));
    assert_eq!(done.body["task"]["title"], json!("Call back"));
    let put = t
        .contacts_api(
            Method::PUT,
            &format!("contacts/{c}/tasks/{id}"),
            Some(json!({"body": "details"})),
        )
        .await;
    assert_eq!(put.body["task"]["body"], json!("details"));
    assert_eq!(put.body["task"]["completed"], json!(true));
    let list = t
        .contacts_api(Method::GET, &format!("contacts/{c}/tasks"), None)
        .await;
    assert!(
        list.body["tasks"]
            .as_array()
            .unwrap()
            .iter()
            .any(|x| x["id"] == json!(id))
    );
    let del = t
        .contacts_api(Method::DELETE, &format!("contacts/{c}/tasks/{id}"), None)
        .await;
    assert_eq!(del.body["succeded"], json!(true));
    // A contact's deletion takes its tasks.
    let n = t.sim.tasks().len();
    let owned = t
        .sim
        .tasks()
        .iter()
        .filter(|x| x["contactId"] == json!(c))
        .count();
    t.contacts_api(Method::DELETE, &format!("contacts/{c}"), None)
        .await;
    assert_eq!(t.sim.tasks().len(), n - owned);
}

#[tokio::test]
async fn item_32_events_need_a_window_and_a_calendar_user_or_group() {
    let t = T::start(6).await;
    let loc = t.loc();
    let cal = t.sim.calendars()[0]["id"].as_str().unwrap().to_string();
    for q in [
        format!("calendars/events?locationId={loc}&calendarId={cal}"),
        format!("calendars/events?locationId={loc}&startTime=0&endTime=4102444800000"),
    ] {
        let a = t.calendars_api(Method::GET, &q, None).await;
        assert_eq!(a.status, StatusCode::UNPROCESSABLE_ENTITY, "{q}");
        assert!(a.body["message"].is_array());
    }
    let all = t
        .calendars_api(
            Method::GET,
            &format!("calendars/events?locationId={loc}&calendarId={cal}&startTime=0&endTime=4102444800000"),
            None,
        )
        .await;
    assert_eq!(all.status, StatusCode::OK);
    let events = all.body["events"].as_array().unwrap();
    assert!(!events.is_empty());
    assert!(events.iter().all(|e| e["calendarId"] == json!(cal)));
    // A window that ends before every event holds none.
    let none = t
        .calendars_api(
            Method::GET,
            &format!("calendars/events?locationId={loc}&calendarId={cal}&startTime=0&endTime=1000"),
            None,
        )
        .await;
    assert_eq!(none.body["events"], json!([]));
}

#[tokio::test]
async fn item_33_an_appointment_reads_wrapped_and_deleted_reads_back() {
    let t = T::start(6).await;
    let id = t.sim.appointments()[0]["id"].as_str().unwrap().to_string();
    let got = t
        .calendars_api(
            Method::GET,
            &format!("calendars/events/appointments/{id}"),
            None,
        )
        .await;
    assert_eq!(got.status, StatusCode::OK);
    let a = &got.body["appointment"];
    assert_eq!(a["appoinmentStatus"], a["appointmentStatus"]);
    assert_eq!(a["deleted"], json!(false));
    let del = t
        .calendars_api(
            Method::DELETE,
            &format!("calendars/events/{id}"),
            Some(json!({})),
        )
        .await;
    assert_eq!(del.body["succeeded"], json!(true));
    let again = t
        .calendars_api(
            Method::GET,
            &format!("calendars/events/appointments/{id}"),
            None,
        )
        .await;
    assert_eq!(again.status, StatusCode::OK);
    assert_eq!(again.body["appointment"]["deleted"], json!(true));
    let contact = a["contactId"].as_str().unwrap();
    let listed = t
        .contacts_api(
            Method::GET,
            &format!("contacts/{contact}/appointments"),
            None,
        )
        .await;
    assert!(
        !listed.body["events"]
            .as_array()
            .unwrap()
            .iter()
            .any(|e| e["id"] == json!(id))
    );
}

#[tokio::test]
async fn item_34_create_answers_bare_booked_and_refuses_a_taken_slot() {
    let t = T::start(6).await;
    let cal = t.sim.calendars()[0]["id"].as_str().unwrap().to_string();
    let contact = first_contact(&t);
    let body = json!({"calendarId": cal, "locationId": t.loc(), "contactId": contact,
                      "startTime": "2031-01-01T10:00:00+01:00", "endTime": "2031-01-01T10:30:00+01:00",
                      "title": "Intro"});
    let made = t
        .calendars_api(
            Method::POST,
            "calendars/events/appointments",
            Some(body.clone()),
        )
        .await;
    assert_eq!(made.status, StatusCode::OK, "{}", made.body);
    assert_eq!(made.body["status"], json!("booked"));
    assert!(made.body["id"].is_string() && made.body.get("appointment").is_none());
    assert_eq!(made.body["startTime"], json!("2031-01-01T10:00:00+01:00"));
    let taken = t
        .calendars_api(
            Method::POST,
            "calendars/events/appointments",
            Some(body.clone()),
        )
        .await;
    assert_eq!(taken.status, StatusCode::BAD_REQUEST);
    let mut forced = body.clone();
    forced["ignoreFreeSlotValidation"] = json!(true);
    let ok = t
        .calendars_api(Method::POST, "calendars/events/appointments", Some(forced))
        .await;
    assert_eq!(ok.status, StatusCode::OK);
    let mut missing = body;
    missing.as_object_mut().unwrap().remove("contactId");
    let bad = t
        .calendars_api(Method::POST, "calendars/events/appointments", Some(missing))
        .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    let id = made.body["id"].as_str().unwrap();
    let put = t
        .calendars_api(
            Method::PUT,
            &format!("calendars/events/appointments/{id}"),
            Some(json!({"title": "Intro call"})),
        )
        .await;
    assert_eq!(put.body["title"], json!("Intro call"));
}

/// What a receiver was sent: each delivery's signature header and body.
type Seen = std::sync::Arc<std::sync::Mutex<Vec<(String, Vec<u8>)>>>;

/// A receiver answering with `statuses` in turn (the last one repeated), counting calls and
/// keeping the signature header and body of each.
async fn receiver(statuses: Vec<u16>) -> (url::Url, Seen) {
    let seen = Seen::default();
    let log = seen.clone();
    let app = axum::Router::new().route(
        "/hook",
        axum::routing::post(
            move |headers: axum::http::HeaderMap, body: axum::body::Bytes| {
                let log = log.clone();
                let statuses = statuses.clone();
                async move {
                    let mut l = log.lock().unwrap();
                    let sig = headers
                        .get("x-ghl-signature")
                        .and_then(|v| v.to_str().ok())
                        .unwrap_or_default()
                        .to_string();
                    l.push((sig, body.to_vec()));
                    let s = statuses[(l.len() - 1).min(statuses.len() - 1)];
                    axum::http::StatusCode::from_u16(s).unwrap()
                }
            },
        ),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    (
        url::Url::parse(&format!("http://{addr}/hook")).unwrap(),
        seen,
    )
}

async fn wait_deliveries(t: &T, n: usize) -> Vec<unicrm_sim::highlevel::webhooks::DeliveryRecord> {
    for _ in 0..2_000 {
        let d = t.sim.webhook_deliveries();
        if d.len() >= n {
            return d;
        }
        tokio::time::sleep(std::time::Duration::from_millis(5)).await;
    }
    panic!(
        "{n} deliveries expected, got {:?}",
        t.sim.webhook_deliveries()
    );
}

#[tokio::test]
async fn item_38_writes_emit_signed_deliveries_retried_only_on_429() {
    let t = T::start(3).await;
    // 429 twice, then accepted: three attempts of the same bytes.
    let (url, seen) = receiver(vec![429, 429, 204]).await;
    t.sim
        .set_webhook_target(Some(url), std::time::Duration::ZERO);
    let made = t
        .contacts_api(
            Method::POST,
            "contacts/",
            Some(json!({"locationId": t.loc(), "firstName": "Ada"})),
        )
        .await;
    let id = made.body["contact"]["id"].as_str().unwrap().to_string();
    let d = wait_deliveries(&t, 1).await;
    assert_eq!(
        (d[0].event_type.as_str(), d[0].attempts, d[0].status),
        ("ContactCreate", 3, Some(204))
    );
    {
        let s = seen.lock().unwrap();
        assert_eq!(s.len(), 3);
        assert!(
            s.iter()
                .all(|(sig, body)| *sig == t.sim.sign(body) && *body == s[0].1)
        );
        let body: Value = serde_json::from_slice(&s[0].1).unwrap();
        assert_eq!(body["type"], json!("ContactCreate"));
        assert_eq!(body["id"], json!(id));
        assert_eq!(body["locationId"], json!(t.loc()));
        assert_eq!(body["webhookId"].as_str().map(str::len), Some(36));
        let now = t
            .sim
            .clock()
            .now()
            .to_rfc3339_opts(chrono::SecondsFormat::Millis, true);
        assert_eq!(body["timestamp"], json!(now));
        assert!(body.get("firstNameLowerCase").is_none());
    }
    // Always 429: the first attempt and 6 retries, then it is given up.
    let (url, seen) = receiver(vec![429]).await;
    t.sim
        .set_webhook_target(Some(url), std::time::Duration::ZERO);
    t.contacts_api(
        Method::PUT,
        &format!("contacts/{id}"),
        Some(json!({"city": "Paris"})),
    )
    .await;
    let d = wait_deliveries(&t, 2).await;
    assert_eq!(
        (d[1].event_type.as_str(), d[1].attempts, d[1].status),
        ("ContactUpdate", 7, Some(429))
    );
    assert_eq!(seen.lock().unwrap().len(), 7);
    // Any other answer is final; each delivery has its own webhookId.
    let (url, seen) = receiver(vec![500]).await;
    t.sim
        .set_webhook_target(Some(url), std::time::Duration::ZERO);
    t.contacts_api(
        Method::POST,
        &format!("contacts/{id}/tags"),
        Some(json!({"tags": ["vip"]})),
    )
    .await;
    t.contacts_api(Method::DELETE, &format!("contacts/{id}"), None)
        .await;
    let d = wait_deliveries(&t, 4).await;
    assert_eq!(
        (d[2].event_type.as_str(), d[2].attempts),
        ("ContactTagUpdate", 1)
    );
    assert_eq!(
        (d[3].event_type.as_str(), d[3].attempts),
        ("ContactDelete", 1)
    );
    assert_eq!(seen.lock().unwrap().len(), 2);
    let ids: std::collections::HashSet<_> = d.iter().map(|x| x.webhook_id.clone()).collect();
    assert_eq!(ids.len(), 4);
}
