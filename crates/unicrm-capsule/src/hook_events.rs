//! REST-hook deliveries as unified [`Event`]s: Capsule's [`WebhookSource`].
//!
//! Capsule signs nothing (docs/vendors/capsule-v2.md, REST hooks), so nothing a delivery says
//! is trusted as it is: every event is confirmed by reading its record back by id. A record
//! that reads back is emitted as read (the vendor's current state, not the delivery's); a
//! "deleted" is emitted only when the record answers 404; a created or updated record that
//! answers 404 was deleted since (or never existed) and is dropped. A read that fails
//! otherwise fails the delivery, so the receiver answers 503 and Capsule delivers again.

use async_trait::async_trait;
use unicrm_core::event::{AnyRecord, Event, EventAction, EventSource};
use unicrm_core::http::HeaderMap;
use unicrm_core::webhook::{WebhookError, WebhookSource};
use unicrm_core::{Change, Crm, CrmExt, Error, Record, ResourceKind, Result};

use crate::client::CapsuleClient;
use crate::hooks::{DeliveryError, DeliveryParser, HookChange, HookEvent};

/// Capsule's REST-hook deliveries, confirmed through `client`.
#[derive(Debug, Clone)]
pub struct CapsuleHookEvents {
    client: CapsuleClient,
    parser: DeliveryParser,
}

impl CapsuleHookEvents {
    /// Deliveries parsed by `parser`, confirmed through `client`.
    pub fn new(client: CapsuleClient, parser: DeliveryParser) -> Self {
        CapsuleHookEvents { client, parser }
    }
}

fn action(event: &HookEvent) -> EventAction {
    let name = event.as_str();
    if name.ends_with("/deleted") {
        EventAction::Deleted
    } else if name.ends_with("/created") {
        EventAction::Created
    } else {
        EventAction::Updated
    }
}

fn event_of<R: Record + Into<AnyRecord>>(
    change: Change<R, R::Id>,
    action: EventAction,
) -> Option<Event> {
    let mut e = Event::from_change(
        crate::VENDOR,
        change,
        chrono::DateTime::<chrono::Utc>::UNIX_EPOCH,
        EventSource::Webhook,
    )?;
    if e.action != EventAction::Deleted {
        e.action = action;
    }
    Some(e)
}

/// The record of `kind` with `id` read back: `Some` when it exists, `None` on 404.
async fn read_back(crm: &dyn Crm, kind: &ResourceKind, id: &str) -> Result<Option<AnyRecord>> {
    macro_rules! get {
        ($ty:ty) => {{
            let id: <$ty as Record>::Id = id.into();
            match crm.resource::<$ty>().get(&id).await {
                Ok(r) => Ok(Some(r.into())),
                Err(Error::NotFound { .. }) => Ok(None),
                Err(e) => Err(e),
            }
        }};
    }
    match kind {
        ResourceKind::Contact => get!(unicrm_core::Contact),
        ResourceKind::Account => get!(unicrm_core::Account),
        ResourceKind::Opportunity => get!(unicrm_core::Opportunity),
        ResourceKind::Task => get!(unicrm_core::Task),
        ResourceKind::User => get!(unicrm_core::User),
        other => Err(Error::unsupported(format!("{other}.get"), crate::VENDOR)),
    }
}

#[async_trait]
impl WebhookSource for CapsuleHookEvents {
    fn vendor(&self) -> &str {
        crate::VENDOR
    }

    fn max_bytes(&self) -> usize {
        self.parser.limit()
    }

    fn parse(
        &self,
        _headers: &HeaderMap,
        body: &[u8],
    ) -> std::result::Result<Vec<Event>, WebhookError> {
        let delivery = self.parser.parse(body).map_err(|e| match e {
            DeliveryError::TooLarge { size, limit } => WebhookError::TooLarge { size, limit },
            other => WebhookError::Malformed(other.to_string()),
        })?;
        let action = action(&delivery.event);
        Ok(delivery
            .changes
            .into_iter()
            .filter_map(|c| match c {
                HookChange::Contact(c) => event_of(c, action),
                HookChange::Account(c) => event_of(c, action),
                HookChange::Opportunity(c) => event_of(c, action),
                HookChange::Task(c) => event_of(c, action),
                HookChange::User(c) => event_of(c, action),
                // No unified model for it (projects' hooks, unknown events): not an event.
                _ => None,
            })
            .collect())
    }

    async fn confirm(&self, events: Vec<Event>) -> Result<Vec<Event>> {
        let mut out = Vec::with_capacity(events.len());
        for mut e in events {
            let now = read_back(&self.client, &e.kind, &e.id).await?;
            match (e.action, now) {
                (EventAction::Deleted, None) => out.push(e),
                (EventAction::Deleted, Some(_)) => {
                    tracing::warn!(kind = %e.kind, id = %e.id, "a delivered deletion of a record that exists was dropped");
                }
                (_, Some(record)) => {
                    e.occurred_at = record.updated_at().or(e.occurred_at);
                    e.record = Some(record);
                    out.push(e);
                }
                (_, None) => {
                    tracing::info!(kind = %e.kind, id = %e.id, "a delivered record is gone; dropped");
                }
            }
        }
        Ok(out)
    }
}
