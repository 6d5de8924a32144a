//! Webhook deliveries (docs/vendors/highlevel-v2.md, "Webhooks"): signature verification,
//! replay protection, and the unified events.
//!
//! Verification rules ("Webhook signatures"):
//! - both signatures are base64 over the **raw body bytes**;
//! - when `x-ghl-signature` (Ed25519) is there it alone decides: a failed check is a
//!   rejection, never a reason to try the legacy header; the literal `N/A` means "no header";
//! - only without it is `x-wh-signature` (RSA PKCS#1 v1.5, SHA-256, the legacy scheme whose
//!   retirement date is unsure, "Uncertain" 12) checked, and only when an RSA key is
//!   configured;
//! - a `timestamp` older than the allowed age (5 minutes by default) and a `webhookId` already
//!   seen are refused.
//!
//! Keys come from configuration (HighLevel rotates them): [`WebhookKeys::from_spki_base64`]
//! takes the SPKI base64 HighLevel publishes; [`HIGHLEVEL_ED25519_SPKI`] is the current one.

use std::collections::{HashSet, VecDeque};
use std::sync::Mutex;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use chrono::{DateTime, Utc};
use ring::signature::{ED25519, RSA_PKCS1_2048_8192_SHA256, UnparsedPublicKey};
use serde_json::Value;
use unicrm_core::{Change, Contact, ContactId};

/// HighLevel's Ed25519 webhook key, SPKI base64 (docs/vendors/highlevel-v2.md, "Webhook
/// signatures").
pub const HIGHLEVEL_ED25519_SPKI: &str =
    "MCowBQYDK2VwAyEAi2HR1srL4o18O8BRa7gVJY7G7bupbN3H9AwJrHCDiOg=";

/// The DER prefix of an Ed25519 SubjectPublicKeyInfo (RFC 8410): 12 bytes, then the key.
const ED25519_SPKI_PREFIX: [u8; 12] = [
    0x30, 0x2a, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x03, 0x21, 0x00,
];

/// Why a delivery was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum DeliveryError {
    /// Neither signature header (or only one whose key is not configured).
    Unsigned,
    /// A signature that does not verify.
    BadSignature,
    /// A key that is not a valid SPKI of its kind.
    BadKey(String),
    /// Not a JSON object, or without `type`.
    Malformed(String),
    /// `timestamp` older than the allowed age (or missing).
    Stale,
    /// `webhookId` already seen.
    Replayed(String),
}

impl std::fmt::Display for DeliveryError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            DeliveryError::Unsigned => f.write_str("highlevel webhook: no signature to verify"),
            DeliveryError::BadSignature => f.write_str("highlevel webhook: bad signature"),
            DeliveryError::BadKey(m) => write!(f, "highlevel webhook: bad key: {m}"),
            DeliveryError::Malformed(m) => write!(f, "highlevel webhook: malformed body: {m}"),
            DeliveryError::Stale => f.write_str("highlevel webhook: timestamp too old"),
            DeliveryError::Replayed(id) => write!(f, "highlevel webhook: {id} already seen"),
        }
    }
}

impl std::error::Error for DeliveryError {}

/// The public keys deliveries are checked with.
#[derive(Debug, Clone, Default)]
pub struct WebhookKeys {
    ed25519: Option<Vec<u8>>,
    /// PKCS#1 `RSAPublicKey` DER (unwrapped from the SPKI).
    rsa: Option<Vec<u8>>,
}

