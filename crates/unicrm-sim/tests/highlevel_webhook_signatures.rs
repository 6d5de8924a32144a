//! Item 38 of docs/vendors/highlevel-v2.md, "Simulator must reproduce": the signature headers
//! of the emitter's deliveries under each `WebhookSignatures` setting. The legacy
//! `x-wh-signature` (RSA PKCS#1 v1.5 SHA-256, base64 over the exact bytes) verifies with
//! `LEGACY_WEBHOOK_RSA_SPKI`; it is sent only when asked for.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use ring::signature::{RSA_PKCS1_2048_8192_SHA256, UnparsedPublicKey};
use serde_json::{Value, json};
use unicrm_sim::highlevel::{LEGACY_WEBHOOK_RSA_SPKI, WebhookSignatures};
use unicrm_sim::{HighLevelSim, HighLevelSimHandle, HighLevelSimOptions, SeedOptions, SimClock};

/// One received delivery: `x-ghl-signature`, `x-wh-signature`, the body.
type Received = (Option<String>, Option<String>, Vec<u8>);

async fn sim(signatures: WebhookSignatures) -> HighLevelSimHandle {
    let _ = rustls::crypto::ring::default_provider().install_default();
    HighLevelSim::start(HighLevelSimOptions {
        seed: SeedOptions {
            seed: 42,
            records: 2,
        },
        clock: SimClock::manual_default(),
        webhook_signatures: signatures,
        ..HighLevelSimOptions::default()
    })
    .await
    .expect("start")
}

/// Points the simulator's emitter at a receiver answering 204; what it receives.
async fn receive(sim: &HighLevelSimHandle) -> Arc<Mutex<Vec<Received>>> {
    let seen: Arc<Mutex<Vec<Received>>> = Arc::default();
    let log = seen.clone();
    let app = axum::Router::new().route(
        "/hook",
        axum::routing::post(
            move |headers: axum::http::HeaderMap, body: axum::body::Bytes| {
                let log = log.clone();
                async move {
                    let h = |n: &str| {
                        headers
                            .get(n)
                            .and_then(|v| v.to_str().ok())
                            .map(str::to_string)
                    };
                    log.lock().unwrap().push((
                        h("x-ghl-signature"),
                        h("x-wh-signature"),
                        body.to_vec(),
                    ));
                    axum::http::StatusCode::NO_CONTENT
                }
            },
        ),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    sim.set_webhook_target(
        Some(url::Url::parse(&format!("http://{addr}/hook")).unwrap()),
        Duration::ZERO,
    );
    seen
}

/// Creates a contact through the API and waits for its delivery.
async fn one_delivery(sim: &HighLevelSimHandle, seen: &Arc<Mutex<Vec<Received>>>) -> Received {
    let made = reqwest::Client::new()
        .post(format!("{}contacts/", sim.base_url))
        .header("Version", "2021-07-28")
        .bearer_auth(&sim.token)
        .json(&json!({"locationId": sim.location_id, "firstName": "Ada"}))
        .send()
        .await
        .expect("sent");
    assert!(made.status().is_success(), "{}", made.status());
    for _ in 0..2_000 {
        if let Some(r) = seen.lock().unwrap().first() {
            return r.clone();
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    panic!("no delivery received");
}

/// The RSA public key inside the simulator's legacy SPKI (2048-bit: a 24-byte DER header).
fn legacy_key() -> UnparsedPublicKey<Vec<u8>> {
    let der = STANDARD.decode(LEGACY_WEBHOOK_RSA_SPKI).expect("base64");
    assert_eq!(der.len(), 294, "an RSA-2048 SPKI");
    UnparsedPublicKey::new(&RSA_PKCS1_2048_8192_SHA256, der[24..].to_vec())
}

fn legacy_verifies(sig: &str, body: &[u8]) -> bool {
    let sig = STANDARD.decode(sig).expect("base64 signature");
    legacy_key().verify(body, &sig).is_ok()
}

#[tokio::test]
async fn item_38_by_default_only_the_ed25519_header_is_sent() {
    let sim = sim(WebhookSignatures::default()).await;
    let seen = receive(&sim).await;
    let (ghl, wh, body) = one_delivery(&sim, &seen).await;
    assert_eq!(ghl, Some(sim.sign(&body)));
    assert_eq!(wh, None);
    let v: Value = serde_json::from_slice(&body).unwrap();
    assert_eq!(v["type"], json!("ContactCreate"));
}

#[tokio::test]
async fn item_38_both_headers_sign_the_same_exact_bytes() {
    let sim = sim(WebhookSignatures::Both).await;
    let seen = receive(&sim).await;
    let (ghl, wh, body) = one_delivery(&sim, &seen).await;
    assert_eq!(ghl, Some(sim.sign(&body)));
    let wh = wh.expect("x-wh-signature sent");
    assert!(legacy_verifies(&wh, &body));
    // PKCS#1 v1.5 is deterministic: the handle's signature is the header's.
    assert_eq!(sim.sign_legacy(&body).as_deref(), Some(wh.as_str()));
    // A signature is for its exact bytes.
    let mut tampered = body.clone();
    tampered[2] ^= 1;
    assert!(!legacy_verifies(&wh, &tampered));
}

#[tokio::test]
async fn item_38_a_legacy_only_delivery_carries_no_ed25519_header() {
    let sim = sim(WebhookSignatures::LegacyOnly).await;
    let seen = receive(&sim).await;
    let (ghl, wh, body) = one_delivery(&sim, &seen).await;
    assert_eq!(ghl, None);
    assert!(legacy_verifies(&wh.expect("x-wh-signature sent"), &body));
}
