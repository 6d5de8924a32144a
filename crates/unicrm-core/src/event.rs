//! One stream of events whatever the vendor: webhook deliveries (Capsule REST hooks, HighLevel
//! webhooks) and polled change feeds (Insightly, or any vendor whose hooks are off) both
//! become [`Event`]s.
//!
//! [`poll_events`] turns the change feeds of a client into batches of events, each with the
//! checkpoint to store once the batch is applied, so a consumer resumes mid-way after a crash.
//! Webhook deliveries come through a [`crate::webhook::WebhookSource`] (and, behind the
//! `webhooks` feature, the embeddable receiver of [`crate::webhook`]).

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use futures::stream::{self, BoxStream, StreamExt};
use serde::{Deserialize, Serialize};

use crate::change::{Change, Checkpoint};
use crate::crm::{Crm, CrmExt, Record};
use crate::error::{Error, Result};
use crate::models::*;
use crate::time::{Sleeper, TokioSleeper};

/// What happened to a record.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum EventAction {
    /// It was created.
    Created,
    /// It was changed (or created, where the source cannot tell the two apart).
    Updated,
    /// It was deleted.
    Deleted,
}

/// Where an event came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum EventSource {
    /// A webhook delivery (verified, or confirmed by reading the record back).
    Webhook,
    /// A poll of the change feed.
    Poll,
}

/// A unified record of any kind.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", content = "record", rename_all = "snake_case")]
#[non_exhaustive]
#[allow(missing_docs)]
pub enum AnyRecord {
    Contact(Contact),
    Account(Account),
    Opportunity(Opportunity),
    Task(Task),
    Note(Note),
    User(User),
    Pipeline(Pipeline),
    Lead(Lead),
    Project(Project),
    Engagement(Engagement),
    EngagementType(EngagementType),
    FieldDefinition(FieldDefinition),
}

macro_rules! any_record {
    ($($variant:ident),*) => {
        impl AnyRecord {
            /// The kind of record.
            pub fn kind(&self) -> ResourceKind {
                match self {
                    $(AnyRecord::$variant(_) => ResourceKind::$variant,)*
                }
            }

            /// The record's id.
            pub fn id(&self) -> String {
                match self {
                    $(AnyRecord::$variant(r) => r.id.to_string(),)*
                }
            }

            /// When the record last changed, per the vendor.
            pub fn updated_at(&self) -> Option<DateTime<Utc>> {
                match self {
                    $(AnyRecord::$variant(r) => r.updated_at,)*
                }
            }
        }

        $(
            impl From<$variant> for AnyRecord {
                fn from(r: $variant) -> Self {
                    AnyRecord::$variant(r)
                }
            }
        )*
    };
}

any_record!(
    Contact,
    Account,
    Opportunity,
    Task,
    Note,
    User,
    Pipeline,
    Lead,
    Project,
    Engagement,
    EngagementType,
    FieldDefinition
);

/// Something that happened to one record at a vendor.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Event {
    /// The vendor (`capsule`).
    pub vendor: String,
    /// The kind of record.
    pub kind: ResourceKind,
    /// What happened.
    pub action: EventAction,
    /// The record's id.
    pub id: String,
    /// The record as it is now (`None` for deletions, and for webhooks that carry only ids).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub record: Option<AnyRecord>,
    /// When it happened, per the vendor, where known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub occurred_at: Option<DateTime<Utc>>,
    /// Where the event came from.
    pub source: EventSource,
}

impl Event {
    /// The event of one change of a feed: an upsert of a record created after `since` is
    /// [`EventAction::Created`], any other upsert [`EventAction::Updated`].
    pub fn from_change<R>(
        vendor: &str,
        change: Change<R, R::Id>,
        since: DateTime<Utc>,
        source: EventSource,
    ) -> Option<Event>
    where
        R: Record + Into<AnyRecord>,
    {
        match change {
            Change::Upserted { record } => {
                let json = serde_json::to_value(&record).ok();
                let created = json
                    .as_ref()
                    .and_then(|v| v.get("created_at"))
                    .and_then(|v| serde_json::from_value::<DateTime<Utc>>(v.clone()).ok());
                let action = match created {
                    Some(c) if c > since => EventAction::Created,
                    _ => EventAction::Updated,
                };
                let occurred_at = record.updated_at();
                let id = record.id().to_string();
                Some(Event {
                    vendor: vendor.to_string(),
                    kind: R::KIND,
                    action,
                    id,
                    record: Some(record.into()),
                    occurred_at,
                    source,
                })
            }
            Change::Deleted { id, deleted_at } => Some(Event {
                vendor: vendor.to_string(),
                kind: R::KIND,
                action: EventAction::Deleted,
                id: id.to_string(),
                record: None,
                occurred_at: deleted_at,
                source,
            }),
        }
    }
}

/// The events of one poll of one resource, and the checkpoint to store once they are applied.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EventBatch {
    /// The kind of record polled.
    pub kind: ResourceKind,
    /// Its events, upserts before deletions.
    pub events: Vec<Event>,
    /// Where the next poll of this kind starts.
    pub checkpoint: Checkpoint,
}

