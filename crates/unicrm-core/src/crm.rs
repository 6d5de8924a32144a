//! The traits an adapter implements, and the conveniences every caller gets from core.
//!
//! An adapter implements one page fetch per resource ([`Resource::list`]); core builds the
//! streams over every page ([`ResourceExt::stream_all`], through [`Resource::stream_listing`],
//! whose default is [`page_loop`]) and stops them loudly on the loop bugs of other connectors:
//! a cursor that does not advance or cycles, an empty page that claims a next one, or a chain
//! of next pages longer than [`ListParams::max_pages`] (see [`crate::page::guarded_pages`]).
//! An adapter that lists faster another way (concurrent pages) overrides
//! [`Resource::stream_listing`], and every caller, `Arc<dyn Crm>` included, gets it.

use std::any::{Any, TypeId};

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use futures::future::BoxFuture;
use futures::stream::{self, BoxStream, StreamExt, TryStreamExt};
use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::capability::Capabilities;
use crate::change::{Change, ChangeSet, Checkpoint};
use crate::error::{Error, Result};
use crate::models::*;
use crate::page::{ListParams, Page, guarded_pages};

/// A unified record type: ties a model to its id, new-record and patch types, and to its
/// accessor on a [`Crm`].
pub trait Record:
    std::fmt::Debug + Serialize + DeserializeOwned + Clone + Send + Sync + 'static
{
    /// Typed id.
    type Id: Clone
        + Eq
        + std::hash::Hash
        + std::fmt::Debug
        + std::fmt::Display
        + Serialize
        + DeserializeOwned
        + Send
        + Sync
        + 'static;
    /// What a create sends.
    type New: Clone + Serialize + DeserializeOwned + Send + Sync + 'static;
    /// What an update sends.
    type Patch: Clone + Default + Serialize + DeserializeOwned + Send + Sync + 'static;
    /// Which kind of record this is.
    const KIND: ResourceKind;
    /// Every unified field a write may set (snake_case, as in JSON); what
    /// [`crate::ResourceCapabilities::writable`] is a subset of.
    const FIELDS: &'static [&'static str] = &[];

    /// The unified fields a create of `new` sets (checked by [`crate::guard`](mod@crate::guard)).
    fn new_fields(new: &Self::New) -> Vec<&'static str> {
        let _ = new;
        Vec::new()
    }

    /// The unified fields an update with `patch` sets or clears (checked by [`crate::guard`](mod@crate::guard)).
    fn patch_fields(patch: &Self::Patch) -> Vec<&'static str> {
        let _ = patch;
        Vec::new()
    }

    /// The record's id.
    fn id(&self) -> &Self::Id;

    /// When it last changed.
    fn updated_at(&self) -> Option<DateTime<Utc>>;

    /// This record's resource on `crm`.
    fn resource<C: Crm + ?Sized>(crm: &C) -> &dyn Resource<Self>;
}

/// One resource of a CRM (contacts, accounts, …): list one page, get, create, update, delete,
/// and the change feed. Every method has a default that returns [`Error::Unsupported`], so an
/// adapter implements exactly what its vendor can do and says so in its [`Capabilities`].
#[async_trait]
pub trait Resource<R: Record>: Send + Sync {
    /// The vendor's name, for errors.
    fn vendor(&self) -> &str;

    /// One page of records.
    async fn list(&self, params: &ListParams) -> Result<Page<R>> {
        let _ = params;
        Err(unsupported::<R>(self.vendor(), "list"))
    }

    /// One record by id.
    async fn get(&self, id: &R::Id) -> Result<R> {
        let _ = id;
        Err(unsupported::<R>(self.vendor(), "get"))
    }

    /// Creates a record; returns it as stored.
    async fn create(&self, new: &R::New) -> Result<R> {
        let _ = new;
        Err(unsupported::<R>(self.vendor(), "create"))
    }

    /// Applies a patch; fields the patch leaves unchanged are not touched. Returns the record as
    /// stored.
    async fn update(&self, id: &R::Id, patch: &R::Patch) -> Result<R> {
        let _ = (id, patch);
        Err(unsupported::<R>(self.vendor(), "update"))
    }

