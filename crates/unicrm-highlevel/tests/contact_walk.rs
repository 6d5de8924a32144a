//! The contact walk's paging rules, exactly (wiremock): a listing of notes walks the contact
//! search by `dateAdded` (`resources/contact_walk.rs`, docs/vendors/highlevel-v2.md, "Notes").
//!
//! - a page that fills exactly moves on to the next batch (no re-walk of the same batch);
//! - a page past the page size re-lists the same batch and skips what was returned;
//! - a batch without records is walked past, never answered as an empty page with a next;
//! - a cursor that is not ours is a paging error, before any request;
//! - the stream goes on past a full search of 500 contacts.

use std::time::Duration;

use futures::TryStreamExt;
use serde_json::{Value, json};
use unicrm_core::http::RetryPolicy;
use unicrm_core::{Crm, Cursor, Error, ListParams, Note};
use unicrm_highlevel::HighLevelClient;
use wiremock::matchers::{body_json, body_partial_json, method, path, path_regex};
use wiremock::{Mock, MockServer, ResponseTemplate};

const LOCATION: &str = "h8Qz3LmN5pRt7VwX2yBc";

fn client(server: &MockServer) -> HighLevelClient {
    HighLevelClient::builder()
        .base_url(server.uri())
        .location_id(LOCATION)
        .private_integration_token("pit-0c5f5c1e-1111-2222-3333-444455556666")
        .burst_limit(1_000_000, Duration::from_secs(1))
        .retry(RetryPolicy {
            max_retries: 0,
            ..RetryPolicy::default()
        })
        .build()
        .expect("client")
}

fn hits(ids: &[(&str, u64)]) -> Value {
    let contacts: Vec<Value> = ids
        .iter()
        .map(|(id, n)| json!({"id": id, "searchAfter": [n, id]}))
        .collect();
    json!({"contacts": contacts, "total": 99})
}

fn search(limit: u32, after: Option<Value>) -> Value {
    let mut b = json!({"locationId": LOCATION, "pageLimit": limit,
                       "sort": [{"field": "dateAdded", "direction": "asc"}]});
    if let Some(a) = after {
        b["searchAfter"] = a;
    }
    b
}

async fn searches(server: &MockServer, limit: u32, pages: &[(Option<Value>, Value)]) {
    for (after, answer) in pages {
        Mock::given(method("POST"))
            .and(path("/contacts/search"))
            .and(body_json(search(limit, after.clone())))
            .respond_with(ResponseTemplate::new(200).set_body_json(answer.clone()))
            .mount(server)
            .await;
    }
}

async fn notes_of(server: &MockServer, contact: &str, ids: &[&str]) {
    let notes: Vec<Value> = ids
        .iter()
        .map(|n| json!({"id": n, "body": n, "contactId": contact}))
        .collect();
    Mock::given(method("GET"))
        .and(path(format!("/contacts/{contact}/notes")))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"notes": notes})))
        .with_priority(1)
        .mount(server)
        .await;
}

fn cursor(c: &Cursor) -> Value {
    serde_json::from_str(c.as_str()).unwrap_or(Value::Null)
}

fn note_ids(notes: &[Note]) -> Vec<String> {
    notes.iter().map(|n| n.id.to_string()).collect()
}