/// The BIT STRING content of a DER SubjectPublicKeyInfo: the key itself.
fn spki_key(der: &[u8]) -> Option<&[u8]> {
    // SEQUENCE { AlgorithmIdentifier SEQUENCE, BIT STRING }.
    fn header(d: &[u8]) -> Option<(u8, usize, usize)> {
        let tag = *d.first()?;
        let first = *d.get(1)? as usize;
        if first < 0x80 {
            return Some((tag, 2, first));
        }
        let n = first & 0x7f;
        if n == 0 || n > 4 {
            return None;
        }
        let mut len = 0usize;
        for i in 0..n {
            len = (len << 8) | *d.get(2 + i)? as usize;
        }
        Some((tag, 2 + n, len))
    }
    let (tag, h, len) = header(der)?;
    if tag != 0x30 || der.len() < h + len {
        return None;
    }
    let inner = &der[h..h + len];
    let (tag, ah, alen) = header(inner)?;
    if tag != 0x30 {
        return None;
    }
    let rest = inner.get(ah + alen..)?;
    let (tag, bh, blen) = header(rest)?;
    if tag != 0x03 || blen == 0 || rest.len() < bh + blen || rest[bh] != 0 {
        return None;
    }
    Some(&rest[bh + 1..bh + blen])
}

impl WebhookKeys {
    /// HighLevel's current Ed25519 key, no legacy key.
    pub fn highlevel() -> Self {
        Self::from_spki_base64(Some(HIGHLEVEL_ED25519_SPKI), None).unwrap_or_default()
    }

    /// Keys from their SPKI base64 (PEM bodies without the armour and line breaks).
    pub fn from_spki_base64(
        ed25519: Option<&str>,
        rsa: Option<&str>,
    ) -> Result<Self, DeliveryError> {
        let decode = |s: &str| {
            let compact: String = s.chars().filter(|c| !c.is_whitespace()).collect();
            STANDARD
                .decode(compact)
                .map_err(|e| DeliveryError::BadKey(e.to_string()))
        };
        let ed25519 = match ed25519 {
            None => None,
            Some(s) => {
                let der = decode(s)?;
                match der.strip_prefix(&ED25519_SPKI_PREFIX[..]) {
                    Some(key) if key.len() == 32 => Some(key.to_vec()),
                    _ => return Err(DeliveryError::BadKey("not an Ed25519 SPKI".into())),
                }
            }
        };
        let rsa = match rsa {
            None => None,
            Some(s) => {
                let der = decode(s)?;
                Some(
                    spki_key(&der)
                        .ok_or_else(|| DeliveryError::BadKey("not an RSA SPKI".into()))?
                        .to_vec(),
                )
            }
        };
        Ok(WebhookKeys { ed25519, rsa })
    }
}

/// A delivery turned into unified terms.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum HookEvent {
    /// `ContactCreate`, `ContactUpdate`, `ContactTagUpdate`, `ContactDndUpdate`: the contact
    /// as the delivery describes it (flat fields).
    Contact(Box<Change<Contact, ContactId>>),
    /// Any other event type, by name (notes, tasks, opportunities, appointments, …).
    Other(String),
}

/// A verified delivery.
#[derive(Debug, Clone, PartialEq)]
pub struct Delivery {
    /// `type`.
    pub event_type: String,
    /// `locationId`.
    pub location_id: Option<String>,
    /// `webhookId` (the de-duplication key).
    pub webhook_id: Option<String>,
    /// `timestamp`.
    pub timestamp: Option<DateTime<Utc>>,
    /// The unified event.
    pub event: HookEvent,
    /// The body as sent.
    pub body: Value,
}

/// Verifies and parses deliveries; remembers the last `webhookId`s to refuse replays.
#[derive(Debug)]
pub struct WebhookVerifier {
    keys: WebhookKeys,
    max_age: chrono::Duration,
    seen: Mutex<(HashSet<String>, VecDeque<String>)>,
}

/// How many `webhookId`s are remembered.
const REMEMBERED: usize = 10_000;

impl WebhookVerifier {
    /// A verifier with `keys`, refusing deliveries older than 5 minutes.
    pub fn new(keys: WebhookKeys) -> Self {
        WebhookVerifier {
            keys,
            max_age: chrono::Duration::minutes(5),
            seen: Mutex::new((HashSet::new(), VecDeque::new())),
        }
    }

    /// Another allowed age.
    pub fn max_age(mut self, age: chrono::Duration) -> Self {
        self.max_age = age;
        self
    }