    /// Deletes a record.
    async fn delete(&self, id: &R::Id) -> Result<()> {
        let _ = id;
        Err(unsupported::<R>(self.vendor(), "delete"))
    }

    /// Upserts and deletions since `checkpoint`, and the checkpoint to continue from.
    async fn changes_since(&self, checkpoint: &Checkpoint) -> Result<ChangeSet<R, R::Id>> {
        let _ = checkpoint;
        Err(unsupported::<R>(self.vendor(), "changes_since"))
    }

    /// The changes since `checkpoint` as a stream of batches, each with the checkpoint that
    /// resumes after it (see [`ChangeStream`] for the contract). Save a batch's
    /// [`ChangeSet::next`] once its changes are applied: a run that stops mid-way continues
    /// from there, and memory holds one batch at a time (plus whatever the adapter keeps in
    /// its checkpoint state).
    ///
    /// The default is [`Resource::changes_since`] as a single batch. An adapter whose feed
    /// reads pages overrides it to yield a batch per page (and may then implement
    /// `changes_since` as [`collect_changes`] over its stream).
    fn change_stream(&self, checkpoint: Checkpoint) -> ChangeStream<'_, R> {
        stream::once(async move { self.changes_since(&checkpoint).await }).boxed()
    }

    /// Every record of a full listing from `params` on, as a stream: what
    /// [`ResourceExt::stream_all`], [`CrmExt::stream_all`] and [`CrmExt::list_all`] return.
    ///
    /// The default is core's guarded page loop over [`Resource::list`] ([`page_loop`]). An
    /// adapter overrides it when it can list faster (for example by fetching the remaining pages
    /// concurrently once the total is known). An override returns each record once, in the
    /// vendor's order, honours every parameter (filters, cursor, page size,
    /// [`ListParams::max_pages`]) or falls back to [`default_listing`] where it cannot.
    fn stream_listing(&self, params: ListParams) -> BoxStream<'_, Result<R>> {
        default_listing(self, params)
    }
}

/// A change feed as a stream of batches ([`Resource::change_stream`]).
///
/// The contract every adapter keeps (the test kit checks it):
/// - the stream yields at least one batch, and ends after the first error;
/// - each batch's [`ChangeSet::next`] is a checkpoint: a stream started from it yields every
///   change not yet yielded (a change may be yielded again after a resume, never lost);
/// - the last batch's `next` is what [`Resource::changes_since`] would have returned;
/// - within a batch a record appears at most once, upserts before deletions, and a deletion
///   is yielded only once it is confirmed, as in [`Resource::changes_since`]; a record may
///   appear again in a later batch (a newer version, or its deletion);
/// - an error yields no checkpoint: the caller resumes from the last batch it applied.
pub type ChangeStream<'a, R> = BoxStream<'a, Result<ChangeSet<R, <R as Record>::Id>>>;

/// A [`ChangeStream`] collected into one [`ChangeSet`], as [`Resource::changes_since`]
/// returns it: each record once, in first-seen order, upserts before deletions, its last
/// state winning (a record deleted after it was upserted is reported deleted; a version
/// upserted after a deletion of the same id is reported upserted), and the last batch's
/// checkpoint (`checkpoint` itself if the stream yields no batch).
pub async fn collect_changes<R: Record>(
    checkpoint: &Checkpoint,
    mut stream: ChangeStream<'_, R>,
) -> Result<ChangeSet<R, R::Id>> {
    use std::collections::HashMap;
    let mut order: Vec<R::Id> = Vec::new();
    let mut last: HashMap<R::Id, Change<R, R::Id>> = HashMap::new();
    let mut next = checkpoint.clone();
    while let Some(batch) = stream.next().await {
        let batch = batch?;
        for change in batch.changes {
            let id = match &change {
                Change::Upserted { record } => record.id().clone(),
                Change::Deleted { id, .. } => id.clone(),
            };
            if last.insert(id.clone(), change).is_none() {
                order.push(id);
            }
        }
        next = batch.next;
    }
    let (mut upserts, mut deletions) = (Vec::new(), Vec::new());
    for id in order {
        match last.remove(&id) {
            Some(c @ Change::Upserted { .. }) => upserts.push(c),
            Some(c @ Change::Deleted { .. }) => deletions.push(c),
            None => {}
        }
    }
    upserts.extend(deletions);
    Ok(ChangeSet {
        changes: upserts,
        next,
    })
}

