//! The change feed's exact exchanges (wiremock): checkpoints from the vendor's `Date`, the
//! same-second change, holding under concurrent deletes, deletions read back before they are
//! reported, and PUTs that are never re-sent.

use std::sync::Arc;

use chrono::{DateTime, TimeZone, Utc};
use serde_json::{Value, json};
use unicrm_capsule::CapsuleClient;
use unicrm_core::http::RetryPolicy;
use unicrm_core::time::RecordingSleeper;
use unicrm_core::*;
use wiremock::matchers::{method, path, query_param};
use wiremock::{Mock, MockServer, ResponseTemplate};

fn client(server: &MockServer, page_size: Option<u32>) -> CapsuleClient {
    let mut b = CapsuleClient::builder()
        .base_url(&format!("{}/api/v2", server.uri()))
        .personal_access_token("pat-123".to_string())
        .retry(RetryPolicy {
            jitter: false,
            ..RetryPolicy::default()
        })
        .sleeper(Arc::new(RecordingSleeper::new()));
    if let Some(n) = page_size {
        b = b.change_page_size(n);
    }
    b.build().unwrap()
}

fn t(h: u32, m: u32, s: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2025, 3, 4, h, m, s).unwrap()
}

fn http_date(t: DateTime<Utc>) -> String {
    t.format("%a, %d %b %Y %H:%M:%S GMT").to_string()
}

fn rfc(t: DateTime<Utc>) -> String {
    t.format("%Y-%m-%dT%H:%M:%SZ").to_string()
}

fn person(id: u64, about: &str, updated: DateTime<Utc>) -> Value {
    json!({"id": id, "type": "person", "firstName": "Ann", "lastName": format!("L{id}"),
           "about": about, "createdAt": "2025-01-01T00:00:00Z", "updatedAt": rfc(updated)})
}

fn task(id: u64, description: &str) -> Value {
    json!({"id": id, "description": description, "dueOn": "2025-03-20", "status": "OPEN",
           "createdAt": "2025-01-01T00:00:00Z", "updatedAt": "2025-03-01T00:00:00Z"})
}

/// Mounts one `since` listing page of parties (and an empty deleted feed).
async fn parties(server: &MockServer, since: DateTime<Utc>, items: Value, date: DateTime<Utc>) {
    server.reset().await;
    Mock::given(method("GET"))
        .and(path("/api/v2/parties"))
        .and(query_param("since", rfc(since)))
        .respond_with(
            ResponseTemplate::new(200)
                .insert_header("Date", http_date(date).as_str())
                .set_body_json(json!({ "parties": items })),
        )
        .mount(server)
        .await;
    Mock::given(method("GET"))
        .and(path("/api/v2/parties/deleted"))
        .and(query_param("since", rfc(since)))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"parties": []})))
        .mount(server)
        .await;
}

fn abouts(set: &ChangeSet<Contact, ContactId>) -> Vec<String> {
    set.changes
        .iter()
        .map(|c| match c {
            Change::Upserted { record } => record.description.clone().unwrap_or_default(),
            Change::Deleted { id, .. } => format!("deleted {id}"),
            _ => "?".into(),
        })
        .collect()
}