async fn poll_kind(crm: &dyn Crm, kind: &ResourceKind, from: &Checkpoint) -> Result<EventBatch> {
    macro_rules! poll {
        ($ty:ty) => {{
            let set = crm.changes_since::<$ty>(from).await?;
            let events = set
                .changes
                .into_iter()
                .filter_map(|c| Event::from_change(crm.vendor(), c, from.at, EventSource::Poll))
                .collect();
            Ok(EventBatch {
                kind: kind.clone(),
                events,
                checkpoint: set.next,
            })
        }};
    }
    match kind {
        ResourceKind::Contact => poll!(Contact),
        ResourceKind::Account => poll!(Account),
        ResourceKind::Opportunity => poll!(Opportunity),
        ResourceKind::Task => poll!(Task),
        ResourceKind::Note => poll!(Note),
        ResourceKind::Lead => poll!(Lead),
        ResourceKind::Project => poll!(Project),
        ResourceKind::Engagement => poll!(Engagement),
        other => Err(Error::unsupported(
            format!("{other}.changes_since"),
            crm.vendor(),
        )),
    }
}

/// Polls the change feeds of `kinds` on `crm` forever, one round every `interval`, starting
/// from `checkpoints` (a kind without one starts at the beginning: its first batch holds
/// every record). Yields one [`EventBatch`] per kind and round; store its checkpoint once its
/// events are applied, and pass the stored checkpoints back after a restart. A failed poll is
/// yielded as an error and that kind is polled again next round from the same checkpoint.
pub fn poll_events(
    crm: Arc<dyn Crm>,
    kinds: Vec<ResourceKind>,
    checkpoints: BTreeMap<String, Checkpoint>,
    interval: Duration,
) -> BoxStream<'static, Result<EventBatch>> {
    poll_events_with(crm, kinds, checkpoints, interval, Arc::new(TokioSleeper))
}

/// [`poll_events`] with the sleeper between rounds given (tests pass one that does not wait).
pub fn poll_events_with(
    crm: Arc<dyn Crm>,
    kinds: Vec<ResourceKind>,
    checkpoints: BTreeMap<String, Checkpoint>,
    interval: Duration,
    sleeper: Arc<dyn Sleeper>,
) -> BoxStream<'static, Result<EventBatch>> {
    struct State {
        crm: Arc<dyn Crm>,
        kinds: Vec<ResourceKind>,
        checkpoints: BTreeMap<String, Checkpoint>,
        next: usize,
        sleeper: Arc<dyn Sleeper>,
        interval: Duration,
    }
    let state = State {
        crm,
        kinds,
        checkpoints,
        next: 0,
        sleeper,
        interval,
    };
    stream::unfold(state, |mut s| async move {
        if s.kinds.is_empty() {
            return None;
        }
        if s.next == s.kinds.len() {
            s.next = 0;
            s.sleeper.sleep(s.interval).await;
        }
        let kind = s.kinds[s.next].clone();
        s.next += 1;
        let from = s
            .checkpoints
            .get(kind.as_str())
            .cloned()
            .unwrap_or_else(|| Checkpoint::at(DateTime::<Utc>::UNIX_EPOCH));
        let out = poll_kind(s.crm.as_ref(), &kind, &from).await;
        if let Ok(batch) = &out {
            s.checkpoints
                .insert(kind.as_str().to_string(), batch.checkpoint.clone());
        }
        Some((out, s))
    })
    .boxed()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn contact(id: &str, created: i64) -> Contact {
        Contact {
            id: id.into(),
            created_at: DateTime::from_timestamp(created, 0),
            updated_at: DateTime::from_timestamp(created + 10, 0),
            ..Default::default()
        }
    }

    #[test]
    fn an_upsert_created_after_the_checkpoint_is_a_creation() {
        let since = DateTime::from_timestamp(1_000, 0).unwrap();
        let new = Event::from_change(
            "x",
            Change::Upserted {
                record: contact("1", 2_000),
            },
            since,
            EventSource::Poll,
        )
        .unwrap();
        assert_eq!(new.action, EventAction::Created);
        assert_eq!(new.kind, ResourceKind::Contact);
        assert_eq!(new.occurred_at, DateTime::from_timestamp(2_010, 0));
        assert_eq!(new.record.as_ref().map(AnyRecord::id).as_deref(), Some("1"));
        let old = Event::from_change(
            "x",
            Change::Upserted {
                record: contact("2", 500),
            },
            since,
            EventSource::Poll,
        )
        .unwrap();
        assert_eq!(old.action, EventAction::Updated);
        let gone = Event::from_change::<Contact>(
            "x",
            Change::Deleted {
                id: "3".into(),
                deleted_at: None,
            },
            since,
            EventSource::Webhook,
        )
        .unwrap();
        assert_eq!(
            (gone.action, gone.id.as_str(), gone.record.is_none()),
            (EventAction::Deleted, "3", true)
        );
    }

    #[test]
    fn events_serialise_with_the_kind_beside_the_record() {
        let e = Event {
            vendor: "capsule".into(),
            kind: ResourceKind::Contact,
            action: EventAction::Updated,
            id: "1".into(),
            record: Some(contact("1", 0).into()),
            occurred_at: None,
            source: EventSource::Webhook,
        };
        let v = serde_json::to_value(&e).unwrap();
        assert_eq!(v["record"]["kind"], "contact");
        assert_eq!(v["record"]["record"]["id"], "1");
        assert_eq!(v["action"], "updated");
        assert_eq!(v["source"], "webhook");
        let back: Event = serde_json::from_value(v).unwrap();
        assert_eq!(back, e);
    }
}
