//! The webhook emitter ("Simulator must reproduce", item 38; docs/vendors/highlevel-v2.md,
//! "Webhook bodies", "Webhook signatures", "Webhook retries").
//!
//! Once a target URL is set ([`HighLevelSimHandle::set_webhook_target`]), writes through the
//! API emit their events (`ContactCreate`, `ContactUpdate`, `ContactDelete`,
//! `ContactTagUpdate`, `Note*`, `TaskCreate`/`TaskComplete`/`TaskDelete`, `Appointment*`).
//! Each delivery is the §13 body (flat records; appointments nested under `appointment`)
//! with `locationId`, a fresh `webhookId` and the current `timestamp`, POSTed as exact bytes
//! with the headers [`WebhookSignatures`] chooses: by default `x-ghl-signature` alone
//! (Ed25519 over those bytes, the simulator's key). The legacy `x-wh-signature` (RSA PKCS#1
//! v1.5 over SHA-256, base64) is optional in item 38 and its retirement was announced for
//! 2026-07-01 or 2026-09-01 ("Uncertain" 12), so it is sent only when asked for, signed with
//! a fixed RSA-2048 key checked in beside this file ([`LEGACY_WEBHOOK_RSA_SPKI`] is its
//! public half; HighLevel's own legacy key is RSA-4096, and verifiers take 2048 to 8192
//! bits). Deliveries go out one at a time, in order. A `429` answer is retried after the
//! configured interval, at most 6 times; any other answer, or no answer, is final.

use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

use serde_json::{Map, Value};
use tokio::sync::mpsc;

use super::HighLevelSimHandle;
use super::handlers::Sim;
use super::store::iso;

/// The public half of the simulator's legacy webhook key (RSA-2048), SPKI base64: what a
/// receiver configures to check `x-wh-signature`. Not part of the sandbox line.
pub const LEGACY_WEBHOOK_RSA_SPKI: &str = include_str!("keys/legacy-webhook-rsa-2048.spki.b64");

/// The private half, PKCS#8 DER (a test key made once with `openssl genrsa 2048`; never
/// generated at run time).
const LEGACY_WEBHOOK_RSA_PKCS8: &[u8] = include_bytes!("keys/legacy-webhook-rsa-2048.pk8.der");

/// Which signature headers the emitter puts on a delivery (item 38).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum WebhookSignatures {
    /// `x-ghl-signature` (Ed25519) only: the current scheme (default).
    #[default]
    Current,
    /// `x-ghl-signature` and the legacy `x-wh-signature` (RSA), as HighLevel sent both
    /// until the legacy header's retirement.
    Both,
    /// The legacy `x-wh-signature` alone (a delivery from before the Ed25519 header; tests
    /// of a receiver's fallback).
    LegacyOnly,
}

impl WebhookSignatures {
    fn ed25519(self) -> bool {
        matches!(self, WebhookSignatures::Current | WebhookSignatures::Both)
    }

    fn legacy(self) -> bool {
        matches!(
            self,
            WebhookSignatures::Both | WebhookSignatures::LegacyOnly
        )
    }
}

/// The legacy signer, parsed from the checked-in key on first use.
fn legacy_signer() -> Option<&'static ring::signature::RsaKeyPair> {
    static SIGNER: OnceLock<Option<ring::signature::RsaKeyPair>> = OnceLock::new();
    SIGNER
        .get_or_init(|| ring::signature::RsaKeyPair::from_pkcs8(LEGACY_WEBHOOK_RSA_PKCS8).ok())
        .as_ref()
}

/// The `x-wh-signature` of `body`: base64 RSA PKCS#1 v1.5 SHA-256 over the exact bytes.
pub(crate) fn legacy_signature(body: &[u8]) -> Option<String> {
    let pair = legacy_signer()?;
    let mut sig = vec![0; pair.public().modulus_len()];
    pair.sign(
        &ring::signature::RSA_PKCS1_SHA256,
        &ring::rand::SystemRandom::new(),
        body,
        &mut sig,
    )
    .ok()?;
    Some(base64::Engine::encode(
        &base64::engine::general_purpose::STANDARD,
        sig,
    ))
}

/// Retries after a 429 (docs/vendors/highlevel-v2.md, "Webhook retries").
pub const MAX_RETRIES: u32 = 6;

/// What happened to one delivery.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeliveryRecord {
    /// `type`.
    pub event_type: String,
    /// `webhookId`.
    pub webhook_id: String,
    /// Attempts made (1 + retries).
    pub attempts: u32,
    /// The last answer's status (`None`: no answer).
    pub status: Option<u16>,
}

