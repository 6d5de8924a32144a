//! HighLevel webhooks end to end: the simulator's emitter (signed deliveries of the writes the
//! adapter makes) → core's `webhook_router` → `HighLevelHookEvents` → unified events; and the
//! deliveries that must be rejected with nothing emitted: forged, stale, replayed, oversized.

use std::sync::Arc;
use std::time::Duration;

use serde_json::{Map, Value, json};
use tokio::sync::mpsc;
use unicrm_core::event::{Event, EventAction};
use unicrm_core::time::Clock;
use unicrm_core::webhook::webhook_router;
use unicrm_core::{
    Crm, EngagementKind, NewContact, NewEngagement, NewNote, NewTask, Patch, ResourceKind,
    TaskPatch, TaskStatus,
};
use unicrm_highlevel::{HighLevelClient, HighLevelHookEvents, WebhookKeys};
use unicrm_sim::{HighLevelSim, HighLevelSimHandle, HighLevelSimOptions, SeedOptions, SimClock};

/// The simulator's clock as the adapter's (so timestamps are judged on the vendor's time).
#[derive(Debug)]
struct VendorTime(SimClock);

impl Clock for VendorTime {
    fn now(&self) -> chrono::DateTime<chrono::Utc> {
        self.0.now()
    }
}

struct Rig {
    sim: HighLevelSimHandle,
    client: HighLevelClient,
    events: mpsc::Receiver<Event>,
    hook_url: String,
    http: reqwest::Client,
}

async fn rig(max_bytes: usize) -> Rig {
    let sim = HighLevelSim::start(HighLevelSimOptions {
        seed: SeedOptions {
            seed: 5,
            records: 3,
        },
        clock: SimClock::manual_default(),
        burst_max: 0,
        ..HighLevelSimOptions::default()
    })
    .await
    .expect("sim");
    let keys = WebhookKeys::from_spki_base64(Some(&sim.webhook_public_key), None).expect("key");
    let source = HighLevelHookEvents::new(keys, sim.location_id.clone())
        .clock(Arc::new(VendorTime(sim.clock())))
        .max_bytes(max_bytes);
    let (tx, rx) = mpsc::channel(64);
    let app = webhook_router("/highlevel", Arc::new(source), tx);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    let hook_url = format!("http://{addr}/highlevel");
    sim.set_webhook_target(Some(hook_url.parse().unwrap()), Duration::ZERO);
    let client = HighLevelClient::builder()
        .base_url(sim.base_url.as_str())
        .location_id(sim.location_id.clone())
        .private_integration_token(sim.token.clone())
        .build()
        .expect("client");
    Rig {
        sim,
        client,
        events: rx,
        hook_url,
        http: reqwest::Client::new(),
    }
}

impl Rig {
    async fn next(&mut self) -> Event {
        tokio::time::timeout(Duration::from_secs(20), self.events.recv())
            .await
            .expect("an event arrives")
            .expect("channel open")
    }

    async fn post(&self, body: &[u8], signature: &str) -> u16 {
        self.http
            .post(&self.hook_url)
            .header("x-ghl-signature", signature)
            .body(body.to_vec())
            .send()
            .await
            .expect("posted")
            .status()
            .as_u16()
    }
}

fn kind_action(e: &Event) -> (ResourceKind, EventAction) {
    (e.kind.clone(), e.action)
}