/// Core's page loop over `resource`'s [`Resource::list`], with the guards of
/// [`guarded_pages`] (errors name the vendor and the kind of record).
pub fn page_loop<'a, R: Record, T: Resource<R> + ?Sized>(
    resource: &'a T,
    params: ListParams,
) -> BoxStream<'a, Result<Page<R>>> {
    let what = format!("{} {}", resource.vendor(), R::KIND);
    guarded_pages(what, params, move |p: ListParams| async move {
        resource.list(&p).await
    })
}

/// The default [`Resource::stream_listing`]: the records of every page of [`page_loop`].
pub fn default_listing<'a, R: Record, T: Resource<R> + ?Sized>(
    resource: &'a T,
    params: ListParams,
) -> BoxStream<'a, Result<R>> {
    page_loop(resource, params)
        .map_ok(|page| stream::iter(page.items.into_iter().map(Ok)))
        .try_flatten()
        .boxed()
}

fn unsupported<R: Record>(vendor: &str, op: &str) -> Error {
    Error::unsupported(format!("{}.{op}", R::KIND), vendor)
}

/// A resource that supports nothing: every call returns [`Error::Unsupported`].
#[derive(Debug, Clone)]
pub struct UnsupportedResource {
    vendor: &'static str,
}

impl UnsupportedResource {
    /// For `vendor`.
    pub const fn new(vendor: &'static str) -> Self {
        UnsupportedResource { vendor }
    }
}

/// What the default accessors of [`Crm`] hand out. It cannot know the vendor; behind
/// [`crate::guard::Guarded`] (what `connect` returns) the guard answers first, naming it.
static UNSUPPORTED: UnsupportedResource = UnsupportedResource::new("this adapter");

impl<R: Record> Resource<R> for UnsupportedResource {
    fn vendor(&self) -> &str {
        self.vendor
    }
}

/// Counters a client keeps about its traffic.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct ClientStats {
    /// HTTP attempts sent (retries included).
    pub requests: u64,
    /// Attempts that were retries.
    pub retries: u64,
    /// Answers that were 429.
    pub rate_limited: u64,
    /// Time spent waiting for rate limits, in milliseconds.
    pub throttled_ms: u64,
}

