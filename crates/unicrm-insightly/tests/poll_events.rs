//! Insightly has no webhooks: its events come from polling the change feeds
//! (`unicrm_core::event::poll_events`), against the simulator. Each batch carries the
//! checkpoint to store; a poll resumed from a stored checkpoint reports only what changed.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use futures::StreamExt;
use unicrm_core::event::{EventAction, EventSource, poll_events_with};
use unicrm_core::time::Sleeper;
use unicrm_core::{Contact, ContactPatch, Crm, CrmExt, ListParams, Patch, ResourceKind};
use unicrm_insightly::InsightlyClient;
use unicrm_sim::{InsightlySim, InsightlySimOptions, SeedOptions};

/// Does not wait between rounds (the test drives the rounds).
#[derive(Debug)]
struct NoWait;

impl Sleeper for NoWait {
    fn sleep(&self, _: Duration) -> futures::future::BoxFuture<'static, ()> {
        Box::pin(async {})
    }
}

#[tokio::test]
async fn polled_events_resume_from_their_checkpoints() {
    let h = InsightlySim::start(InsightlySimOptions {
        seed: SeedOptions {
            seed: 7,
            records: 5,
        },
        requests_per_second: 0,
        ..InsightlySimOptions::default()
    })
    .await
    .unwrap();
    let client = InsightlyClient::builder()
        .base_url(h.base_url.as_str())
        .api_key(h.api_key.clone())
        .build()
        .unwrap();
    let crm: Arc<dyn Crm> = Arc::new(client.clone());
    let everyone: Vec<Contact> = crm.list_all(ListParams::new()).await.unwrap();
    let kinds = vec![ResourceKind::Contact, ResourceKind::Task];
    let mut events = poll_events_with(
        crm.clone(),
        kinds.clone(),
        BTreeMap::new(),
        Duration::from_secs(60),
        Arc::new(NoWait),
    );
    // Round 1: from the beginning, every contact, then the tasks.
    let first = events.next().await.unwrap().unwrap();
    assert_eq!(first.kind, ResourceKind::Contact);
    let mut ids: Vec<_> = first.events.iter().map(|e| e.id.clone()).collect();
    ids.sort();
    let mut want: Vec<_> = everyone.iter().map(|c| c.id.to_string()).collect();
    want.sort();
    assert_eq!(ids, want);
    assert!(
        first
            .events
            .iter()
            .all(|e| e.source == EventSource::Poll && e.record.is_some())
    );
    let tasks = events.next().await.unwrap().unwrap();
    assert_eq!(tasks.kind, ResourceKind::Task);
    drop(events);

    // Someone edits one contact; a poll resumed from the stored checkpoints reports it.
    let edited = &everyone[0];
    let patch = ContactPatch {
        job_title: Patch::Set("Polled".into()),
        ..Default::default()
    };
    client.contacts().update(&edited.id, &patch).await.unwrap();
    let stored = BTreeMap::from([
        ("contact".to_string(), first.checkpoint.clone()),
        ("task".to_string(), tasks.checkpoint.clone()),
    ]);
    let mut resumed = poll_events_with(
        crm,
        kinds,
        stored,
        Duration::from_secs(60),
        Arc::new(NoWait),
    );
    let again = resumed.next().await.unwrap().unwrap();
    let update = again
        .events
        .iter()
        .find(|e| e.id == edited.id.to_string())
        .expect("the edit is reported");
    assert_eq!(update.action, EventAction::Updated);
    match &update.record {
        Some(unicrm_core::event::AnyRecord::Contact(c)) => {
            assert_eq!(c.job_title.as_deref(), Some("Polled"))
        }
        other => panic!("not the contact: {other:?}"),
    }
    assert!(
        again.events.len() < everyone.len(),
        "a resumed poll re-reported every contact: {}",
        again.events.len()
    );
}
