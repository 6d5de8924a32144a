//! REST hooks: subscribe, list, unsubscribe, and a parser for deliveries.
//!
//! Managing hooks needs an administrator authenticated through a registered OAuth application
//! (Capsule answers 403 → [`Error::PermissionDenied`] to a personal access token), and an
//! account has at most 20 hooks (422 → [`Error::Validation`]).
//!
//! Capsule signs nothing (docs/vendors/capsule-v2.md §11): put an unguessable secret in the target URL, cap the
//! body size ([`DeliveryParser::max_bytes`]), and refetch a record by id before trusting it.
//! Deliveries may repeat, so apply them idempotently.
//!
//! [`DeliveryParser::parse`] turns a delivery (`{"event": "party/updated", "payload": [...]}`)
//! into unified change events. It never panics: an oversized or malformed envelope is a
//! [`DeliveryError`]; a payload element that does not decode is reported in
//! [`Delivery::skipped`]; unknown events (and `kase/*`) come back as [`HookChange::Other`].

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use serde_json::value::RawValue;
use unicrm_core::error::{Error, Result};
use unicrm_core::http::Method;
use unicrm_core::{
    Account, AccountId, Change, Contact, ContactId, Opportunity, OpportunityId, Task, TaskId, User,
    UserId,
};

use crate::client::{Api, CapsuleClient};
use crate::mapping::FieldDefs;
use crate::mapping::pipeline::StageIndex;
use crate::resources::parties::{PartyRecord, to_record};
use crate::wire::{self, Party, WireOpportunity, WireRestHook, WireTask, WireUser};

unicrm_core::open_enum! {
    /// A REST hook event (Capsule's 19, names as on the wire).
    pub enum HookEvent {
        /// A party was created.
        PartyCreated => "party/created",
        /// A party was updated.
        PartyUpdated => "party/updated",
        /// A party was deleted.
        PartyDeleted => "party/deleted",
        /// An opportunity was created.
        OpportunityCreated => "opportunity/created",
        /// An opportunity was updated.
        OpportunityUpdated => "opportunity/updated",
        /// An opportunity was deleted.
        OpportunityDeleted => "opportunity/deleted",
        /// An opportunity was closed (won or lost).
        OpportunityClosed => "opportunity/closed",
        /// An opportunity moved to another milestone.
        OpportunityMoved => "opportunity/moved",
        /// A project was created.
        KaseCreated => "kase/created",
        /// A project was updated.
        KaseUpdated => "kase/updated",
        /// A project was deleted.
        KaseDeleted => "kase/deleted",
        /// A project was closed.
        KaseClosed => "kase/closed",
        /// A project moved to another stage.
        KaseMoved => "kase/moved",
        /// A task was created.
        TaskCreated => "task/created",
        /// A task was updated.
        TaskUpdated => "task/updated",
        /// A task was completed.
        TaskCompleted => "task/completed",
        /// A user was created.
        UserCreated => "user/created",
        /// A user was updated.
        UserUpdated => "user/updated",
        /// A user was deleted.
        UserDeleted => "user/deleted",
    }
}

/// A REST hook subscription.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RestHook {
    /// Id.
    pub id: u64,
    /// Event.
    pub event: HookEvent,
    /// Where deliveries are POSTed.
    pub target_url: String,
    /// Description.
    pub description: Option<String>,
    /// Extra data in deliveries (`tags,fields`).
    pub embed: Option<String>,
    /// Whether deliveries are batched.
    pub batched: bool,
    /// Created.
    pub created_at: Option<DateTime<Utc>>,
    /// Updated.
    pub updated_at: Option<DateTime<Utc>>,
}

/// A subscription to create.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct NewRestHook {
    /// Event.
    pub event: HookEvent,
    /// HTTPS target URL (include a secret path segment).
    pub target_url: String,
    /// Description.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// Extra data in deliveries; `tags,fields` is what the unified parser uses.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub embed: Option<String>,
}