    /// Checks the signature of `body` given the two header values (`x-ghl-signature`,
    /// `x-wh-signature`), then parses it; `now` judges the timestamp.
    pub fn verify(
        &self,
        ghl_signature: Option<&str>,
        wh_signature: Option<&str>,
        body: &[u8],
        now: DateTime<Utc>,
    ) -> Result<Delivery, DeliveryError> {
        self.check_signature(ghl_signature, wh_signature, body)?;
        let delivery = parse_delivery(body)?;
        match delivery.timestamp {
            Some(t) if now - t <= self.max_age && t - now <= self.max_age => {}
            _ => return Err(DeliveryError::Stale),
        }
        if let Some(id) = &delivery.webhook_id {
            let mut seen = self.seen.lock().unwrap_or_else(|e| e.into_inner());
            if !seen.0.insert(id.clone()) {
                return Err(DeliveryError::Replayed(id.clone()));
            }
            seen.1.push_back(id.clone());
            if seen.1.len() > REMEMBERED {
                if let Some(old) = seen.1.pop_front() {
                    seen.0.remove(&old);
                }
            }
        }
        Ok(delivery)
    }

    fn check_signature(
        &self,
        ghl: Option<&str>,
        wh: Option<&str>,
        body: &[u8],
    ) -> Result<(), DeliveryError> {
        fn present(s: Option<&str>) -> Option<&str> {
            s.map(str::trim).filter(|s| !s.is_empty() && *s != "N/A")
        }
        let decode = |s: &str| STANDARD.decode(s).map_err(|_| DeliveryError::BadSignature);
        if let Some(sig) = present(ghl) {
            let key = self.keys.ed25519.as_ref().ok_or(DeliveryError::Unsigned)?;
            return UnparsedPublicKey::new(&ED25519, key)
                .verify(body, &decode(sig)?)
                .map_err(|_| DeliveryError::BadSignature);
        }
        if let (Some(sig), Some(key)) = (present(wh), self.keys.rsa.as_ref()) {
            return UnparsedPublicKey::new(&RSA_PKCS1_2048_8192_SHA256, key)
                .verify(body, &decode(sig)?)
                .map_err(|_| DeliveryError::BadSignature);
        }
        Err(DeliveryError::Unsigned)
    }
}

/// Parses a delivery body without checking its signature (for bodies verified elsewhere).
pub fn parse_delivery(body: &[u8]) -> Result<Delivery, DeliveryError> {
    let value: Value =
        serde_json::from_slice(body).map_err(|e| DeliveryError::Malformed(e.to_string()))?;
    let map = value
        .as_object()
        .ok_or_else(|| DeliveryError::Malformed("not an object".into()))?;
    let text = |k: &str| map.get(k).and_then(Value::as_str).map(str::to_string);
    let event_type = text("type").ok_or_else(|| DeliveryError::Malformed("no type".into()))?;
    let timestamp = text("timestamp")
        .and_then(|t| DateTime::parse_from_rfc3339(&t).ok())
        .map(|t| t.with_timezone(&Utc));
    let event = match event_type.as_str() {
        "ContactCreate" | "ContactUpdate" | "ContactTagUpdate" | "ContactDndUpdate" => {
            let record = crate::mapping::contact::from_wire(value.clone())
                .map_err(|e| DeliveryError::Malformed(e.to_string()))?;
            HookEvent::Contact(Box::new(Change::Upserted { record }))
        }
        "ContactDelete" => {
            let id = text("id").ok_or_else(|| DeliveryError::Malformed("no id".into()))?;
            HookEvent::Contact(Box::new(Change::Deleted {
                id: id.into(),
                deleted_at: timestamp,
            }))
        }
        other => HookEvent::Other(other.to_string()),
    };
    Ok(Delivery {
        location_id: text("locationId"),
        webhook_id: text("webhookId"),
        timestamp,
        event,
        event_type,
        body: value,
    })
}
