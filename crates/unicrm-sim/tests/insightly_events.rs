//! One test per numbered item of docs/vendors/insightly-v3.1-addendum.md, "Simulator must
//! reproduce", for events and emails (items 1–9, 18, 19; 29 for their writes), over raw
//! HTTP; plus the seeds, the 417 "Delete failed" switch, a fault run, and the served shapes
//! checked against the vendor's example payloads (tests/fixtures/event.json, email.json).

use std::collections::BTreeSet;

use base64::Engine;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use unicrm_sim::{FaultConfig, InsightlySim, InsightlySimHandle, InsightlySimOptions, SeedOptions};

struct T {
    sim: InsightlySimHandle,
    http: reqwest::Client,
}

fn opts() -> InsightlySimOptions {
    InsightlySimOptions {
        seed: SeedOptions {
            seed: 42,
            records: 60,
        },
        requests_per_second: 0,
        ..InsightlySimOptions::default()
    }
}

impl T {
    async fn start(options: InsightlySimOptions) -> T {
        let _ = rustls::crypto::ring::default_provider().install_default();
        let sim = InsightlySim::start(options).await.expect("start simulator");
        T {
            sim,
            http: reqwest::Client::new(),
        }
    }

    async fn new() -> T {
        T::start(opts()).await
    }

    async fn call(&self, method: Method, path: &str, body: Option<Value>) -> (StatusCode, Value) {
        let auth = format!(
            "Basic {}",
            base64::engine::general_purpose::STANDARD.encode(format!("{}:", self.sim.api_key))
        );
        let mut rb = self
            .http
            .request(method, self.sim.base_url.join(path).expect("url"))
            .header("Authorization", auth);
        if let Some(b) = body {
            rb = rb.json(&b);
        }
        let r = rb.send().await.expect("send");
        let status = r.status();
        let total = r.headers().get("X-Total-Count").cloned();
        let text = r.text().await.expect("body");
        let mut v = if text.is_empty() {
            Value::Null
        } else {
            serde_json::from_str(&text).expect("json body")
        };
        if let (Some(t), Value::Array(_)) = (total, &v) {
            v = json!({"items": v, "total": t.to_str().unwrap_or("").parse::<u64>().ok()});
        }
        (status, v)
    }

    async fn get(&self, path: &str) -> (StatusCode, Value) {
        self.call(Method::GET, path, None).await
    }

    /// The records of a listing (bare array, with or without `X-Total-Count`).
    async fn list(&self, path: &str) -> Vec<Value> {
        let (s, v) = self.get(path).await;
        assert_eq!(s, 200, "{path}: {v}");
        match v {
            Value::Array(a) => a,
            other => other["items"].as_array().cloned().expect("array"),
        }
    }

    async fn first_event(&self) -> Value {
        self.list("Events?top=1").await.remove(0)
    }

    async fn linked_contact(&self, event: &Value) -> u64 {
        event["LINKS"]
            .as_array()
            .expect("LINKS")
            .iter()
            .find(|l| l["LINK_OBJECT_NAME"] == "Contact")
            .and_then(|l| l["LINK_OBJECT_ID"].as_u64())
            .expect("a contact link")
    }
}

fn ids(items: &[Value], key: &str) -> Vec<u64> {
    items.iter().map(|r| r[key].as_u64().expect("id")).collect()
}

fn keys(v: &Value) -> BTreeSet<String> {
    v.as_object().expect("object").keys().cloned().collect()
}

fn fixture(name: &str) -> Value {
    let path = format!("{}/tests/fixtures/{name}", env!("CARGO_MANIFEST_DIR"));
    serde_json::from_str(&std::fs::read_to_string(&path).expect("fixture")).expect("json")
}

fn new_event(contact: u64) -> Value {
    json!({
        "TITLE": "Site visit",
        "START_DATE_UTC": "2024-03-12 08:30:00",
        "END_DATE_UTC": "2024-03-12 10:00:00",
        "LINKS": [{"LINK_OBJECT_NAME": "Contact", "LINK_OBJECT_ID": contact, "ROLE": "Host"}]
    })
}