/// Two updates of one contact within the same vendor second (10:00:05): the first is read by
/// one poll, the second lands after that poll took its checkpoint. The next poll must ask
/// from before 10:00:05 and report the second version; a third poll reports nothing.
#[tokio::test]
async fn second_update_in_the_same_vendor_second_is_reported() {
    let server = MockServer::start().await;
    let c = client(&server, None);
    let start = Checkpoint::at(t(9, 0, 0));

    // Poll 1: since = checkpoint − 1 s; the vendor's Date is 10:00:05.
    parties(
        &server,
        t(8, 59, 59),
        json!([person(11, "A", t(10, 0, 5))]),
        t(10, 0, 5),
    )
    .await;
    let p1 = c.changes_since::<Contact>(&start).await.unwrap();
    assert_eq!(abouts(&p1), vec!["A"]);
    // Next checkpoint: the Date (10:00:05) − duration (0) − precision (1 s).
    assert_eq!(p1.next.at, t(10, 0, 4));

    // The second update, same second. Poll 2 asks since 10:00:03 (not the caller's clock,
    // not the newest updatedAt): the mock answers only that exact `since`.
    parties(
        &server,
        t(10, 0, 3),
        json!([person(11, "B", t(10, 0, 5))]),
        t(10, 0, 6),
    )
    .await;
    let p2 = c.changes_since::<Contact>(&p1.next).await.unwrap();
    assert_eq!(abouts(&p2), vec!["B"], "the same-second change is reported");
    assert_eq!(p2.next.at, t(10, 0, 5));

    // Poll 3 lists the same version again (overlap): not reported twice.
    parties(
        &server,
        t(10, 0, 4),
        json!([person(11, "B", t(10, 0, 5))]),
        t(10, 0, 9),
    )
    .await;
    let p3 = c.changes_since::<Contact>(&p2.next).await.unwrap();
    assert!(p3.changes.is_empty(), "{:?}", abouts(&p3));
    assert_eq!(p3.next.at, t(10, 0, 8));
}

/// The checkpoint is the first response's Date minus the listing's duration (last page's
/// Date − first page's) minus the precision; an older version is not reported over a newer.
#[tokio::test]
async fn checkpoint_covers_the_listing_duration() {
    let server = MockServer::start().await;
    let c = client(&server, Some(1));
    let next = format!("{}/api/v2/parties?since=x&page=2", server.uri());
    Mock::given(method("GET"))
        .and(path("/api/v2/parties"))
        .and(query_param("perPage", "1"))
        .and(query_param("since", rfc(t(9, 59, 59))))
        .respond_with(
            ResponseTemplate::new(200)
                .insert_header("Date", http_date(t(10, 0, 10)).as_str())
                .insert_header("Link", format!("<{next}>; rel=\"next\"").as_str())
                .set_body_json(json!({"parties": [person(1, "one", t(10, 0, 9))]})),
        )
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/api/v2/parties"))
        .and(query_param("page", "2"))
        .respond_with(
            ResponseTemplate::new(200)
                .insert_header("Date", http_date(t(10, 0, 13)).as_str())
                .set_body_json(json!({"parties": [person(2, "two", t(10, 0, 12))]})),
        )
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/api/v2/parties/deleted"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"parties": []})))
        .mount(&server)
        .await;
    let set = c
        .changes_since::<Contact>(&Checkpoint::at(t(10, 0, 0)))
        .await
        .unwrap();
    assert_eq!(abouts(&set), vec!["one", "two"]);
    // 10:00:10 − 3 s (duration) − 1 s.
    assert_eq!(set.next.at, t(10, 0, 6));
}

/// A record read on a page before the last and then deleted may have shifted the next page
/// back: the checkpoint is held (the same window is listed again next time).
#[tokio::test]
async fn a_deletion_during_a_multi_page_listing_holds_the_checkpoint() {
    let server = MockServer::start().await;
    let c = client(&server, Some(1));
    let next = format!("{}/api/v2/parties?page=2", server.uri());
    Mock::given(method("GET"))
        .and(path("/api/v2/parties"))
        .and(query_param("perPage", "1"))
        .respond_with(
            ResponseTemplate::new(200)
                .insert_header("Date", http_date(t(10, 0, 10)).as_str())
                .insert_header("Link", format!("<{next}>; rel=\"next\"").as_str())
                .set_body_json(json!({"parties": [person(1, "one", t(10, 0, 9))]})),
        )
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/api/v2/parties"))
        .and(query_param("page", "2"))
        .respond_with(
            ResponseTemplate::new(200)
                .insert_header("Date", http_date(t(10, 0, 11)).as_str())
                .set_body_json(json!({"parties": [person(3, "three", t(10, 0, 9))]})),
        )
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/api/v2/parties/deleted"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(json!({"parties": [{"id": 1, "deletedAt": rfc(t(10, 0, 10))}]})),
        )
        .mount(&server)
        .await;
    let cp = Checkpoint::at(t(10, 0, 0));
    let set = c.changes_since::<Contact>(&cp).await.unwrap();
    assert_eq!(abouts(&set), vec!["three", "deleted 1"]);
    assert_eq!(set.next.at, cp.at, "held");

    // Listed again from the same window: nothing new is reported twice.
    let again = c.changes_since::<Contact>(&set.next).await.unwrap();
    assert!(again.changes.is_empty(), "{:?}", abouts(&again));
}