fn hook_from_wire(w: WireRestHook) -> RestHook {
    RestHook {
        id: w.id,
        event: HookEvent::parse(w.event.as_deref().unwrap_or_default()),
        target_url: w.target_url.unwrap_or_default(),
        description: w.description,
        embed: w.embed,
        batched: w.batched,
        created_at: w.created_at,
        updated_at: w.updated_at,
    }
}

/// Capsule's REST hooks of one client: subscribe, list, unsubscribe. Reach it from a
/// [`CapsuleClient`] with [`CapsuleClient::hooks`], or from any `Arc<dyn Crm>` with
/// `crm.extension::<RestHooks>()` (`None` for another vendor).
#[derive(Clone)]
pub struct RestHooks {
    pub(crate) api: std::sync::Arc<Api>,
}

impl std::fmt::Debug for RestHooks {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RestHooks").finish_non_exhaustive()
    }
}

impl RestHooks {
    /// Subscribes to an event (`POST /resthooks`).
    pub async fn subscribe(&self, hook: &NewRestHook) -> Result<RestHook> {
        let body = serde_json::to_string(&serde_json::json!({ "restHook": hook }))
            .map_err(|e| Error::config(format!("cannot serialize the hook: {e}")))?;
        let resp = self.api.write(Method::POST, "resthooks", &[], body).await?;
        Ok(hook_from_wire(
            wire::decode_one::<WireRestHook>(&resp.body, "restHook")?.wire,
        ))
    }

    /// This application's subscriptions (`GET /resthooks`, unpaged).
    pub async fn list(&self) -> Result<Vec<RestHook>> {
        let resp = self.api.get_path("resthooks", &[]).await?;
        Ok(wire::decode_list::<WireRestHook>(&resp.body, "restHooks")?
            .into_iter()
            .map(|d| hook_from_wire(d.wire))
            .collect())
    }

    /// Unsubscribes (`DELETE /resthooks/{id}`).
    pub async fn unsubscribe(&self, id: u64) -> Result<()> {
        self.api.delete_path(&format!("resthooks/{id}")).await
    }
}

impl CapsuleClient {
    /// Subscribes to an event (`POST /resthooks`; see [`RestHooks::subscribe`]).
    pub async fn subscribe_hook(&self, hook: &NewRestHook) -> Result<RestHook> {
        self.hooks().subscribe(hook).await
    }

    /// This application's subscriptions (see [`RestHooks::list`]).
    pub async fn list_hooks(&self) -> Result<Vec<RestHook>> {
        self.hooks().list().await
    }

    /// Unsubscribes (see [`RestHooks::unsubscribe`]).
    pub async fn unsubscribe_hook(&self, id: u64) -> Result<()> {
        self.hooks().unsubscribe(id).await
    }
}

/// Why a delivery could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum DeliveryError {
    /// The body is larger than the parser accepts.
    #[error("delivery body of {size} bytes is larger than the {limit}-byte limit")]
    TooLarge {
        /// Body size.
        size: usize,
        /// The limit.
        limit: usize,
    },
    /// The body is not the documented envelope.
    #[error("malformed delivery at `{path}`: {message}")]
    Malformed {
        /// JSON path of the problem.
        path: String,
        /// What was wrong.
        message: String,
    },
}

/// One unified change from a delivery.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "resource", rename_all = "snake_case")]
#[non_exhaustive]
pub enum HookChange {
    /// A person party.
    Contact(Change<Contact, ContactId>),
    /// An organisation party.
    Account(Change<Account, AccountId>),
    /// An opportunity.
    Opportunity(Change<Opportunity, OpportunityId>),
    /// A task.
    Task(Change<Task, TaskId>),
    /// A user.
    User(Change<User, UserId>),
    /// An event without a unified model (`kase/*`, unknown events): the element as sent.
    Other {
        /// The event.
        event: HookEvent,
        /// The element's `id`, when it has one.
        id: Option<u64>,
        /// The element.
        payload: Value,
    },
}