// Item 1: `GET /Events?top=2&skip=0&count_total=true` → at most 2 and `X-Total-Count`;
// `brief=true` → no `CUSTOMFIELDS`/`LINKS`.
#[tokio::test]
async fn item_01_events_list_top_total_and_brief() {
    let t = T::new().await;
    let (s, v) = t.get("Events?top=2&skip=0&count_total=true").await;
    assert_eq!(s, 200);
    assert_eq!(v["items"].as_array().unwrap().len(), 2);
    assert!(v["total"].as_u64().unwrap() >= 3);
    assert!(v["items"][0].get("LINKS").is_some());
    let brief = t.list("Events?brief=true&top=2").await;
    assert_eq!(brief.len(), 2);
    for e in &brief {
        assert!(
            e.get("CUSTOMFIELDS").is_none() && e.get("LINKS").is_none(),
            "{e}"
        );
    }
    let all = ids(&t.list("Events").await, "EVENT_ID");
    let mut sorted = all.clone();
    sorted.sort_unstable();
    assert_eq!(all, sorted, "ID ascending");
}

// Item 2: `/Events/Search?updated_after_utc=` is strictly after; `field_name` without
// `field_value` → 400.
#[tokio::test]
async fn item_02_events_search_updated_after_is_exclusive() {
    let t = T::new().await;
    let all = t.list("Events").await;
    let mut times: Vec<&str> = all
        .iter()
        .map(|e| e["DATE_UPDATED_UTC"].as_str().unwrap())
        .collect();
    times.sort_unstable();
    let pivot = times[times.len() / 2];
    let iso = pivot.replace(' ', "T") + "Z";
    let after = t
        .list(&format!("Events/Search?updated_after_utc={iso}"))
        .await;
    let want = times.iter().filter(|u| **u > pivot).count();
    assert_eq!(after.len(), want);
    assert!(
        after
            .iter()
            .all(|e| e["DATE_UPDATED_UTC"].as_str().unwrap() > pivot)
    );
    let (s, _) = t.get("Events/Search?field_name=TITLE").await;
    assert_eq!(s, 400);
}

// Item 3: `GET /Events/{id}` → the full event with `LINKS`; an unknown id → 404 `Message`.
#[tokio::test]
async fn item_03_event_read_and_404() {
    let t = T::new().await;
    let id = t.first_event().await["EVENT_ID"].as_u64().unwrap();
    let (s, e) = t.get(&format!("Events/{id}")).await;
    assert_eq!(s, 200);
    assert!(e["LINKS"].as_array().is_some_and(|l| !l.is_empty()));
    assert_eq!(e["LINKS"][0]["OBJECT_NAME"], "Event");
    let (s, v) = t.get("Events/999999").await;
    assert_eq!(s, 404);
    assert!(v["Message"].is_string());
}

// Item 4: `POST /Events` lacking `START_DATE_UTC` or `END_DATE_UTC` → 400; END before START
// → 400.
#[tokio::test]
async fn item_04_event_dates_are_required_and_ordered() {
    let t = T::new().await;
    for body in [
        json!({"TITLE": "x", "END_DATE_UTC": "2024-03-12 10:00:00"}),
        json!({"TITLE": "x", "START_DATE_UTC": "2024-03-12 10:00:00"}),
        json!({"TITLE": "x", "START_DATE_UTC": "2024-03-12 10:00:00", "END_DATE_UTC": "2024-03-12 09:59:59"}),
    ] {
        let (s, v) = t.call(Method::POST, "Events", Some(body.clone())).await;
        assert_eq!(s, 400, "{body} → {v}");
        assert!(v["Message"].is_string());
    }
    // TITLE is optional (Uncertain #6).
    let (s, _) = t
        .call(
            Method::POST,
            "Events",
            Some(json!({"START_DATE_UTC": "2024-03-12 10:00:00", "END_DATE_UTC": "2024-03-12 10:00:00"})),
        )
        .await;
    assert_eq!(s, 200);
}