/// Without a readable `Date` header the checkpoint does not move (never the caller's clock,
/// never the newest `updatedAt`). (The test server adds a `Date` to every response that has
/// none, so an unreadable one stands for a missing one: the same path.)
#[tokio::test]
async fn without_a_date_header_the_checkpoint_stays() {
    let server = MockServer::start().await;
    let c = client(&server, None);
    Mock::given(method("GET"))
        .and(path("/api/v2/parties"))
        .respond_with(
            ResponseTemplate::new(200)
                .insert_header("Date", "not a date")
                .set_body_json(json!({"parties": [person(1, "one", t(10, 0, 30))]})),
        )
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/api/v2/parties/deleted"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"parties": []})))
        .mount(&server)
        .await;
    let cp = Checkpoint::at(t(10, 0, 0));
    let set = c.changes_since::<Contact>(&cp).await.unwrap();
    assert_eq!(abouts(&set), vec!["one"]);
    assert_eq!(
        set.next.at, cp.at,
        "not the newest updatedAt, not our clock"
    );
}

/// The task scan asks for every status (PENDING included); ids missing from a listing are
/// read back by multi-show (404 for the chunk → one by one), and only a 404 is a deletion.
#[tokio::test]
async fn task_scan_reads_missing_ids_back_before_reporting_a_deletion() {
    let server = MockServer::start().await;
    let c = client(&server, None);
    let list = |items: Value| {
        Mock::given(method("GET"))
            .and(path("/api/v2/tasks"))
            .and(query_param("status", "open,completed,pending"))
            .respond_with(
                ResponseTemplate::new(200)
                    .insert_header("Date", http_date(t(10, 0, 10)).as_str())
                    .set_body_json(json!({ "tasks": items })),
            )
    };
    list(json!([task(1, "a"), task(2, "b"), task(3, "c")]))
        .mount(&server)
        .await;
    let long_ago = Checkpoint::at(Utc.with_ymd_and_hms(2024, 1, 1, 0, 0, 0).unwrap());
    let first = c.changes_since::<Task>(&long_ago).await.unwrap();
    assert_eq!(first.changes.len(), 3);
    assert_eq!(first.next.at, t(10, 0, 9));

    // Task 2 was skipped by the paging, task 3 is really gone.
    server.reset().await;
    list(json!([task(1, "a")])).mount(&server).await;
    Mock::given(method("GET"))
        .and(path("/api/v2/tasks/2,3"))
        .respond_with(ResponseTemplate::new(404).set_body_json(json!({"message": "not found"})))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/api/v2/tasks/2"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"task": task(2, "b")})))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/api/v2/tasks/3"))
        .respond_with(ResponseTemplate::new(404).set_body_json(json!({"message": "not found"})))
        .expect(1)
        .mount(&server)
        .await;
    let second = c.changes_since::<Task>(&first.next).await.unwrap();
    let deleted: Vec<String> = second
        .changes
        .iter()
        .filter_map(|c| match c {
            Change::Deleted { id, .. } => Some(id.to_string()),
            _ => None,
        })
        .collect();
    assert_eq!(deleted, vec!["3"]);
    assert_eq!(second.changes.len(), 1, "task 2 is unchanged: not reported");

    // Task 2 is still in the state: when it does go, its deletion is seen.
    server.reset().await;
    list(json!([task(1, "a")])).mount(&server).await;
    Mock::given(method("GET"))
        .and(path("/api/v2/tasks/2"))
        .respond_with(ResponseTemplate::new(404).set_body_json(json!({"message": "not found"})))
        .mount(&server)
        .await;
    let third = c.changes_since::<Task>(&second.next).await.unwrap();
    assert!(
        matches!(&third.changes[..], [Change::Deleted { id, .. }] if id.as_str() == "2"),
        "{:?}",
        third.changes
    );
}

