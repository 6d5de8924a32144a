//! The default size cap of HighLevel deliveries: 256 KiB (HighLevel's bodies are a few
//! kilobytes). A signed delivery of a few kilobytes is parsed; one past the cap is refused as
//! too large before its signature is looked at.

use std::sync::Arc;

use http::{HeaderMap, HeaderValue};
use serde_json::json;
use unicrm_core::time::Clock;
use unicrm_core::webhook::{WebhookError, WebhookSource};
use unicrm_highlevel::{HighLevelHookEvents, WebhookKeys};
use unicrm_sim::{HighLevelSim, HighLevelSimOptions, SeedOptions, SimClock};

#[derive(Debug)]
struct VendorTime(SimClock);

impl Clock for VendorTime {
    fn now(&self) -> chrono::DateTime<chrono::Utc> {
        self.0.now()
    }
}

#[tokio::test]
async fn the_default_cap_takes_kilobytes_and_refuses_past_256_kib() {
    let sim = HighLevelSim::start(HighLevelSimOptions {
        seed: SeedOptions {
            seed: 5,
            records: 0,
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
    assert_eq!(WebhookSource::max_bytes(&source), 256 * 1024);
    let signed = |padding: usize| {
        let event = json!({"type": "ContactCreate", "id": "capContact00000000001",
            "firstName": "Cap", "companyName": "x".repeat(padding)});
        let (body, sig) = sim.signed_delivery(event.as_object().unwrap().clone());
        let mut headers = HeaderMap::new();
        headers.insert("x-ghl-signature", HeaderValue::from_str(&sig).unwrap());
        (headers, body)
    };
    // A few kilobytes: well under the cap, parsed.
    let (headers, body) = signed(4000);
    assert!(body.len() > 4000);
    let events = source
        .parse(&headers, &body)
        .expect("a 4 KB delivery is parsed");
    assert_eq!(events.len(), 1);
    // Past 256 KiB: refused as too large.
    let (headers, body) = signed(256 * 1024);
    match source.parse(&headers, &body) {
        Err(WebhookError::TooLarge { size, limit }) => {
            assert_eq!(limit, 256 * 1024);
            assert_eq!(size, body.len());
        }
        other => panic!("expected TooLarge, got {other:?}"),
    }
    sim.shutdown().await;
}