// Item 5: `POST /Events` with `LINKS` → the configured success status with `EVENT_ID` and
// the link (`OBJECT_NAME: "Event"`); `GET /Contacts/{id}/Events` lists it.
#[tokio::test]
async fn item_05_event_created_with_links_is_listed_under_the_contact() {
    for status in [200u16, 201] {
        let t = T::start(InsightlySimOptions {
            create_status: status,
            ..opts()
        })
        .await;
        let contact = t.list("Contacts?top=1").await[0]["CONTACT_ID"]
            .as_u64()
            .unwrap();
        let (s, e) = t
            .call(Method::POST, "Events", Some(new_event(contact)))
            .await;
        assert_eq!(s.as_u16(), status);
        let id = e["EVENT_ID"].as_u64().expect("EVENT_ID");
        assert_eq!(e["LINKS"][0]["OBJECT_NAME"], "Event");
        assert_eq!(e["LINKS"][0]["LINK_OBJECT_ID"], contact);
        assert_eq!(e["LINKS"][0]["ROLE"], "Host");
        let under = t.list(&format!("Contacts/{contact}/Events")).await;
        assert!(ids(&under, "EVENT_ID").contains(&id));
    }
}

// Item 6: `PUT /Events {"EVENT_ID", "LOCATION"}` → only `LOCATION` and `DATE_UPDATED_UTC`
// change; without `EVENT_ID` → 400.
#[tokio::test]
async fn item_06_event_put_is_partial() {
    let t = T::new().await;
    let before = t.first_event().await;
    let id = before["EVENT_ID"].as_u64().unwrap();
    t.sim.clock().advance(std::time::Duration::from_secs(5));
    let (s, after) = t
        .call(
            Method::PUT,
            "Events",
            Some(json!({"EVENT_ID": id, "LOCATION": "Zoom"})),
        )
        .await;
    assert_eq!(s, 200);
    assert_eq!(after["LOCATION"], "Zoom");
    assert_ne!(after["DATE_UPDATED_UTC"], before["DATE_UPDATED_UTC"]);
    for (k, v) in before.as_object().unwrap() {
        if k != "LOCATION" && k != "DATE_UPDATED_UTC" {
            assert_eq!(&after[k], v, "{k} changed");
        }
    }
    let (s, _) = t
        .call(Method::PUT, "Events", Some(json!({"LOCATION": "Zoom"})))
        .await;
    assert_eq!(s, 400);
}

// Item 7: `POST /Events/{id}/Links` → a Link; `PUT …/Links` → 405; `DELETE …/Links/{linkId}`
// → 202; an unknown link → 404.
#[tokio::test]
async fn item_07_event_links_sub_resource() {
    let t = T::new().await;
    let event = t.first_event().await;
    let id = event["EVENT_ID"].as_u64().unwrap();
    let opp = t.list("Opportunities?top=1").await[0]["OPPORTUNITY_ID"]
        .as_u64()
        .unwrap();
    let (s, link) = t
        .call(
            Method::POST,
            &format!("Events/{id}/Links"),
            Some(json!({"LINK_OBJECT_NAME": "Opportunity", "LINK_OBJECT_ID": opp})),
        )
        .await;
    assert_eq!(s, 200);
    let link_id = link["LINK_ID"].as_u64().expect("LINK_ID");
    let (s, _) = t
        .call(Method::PUT, &format!("Events/{id}/Links"), Some(json!({})))
        .await;
    assert_eq!(s, 405);
    let (s, _) = t
        .call(
            Method::DELETE,
            &format!("Events/{id}/Links/{link_id}"),
            None,
        )
        .await;
    assert_eq!(s, 202);
    let (s, _) = t
        .call(
            Method::DELETE,
            &format!("Events/{id}/Links/{link_id}"),
            None,
        )
        .await;
    assert_eq!(s, 404);
}