/// A CRM: hands out each resource, says what it can do, and counts its traffic.
/// Object-safe: hold it as `Arc<dyn Crm>`.
///
/// Every resource accessor has a default that hands out an [`UnsupportedResource`], so a
/// resource kind added to unicrm later does not break an adapter: it simply does not offer it
/// (and its [`Capabilities`] say so). Vendor extras (Capsule's REST hooks, its OAuth handle)
/// are reached through [`CrmExt::extension`] (adapters implement [`Crm::extension_of`]).
#[async_trait]
pub trait Crm: Send + Sync {
    /// Vendor name (`capsule`, `insightly`).
    fn vendor(&self) -> &str;
    /// What this adapter supports.
    fn capabilities(&self) -> &Capabilities;
    /// Contacts (people).
    fn contacts(&self) -> &dyn Resource<Contact> {
        &UNSUPPORTED
    }
    /// Accounts (organisations).
    fn accounts(&self) -> &dyn Resource<Account> {
        &UNSUPPORTED
    }
    /// Opportunities.
    fn opportunities(&self) -> &dyn Resource<Opportunity> {
        &UNSUPPORTED
    }
    /// Tasks.
    fn tasks(&self) -> &dyn Resource<Task> {
        &UNSUPPORTED
    }
    /// Notes.
    fn notes(&self) -> &dyn Resource<Note> {
        &UNSUPPORTED
    }
    /// Users.
    fn users(&self) -> &dyn Resource<User> {
        &UNSUPPORTED
    }
    /// Pipelines with their stages.
    fn pipelines(&self) -> &dyn Resource<Pipeline> {
        &UNSUPPORTED
    }
    /// Leads.
    fn leads(&self) -> &dyn Resource<Lead> {
        &UNSUPPORTED
    }
    /// Projects.
    fn projects(&self) -> &dyn Resource<Project> {
        &UNSUPPORTED
    }
    /// Engagements: calls, meetings, emails, appointments.
    fn engagements(&self) -> &dyn Resource<Engagement> {
        &UNSUPPORTED
    }
    /// Engagement types.
    fn engagement_types(&self) -> &dyn Resource<EngagementType> {
        &UNSUPPORTED
    }
    /// Custom field definitions as a resource; [`ListParams::of`] narrows a listing to one
    /// record type.
    fn field_definitions(&self) -> &dyn Resource<FieldDefinition> {
        &UNSUPPORTED
    }
    /// Custom field definitions for a kind of record.
    async fn custom_field_definitions(
        &self,
        kind: ResourceKind,
    ) -> Result<Vec<CustomFieldDefinition>>;
    /// The user the credentials act as.
    async fn current_user(&self) -> Result<User>;
    /// Traffic counters.
    fn stats(&self) -> ClientStats;
    /// The vendor's request budget as its latest answer reported it (`X-RateLimit-*`); empty
    /// before the first request, or for a vendor that sends none.
    fn rate_budget(&self) -> crate::http::retry_after::RateLimitHeaders {
        Default::default()
    }
    /// The base URL this client talks to, when it has one (for messages: no credentials in it).
    fn base_url(&self) -> Option<&url::Url> {
        None
    }
    /// A vendor extra of type `type_id` (say `TypeId::of::<CapsuleOAuth>()`), when this
    /// adapter has one. The default has none. Callers use the typed [`CrmExt::extension`]
    /// (a different name, so that calling it never needs disambiguation).
    fn extension_of(&self, type_id: TypeId) -> Option<&(dyn Any + Send + Sync)> {
        let _ = type_id;
        None
    }
}

/// Conveniences on any resource.
pub trait ResourceExt<R: Record>: Resource<R> {
    /// Every page from `params.cursor` on, as a stream, by core's page loop ([`page_loop`]).
    /// Ends with an [`Error::Paging`] if a cursor does not advance or comes back to one seen
    /// before (a cycle), if an empty page claims a next one, or after
    /// [`ListParams::max_pages`] pages that still claim a next one (an endless chain); ends
    /// after the first error.
    fn stream_pages(&self, params: ListParams) -> BoxStream<'_, Result<Page<R>>> {
        page_loop(self, params)
    }

    /// Every record of a full listing, as a stream: [`Resource::stream_listing`] (core's page
    /// loop unless the adapter lists another way).
    fn stream_all(&self, params: ListParams) -> BoxStream<'_, Result<R>> {
        self.stream_listing(params)
    }
}

impl<R: Record, T: Resource<R> + ?Sized> ResourceExt<R> for T {}

/// Conveniences on any [`Crm`], generic over the record type:
/// `crm.stream_all::<Contact>(ListParams::new())`.
pub trait CrmExt: Crm {
    /// The resource for `R`.
    fn resource<R: Record>(&self) -> &dyn Resource<R> {
        R::resource(self)
    }

    /// The vendor extra of type `T`, when the adapter offers one:
    /// `crm.extension::<unicrm_capsule::RestHooks>()`.
    fn extension<T: Any + Send + Sync>(&self) -> Option<&T> {
        self.extension_of(TypeId::of::<T>())
            .and_then(|e| e.downcast_ref::<T>())
    }

    /// Every record of type `R`, over all pages ([`Resource::stream_listing`]).
    fn stream_all<R: Record>(&self, params: ListParams) -> BoxStream<'_, Result<R>> {
        R::resource(self).stream_listing(params)
    }

    /// Every record of type `R`, collected ([`Resource::stream_listing`]).
    fn list_all<R: Record>(&self, params: ListParams) -> BoxFuture<'_, Result<Vec<R>>> {
        Box::pin(R::resource(self).stream_listing(params).try_collect())
    }

    /// Changes to records of type `R` since `checkpoint`, as a stream of batches
    /// ([`Resource::change_stream`]).
    fn change_stream<R: Record>(&self, checkpoint: Checkpoint) -> ChangeStream<'_, R> {
        R::resource(self).change_stream(checkpoint)
    }

    /// Changes to records of type `R` since `checkpoint`.
    fn changes_since<'a, R: Record>(
        &'a self,
        checkpoint: &'a Checkpoint,
    ) -> BoxFuture<'a, Result<ChangeSet<R, R::Id>>> {
        R::resource(self).changes_since(checkpoint)
    }
}