#[tokio::test]
async fn pages_fill_exactly_overflow_by_skipping_and_refuse_foreign_cursors() {
    let server = MockServer::start().await;
    searches(
        &server,
        2,
        &[
            (None, hits(&[("Ct1", 1), ("Ct2", 2)])),
            (Some(json!([2, "Ct2"])), hits(&[("Ct3", 3)])),
        ],
    )
    .await;
    notes_of(&server, "Ct1", &["Na"]).await;
    notes_of(&server, "Ct2", &["Nb"]).await;
    notes_of(&server, "Ct3", &["Nc", "Nd", "Ne"]).await;
    let crm = client(&server);
    let notes = crm.notes();

    // Two contacts, two notes, page size 2: full, and the next page is the next batch.
    let p1 = notes.list(&ListParams::new().page_size(2)).await.unwrap();
    assert_eq!(note_ids(&p1.items), ["Ct1:Na", "Ct2:Nb"]);
    let next = p1.next.expect("the batch was full");
    assert_eq!(cursor(&next), json!({"after": [2, "Ct2"], "skip": 0}));

    // Three notes under one contact, page size 2: the batch again, skipping the two given.
    let p2 = notes
        .list(&ListParams::new().page_size(2).cursor(Some(next)))
        .await
        .unwrap();
    assert_eq!(note_ids(&p2.items), ["Ct3:Nc", "Ct3:Nd"]);
    let next = p2.next.expect("one note left");
    assert_eq!(cursor(&next), json!({"after": [2, "Ct2"], "skip": 2}));
    let p3 = notes
        .list(&ListParams::new().page_size(2).cursor(Some(next)))
        .await
        .unwrap();
    assert_eq!(note_ids(&p3.items), ["Ct3:Ne"]);
    assert!(p3.next.is_none(), "a short batch ends the walk");

    // Cursors that are not the walk's: a paging error, and nothing sent.
    let before = server.received_requests().await.unwrap().len();
    for bad in [
        r#"{"after": [], "skip": 0}"#,
        r#"{"after": [{"x": 1}], "skip": 0}"#,
        r#"{"after": [2, null], "skip": 0}"#,
        "not json",
    ] {
        let err = notes
            .list(&ListParams::new().cursor(Some(Cursor::new(bad))))
            .await
            .unwrap_err();
        assert!(matches!(err, Error::Paging { .. }), "{bad}: {err:?}");
    }
    assert_eq!(server.received_requests().await.unwrap().len(), before);
}

#[tokio::test]
async fn a_batch_without_records_is_walked_past() {
    let server = MockServer::start().await;
    searches(
        &server,
        2,
        &[
            (None, hits(&[("Ct1", 1), ("Ct2", 2)])),
            (Some(json!([2, "Ct2"])), hits(&[("Ct3", 3)])),
        ],
    )
    .await;
    notes_of(&server, "Ct1", &[]).await;
    notes_of(&server, "Ct2", &[]).await;
    notes_of(&server, "Ct3", &["Nc"]).await;
    let crm = client(&server);
    let p = crm
        .notes()
        .list(&ListParams::new().page_size(2))
        .await
        .unwrap();
    assert_eq!(note_ids(&p.items), ["Ct3:Nc"]);
    assert!(p.next.is_none(), "{:?}", p.next);
}

/// 501 contacts: the stream searches 500, then the rest after the 500th, and lists the
/// 501st contact's note.
#[tokio::test]
async fn the_stream_goes_on_past_a_full_search() {
    let server = MockServer::start().await;
    let first: Vec<(String, u64)> = (1..=500).map(|i| (format!("Ct{i:03}"), i)).collect();
    let first: Vec<(&str, u64)> = first.iter().map(|(s, n)| (s.as_str(), *n)).collect();
    Mock::given(method("POST"))
        .and(path("/contacts/search"))
        .and(body_json(search(500, None)))
        .respond_with(ResponseTemplate::new(200).set_body_json(hits(&first)))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/contacts/search"))
        .and(body_partial_json(json!({"searchAfter": [500, "Ct500"]})))
        .respond_with(ResponseTemplate::new(200).set_body_json(hits(&[("Ct501", 501)])))
        .expect(1)
        .mount(&server)
        .await;
    notes_of(&server, "Ct007", &["Na"]).await;
    notes_of(&server, "Ct501", &["Nz"]).await;
    Mock::given(method("GET"))
        .and(path_regex(r"^/contacts/Ct[0-9]+/notes$"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"notes": []})))
        .with_priority(10)
        .mount(&server)
        .await;
    let crm = client(&server);
    let all: Vec<Note> = crm
        .notes()
        .stream_listing(ListParams::new())
        .try_collect()
        .await
        .unwrap();
    assert_eq!(note_ids(&all), ["Ct007:Na", "Ct501:Nz"]);
    let notes_requests = server
        .received_requests()
        .await
        .unwrap()
        .iter()
        .filter(|r| r.url.path().ends_with("/notes"))
        .count();
    assert_eq!(notes_requests, 501, "each contact listed once");
}
