//! Webhook deliveries as unified [`Event`]s: HighLevel's [`WebhookSource`]
//! (docs/vendors/highlevel-v2.md, "Webhook events", "Webhook bodies", "Webhook signatures").
//!
//! Every delivery is verified before anything is read from it ([`WebhookVerifier`]: the
//! Ed25519 `x-ghl-signature`, else the legacy RSA `x-wh-signature`, with the configured keys;
//! a stale `timestamp` and a repeated `webhookId` refused), and is at most
//! [`HighLevelHookEvents::max_bytes`] long; a rejected delivery emits nothing. HighLevel signs
//! its deliveries, so their content is trusted as it is (no read-back).
//!
//! | `type` | event |
//! | --- | --- |
//! | `ContactCreate` | contact created |
//! | `ContactUpdate`, `ContactTagUpdate`, `ContactDndUpdate` | contact updated |
//! | `ContactDelete` | contact deleted |
//! | `NoteCreate` / `NoteUpdate` / `NoteDelete` | note created / updated / deleted (id `<contactId>:<id>`) |
//! | `TaskCreate` / `TaskComplete` / `TaskDelete` | task created / updated (status completed) / deleted |
//! | `AppointmentCreate` / `AppointmentUpdate` / `AppointmentDelete` | engagement created / updated / deleted |
//!
//! Other types (opportunities, users, installs, messaging) and deliveries for another
//! location give no event. Retries come only on a 429 ("Webhook retries"): a receiver that
//! cannot take a delivery should answer 429, not 5xx.

use std::sync::Arc;

use async_trait::async_trait;
use serde_json::Value;
use unicrm_core::event::{AnyRecord, Event, EventAction, EventSource};
use unicrm_core::http::HeaderMap;
use unicrm_core::time::{Clock, SystemClock};
use unicrm_core::webhook::{WebhookError, WebhookSource};
use unicrm_core::{ResourceKind, TaskStatus};

use crate::hooks::{DeliveryError, WebhookKeys, WebhookVerifier};
use crate::mapping;
use crate::resources::sub_id;

/// The largest delivery accepted by default (HighLevel's bodies are a few kilobytes).
pub const DEFAULT_MAX_BYTES: usize = 256 * 1024;

/// HighLevel's webhook deliveries for one location.
#[derive(Debug)]
pub struct HighLevelHookEvents {
    verifier: WebhookVerifier,
    location_id: String,
    clock: Arc<dyn Clock>,
    max_bytes: usize,
}

impl HighLevelHookEvents {
    /// Deliveries for `location_id`, verified with `keys`, judged by the system clock.
    pub fn new(keys: WebhookKeys, location_id: impl Into<String>) -> Self {
        HighLevelHookEvents {
            verifier: WebhookVerifier::new(keys),
            location_id: location_id.into(),
            clock: Arc::new(SystemClock),
            max_bytes: DEFAULT_MAX_BYTES,
        }
    }

    /// Judges timestamps by `clock` (tests pass a manual one).
    pub fn clock(mut self, clock: Arc<dyn Clock>) -> Self {
        self.clock = clock;
        self
    }

    /// Another size limit.
    pub fn max_bytes(mut self, limit: usize) -> Self {
        self.max_bytes = limit;
        self
    }

    /// Another allowed age of a delivery's `timestamp` (5 minutes by default).
    pub fn max_age(mut self, age: chrono::Duration) -> Self {
        self.verifier = self.verifier.max_age(age);
        self
    }
}

fn header<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers.get(name).and_then(|v| v.to_str().ok())
}

fn rejected(e: DeliveryError) -> WebhookError {
    match e {
        DeliveryError::Malformed(m) => WebhookError::Malformed(m),
        other => WebhookError::BadSignature(other.to_string()),
    }
}

fn event(kind: ResourceKind, action: EventAction, id: String, record: Option<AnyRecord>) -> Event {
    let occurred_at = record.as_ref().and_then(AnyRecord::updated_at);
    Event {
        vendor: crate::VENDOR.into(),
        kind,
        action,
        id,
        record,
        occurred_at,
        source: EventSource::Webhook,
    }
}