// Item 8: `DELETE /Events/{id}` → 202, empty; then GET → 404 and it is gone from the
// contact's events.
#[tokio::test]
async fn item_08_event_delete() {
    let t = T::new().await;
    let event = t.first_event().await;
    let id = event["EVENT_ID"].as_u64().unwrap();
    let contact = t.linked_contact(&event).await;
    let (s, v) = t.call(Method::DELETE, &format!("Events/{id}"), None).await;
    assert_eq!((s.as_u16(), v), (202, Value::Null));
    assert_eq!(t.get(&format!("Events/{id}")).await.0, 404);
    let under = t.list(&format!("Contacts/{contact}/Events")).await;
    assert!(!ids(&under, "EVENT_ID").contains(&id));
}

// Item 9: `GET /Events/{id}/Tags` → 404 (no such route); `TAGS` in an event body are
// ignored.
#[tokio::test]
async fn item_09_events_have_no_tags() {
    let t = T::new().await;
    let id = t.first_event().await["EVENT_ID"].as_u64().unwrap();
    assert_eq!(t.get(&format!("Events/{id}/Tags")).await.0, 404);
    let mut body = new_event(
        t.list("Contacts?top=1").await[0]["CONTACT_ID"]
            .as_u64()
            .unwrap(),
    );
    body["TAGS"] = json!([{"TAG_NAME": "vip"}]);
    let (s, e) = t.call(Method::POST, "Events", Some(body)).await;
    assert_eq!(s, 200);
    assert!(e.get("TAGS").is_none());
}

// Item 18: `GET /Emails` → bare array; `POST /Emails` and `PUT /Emails` → 405;
// `DELETE /Emails/{id}` → 202.
#[tokio::test]
async fn item_18_emails_are_read_only_but_deletable() {
    let t = T::new().await;
    let emails = t.list("Emails").await;
    assert!(emails.len() >= 3);
    for m in [Method::POST, Method::PUT] {
        let (s, _) = t.call(m, "Emails", Some(json!({"SUBJECT": "x"}))).await;
        assert_eq!(s, 405);
    }
    let id = emails[0]["EMAIL_ID"].as_u64().unwrap();
    assert_eq!(
        t.call(Method::DELETE, &format!("Emails/{id}"), None)
            .await
            .0,
        202
    );
    assert_eq!(t.get(&format!("Emails/{id}")).await.0, 404);
}

// Item 19: `POST /Emails/{id}/Links` to an opportunity → a Link; `GET
// /Opportunities/{id}/Emails` lists the email.
#[tokio::test]
async fn item_19_email_links_and_the_opportunity_emails() {
    let t = T::new().await;
    let id = t.list("Emails?top=1").await[0]["EMAIL_ID"]
        .as_u64()
        .unwrap();
    let opp = t.list("Opportunities?top=1").await[0]["OPPORTUNITY_ID"]
        .as_u64()
        .unwrap();
    let (s, link) = t
        .call(
            Method::POST,
            &format!("Emails/{id}/Links"),
            Some(json!({"LINK_OBJECT_NAME": "Opportunity", "LINK_OBJECT_ID": opp})),
        )
        .await;
    assert_eq!(s, 200);
    assert_eq!(link["OBJECT_NAME"], "Email");
    let under = t.list(&format!("Opportunities/{opp}/Emails")).await;
    assert_eq!(ids(&under, "EMAIL_ID"), [id]);
    assert_eq!(t.get(&format!("Emails/{id}/Links")).await.0, 200);
    assert_eq!(
        t.call(Method::PUT, &format!("Emails/{id}/Links"), Some(json!({})))
            .await
            .0,
        405
    );
}

// Item 29: event writes answer the configured status (200, or 201 swagger-literal); every
// DELETE → 202.
#[tokio::test]
async fn item_29_event_writes_answer_the_configured_status() {
    let t = T::start(InsightlySimOptions {
        create_status: 201,
        ..opts()
    })
    .await;
    let contact = t.list("Contacts?top=1").await[0]["CONTACT_ID"]
        .as_u64()
        .unwrap();
    let (s, e) = t
        .call(Method::POST, "Events", Some(new_event(contact)))
        .await;
    assert_eq!(s, 201);
    let id = e["EVENT_ID"].as_u64().unwrap();
    assert_eq!(
        t.call(Method::DELETE, &format!("Events/{id}"), None)
            .await
            .0,
        202
    );
}

