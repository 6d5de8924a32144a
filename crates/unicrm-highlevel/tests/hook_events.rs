//! HighLevel webhooks end to end: the simulator's emitter (signed deliveries of the writes the
//! adapter makes) → core's `webhook_router` → `HighLevelHookEvents` → unified events; and the
//! deliveries that must be rejected with nothing emitted: forged, stale, replayed, oversized.
//! The legacy `x-wh-signature` (docs/vendors/highlevel-v2.md, "Webhook signatures"): the
//! simulator signs with its fixed RSA key when asked, the adapter checks it only without an
//! `x-ghl-signature`, with the simulator's public RSA key configured.

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
use unicrm_sim::highlevel::{LEGACY_WEBHOOK_RSA_SPKI, WebhookSignatures};
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
    rig_with(max_bytes, WebhookSignatures::Current, false).await
}

/// A rig whose simulator sends `signatures`; the adapter also holds the simulator's legacy
/// RSA key when `rsa_key`.
async fn rig_with(max_bytes: usize, signatures: WebhookSignatures, rsa_key: bool) -> Rig {
    let sim = HighLevelSim::start(HighLevelSimOptions {
        seed: SeedOptions {
            seed: 5,
            records: 3,
        },
        clock: SimClock::manual_default(),
        burst_max: 0,
        webhook_signatures: signatures,
        ..HighLevelSimOptions::default()
    })
    .await
    .expect("sim");
    let keys = WebhookKeys::from_spki_base64(
        Some(&sim.webhook_public_key),
        rsa_key.then_some(LEGACY_WEBHOOK_RSA_SPKI),
    )
    .expect("key");
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
        self.post_signed(body, Some(signature), None).await
    }

    /// Posts `body` with the two signature headers given (`None`: header absent).
    async fn post_signed(&self, body: &[u8], ghl: Option<&str>, wh: Option<&str>) -> u16 {
        let mut request = self.http.post(&self.hook_url);
        if let Some(s) = ghl {
            request = request.header("x-ghl-signature", s);
        }
        if let Some(s) = wh {
            request = request.header("x-wh-signature", s);
        }
        request
            .body(body.to_vec())
            .send()
            .await
            .expect("posted")
            .status()
            .as_u16()
    }

    /// The deliveries the simulator finished, once there are `n`.
    async fn deliveries(&self, n: usize) -> Vec<unicrm_sim::highlevel::webhooks::DeliveryRecord> {
        for _ in 0..4_000 {
            let d = self.sim.webhook_deliveries();
            if d.len() >= n {
                return d;
            }
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        panic!(
            "{n} deliveries expected: {:?}",
            self.sim.webhook_deliveries()
        );
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

async fn create_contact(r: &Rig, name: &str) -> unicrm_core::Contact {
    r.client
        .contacts()
        .create(&NewContact {
            first_name: Some(name.into()),
            ..Default::default()
        })
        .await
        .unwrap()
}

#[tokio::test]
async fn a_legacy_only_delivery_from_the_simulator_is_verified_with_the_rsa_key() {
    let mut r = rig_with(64 * 1024, WebhookSignatures::LegacyOnly, true).await;
    let c = create_contact(&r, "Grace").await;
    let e = r.next().await;
    assert_eq!(
        (kind_action(&e), e.id.clone()),
        (
            (ResourceKind::Contact, EventAction::Created),
            c.id.to_string()
        )
    );
    let d = r.deliveries(1).await;
    assert_eq!((d[0].attempts, d[0].status), (1, Some(204)));
    // The legacy signature of other bytes, or over a tampered body, is refused.
    r.sim.set_webhook_target(None, Duration::ZERO);
    let (body, _) = r.sim.signed_delivery(contact_update(c.id.as_str()));
    let good = r.sim.sign_legacy(&body).expect("legacy signature");
    let mut tampered = body.clone();
    if let Some(b) = tampered.iter_mut().find(|b| **b == b'F') {
        *b = b'G';
    }
    assert_eq!(r.post_signed(&tampered, None, Some(&good)).await, 401);
    let other = r.sim.sign_legacy(b"other").expect("legacy signature");
    assert_eq!(r.post_signed(&body, None, Some(&other)).await, 401);
    assert_eq!(r.post_signed(&body, Some("N/A"), Some("N/A")).await, 401);
    assert!(r.events.try_recv().is_err(), "nothing emitted");
    assert_eq!(r.post_signed(&body, Some("N/A"), Some(&good)).await, 204);
    assert_eq!(
        kind_action(&r.next().await),
        (ResourceKind::Contact, EventAction::Updated)
    );
}

#[tokio::test]
async fn without_the_rsa_key_a_legacy_only_delivery_is_refused() {
    let mut r = rig_with(64 * 1024, WebhookSignatures::LegacyOnly, false).await;
    create_contact(&r, "Grace").await;
    let d = r.deliveries(1).await;
    assert_eq!((d[0].attempts, d[0].status), (1, Some(401)));
    assert!(r.events.try_recv().is_err(), "nothing emitted");
}

#[tokio::test]
async fn with_both_headers_the_ed25519_one_decides() {
    let mut r = rig_with(64 * 1024, WebhookSignatures::Both, true).await;
    // The emitter's own deliveries (both headers, both valid) are accepted.
    let c = create_contact(&r, "Hopper").await;
    assert_eq!(
        kind_action(&r.next().await),
        (ResourceKind::Contact, EventAction::Created)
    );
    assert_eq!(r.deliveries(1).await[0].status, Some(204));
    r.sim.set_webhook_target(None, Duration::ZERO);
    // A broken Ed25519 signature with a valid RSA one fails: no fallback.
    let (body, ed) = r.sim.signed_delivery(contact_update(c.id.as_str()));
    let rsa = r.sim.sign_legacy(&body).expect("legacy signature");
    let broken_ed = r.sim.sign(b"other");
    assert_eq!(
        r.post_signed(&body, Some(&broken_ed), Some(&rsa)).await,
        401
    );
    assert!(r.events.try_recv().is_err(), "nothing emitted");
    // A valid Ed25519 signature with a broken RSA one passes: RSA is not looked at.
    let broken_rsa = r.sim.sign_legacy(b"other").expect("legacy signature");
    assert_eq!(
        r.post_signed(&body, Some(&ed), Some(&broken_rsa)).await,
        204
    );
    let e = r.next().await;
    assert_eq!(
        (kind_action(&e), e.id.clone()),
        (
            (ResourceKind::Contact, EventAction::Updated),
            c.id.to_string()
        )
    );
}
