//! The change feed's exact exchanges (wiremock): checkpoints from the vendor's `Date`, the
//! same-second change, deletions read back before they are reported, holding under
//! concurrent deletes, a short page that is not the end.

use std::num::NonZeroU32;
use std::sync::Arc;

use chrono::{DateTime, TimeZone, Utc};
use serde_json::{Value, json};
use unicrm_core::http::RetryPolicy;
use unicrm_core::time::RecordingSleeper;
use unicrm_core::{Change, ChangeSet, Checkpoint, Contact, ContactId, Crm};
use unicrm_insightly::InsightlyClient;
use wiremock::matchers::{method, path, query_param};
use wiremock::{Mock, MockServer, ResponseTemplate};

fn client(server: &MockServer, page_size: Option<u32>) -> InsightlyClient {
    let mut b = InsightlyClient::builder()
        .api_key("feed-test-key")
        .base_url(format!("{}/v3.1", server.uri()))
        .requests_per_second(NonZeroU32::new(1000).unwrap())
        .retry(RetryPolicy {
            jitter: false,
            ..RetryPolicy::default()
        })
        .sleeper(Arc::new(RecordingSleeper::new()))
        // These exchanges scan on every call (the cadence is tested in `feed_cadence.rs`).
        .deletion_scan_every_call();
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

fn iso(t: DateTime<Utc>) -> String {
    t.format("%Y-%m-%dT%H:%M:%SZ").to_string()
}

fn contact(id: u64, background: &str, updated: DateTime<Utc>) -> Value {
    json!({"CONTACT_ID": id, "FIRST_NAME": "Ann", "LAST_NAME": format!("L{id}"),
           "BACKGROUND": background, "DATE_CREATED_UTC": "2025-01-01 00:00:00",
           "DATE_UPDATED_UTC": updated.format("%Y-%m-%d %H:%M:%S").to_string()})
}

fn page(items: Value, total: usize, date: DateTime<Utc>) -> ResponseTemplate {
    ResponseTemplate::new(200)
        .insert_header("Date", http_date(date).as_str())
        .insert_header("X-Total-Count", total.to_string().as_str())
        .set_body_json(items)
}

/// Mounts the custom field definitions (none) and a brief id scan answering `ids`.
async fn basics(server: &MockServer, ids: &[u64]) {
    Mock::given(method("GET"))
        .and(path("/v3.1/CustomFields/Contacts"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!([])))
        .mount(server)
        .await;
    let brief: Vec<Value> = ids.iter().map(|id| json!({"CONTACT_ID": id})).collect();
    Mock::given(method("GET"))
        .and(path("/v3.1/Contacts"))
        .and(query_param("brief", "true"))
        .respond_with(page(json!(brief), ids.len(), t(12, 0, 0)))
        .mount(server)
        .await;
}

/// Mounts one upsert listing answering only the exact `updated_after_utc`.
async fn search(server: &MockServer, after: DateTime<Utc>, items: Value, date: DateTime<Utc>) {
    let n = items.as_array().map_or(0, Vec::len);
    Mock::given(method("GET"))
        .and(path("/v3.1/Contacts/Search"))
        .and(query_param("updated_after_utc", iso(after)))
        .respond_with(page(items, n, date))
        .mount(server)
        .await;
}

fn summary(set: &ChangeSet<Contact, ContactId>) -> Vec<String> {
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

    basics(&server, &[11]).await;
    // updated_after_utc is exclusive: from one second before the checkpoint's second.
    search(
        &server,
        t(8, 59, 59),
        json!([contact(11, "A", t(10, 0, 5))]),
        t(10, 0, 5),
    )
    .await;
    let p1 = c
        .contacts()
        .changes_since(&Checkpoint::at(t(9, 0, 0)))
        .await
        .unwrap();
    assert_eq!(summary(&p1), vec!["A"]);
    assert_eq!(p1.next.at, t(10, 0, 4), "the vendor's Date − 1 s");

    server.reset().await;
    basics(&server, &[11]).await;
    search(
        &server,
        t(10, 0, 3),
        json!([contact(11, "B", t(10, 0, 5))]),
        t(10, 0, 6),
    )
    .await;
    let p2 = c.contacts().changes_since(&p1.next).await.unwrap();
    assert_eq!(
        summary(&p2),
        vec!["B"],
        "the same-second change is reported"
    );
    assert_eq!(p2.next.at, t(10, 0, 5));

    server.reset().await;
    basics(&server, &[11]).await;
    search(
        &server,
        t(10, 0, 4),
        json!([contact(11, "B", t(10, 0, 5))]),
        t(10, 0, 9),
    )
    .await;
    let p3 = c.contacts().changes_since(&p2.next).await.unwrap();
    assert!(p3.changes.is_empty(), "{:?}", summary(&p3));
}

/// An id missing from the brief scan is read back: a record that answers is not deleted; a
/// 404 is. The first call reports no deletion of ids it never saw.
#[tokio::test]
async fn missing_ids_are_read_back_before_a_deletion_is_reported() {
    let server = MockServer::start().await;
    let c = client(&server, None);
    basics(&server, &[1, 2, 3]).await;
    search(&server, t(8, 59, 59), json!([]), t(10, 0, 0)).await;
    let base = c
        .contacts()
        .changes_since(&Checkpoint::at(t(9, 0, 0)))
        .await
        .unwrap();
    assert!(base.changes.is_empty());

    // The scan skips 2 (paging shifted) and 3 (deleted).
    server.reset().await;
    basics(&server, &[1]).await;
    search(&server, t(9, 59, 58), json!([]), t(10, 0, 5)).await;
    Mock::given(method("GET"))
        .and(path("/v3.1/Contacts/2"))
        .respond_with(ResponseTemplate::new(200).set_body_json(contact(2, "x", t(1, 0, 0))))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/v3.1/Contacts/3"))
        .respond_with(ResponseTemplate::new(404).set_body_json(json!({"Message": "gone"})))
        .expect(1)
        .mount(&server)
        .await;
    let set = c.contacts().changes_since(&base.next).await.unwrap();
    assert_eq!(summary(&set), vec!["deleted 3"]);

    // 2 stayed in the set: its deletion is seen later.
    server.reset().await;
    basics(&server, &[1]).await;
    search(&server, t(10, 0, 3), json!([]), t(10, 0, 9)).await;
    Mock::given(method("GET"))
        .and(path("/v3.1/Contacts/2"))
        .respond_with(ResponseTemplate::new(404).set_body_json(json!({"Message": "gone"})))
        .mount(&server)
        .await;
    let later = c.contacts().changes_since(&set.next).await.unwrap();
    assert_eq!(summary(&later), vec!["deleted 2"]);
}

/// A record returned by the upsert listing but missing from the scan is read back too: it
/// is kept in the id set (so its later deletion is seen), or reported deleted on a 404.
#[tokio::test]
async fn a_listed_record_missing_from_the_scan_stays_tracked() {
    let server = MockServer::start().await;
    let c = client(&server, None);
    basics(&server, &[1]).await;
    search(
        &server,
        t(8, 59, 59),
        json!([
            contact(1, "one", t(9, 30, 0)),
            contact(5, "five", t(9, 30, 0))
        ]),
        t(10, 0, 0),
    )
    .await;
    Mock::given(method("GET"))
        .and(path("/v3.1/Contacts/5"))
        .respond_with(ResponseTemplate::new(200).set_body_json(contact(5, "five", t(9, 30, 0))))
        .expect(1)
        .mount(&server)
        .await;
    let first = c
        .contacts()
        .changes_since(&Checkpoint::at(t(9, 0, 0)))
        .await
        .unwrap();
    assert_eq!(summary(&first), vec!["one", "five"]);

    server.reset().await;
    basics(&server, &[1]).await;
    search(&server, t(9, 59, 58), json!([]), t(10, 0, 5)).await;
    Mock::given(method("GET"))
        .and(path("/v3.1/Contacts/5"))
        .respond_with(ResponseTemplate::new(404).set_body_json(json!({"Message": "gone"})))
        .mount(&server)
        .await;
    let second = c.contacts().changes_since(&first.next).await.unwrap();
    assert_eq!(summary(&second), vec!["deleted 5"]);
}

/// A record read on a page before the last and then found deleted holds the checkpoint; a
/// short page whose total says more is not the end of the listing.
#[tokio::test]
async fn deletion_during_a_multi_page_listing_holds_the_checkpoint() {
    let server = MockServer::start().await;
    let c = client(&server, Some(2));
    basics(&server, &[1, 2, 3]).await;
    let after = iso(t(9, 59, 59));
    Mock::given(method("GET"))
        .and(path("/v3.1/Contacts/Search"))
        .and(query_param("updated_after_utc", after.as_str()))
        .and(query_param("skip", "0"))
        .and(query_param("top", "2"))
        .and(query_param("count_total", "true"))
        // A short page (the server capped `top` at 1): the total says 3.
        .respond_with(page(
            json!([contact(1, "one", t(10, 0, 1))]),
            3,
            t(10, 0, 10),
        ))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/v3.1/Contacts/Search"))
        .and(query_param("skip", "1"))
        .respond_with(page(
            json!([
                contact(2, "two", t(10, 0, 1)),
                contact(9, "nine", t(10, 0, 2))
            ]),
            3,
            t(10, 0, 12),
        ))
        .mount(&server)
        .await;
    // 9 is not in the scan: read back, gone. 2 was on the last page: no shift possible.
    Mock::given(method("GET"))
        .and(path("/v3.1/Contacts/9"))
        .respond_with(ResponseTemplate::new(404).set_body_json(json!({"Message": "gone"})))
        .mount(&server)
        .await;
    let cp = Checkpoint::at(t(10, 0, 0));
    let set = c.contacts().changes_since(&cp).await.unwrap();
    assert_eq!(summary(&set), vec!["one", "two", "deleted 9"]);
    // 10:00:10 − 2 s (duration) − 1 s: 9 was on the last page, nothing was shifted.
    assert_eq!(set.next.at, t(10, 0, 7));

    // Now 1 (first page) is deleted while the listing runs: held.
    server.reset().await;
    basics(&server, &[2, 3]).await;
    Mock::given(method("GET"))
        .and(path("/v3.1/Contacts/Search"))
        .and(query_param("skip", "0"))
        .respond_with(page(
            json!([
                contact(1, "one", t(10, 0, 15)),
                contact(3, "three", t(10, 0, 8))
            ]),
            3,
            t(10, 0, 20),
        ))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/v3.1/Contacts/Search"))
        .and(query_param("skip", "2"))
        .respond_with(page(
            json!([contact(2, "two2", t(10, 0, 16))]),
            3,
            t(10, 0, 21),
        ))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/v3.1/Contacts/1"))
        .respond_with(ResponseTemplate::new(404).set_body_json(json!({"Message": "gone"})))
        .mount(&server)
        .await;
    let held = c.contacts().changes_since(&set.next).await.unwrap();
    assert_eq!(summary(&held), vec!["three", "two2", "deleted 1"]);
    assert_eq!(held.next.at, set.next.at, "held");
}

/// A read-back that fails for another reason than 404/403 is not a deletion: the call fails
/// (and the caller keeps its checkpoint).
#[tokio::test]
async fn a_failed_read_back_is_not_a_deletion() {
    let server = MockServer::start().await;
    let c = client(&server, None);
    basics(&server, &[1, 2]).await;
    search(&server, t(8, 59, 59), json!([]), t(10, 0, 0)).await;
    let base = c
        .contacts()
        .changes_since(&Checkpoint::at(t(9, 0, 0)))
        .await
        .unwrap();
    server.reset().await;
    basics(&server, &[1]).await;
    search(&server, t(9, 59, 58), json!([]), t(10, 0, 5)).await;
    Mock::given(method("GET"))
        .and(path("/v3.1/Contacts/2"))
        .respond_with(ResponseTemplate::new(500).set_body_json(json!({"Message": "oops"})))
        .mount(&server)
        .await;
    let err = c.contacts().changes_since(&base.next).await.unwrap_err();
    assert_eq!(err.status(), Some(500));
}