/// The emitter: the queue of deliveries and what became of them.
#[derive(Debug, Default)]
pub(crate) struct Hooks {
    queue: Mutex<Option<mpsc::UnboundedSender<Map<String, Value>>>>,
    log: Arc<Mutex<Vec<DeliveryRecord>>>,
}

/// Queues the event `event_type` with `fields` (a no-op without a target).
pub(crate) fn emit(sim: &Sim, event_type: &str, fields: Map<String, Value>) {
    let queue = sim.hooks.queue.lock().unwrap_or_else(|e| e.into_inner());
    if let Some(q) = queue.as_ref() {
        let mut body = fields;
        // The event's `type` (a contact's own `type`, lead or customer, is not sent).
        body.insert("type".into(), Value::String(event_type.into()));
        let _ = q.send(body);
    }
}

/// Queues an appointment event (the record nested under `appointment`).
pub(crate) fn emit_appointment(sim: &Sim, event_type: &str, appointment: &Map<String, Value>) {
    let mut fields = Map::new();
    fields.insert("appointment".into(), Value::Object(appointment.clone()));
    emit(sim, event_type, fields);
}

/// A contact as a webhook carries it: flat, without the derived and search-only keys.
pub(crate) fn contact_fields(record: &Map<String, Value>) -> Map<String, Value> {
    record
        .iter()
        .filter(|(k, v)| {
            !v.is_null()
                && !k.ends_with("LowerCase")
                && !matches!(
                    k.as_str(),
                    "type" | "dateUpdated" | "locationId" | "searchAfter"
                )
        })
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect()
}

impl HighLevelSimHandle {
    /// Sends the simulator's webhook deliveries to `url` from now on (`None` stops them),
    /// retrying a 429 after `retry_interval` (HighLevel waits about 10 minutes).
    pub fn set_webhook_target(&self, url: Option<url::Url>, retry_interval: Duration) {
        let mut queue = self
            .sim
            .hooks
            .queue
            .lock()
            .unwrap_or_else(|e| e.into_inner());
        *queue = None;
        let Some(url) = url else {
            return;
        };
        let (tx, mut rx) = mpsc::unbounded_channel::<Map<String, Value>>();
        *queue = Some(tx);
        let sim = self.sim.clone();
        let signer = self.signer.clone();
        let signatures = self.signatures;
        let log = self.sim.hooks.log.clone();
        tokio::spawn(async move {
            let http = reqwest::Client::new();
            while let Some(mut body) = rx.recv().await {
                body.insert("locationId".into(), Value::String(sim.location_id.clone()));
                body.insert("timestamp".into(), Value::String(iso(sim.clock.now())));
                let webhook_id = sim.trace_id();
                body.insert("webhookId".into(), Value::String(webhook_id.clone()));
                let event_type = body
                    .get("type")
                    .and_then(Value::as_str)
                    .unwrap_or_default()
                    .to_string();
                let bytes = serde_json::to_vec(&Value::Object(body)).unwrap_or_default();
                let signature = signatures.ed25519().then(|| {
                    base64::Engine::encode(
                        &base64::engine::general_purpose::STANDARD,
                        signer.sign(&bytes).as_ref(),
                    )
                });
                let legacy = signatures
                    .legacy()
                    .then(|| legacy_signature(&bytes))
                    .flatten();
                let mut attempts = 0;
                let status = loop {
                    attempts += 1;
                    let mut request = http
                        .post(url.clone())
                        .header("content-type", "application/json");
                    if let Some(s) = &signature {
                        request = request.header("x-ghl-signature", s);
                    }
                    if let Some(s) = &legacy {
                        request = request.header("x-wh-signature", s);
                    }
                    let answer = request
                        .body(bytes.clone())
                        .timeout(Duration::from_secs(10))
                        .send()
                        .await
                        .ok()
                        .map(|r| r.status().as_u16());
                    if answer == Some(429) && attempts <= MAX_RETRIES {
                        tokio::time::sleep(retry_interval).await;
                        continue;
                    }
                    break answer;
                };
                log.lock()
                    .unwrap_or_else(|e| e.into_inner())
                    .push(DeliveryRecord {
                        event_type,
                        webhook_id,
                        attempts,
                        status,
                    });
            }
        });
    }

    /// The deliveries finished so far, in order.
    pub fn webhook_deliveries(&self) -> Vec<DeliveryRecord> {
        self.sim
            .hooks
            .log
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    /// Queues a delivery of `event_type` with `fields` as a write would (tests of events the
    /// API does not make, such as `ContactDndUpdate`).
    pub fn emit_webhook(&self, event_type: &str, fields: Map<String, Value>) {
        emit(&self.sim, event_type, fields);
    }
}
