//! [`EngagementsResource`]: Insightly events (kind `meeting`, read-write) and emails (kind
//! `email`, read-only) as one unified engagements resource
//! (docs/vendors/insightly-v3.1-addendum.md, "Events", "Emails", "Calls and meetings").
//!
//! **Ids** tell the two objects apart: `event-<EVENT_ID>` and `email-<EMAIL_ID>`
//! (`event-7001`, `email-9501`). `get`, `update` and `delete` route by the prefix; an id
//! without a known prefix (a bare number, another vendor's id) is `NotFound` without a
//! request, and a known prefix followed by anything but a number is a `Validation` error.
//!
//! **Listing**: every event (`/Events`, ID order), then every email (`/Emails`). The cursor
//! names the object and the records to skip in it: `events:<skip>` / `emails:<skip>`. When
//! the events run out, the same call goes on with the emails' first page if the events page
//! was empty, otherwise the next cursor is `emails:0`. `updated_since` uses each object's
//! `/Search?updated_after_utc=` (for emails the vendor's filter is on the creation time: an
//! email never changes). `params.search` applies to both (`FIELD=value`, or a bare title /
//! subject). `Page::total` is not given (two totals on two endpoints).
//!
//! **Writes**: a `meeting` is created as an event; `email` is `Unsupported` (emails come only
//! from Insightly's mail capture), and so are `call` and other kinds (Insightly has no call
//! object; the Task-in-a-call-category policy of "Calls and meetings" is not implemented).
//! Updates of an email are `Unsupported`; deleting one is `DELETE /Emails/{id}`. A delete
//! the vendor refuses with 417 "Delete failed" is a `Conflict`.
//!
//! **Change feed**: the events' and the emails' feeds of [`crate::changes`] (vendor-clock
//! checkpoint with overlap, de-duplication, deletions confirmed by a 404 re-read after an id
//! scan), each with its own state; the checkpoint holds both
//! (`{"events": {at, state}, "emails": {at, state}}`) and its `at` is the earlier of the two.

use async_trait::async_trait;
use futures::stream::BoxStream;
use serde::{Deserialize, Serialize};
use unicrm_core::crm::default_listing;
use unicrm_core::page::Cursor;
use unicrm_core::{
    Change, ChangeSet, Checkpoint, Engagement, EngagementId, EngagementKind, EngagementPatch,
    Error, ListParams, NewEngagement, Page, Resource, Result,
};

use super::ObjectResource;
use super::events::{EmailSpec, EventSpec};
use crate::client::VENDOR;
use crate::mapping::{email, event};
use crate::paging::encode_cursor;

/// Which object an engagement id names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Which {
    /// `/Events`.
    Event,
    /// `/Emails`.
    Email,
}

/// The object an id belongs to, or `NotFound` for an id of neither.
pub fn which(id: &EngagementId) -> Result<Which> {
    let s = id.as_str().trim();
    if s.starts_with(event::ID_PREFIX) {
        Ok(Which::Event)
    } else if s.starts_with(email::ID_PREFIX) {
        Ok(Which::Email)
    } else {
        Err(Error::NotFound {
            message: format!(
                "{s:?} is not an Insightly engagement id (expected event-<number> or email-<number>)"
            ),
        })
    }
}

/// Where a listing is: the object and the records to skip in it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Position {
    /// The object being listed.
    pub which: Which,
    /// Records of it already listed.
    pub skip: u64,
}

/// The cursor text of a position (`events:500`, `emails:0`).
pub fn encode_position(p: Position) -> Cursor {
    let name = match p.which {
        Which::Event => "events",
        Which::Email => "emails",
    };
    Cursor::new(format!("{name}:{}", p.skip))
}

/// The position a cursor stands for.
pub fn decode_position(c: &Cursor) -> Result<Position> {
    let bad = || Error::Paging {
        message: format!(
            "{:?} is not an Insightly engagements cursor (expected events:<skip> or emails:<skip>)",
            c.as_str()
        ),
    };
    let (name, skip) = c.as_str().trim().split_once(':').ok_or_else(bad)?;
    let skip = skip.trim().parse::<u64>().map_err(|_| bad())?;
    let which = match name {
        "events" => Which::Event,
        "emails" => Which::Email,
        _ => return Err(bad()),
    };
    Ok(Position { which, skip })
}

/// Events and emails as one engagements resource (see the module docs).
#[derive(Debug)]
pub struct EngagementsResource {
    events: ObjectResource<EventSpec>,
    emails: ObjectResource<EmailSpec>,
}

impl EngagementsResource {
    pub(crate) fn new(shared: std::sync::Arc<crate::client::Shared>) -> Self {
        EngagementsResource {
            events: ObjectResource::new(shared.clone()),
            emails: ObjectResource::new(shared),
        }
    }

