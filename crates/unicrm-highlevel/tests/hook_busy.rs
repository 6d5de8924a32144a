//! A busy receiver (core's `webhook_router` with its channel full) answers HighLevel `429`,
//! the only status after which HighLevel delivers again (docs/vendors/highlevel-v2.md,
//! "Webhook retries"), and the redelivery of the same signed bytes is then accepted (it was
//! refused before being parsed, so it is not taken for a replay).

use std::sync::Arc;

use serde_json::json;
use tokio::sync::mpsc;
use unicrm_core::event::{Event, EventAction, EventSource};
use unicrm_core::webhook::{WebhookSource, webhook_router};
use unicrm_core::{ResourceKind, time::Clock};
use unicrm_highlevel::{HighLevelHookEvents, WebhookKeys};
use unicrm_sim::{HighLevelSim, HighLevelSimOptions, SeedOptions, SimClock};

#[derive(Debug)]
struct VendorTime(SimClock);

impl Clock for VendorTime {
    fn now(&self) -> chrono::DateTime<chrono::Utc> {
        self.0.now()
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_full_channel_answers_429_and_the_redelivery_is_accepted() {
    unicrm_core::http::install_crypto_provider();
    let sim = HighLevelSim::start(HighLevelSimOptions {
        seed: SeedOptions {
            seed: 5,
            records: 1,
        },
        clock: SimClock::manual_default(),
        burst_max: 0,
        ..HighLevelSimOptions::default()
    })
    .await
    .expect("sim");
    let keys = WebhookKeys::from_spki_base64(Some(&sim.webhook_public_key), None).expect("key");
    let source = HighLevelHookEvents::new(keys, sim.location_id.clone())
        .clock(Arc::new(VendorTime(sim.clock())));
    assert_eq!(source.retry_status(), 429);
    let (tx, mut rx) = mpsc::channel(1);
    // The channel is full: one event waits, unread.
    tx.try_send(Event {
        vendor: "highlevel".into(),
        kind: ResourceKind::Contact,
        action: EventAction::Updated,
        id: "waiting".into(),
        record: None,
        occurred_at: None,
        source: EventSource::Webhook,
    })
    .unwrap();
    let app = webhook_router("/highlevel", Arc::new(source), tx);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    let url = format!("http://{addr}/highlevel");
    let event =
        json!({"type": "ContactCreate", "id": "busyContact0000000001", "firstName": "Busy"});
    let (body, sig) = sim.signed_delivery(event.as_object().unwrap().clone());
    let http = reqwest::Client::new();
    let post = || async {
        http.post(&url)
            .header("content-type", "application/json")
            .header("x-ghl-signature", &sig)
            .body(body.clone())
            .send()
            .await
            .unwrap()
            .status()
            .as_u16()
    };
    assert_eq!(
        post().await,
        429,
        "a busy receiver asks HighLevel to deliver again"
    );
    assert_eq!(rx.recv().await.map(|e| e.id).as_deref(), Some("waiting"));
    assert!(
        rx.try_recv().is_err(),
        "nothing of the refused delivery was passed on"
    );
    // HighLevel's retry: the same bytes and signature, now with room.
    assert_eq!(post().await, 204);
    let got = rx.recv().await.expect("the redelivered event");
    assert_eq!(got.id, "busyContact0000000001");
    assert_eq!(got.kind, ResourceKind::Contact);
    // A third copy is a replay and is refused.
    assert_ne!(post().await, 204);
    sim.shutdown().await;
}