/// A lone missing id is read back by an ordinary show, whose answer has the singular `task`
/// wrapper (docs/vendors/capsule-v2.md, "Multi-show"): a task that answers is not deleted.
/// A multi-show 200 that leaves an id out sends that id to a single read as well.
#[tokio::test]
async fn task_scan_does_not_delete_a_lone_missing_task_that_answers() {
    let server = MockServer::start().await;
    let c = client(&server, None);
    let list = |items: Value| {
        Mock::given(method("GET"))
            .and(path("/api/v2/tasks"))
            .respond_with(
                ResponseTemplate::new(200)
                    .insert_header("Date", http_date(t(10, 0, 10)).as_str())
                    .set_body_json(json!({ "tasks": items })),
            )
    };
    let show = |id: u64, body: Value| {
        Mock::given(method("GET"))
            .and(path(format!("/api/v2/tasks/{id}")))
            .respond_with(ResponseTemplate::new(200).set_body_json(body))
    };
    list(json!([
        task(1, "a"),
        task(2, "b"),
        task(3, "c"),
        task(4, "d")
    ]))
    .mount(&server)
    .await;
    let long_ago = Checkpoint::at(Utc.with_ymd_and_hms(2024, 1, 1, 0, 0, 0).unwrap());
    let first = c.changes_since::<Task>(&long_ago).await.unwrap();
    assert_eq!(first.changes.len(), 4);

    // Task 2 alone was skipped by the paging: `GET /tasks/2` answers `{"task": …}`.
    server.reset().await;
    list(json!([task(1, "a"), task(3, "c"), task(4, "d")]))
        .mount(&server)
        .await;
    show(2, json!({"task": task(2, "b")}))
        .expect(1)
        .mount(&server)
        .await;
    let second = c.changes_since::<Task>(&first.next).await.unwrap();
    assert!(second.changes.is_empty(), "{:?}", second.changes);

    // Tasks 3 and 4 were skipped; the multi-show answers 200 with task 3 only (against the
    // documented 404), so task 4 is read alone, and it answers too.
    server.reset().await;
    list(json!([task(1, "a"), task(2, "b")]))
        .mount(&server)
        .await;
    show_multi(&server, "3,4", json!({"tasks": [task(3, "c")]})).await;
    show(4, json!({"task": task(4, "d")}))
        .expect(1)
        .mount(&server)
        .await;
    let third = c.changes_since::<Task>(&second.next).await.unwrap();
    assert!(third.changes.is_empty(), "{:?}", third.changes);
}

/// A read-back that answers an error other than 404 (here 403, not retried) fails the poll:
/// it is never taken as a deletion, neither for a multi-show nor for a single read.
#[tokio::test]
async fn task_scan_read_back_errors_are_not_deletions() {
    let server = MockServer::start().await;
    let c = client(&server, None);
    let list = |items: Value| {
        Mock::given(method("GET"))
            .and(path("/api/v2/tasks"))
            .respond_with(
                ResponseTemplate::new(200)
                    .insert_header("Date", http_date(t(10, 0, 10)).as_str())
                    .set_body_json(json!({ "tasks": items })),
            )
    };
    let forbidden = |p: &str| {
        Mock::given(method("GET"))
            .and(path(format!("/api/v2/tasks/{p}")))
            .respond_with(ResponseTemplate::new(403).set_body_json(json!({"message": "no"})))
    };
    let ok = |id: u64| {
        Mock::given(method("GET"))
            .and(path(format!("/api/v2/tasks/{id}")))
            .respond_with(ResponseTemplate::new(200).set_body_json(json!({"task": task(id, "x")})))
    };
    list(json!([task(1, "a"), task(2, "b"), task(3, "c")]))
        .mount(&server)
        .await;
    let long_ago = Checkpoint::at(Utc.with_ymd_and_hms(2024, 1, 1, 0, 0, 0).unwrap());
    let first = c.changes_since::<Task>(&long_ago).await.unwrap();

    // Multi-show refused: the poll fails (the single reads would have answered).
    server.reset().await;
    list(json!([task(1, "a")])).mount(&server).await;
    forbidden("2,3").mount(&server).await;
    ok(2).mount(&server).await;
    ok(3).mount(&server).await;
    let multi = c.changes_since::<Task>(&first.next).await;
    assert!(multi.is_err(), "{multi:?}");

    // A single read refused: the poll fails.
    server.reset().await;
    list(json!([task(1, "a"), task(3, "c")]))
        .mount(&server)
        .await;
    forbidden("2").mount(&server).await;
    let single = c.changes_since::<Task>(&first.next).await;
    assert!(single.is_err(), "{single:?}");
}