    /// The events alone (`/Events`).
    pub fn events(&self) -> &ObjectResource<EventSpec> {
        &self.events
    }

    /// The emails alone (`/Emails`).
    pub fn emails(&self) -> &ObjectResource<EmailSpec> {
        &self.emails
    }

    async fn page_of(
        &self,
        which: Which,
        skip: u64,
        params: &ListParams,
    ) -> Result<Page<Engagement>> {
        let mut p = params.clone();
        p.cursor = Some(encode_cursor(skip));
        match which {
            Which::Event => self.events.list(&p).await,
            Which::Email => self.emails.list(&p).await,
        }
    }
}

fn respell(next: Option<Cursor>, which: Which) -> Result<Option<Cursor>> {
    next.map(|c| {
        crate::paging::decode_cursor(&c).map(|skip| encode_position(Position { which, skip }))
    })
    .transpose()
}

/// What the combined checkpoint's `state` holds.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
struct CombinedState {
    events: Option<Checkpoint>,
    emails: Option<Checkpoint>,
}

fn split_checkpoint(cp: &Checkpoint) -> Result<(Checkpoint, Checkpoint)> {
    let state: CombinedState = match &cp.state {
        None | Some(serde_json::Value::Null) => CombinedState::default(),
        Some(v) => serde_json::from_value(v.clone()).map_err(|e| {
            Error::config(format!(
                "the engagements checkpoint state is not from the Insightly adapter: {e}"
            ))
        })?,
    };
    let fresh = || Checkpoint::at(cp.at);
    Ok((
        state.events.unwrap_or_else(fresh),
        state.emails.unwrap_or_else(fresh),
    ))
}

/// Both feeds' results as one change set: upserts (events, then emails) before deletions.
fn join(
    events: ChangeSet<Engagement, EngagementId>,
    emails: ChangeSet<Engagement, EngagementId>,
) -> Result<ChangeSet<Engagement, EngagementId>> {
    let at = events.next.at.min(emails.next.at);
    let state = CombinedState {
        events: Some(events.next),
        emails: Some(emails.next),
    };
    let (mut upserts, mut deletions) = (Vec::new(), Vec::new());
    for c in events.changes.into_iter().chain(emails.changes) {
        match c {
            Change::Deleted { .. } => deletions.push(c),
            other => upserts.push(other),
        }
    }
    upserts.extend(deletions);
    Ok(ChangeSet {
        changes: upserts,
        next: Checkpoint {
            at,
            state: Some(serde_json::to_value(&state).map_err(|e| Error::config(e.to_string()))?),
        },
    })
}

#[async_trait]
impl Resource<Engagement> for EngagementsResource {
    fn vendor(&self) -> &str {
        VENDOR
    }

    /// One page of events, then of emails (see the module docs for the cursor).
    async fn list(&self, params: &ListParams) -> Result<Page<Engagement>> {
        let pos = match &params.cursor {
            Some(c) => decode_position(c)?,
            None => Position {
                which: Which::Event,
                skip: 0,
            },
        };
        if pos.which == Which::Event {
            let page = self.page_of(Which::Event, pos.skip, params).await?;
            let next = respell(page.next, Which::Event)?;
            if next.is_some() || !page.items.is_empty() {
                return Ok(Page {
                    next: next.or_else(|| {
                        Some(encode_position(Position {
                            which: Which::Email,
                            skip: 0,
                        }))
                    }),
                    items: page.items,
                    total: None,
                });
            }
        }
        let skip = if pos.which == Which::Email {
            pos.skip
        } else {
            0
        };
        let page = self.page_of(Which::Email, skip, params).await?;
        Ok(Page {
            next: respell(page.next, Which::Email)?,
            items: page.items,
            total: None,
        })
    }