/// docs/vendors/insightly-v3.1-addendum.md, "Corrections", C2: `DELETE` may answer 417
/// "Delete failed"; the switch makes it so for one record, which stays.
#[tokio::test]
async fn a_delete_can_fail_with_417() {
    let t = T::new().await;
    let id = t.first_event().await["EVENT_ID"].as_u64().unwrap();
    assert!(t.sim.fail_deletes_of("Events", id));
    assert!(!t.sim.fail_deletes_of("Widgets", id));
    let (s, v) = t.call(Method::DELETE, &format!("Events/{id}"), None).await;
    assert_eq!(s, 417);
    assert_eq!(v["Message"], "Delete failed");
    assert_eq!(t.get(&format!("Events/{id}")).await.0, 200);
}

/// Seeds: at least three events with links (a `ROLE` on the contact link, organisations,
/// opportunities), an all-day one, and at least three emails linked to contacts; the same
/// seed gives the same records.
#[tokio::test]
async fn seeds_hold_linked_events_and_emails() {
    let t = T::new().await;
    let events = t.list("Events").await;
    assert!(events.len() >= 3);
    assert!(events.iter().all(|e| t_has(e, "Contact")));
    assert!(events.iter().any(|e| t_has(e, "Opportunity")));
    assert!(events.iter().any(|e| e["ALL_DAY"] == true));
    assert!(events.iter().any(|e| e["LINKS"][0]["ROLE"] == "Host"));
    let emails = t.list("Emails").await;
    assert!(emails.len() >= 3);
    assert!(emails.iter().all(|e| t_has(e, "Contact")));
    let again = T::new().await;
    assert_eq!(again.list("Events").await, events);
    // Linked records do not list events and emails among their own LINKS.
    let contact = t.linked_contact(&events[0]).await;
    let (_, c) = t.get(&format!("Contacts/{contact}")).await;
    assert!(
        c["LINKS"]
            .as_array()
            .unwrap()
            .iter()
            .all(|l| l["LINK_OBJECT_NAME"] != "Event" && l["LINK_OBJECT_NAME"] != "Email")
    );
}

fn t_has(e: &Value, object: &str) -> bool {
    e["LINKS"]
        .as_array()
        .is_some_and(|l| l.iter().any(|l| l["LINK_OBJECT_NAME"] == object))
}

/// The served event and email have the keys of the vendor's example payloads.
#[tokio::test]
async fn served_shapes_match_the_vendor_payloads() {
    let t = T::new().await;
    let id = t.first_event().await["EVENT_ID"].as_u64().unwrap();
    let (_, e) = t.get(&format!("Events/{id}")).await;
    assert_eq!(keys(&e), keys(&fixture("event.json")));
    let brief = t.list("Events?brief=true&top=1").await;
    assert_eq!(keys(&brief[0]), keys(&fixture("events-list-brief.json")[0]));
    let id = t.list("Emails?top=1").await[0]["EMAIL_ID"]
        .as_u64()
        .unwrap();
    let (_, m) = t.get(&format!("Emails/{id}")).await;
    assert_eq!(keys(&m), keys(&fixture("email.json")));
    let link_keys = keys(&fixture("event.json")["LINKS"][0]);
    assert_eq!(keys(&e["LINKS"][0]), link_keys);
    assert!(
        e["START_DATE_UTC"]
            .as_str()
            .is_some_and(|s| chrono::NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M:%S").is_ok())
    );
}

/// Faults reach the new routes like any other: with every request failing, `/Events` and
/// `/Emails` answer 5xx.
#[tokio::test]
async fn faults_hit_events_and_emails() {
    let t = T::new().await;
    t.sim.set_faults(FaultConfig {
        seed: 7,
        error_rate: 1.0,
        ..FaultConfig::default()
    });
    for path in ["Events", "Emails", "Events/Search"] {
        let (s, _) = t.get(path).await;
        assert!(s.is_server_error(), "{path}: {s}");
    }
    t.sim.set_faults(FaultConfig::default());
    assert_eq!(t.get("Events").await.0, 200);
}