/// Mounts a multi-show answer for `ids` (comma list), expected once.
async fn show_multi(server: &MockServer, ids: &str, body: Value) {
    Mock::given(method("GET"))
        .and(path(format!("/api/v2/tasks/{ids}")))
        .respond_with(ResponseTemplate::new(200).set_body_json(body))
        .expect(1)
        .mount(server)
        .await;
}

/// A task whose content changed within the same `updatedAt` is reported by the scan.
#[tokio::test]
async fn task_scan_sees_a_change_with_the_same_updated_at() {
    let server = MockServer::start().await;
    let c = client(&server, None);
    let mount = |items: Value| {
        Mock::given(method("GET"))
            .and(path("/api/v2/tasks"))
            .respond_with(
                ResponseTemplate::new(200)
                    .insert_header("Date", http_date(t(10, 0, 10)).as_str())
                    .set_body_json(json!({ "tasks": items })),
            )
    };
    mount(json!([task(1, "a")])).mount(&server).await;
    let long_ago = Checkpoint::at(Utc.with_ymd_and_hms(2024, 1, 1, 0, 0, 0).unwrap());
    let first = c.changes_since::<Task>(&long_ago).await.unwrap();
    assert_eq!(first.changes.len(), 1);
    server.reset().await;
    mount(json!([task(1, "a2")])).mount(&server).await;
    let second = c.changes_since::<Task>(&first.next).await.unwrap();
    assert!(
        matches!(&second.changes[..], [Change::Upserted { record }] if record.title == "a2"),
        "{:?}",
        second.changes
    );
    let third = c.changes_since::<Task>(&second.next).await.unwrap();
    assert!(third.changes.is_empty());
}

/// A PUT that appends a row (a new email) is not re-sent after a 503; a PUT of scalars is.
#[tokio::test]
async fn put_that_appends_rows_is_sent_once() {
    let server = MockServer::start().await;
    let c = client(&server, None);
    Mock::given(method("PUT"))
        .and(path("/api/v2/parties/11"))
        .respond_with(ResponseTemplate::new(503).set_body_json(json!({"message": "busy"})))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/api/v2/parties/11"))
        .respond_with(
            ResponseTemplate::new(200).set_body_json(json!({"party": person(11, "A", t(1, 0, 0))})),
        )
        .mount(&server)
        .await;
    let add_email = ContactPatch {
        emails: Patch::Set(vec![Email {
            address: "new@example.com".into(),
            ..Email::default()
        }]),
        ..ContactPatch::default()
    };
    let err = c
        .contacts()
        .update(&ContactId::from("11"), &add_email)
        .await
        .unwrap_err();
    assert_eq!(err.status(), Some(503));
    let puts =
        |reqs: &[wiremock::Request]| reqs.iter().filter(|r| r.method.as_str() == "PUT").count();
    assert_eq!(
        puts(&server.received_requests().await.unwrap()),
        1,
        "sent once"
    );

    let scalar = ContactPatch {
        description: Patch::Set("moved".into()),
        ..ContactPatch::default()
    };
    let before = puts(&server.received_requests().await.unwrap());
    let _ = c.contacts().update(&ContactId::from("11"), &scalar).await;
    let after = puts(&server.received_requests().await.unwrap());
    assert!(after - before > 1, "a repeatable PUT is retried");
}