impl<C: Crm + ?Sized> CrmExt for C {}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::page::{Cursor, DEFAULT_MAX_PAGES};
    use std::sync::Mutex;

    /// A resource with its own full listing: `ResourceExt::stream_all` on a `dyn Resource`
    /// takes it, `stream_pages` keeps core's loop.
    struct OwnListing;

    #[async_trait]
    impl Resource<Contact> for OwnListing {
        fn vendor(&self) -> &str {
            "test"
        }
        async fn list(&self, _params: &ListParams) -> Result<Page<Contact>> {
            Ok(Page::last(vec![contact(1)]))
        }
        fn stream_listing(&self, _params: ListParams) -> BoxStream<'_, Result<Contact>> {
            stream::iter([Ok(contact(7)), Ok(contact(8))]).boxed()
        }
    }

    #[tokio::test]
    async fn an_overridden_listing_is_used_through_dyn() {
        let r: &dyn Resource<Contact> = &OwnListing;
        let all: Vec<Contact> = r.stream_all(ListParams::new()).try_collect().await.unwrap();
        assert_eq!(
            all.iter().map(|c| c.id.as_str()).collect::<Vec<_>>(),
            ["7", "8"]
        );
        let pages: Vec<Page<Contact>> = r
            .stream_pages(ListParams::new())
            .try_collect()
            .await
            .unwrap();
        assert_eq!(pages.len(), 1);
        assert_eq!(pages[0].items[0].id.as_str(), "1");
        let default: Vec<Contact> = default_listing(r, ListParams::new())
            .try_collect()
            .await
            .unwrap();
        assert_eq!(default.len(), 1);
    }

    /// A scripted resource: returns the given pages in order, whatever the cursor.
    struct Scripted {
        pages: Mutex<Vec<Page<Contact>>>,
    }

    #[async_trait]
    impl Resource<Contact> for Scripted {
        fn vendor(&self) -> &str {
            "test"
        }
        async fn list(&self, _params: &ListParams) -> Result<Page<Contact>> {
            let mut p = self.pages.lock().unwrap();
            if p.is_empty() {
                return Ok(Page::last(vec![]));
            }
            Ok(p.remove(0))
        }
    }

    fn contact(id: u64) -> Contact {
        Contact {
            id: id.into(),
            ..Default::default()
        }
    }

    fn page(ids: &[u64], next: Option<&str>) -> Page<Contact> {
        Page {
            items: ids.iter().map(|i| contact(*i)).collect(),
            next: next.map(Cursor::new),
            total: None,
        }
    }

    #[tokio::test]
    async fn streams_every_page() {
        let r = Scripted {
            pages: Mutex::new(vec![page(&[1, 2], Some("a")), page(&[3], None)]),
        };
        let all: Vec<Contact> = r.stream_all(ListParams::new()).try_collect().await.unwrap();
        assert_eq!(
            all.iter().map(|c| c.id.as_str()).collect::<Vec<_>>(),
            ["1", "2", "3"]
        );
    }

    #[tokio::test]
    async fn non_advancing_cursor_fails() {
        let r = Scripted {
            pages: Mutex::new(vec![
                page(&[1], Some("a")),
                page(&[2], Some("a")),
                page(&[3], None),
            ]),
        };
        let res: Result<Vec<Contact>> = r.stream_all(ListParams::new()).try_collect().await;
        let err = res.unwrap_err();
        assert!(err.to_string().contains("seen before (a)"), "{err}");
    }

    #[tokio::test]
    async fn cursor_cycle_fails() {
        let r = Scripted {
            pages: Mutex::new(vec![
                page(&[1], Some("a")),
                page(&[2], Some("b")),
                page(&[3], Some("a")),
            ]),
        };
        let res: Result<Vec<Contact>> = r.stream_all(ListParams::new()).try_collect().await;
        let err = res.unwrap_err();
        assert!(err.to_string().contains("seen before (a)"), "{err}");
    }

    #[tokio::test]
    async fn empty_page_with_next_fails() {
        let r = Scripted {
            pages: Mutex::new(vec![page(&[1], Some("a")), page(&[], Some("b"))]),
        };
        let res: Result<Vec<Contact>> = r.stream_all(ListParams::new()).try_collect().await;
        let err = res.unwrap_err();
        assert!(err.to_string().contains("empty page"), "{err}");
    }

    /// An endless chain: page `n` leads to page `n + 1`, for ever (or up to `last`).
    struct Endless {
        last: Option<u64>,
        calls: std::sync::atomic::AtomicU64,
    }

    #[async_trait]
    impl Resource<Contact> for Endless {
        fn vendor(&self) -> &str {
            "test"
        }
        async fn list(&self, params: &ListParams) -> Result<Page<Contact>> {
            let calls = self.calls.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            // A runaway loop fails the test instead of hanging it.
            if calls > 1_000 {
                return Err(Error::config("runaway listing"));
            }
            let n: u64 = params
                .cursor
                .as_ref()
                .map_or(0, |c| c.as_str().parse().unwrap());
            let next = (Some(n + 1) != self.last).then(|| Cursor::new((n + 1).to_string()));
            Ok(Page {
                items: vec![contact(n)],
                next,
                total: None,
            })
        }
    }

    fn endless(last: Option<u64>) -> Endless {
        Endless {
            last,
            calls: Default::default(),
        }
    }

    #[tokio::test]
    async fn an_endless_chain_stops_at_the_page_limit() {
        let r = endless(None);
        let pages: Vec<Result<Page<Contact>>> = r
            .stream_pages(ListParams::new().max_pages(5))
            .collect()
            .await;
        assert_eq!(pages.len(), 5);
        assert!(pages[..4].iter().all(|p| p.is_ok()));
        let err = pages[4].as_ref().unwrap_err();
        assert!(err.to_string().contains("after 5 pages"), "{err}");
        assert_eq!(r.calls.load(std::sync::atomic::Ordering::SeqCst), 5);
    }

    #[tokio::test]
    async fn a_listing_of_exactly_the_limit_succeeds() {
        // Pages 0..=4: five pages, the fifth without a next one.
        let r = endless(Some(5));
        let all: Vec<Contact> = r
            .stream_all(ListParams::new().max_pages(5))
            .try_collect()
            .await
            .unwrap();
        assert_eq!(all.len(), 5);
        let r = endless(Some(6));
        let res: Result<Vec<Contact>> = r
            .stream_all(ListParams::new().max_pages(5))
            .try_collect()
            .await;
        assert!(matches!(res, Err(Error::Paging { .. })), "{res:?}");
    }

    #[tokio::test]
    async fn the_default_limit_applies() {
        assert_eq!(DEFAULT_MAX_PAGES, 100_000);
        let r = endless(Some(3));
        let all: Vec<Contact> = r.stream_all(ListParams::new()).try_collect().await.unwrap();
        assert_eq!(all.len(), 3);
    }

    #[tokio::test]
    async fn resuming_at_a_cursor_that_comes_back_fails() {
        let r = Scripted {
            pages: Mutex::new(vec![page(&[1], Some("start")), page(&[2], None)]),
        };
        let params = ListParams::new().cursor(Some(Cursor::new("start")));
        let res: Result<Vec<Contact>> = r.stream_all(params).try_collect().await;
        let err = res.unwrap_err();
        assert!(err.to_string().contains("seen before (start)"), "{err}");
    }

    #[tokio::test]
    async fn errors_end_the_stream() {
        let r = Scripted {
            pages: Mutex::new(vec![page(&[1], Some("a")), page(&[], Some("b"))]),
        };
        let pages: Vec<Result<Page<Contact>>> = r.stream_pages(ListParams::new()).collect().await;
        assert_eq!(pages.len(), 2);
        assert!(pages[0].is_ok() && pages[1].is_err());
    }

    #[tokio::test]
    async fn unsupported_defaults() {
        let r = UnsupportedResource::new("capsule");
        let err = Resource::<Lead>::delete(&r, &LeadId::from(1u64))
            .await
            .unwrap_err();
        assert_eq!(err.to_string(), "lead.delete is not supported by capsule");
        assert!(err.is_unsupported());
    }

    /// A resource whose feed is only `changes_since`: the default stream is one batch of it.
    struct OnlyChangesSince;

    #[async_trait]
    impl Resource<Contact> for OnlyChangesSince {
        fn vendor(&self) -> &str {
            "test"
        }
        async fn changes_since(
            &self,
            checkpoint: &Checkpoint,
        ) -> Result<ChangeSet<Contact, ContactId>> {
            Ok(ChangeSet {
                changes: vec![Change::Upserted { record: contact(3) }],
                next: Checkpoint::at(checkpoint.at + chrono::Duration::seconds(5)),
            })
        }
    }

    #[tokio::test]
    async fn the_default_change_stream_is_one_batch_of_changes_since() {
        let cp = Checkpoint::at(DateTime::<Utc>::UNIX_EPOCH);
        let r: &dyn Resource<Contact> = &OnlyChangesSince;
        let batches: Vec<_> = r.change_stream(cp.clone()).try_collect().await.unwrap();
        assert_eq!(batches.len(), 1);
        assert_eq!(batches[0], r.changes_since(&cp).await.unwrap());
        let mut failing = Resource::<Contact>::change_stream(&UNSUPPORTED_CONTACTS, cp);
        assert!(matches!(
            failing.next().await,
            Some(Err(Error::Unsupported { .. }))
        ));
        assert!(failing.next().await.is_none());
    }

    static UNSUPPORTED_CONTACTS: UnsupportedResource = UnsupportedResource::new("test");

    fn batch(
        changes: Vec<Change<Contact, ContactId>>,
        at: i64,
    ) -> Result<ChangeSet<Contact, ContactId>> {
        Ok(ChangeSet {
            changes,
            next: Checkpoint::at(DateTime::<Utc>::UNIX_EPOCH + chrono::Duration::seconds(at)),
        })
    }

    fn up(id: u64, name: &str) -> Change<Contact, ContactId> {
        let mut c = contact(id);
        c.first_name = Some(name.to_string());
        Change::Upserted { record: c }
    }

    fn del(id: u64) -> Change<Contact, ContactId> {
        Change::Deleted {
            id: id.into(),
            deleted_at: None,
        }
    }

    fn summary(set: &ChangeSet<Contact, ContactId>) -> Vec<String> {
        set.changes
            .iter()
            .map(|c| match c {
                Change::Upserted { record } => {
                    format!(
                        "+{}{}",
                        record.id,
                        record.first_name.as_deref().unwrap_or("")
                    )
                }
                Change::Deleted { id, .. } => format!("-{id}"),
            })
            .collect()
    }

    #[tokio::test]
    async fn collected_batches_keep_each_records_last_state_upserts_first() {
        let cp = Checkpoint::at(DateTime::<Utc>::UNIX_EPOCH);
        let s = stream::iter([
            batch(vec![up(1, "a"), up(2, "a"), del(9)], 10),
            batch(vec![up(1, "b"), del(2), up(3, "a")], 20),
            batch(vec![del(4), up(9, "back")], 30),
        ])
        .boxed();
        let set = collect_changes(&cp, s).await.unwrap();
        assert_eq!(summary(&set), ["+1b", "+9back", "+3a", "-2", "-4"]);
        assert_eq!(set.next.at.timestamp(), 30, "the last batch's checkpoint");
    }

    #[tokio::test]
    async fn collecting_nothing_keeps_the_checkpoint_and_an_error_is_returned() {
        let cp = Checkpoint::at(DateTime::<Utc>::UNIX_EPOCH + chrono::Duration::seconds(7));
        let empty = stream::iter(Vec::<Result<ChangeSet<Contact, ContactId>>>::new()).boxed();
        assert_eq!(collect_changes(&cp, empty).await.unwrap().next, cp);
        let failing = stream::iter([
            batch(vec![up(1, "a")], 10),
            Err(Error::unsupported("x", "test")),
        ])
        .boxed();
        assert!(collect_changes(&cp, failing).await.is_err());
    }
}