/// A payload element that could not be decoded.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SkippedElement {
    /// Position in `payload`.
    pub index: usize,
    /// Why.
    pub error: String,
}

/// A parsed delivery.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Delivery {
    /// The event.
    pub event: HookEvent,
    /// One change per payload element (a deleted party of unknown type gives a contact and an
    /// account deletion).
    pub changes: Vec<HookChange>,
    /// Elements that did not decode.
    pub skipped: Vec<SkippedElement>,
}

/// The default body cap: 1 MiB.
pub const MAX_DELIVERY_BYTES: usize = 1 << 20;

/// Parses deliveries. Custom fields are typed with the definitions given (fetch them with
/// [`Crm::custom_field_definitions`](unicrm_core::Crm::custom_field_definitions)), else
/// inferred from the JSON.
#[derive(Debug, Clone)]
pub struct DeliveryParser {
    max_bytes: usize,
    party_defs: FieldDefs,
    opportunity_defs: FieldDefs,
    stages: StageIndex,
}

impl Default for DeliveryParser {
    fn default() -> Self {
        DeliveryParser {
            max_bytes: MAX_DELIVERY_BYTES,
            party_defs: FieldDefs::default(),
            opportunity_defs: FieldDefs::default(),
            stages: StageIndex::default(),
        }
    }
}

#[derive(Deserialize)]
struct Envelope {
    #[serde(default)]
    event: Option<String>,
    #[serde(default)]
    payload: Option<Box<RawValue>>,
}

#[derive(Deserialize)]
struct IdAndType {
    #[serde(default)]
    id: Option<u64>,
    #[serde(default, rename = "type")]
    kind: Option<String>,
}

/// Parses a delivery with the default parser.
pub fn parse_delivery(body: &[u8]) -> std::result::Result<Delivery, DeliveryError> {
    DeliveryParser::new().parse(body)
}

impl DeliveryParser {
    /// A parser with the default cap and no definitions.
    pub fn new() -> Self {
        Self::default()
    }

    /// Caps the body size.
    pub fn max_bytes(mut self, n: usize) -> Self {
        self.max_bytes = n;
        self
    }

    /// The body size cap.
    pub fn limit(&self) -> usize {
        self.max_bytes
    }

    /// Party custom field definitions.
    pub fn party_fields(mut self, defs: Vec<unicrm_core::CustomFieldDefinition>) -> Self {
        self.party_defs = FieldDefs::new(defs);
        self
    }

    /// Opportunity custom field definitions.
    pub fn opportunity_fields(mut self, defs: Vec<unicrm_core::CustomFieldDefinition>) -> Self {
        self.opportunity_defs = FieldDefs::new(defs);
        self
    }

    /// Pipelines, so opportunities name theirs.
    pub fn pipelines(mut self, pipelines: &[unicrm_core::Pipeline]) -> Self {
        self.stages = StageIndex::new(pipelines);
        self
    }

    /// Parses one delivery body.
    pub fn parse(&self, body: &[u8]) -> std::result::Result<Delivery, DeliveryError> {
        if body.len() > self.max_bytes {
            return Err(DeliveryError::TooLarge {
                size: body.len(),
                limit: self.max_bytes,
            });
        }
        let malformed = |e: Error| match e {
            Error::Decode { path, message } => DeliveryError::Malformed { path, message },
            other => DeliveryError::Malformed {
                path: ".".into(),
                message: other.to_string(),
            },
        };
        let text = std::str::from_utf8(body).map_err(|e| DeliveryError::Malformed {
            path: ".".into(),
            message: e.to_string(),
        })?;
        let env = wire::decode_at::<Envelope>(text, "").map_err(malformed)?;
        let event = env.event.ok_or_else(|| DeliveryError::Malformed {
            path: "event".into(),
            message: "missing event".into(),
        })?;
        let event = HookEvent::parse(&event);
        let payload = env.payload.ok_or_else(|| DeliveryError::Malformed {
            path: "payload".into(),
            message: "missing payload".into(),
        })?;
        // Documented as always an array; a single object is accepted too.
        let elements: Vec<Box<RawValue>> = if payload.get().trim_start().starts_with('[') {
            wire::decode_at::<Vec<Box<RawValue>>>(payload.get(), "payload").map_err(malformed)?
        } else {
            vec![payload]
        };
        let mut out = Delivery {
            event: event.clone(),
            changes: Vec::new(),
            skipped: Vec::new(),
        };
        for (index, el) in elements.iter().enumerate() {
            match self.element(&event, el.get(), index) {
                Ok(changes) => out.changes.extend(changes),
                Err(e) => out.skipped.push(SkippedElement {
                    index,
                    error: e.to_string(),
                }),
            }
        }
        Ok(out)
    }