fn text(body: &Value, key: &str) -> Option<String> {
    body.get(key).and_then(Value::as_str).map(str::to_string)
}

/// The id of a note or task named by a delivery: `<contactId>:<id>`.
fn sub_record_id(body: &Value) -> Result<String, WebhookError> {
    match (text(body, "contactId"), text(body, "id")) {
        (Some(c), Some(id)) => Ok(sub_id::join(&c, &id)),
        _ => Err(WebhookError::Malformed(
            "a note or task event without contactId and id".into(),
        )),
    }
}

/// The events of one verified delivery body.
pub(crate) fn events_of(event_type: &str, body: &Value) -> Result<Vec<Event>, WebhookError> {
    let malformed = |e: unicrm_core::Error| WebhookError::Malformed(e.to_string());
    let action = |t: &str| {
        if t.ends_with("Create") {
            EventAction::Created
        } else if t.ends_with("Delete") {
            EventAction::Deleted
        } else {
            EventAction::Updated
        }
    };
    let e = match event_type {
        "ContactCreate" | "ContactUpdate" | "ContactTagUpdate" | "ContactDndUpdate"
        | "ContactDelete" => {
            let c = mapping::contact::from_wire(body.clone()).map_err(malformed)?;
            let a = action(event_type);
            let id = c.id.to_string();
            let record = (a != EventAction::Deleted).then(|| c.into());
            event(ResourceKind::Contact, a, id, record)
        }
        "NoteCreate" | "NoteUpdate" | "NoteDelete" => {
            let a = action(event_type);
            let id = sub_record_id(body)?;
            let record = match a {
                EventAction::Deleted => None,
                _ => Some(
                    mapping::note::from_wire(body.clone(), None)
                        .map_err(malformed)?
                        .into(),
                ),
            };
            event(ResourceKind::Note, a, id, record)
        }
        "TaskCreate" | "TaskComplete" | "TaskDelete" => {
            let a = action(event_type);
            let id = sub_record_id(body)?;
            let record = match a {
                EventAction::Deleted => None,
                _ => {
                    let mut t = mapping::task::from_wire(body.clone(), None).map_err(malformed)?;
                    if event_type == "TaskComplete" {
                        t.status = Some(TaskStatus::Completed);
                    }
                    Some(t.into())
                }
            };
            event(ResourceKind::Task, a, id, record)
        }
        "AppointmentCreate" | "AppointmentUpdate" | "AppointmentDelete" => {
            let inner = body
                .get("appointment")
                .cloned()
                .ok_or_else(|| WebhookError::Malformed("no appointment".into()))?;
            let e = mapping::engagement::from_wire(inner).map_err(malformed)?;
            let a = action(event_type);
            let id = e.id.to_string();
            let record = (a != EventAction::Deleted).then(|| e.into());
            event(ResourceKind::Engagement, a, id, record)
        }
        _ => return Ok(vec![]),
    };
    Ok(vec![e])
}

#[async_trait]
impl WebhookSource for HighLevelHookEvents {
    fn vendor(&self) -> &str {
        crate::VENDOR
    }

    fn max_bytes(&self) -> usize {
        self.max_bytes
    }

    /// HighLevel delivers again only after a `429` (docs/vendors/highlevel-v2.md, "Webhook
    /// retries"): a busy receiver answers that, never `503`, or the delivery is lost.
    fn retry_status(&self) -> u16 {
        429
    }

    fn parse(&self, headers: &HeaderMap, body: &[u8]) -> Result<Vec<Event>, WebhookError> {
        if body.len() > self.max_bytes {
            return Err(WebhookError::TooLarge {
                size: body.len(),
                limit: self.max_bytes,
            });
        }
        let delivery = self
            .verifier
            .verify(
                header(headers, "x-ghl-signature"),
                header(headers, "x-wh-signature"),
                body,
                self.clock.now(),
            )
            .map_err(rejected)?;
        if delivery
            .location_id
            .as_deref()
            .is_some_and(|l| l != self.location_id)
        {
            tracing::info!(location = ?delivery.location_id, "highlevel webhook for another location; no event");
            return Ok(vec![]);
        }
        events_of(&delivery.event_type, &delivery.body)
    }
}
