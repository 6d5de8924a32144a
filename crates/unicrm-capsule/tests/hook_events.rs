//! REST-hook deliveries through core's webhook receiver, against the Capsule simulator: events
//! are confirmed by reading the records back, so a forged deletion is never emitted; oversized
//! and malformed deliveries are refused and emit nothing.

use std::sync::Arc;

use unicrm_capsule::{CapsuleClient, CapsuleHookEvents, DeliveryParser};
use unicrm_core::event::{EventAction, EventSource};
use unicrm_core::http::HeaderMap;
use unicrm_core::webhook::{WebhookError, WebhookSource, webhook_router};
use unicrm_core::{Contact, Crm, CrmExt, ListParams, ResourceKind};
use unicrm_sim::{CapsuleSim, CapsuleSimHandle, CapsuleSimOptions, SeedOptions};

async fn sim() -> (CapsuleSimHandle, CapsuleClient) {
    let h = CapsuleSim::start(CapsuleSimOptions {
        seed: SeedOptions {
            seed: 7,
            records: 6,
        },
        ..CapsuleSimOptions::default()
    })
    .await
    .unwrap();
    let client = CapsuleClient::builder()
        .base_url(h.base_url.as_str())
        .personal_access_token(h.token.clone())
        .build()
        .unwrap();
    (h, client)
}

/// A delivery of `event` for `person` as Capsule sends it: the party's own JSON.
fn delivery(event: &str, person: &Contact) -> Vec<u8> {
    let party = person.raw.as_ref().expect("raw payload").to_value();
    serde_json::to_vec(&serde_json::json!({"event": event, "payload": [party]})).unwrap()
}

fn deleted(id: &str) -> Vec<u8> {
    serde_json::to_vec(&serde_json::json!({
        "event": "party/deleted",
        "payload": [{"id": id.parse::<u64>().unwrap(), "type": "person"}]
    }))
    .unwrap()
}

#[tokio::test]
async fn deliveries_are_confirmed_by_reading_the_records_back() {
    let (_h, client) = sim().await;
    let people: Vec<Contact> = client.list_all(ListParams::new()).await.unwrap();
    let (person, victim) = (&people[0], &people[1]);
    let source = CapsuleHookEvents::new(client.clone(), DeliveryParser::new());
    let none = HeaderMap::new();

    // An update is emitted with the record as Capsule holds it now.
    let events = source
        .receive(&none, &delivery("party/updated", person))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(events.len(), 1);
    let e = &events[0];
    assert_eq!(
        (e.kind.clone(), e.action, e.source, e.id.as_str()),
        (
            ResourceKind::Contact,
            EventAction::Updated,
            EventSource::Webhook,
            person.id.as_str()
        )
    );
    assert_eq!(
        e.record.as_ref().map(|r| r.id()),
        Some(person.id.to_string())
    );

    // A forged deletion of a record that exists is dropped.
    let forged = source
        .receive(&none, &deleted(victim.id.as_str()))
        .await
        .unwrap()
        .unwrap();
    assert!(
        forged.is_empty(),
        "a forged deletion was emitted: {forged:?}"
    );

    // A real deletion is emitted once the record answers 404.
    client.contacts().delete(&victim.id).await.unwrap();
    let real = source
        .receive(&none, &deleted(victim.id.as_str()))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(real.len(), 1);
    assert_eq!(
        (real[0].action, real[0].id.as_str()),
        (EventAction::Deleted, victim.id.as_str())
    );

    // An update of a record that is gone is dropped too.
    let stale = source
        .receive(&none, &delivery("party/updated", victim))
        .await
        .unwrap()
        .unwrap();
    assert!(stale.is_empty());
}

#[tokio::test]
async fn the_receiver_refuses_oversized_and_malformed_deliveries_and_emits_nothing() {
    let (_h, client) = sim().await;
    let people: Vec<Contact> = client.list_all(ListParams::new()).await.unwrap();
    let body = delivery("party/updated", &people[0]);
    let source = Arc::new(CapsuleHookEvents::new(
        client.clone(),
        DeliveryParser::new().max_bytes(body.len()),
    ));
    assert!(matches!(
        source.receive(&HeaderMap::new(), &[b'x'; 10]).await,
        Err(WebhookError::Malformed(_))
    ));
    let (tx, mut rx) = tokio::sync::mpsc::channel(16);
    let app = webhook_router("/hooks/capsule/s3cret", source, tx);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await });
    let http = reqwest::Client::new();
    let url = format!("http://{addr}/hooks/capsule/s3cret");
    let post = |b: Vec<u8>| http.post(&url).body(b).send();

    let mut oversized = body.clone();
    oversized.extend_from_slice(b"   ");
    assert_eq!(post(oversized).await.unwrap().status(), 413);
    assert_eq!(
        post(b"{\"event\": 7}".to_vec()).await.unwrap().status(),
        400
    );
    assert_eq!(
        post(b"\xff\xfe not json".to_vec()).await.unwrap().status(),
        400
    );
    assert!(
        rx.try_recv().is_err(),
        "a refused delivery emitted an event"
    );

    assert_eq!(post(body).await.unwrap().status(), 204);
    let e = rx.recv().await.unwrap();
    assert_eq!(
        (e.action, e.id.as_str()),
        (EventAction::Updated, people[0].id.as_str())
    );
    assert!(rx.try_recv().is_err(), "one delivery, one event");
}