    /// Every event, then every email, each concurrently paged and the emails read ahead
    /// while the events are listed (`resources/engagement_listing.rs`); a listing that
    /// resumes at a cursor or asks for a page size is core's page loop over
    /// [`Resource::list`].
    fn stream_listing(&self, params: ListParams) -> BoxStream<'_, Result<Engagement>> {
        if params.cursor.is_some() || params.page_size.is_some() {
            return default_listing(self, params);
        }
        super::engagement_listing::events_then_emails(
            self.events.stream_listing(params.clone()),
            self.emails.stream_listing(params),
        )
    }

    async fn get(&self, id: &EngagementId) -> Result<Engagement> {
        match which(id)? {
            Which::Event => self.events.get(id).await,
            Which::Email => self.emails.get(id).await,
        }
    }

    /// A `meeting` becomes an event; every other kind is `Unsupported`, nothing sent.
    async fn create(&self, new: &NewEngagement) -> Result<Engagement> {
        match &new.kind {
            EngagementKind::Meeting => self.events.create(new).await,
            other => Err(Error::unsupported(
                format!("engagements.create (kind {})", other.as_str()),
                VENDOR,
            )),
        }
    }

    async fn update(&self, id: &EngagementId, patch: &EngagementPatch) -> Result<Engagement> {
        match which(id)? {
            Which::Event => self.events.update(id, patch).await,
            Which::Email => Err(Error::unsupported(
                "engagements.update (kind email: Insightly emails are read-only)",
                VENDOR,
            )),
        }
    }

    /// `DELETE /Events/{id}` or `DELETE /Emails/{id}`; 417 "Delete failed" is a `Conflict`.
    async fn delete(&self, id: &EngagementId) -> Result<()> {
        let result = match which(id)? {
            Which::Event => self.events.delete(id).await,
            Which::Email => self.emails.delete(id).await,
        };
        match result {
            Err(Error::Vendor {
                status: 417,
                message,
                ..
            }) => Err(Error::Conflict {
                message: format!("Insightly refused to delete {id} (417 Delete failed): {message}"),
            }),
            other => other,
        }
    }

    async fn changes_since(
        &self,
        checkpoint: &Checkpoint,
    ) -> Result<ChangeSet<Engagement, EngagementId>> {
        unicrm_core::collect_changes(checkpoint, self.change_stream(checkpoint.clone())).await
    }

    /// The events feed's batches, then the emails feed's (see [`crate::changes`]), each with
    /// the combined checkpoint of both feeds as far as they have gone; the stream ends after
    /// the first error.
    fn change_stream(&self, checkpoint: Checkpoint) -> unicrm_core::ChangeStream<'_, Engagement> {
        use futures::{StreamExt, TryStreamExt, stream};
        let empty = |next: Checkpoint| ChangeSet {
            changes: Vec::new(),
            next,
        };
        stream::once(async move { split_checkpoint(&checkpoint) })
            .map_ok(move |(events_cp, emails_cp)| {
                let last_events = std::sync::Arc::new(std::sync::Mutex::new(events_cp.clone()));
                let seen_events = last_events.clone();
                let emails_start = emails_cp.clone();
                let events =
                    crate::changes::change_stream(&self.events, events_cp).map(move |batch| {
                        let batch = batch?;
                        if let Ok(mut l) = seen_events.lock() {
                            *l = batch.next.clone();
                        }
                        join(batch, empty(emails_cp.clone()))
                    });
                let emails =
                    crate::changes::change_stream(&self.emails, emails_start).map(move |batch| {
                        let batch = batch?;
                        let events_next = last_events.lock().map(|l| l.clone()).map_err(|_| {
                            Error::config("the engagements feed lost its events checkpoint")
                        })?;
                        join(empty(events_next), batch)
                    });
                // One error ends the whole stream (the emails feed does not start after a
                // failed events feed).
                events.chain(emails).scan(false, |failed, item| {
                    let out = (!*failed).then(|| {
                        *failed = item.is_err();
                        item
                    });
                    futures::future::ready(out)
                })
            })
            .try_flatten()
            .boxed()
    }
}

/// Engagements through the client: the [`Crm`](unicrm_core::Crm) accessor hands out the
/// client itself, which delegates to the [`EngagementsResource`] it holds.
#[async_trait]
impl Resource<Engagement> for crate::InsightlyClient {
    fn vendor(&self) -> &str {
        VENDOR
    }
    async fn list(&self, params: &ListParams) -> Result<Page<Engagement>> {
        self.engagements_resource().list(params).await
    }
    /// The resource's concurrent listing ([`EngagementsResource::stream_listing`]).
    fn stream_listing(&self, params: ListParams) -> BoxStream<'_, Result<Engagement>> {
        self.engagements_resource().stream_listing(params)
    }
    async fn get(&self, id: &EngagementId) -> Result<Engagement> {
        self.engagements_resource().get(id).await
    }
    async fn create(&self, new: &NewEngagement) -> Result<Engagement> {
        self.engagements_resource().create(new).await
    }
    async fn update(&self, id: &EngagementId, patch: &EngagementPatch) -> Result<Engagement> {
        self.engagements_resource().update(id, patch).await
    }
    async fn delete(&self, id: &EngagementId) -> Result<()> {
        self.engagements_resource().delete(id).await
    }
    async fn changes_since(
        &self,
        checkpoint: &Checkpoint,
    ) -> Result<ChangeSet<Engagement, EngagementId>> {
        self.engagements_resource().changes_since(checkpoint).await
    }
    fn change_stream(&self, checkpoint: Checkpoint) -> unicrm_core::ChangeStream<'_, Engagement> {
        self.engagements_resource().change_stream(checkpoint)
    }
}

impl crate::InsightlyClient {
    /// Events and emails as one resource (see [`EngagementsResource`]).
    pub fn engagements_resource(&self) -> &EngagementsResource {
        self.engagements_inner()
    }
}