    fn element(&self, event: &HookEvent, text: &str, index: usize) -> Result<Vec<HookChange>> {
        let prefix = format!("payload[{index}]");
        let deleted_id = || -> Result<(u64, Option<String>)> {
            let d = wire::decode_at::<IdAndType>(text, &prefix)?;
            let id =
                d.id.ok_or_else(|| Error::decode(format!("{prefix}.id"), "missing id"))?;
            Ok((id, d.kind))
        };
        fn deleted<R, I>(id: I) -> Change<R, I> {
            Change::Deleted {
                id,
                deleted_at: None,
            }
        }
        Ok(match event {
            HookEvent::PartyCreated | HookEvent::PartyUpdated => {
                let d = wire::decode_record::<Party>(text, &prefix)?;
                vec![match to_record(&d, &self.party_defs) {
                    PartyRecord::Contact(record) => {
                        HookChange::Contact(Change::Upserted { record })
                    }
                    PartyRecord::Account(record) => {
                        HookChange::Account(Change::Upserted { record })
                    }
                }]
            }
            HookEvent::PartyDeleted => {
                let (id, kind) = deleted_id()?;
                match kind.as_deref().map(str::to_ascii_lowercase).as_deref() {
                    Some("person") => vec![HookChange::Contact(deleted(ContactId::from(id)))],
                    Some("organisation") => vec![HookChange::Account(deleted(AccountId::from(id)))],
                    _ => vec![
                        HookChange::Contact(deleted(ContactId::from(id))),
                        HookChange::Account(deleted(AccountId::from(id))),
                    ],
                }
            }
            HookEvent::OpportunityCreated
            | HookEvent::OpportunityUpdated
            | HookEvent::OpportunityClosed
            | HookEvent::OpportunityMoved => {
                let d = wire::decode_record::<WireOpportunity>(text, &prefix)?;
                let record = crate::mapping::opportunity::opportunity_from_wire(
                    &d,
                    &self.opportunity_defs,
                    &self.stages,
                );
                vec![HookChange::Opportunity(Change::Upserted { record })]
            }
            HookEvent::OpportunityDeleted => {
                let (id, _) = deleted_id()?;
                vec![HookChange::Opportunity(deleted(OpportunityId::from(id)))]
            }
            HookEvent::TaskCreated | HookEvent::TaskUpdated | HookEvent::TaskCompleted => {
                let d = wire::decode_record::<WireTask>(text, &prefix)?;
                vec![HookChange::Task(Change::Upserted {
                    record: crate::mapping::task::task_from_wire(&d),
                })]
            }
            HookEvent::UserCreated | HookEvent::UserUpdated => {
                let d = wire::decode_record::<WireUser>(text, &prefix)?;
                vec![HookChange::User(Change::Upserted {
                    record: crate::mapping::user::user_from_wire(&d),
                })]
            }
            HookEvent::UserDeleted => {
                let (id, _) = deleted_id()?;
                vec![HookChange::User(deleted(UserId::from(id)))]
            }
            other => {
                let payload: Value = wire::decode_at::<Value>(text, &prefix)?;
                let id = payload.get("id").and_then(Value::as_u64);
                vec![HookChange::Other {
                    event: other.clone(),
                    id,
                    payload,
                }]
            }
        })
    }
}