#[tokio::test]
async fn the_simulators_deliveries_become_unified_events() {
    let mut r = rig(64 * 1024).await;
    let c = r
        .client
        .contacts()
        .create(&NewContact {
            first_name: Some("Ada".into()),
            ..Default::default()
        })
        .await
        .unwrap();
    let e = r.next().await;
    assert_eq!(
        kind_action(&e),
        (ResourceKind::Contact, EventAction::Created)
    );
    assert_eq!(e.id, c.id.to_string());
    let got = e.record.as_ref().and_then(|r| match r {
        unicrm_core::event::AnyRecord::Contact(c) => c.first_name.clone(),
        _ => None,
    });
    assert_eq!(got.as_deref(), Some("Ada"));

    let note = r
        .client
        .notes()
        .create(&NewNote {
            content: "Called".into(),
            contact_id: Some(c.id.clone()),
            ..Default::default()
        })
        .await
        .unwrap();
    let e = r.next().await;
    assert_eq!(
        (kind_action(&e), e.id.clone()),
        (
            (ResourceKind::Note, EventAction::Created),
            note.id.to_string()
        )
    );

    let task = r
        .client
        .tasks()
        .create(&NewTask {
            title: "Call back".into(),
            due_date: chrono::NaiveDate::from_ymd_opt(2031, 1, 2),
            contact_id: Some(c.id.clone()),
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(
        kind_action(&r.next().await),
        (ResourceKind::Task, EventAction::Created)
    );
    r.client
        .tasks()
        .update(
            &task.id,
            &TaskPatch {
                status: Patch::Set(TaskStatus::Completed),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    let e = r.next().await;
    assert_eq!(kind_action(&e), (ResourceKind::Task, EventAction::Updated));
    assert!(matches!(
        e.record,
        Some(unicrm_core::event::AnyRecord::Task(ref t)) if t.status == Some(TaskStatus::Completed)
    ));

    let start = chrono::DateTime::from_timestamp(1_924_992_000, 0).unwrap();
    let appt = r
        .client
        .engagements()
        .create(&NewEngagement {
            kind: EngagementKind::Appointment,
            subject: Some("Intro".into()),
            start_at: Some(start),
            end_at: Some(start + chrono::Duration::minutes(30)),
            contact_id: Some(c.id.clone()),
            ..Default::default()
        })
        .await
        .unwrap();
    let e = r.next().await;
    assert_eq!(
        (kind_action(&e), e.id.clone()),
        (
            (ResourceKind::Engagement, EventAction::Created),
            appt.id.to_string()
        )
    );
    r.client.engagements().delete(&appt.id).await.unwrap();
    let e = r.next().await;
    assert_eq!(
        kind_action(&e),
        (ResourceKind::Engagement, EventAction::Deleted)
    );
    assert!(e.record.is_none());

    r.client.notes().delete(&note.id).await.unwrap();
    let e = r.next().await;
    assert_eq!(
        (kind_action(&e), e.id.clone()),
        (
            (ResourceKind::Note, EventAction::Deleted),
            note.id.to_string()
        )
    );
    r.client.contacts().delete(&c.id).await.unwrap();
    let e = r.next().await;
    assert_eq!(
        (kind_action(&e), e.id.clone()),
        (
            (ResourceKind::Contact, EventAction::Deleted),
            c.id.to_string()
        )
    );
    // Every delivery was accepted at once.
    let d = r.sim.webhook_deliveries();
    assert!(
        d.iter().all(|x| x.status == Some(204) && x.attempts == 1),
        "{d:?}"
    );
}

fn contact_update(id: &str) -> Map<String, Value> {
    json!({"type": "ContactUpdate", "id": id, "firstName": "Forged"})
        .as_object()
        .cloned()
        .unwrap()
}

#[tokio::test]
async fn forged_stale_replayed_and_oversized_deliveries_emit_nothing() {
    let mut r = rig(2048).await;
    r.sim.set_webhook_target(None, Duration::ZERO);
    let (body, sig) = r
        .sim
        .signed_delivery(contact_update("Ct1aB2cD3eF4gH5iJ6kL"));
    // Tampered bytes under the real signature; a signature of other bytes; none at all.
    let mut tampered = body.clone();
    if let Some(b) = tampered.iter_mut().find(|b| **b == b'F') {
        *b = b'G';
    }
    assert_eq!(r.post(&tampered, &sig).await, 401);
    assert_eq!(r.post(&body, &r.sim.sign(b"other")).await, 401);
    assert_eq!(r.post(&body, "N/A").await, 401);
    // Oversized, even when signed.
    let mut big = contact_update("Ct1aB2cD3eF4gH5iJ6kL");
    big.insert("companyName".into(), json!("x".repeat(4096)));
    let (big, big_sig) = r.sim.signed_delivery(big);
    assert_eq!(r.post(&big, &big_sig).await, 413);
    // Stale: the vendor's clock moves 6 minutes past the timestamp.
    let (old, old_sig) = r
        .sim
        .signed_delivery(contact_update("Ct1aB2cD3eF4gH5iJ6kL"));
    r.sim.clock().advance(Duration::from_secs(360));
    assert_eq!(r.post(&old, &old_sig).await, 401);
    assert!(r.events.try_recv().is_err(), "nothing emitted");
    // A good one is emitted once; its replay is refused.
    let (good, good_sig) = r
        .sim
        .signed_delivery(contact_update("Ct1aB2cD3eF4gH5iJ6kL"));
    assert_eq!(r.post(&good, &good_sig).await, 204);
    assert_eq!(r.post(&good, &good_sig).await, 401);
    let e = r.next().await;
    assert_eq!(
        kind_action(&e),
        (ResourceKind::Contact, EventAction::Updated)
    );
    assert!(r.events.try_recv().is_err(), "the replay emitted nothing");
}
