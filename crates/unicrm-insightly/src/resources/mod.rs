//! The resources: one generic implementation of Insightly's common pattern (docs/vendors/insightly-v3.1.md §8.1)
//! for contacts, accounts, opportunities, leads, tasks and notes ([`ObjectResource`], specified
//! per object in [`objects`]), projects ([`ProjectsResource`], the same pattern plus pipeline
//! routes and milestones), plus read-only [`UsersResource`], [`PipelinesResource`] and
//! [`FieldDefinitionsResource`].

pub mod engagement_listing;
pub mod engagements;
pub mod events;

pub mod field_definitions;
mod link_sync;
mod milestones;
pub mod objects;
mod pipelines;
pub mod projects;
mod users;

use std::collections::HashSet;
use std::marker::PhantomData;
use std::sync::Arc;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use futures::stream::{self, BoxStream, StreamExt, TryStreamExt};
use serde_json::value::RawValue;
use unicrm_core::Error;
use unicrm_core::crm::default_listing;
use unicrm_core::http::Method;
use unicrm_core::http::Request;
use unicrm_core::page::DEFAULT_MAX_PAGES;
use unicrm_core::{
    ChangeSet, Checkpoint, ListParams, Page, Record, RecordLink, Resource, ResourceKind, Result,
};

pub use engagements::EngagementsResource;

pub use field_definitions::FieldDefinitionsResource;
pub use pipelines::PipelinesResource;
pub use projects::ProjectsResource;
pub use users::UsersResource;

use crate::client::{Shared, VENDOR};
use crate::mapping::lead::LeadPicklists;
use crate::mapping::{Definitions, dates, links, wire_id};
use crate::paging::{self, Listing, decode_cursor, encode_cursor};
use crate::wire::Body;

/// A whole listing in one call: every page, fetched concurrently once the total is known
/// (see [`crate::paging`]), de-duplicated by id. Implemented by [`crate::InsightlyClient`] for
/// contacts, accounts, opportunities, leads, tasks and notes:
/// `let all: Vec<Contact> = client.fetch_all(&ListParams::new()).await?;`
#[async_trait]
pub trait FetchAll<R: Record> {
    /// Every record matching `params` (`search`, `updated_since`; cursor and page size are
    /// ignored).
    async fn fetch_all(&self, params: &ListParams) -> Result<Vec<R>>;
}

/// The links of one kind (or all links) a patch wants a record to have.
#[derive(Debug, Clone)]
pub struct LinkScope {
    /// Links to records of this kind; `None` for every link.
    pub kind: Option<ResourceKind>,
    /// The desired links within the scope.
    pub desired: Vec<RecordLink>,
    /// Remove links in the scope that are not desired (else only add the missing).
    pub prune: bool,
}

impl LinkScope {
    /// The scope a patch of one link field describes (`Set(x)` → exactly `x`, `Clear` → none).
    pub fn single<T: std::fmt::Display>(
        kind: ResourceKind,
        p: &unicrm_core::Patch<T>,
    ) -> Option<Self> {
        match p {
            unicrm_core::Patch::Unchanged => None,
            unicrm_core::Patch::Clear => Some(LinkScope {
                kind: Some(kind),
                desired: vec![],
                prune: true,
            }),
            unicrm_core::Patch::Set(v) => Some(LinkScope {
                desired: vec![links::link(kind.clone(), &v.to_string())],
                kind: Some(kind),
                prune: true,
            }),
        }
    }

    /// The scope of a `links` patch: every link.
    pub fn all(p: &unicrm_core::Patch<Vec<RecordLink>>) -> Option<Self> {
        match p {
            unicrm_core::Patch::Unchanged => None,
            unicrm_core::Patch::Clear => Some(LinkScope {
                kind: None,
                desired: vec![],
                prune: true,
            }),
            unicrm_core::Patch::Set(v) => Some(LinkScope {
                kind: None,
                desired: links::dedup(v.clone()),
                prune: true,
            }),
        }
    }
}

/// How one Insightly object maps onto the generic resource.
pub trait ObjectSpec: Send + Sync + 'static {
    /// The unified record.
    type R: Record;
    /// Path (`Contacts`).
    const PATH: &'static str;
    /// Id key in bodies (`CONTACT_ID`).
    const ID_KEY: &'static str;
    /// Whether records carry `CUSTOMFIELDS` typed by definitions.
    const CUSTOM_FIELDS: bool;
    /// Whether records need the lead statuses and sources (`/LeadStatuses`, `/LeadSources`).
    const LEAD_PICKLISTS: bool = false;

    /// The `/Search` field used for a bare search text.
    fn default_search_field(q: &str) -> &'static str;
    /// Reads a record (`prefix` for decode error paths).
    fn read(
        raw: &RawValue,
        defs: &Definitions,
        lists: &LeadPicklists,
        prefix: &str,
    ) -> Result<Self::R>;
    /// The POST body.
    fn create_body(
        new: &<Self::R as Record>::New,
        defs: &Definitions,
        lists: &LeadPicklists,
    ) -> Result<Body>;
    /// The path a create is POSTed to.
    fn create_path(new: &<Self::R as Record>::New) -> Result<String> {
        let _ = new;
        Ok(Self::PATH.to_string())
    }
    /// The PUT body fields (without the id).
    fn patch_body(
        patch: &<Self::R as Record>::Patch,
        defs: &Definitions,
        lists: &LeadPicklists,
    ) -> Result<Body>;
    /// Link changes a patch asks for (applied through `/{Obj}/{id}/Links`).
    fn link_scopes(patch: &<Self::R as Record>::Patch) -> Vec<LinkScope>;
    /// The foreign keys whose record also shows as a link (wire key → kind of the record it
    /// names): an update never deletes such a link while the key names its record.
    fn implied_link_keys() -> Vec<(&'static str, ResourceKind)> {
        Vec::new()
    }
    /// The unified id for an Insightly id.
    fn make_id(id: u64) -> <Self::R as Record>::Id;
    /// The Insightly id of a unified id (the inverse of [`ObjectSpec::make_id`]).
    fn parse_id(id: &str) -> Result<u64> {
        wire_id(Self::ID_KEY, id)
    }
}

/// A resource following Insightly's generic pattern.
pub struct ObjectResource<S> {
    pub(crate) shared: Arc<Shared>,
    _spec: PhantomData<fn() -> S>,
}

impl<S> std::fmt::Debug for ObjectResource<S> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ObjectResource")
            .field("path", &std::any::type_name::<S>())
            .finish()
    }
}

impl<S: ObjectSpec> ObjectResource<S> {
    pub(crate) fn new(shared: Arc<Shared>) -> Self {
        ObjectResource {
            shared,
            _spec: PhantomData,
        }
    }

    /// The definitions used to type custom fields (empty for objects without them).
    pub(crate) async fn defs(&self) -> Result<Arc<Definitions>> {
        if S::CUSTOM_FIELDS {
            self.shared
                .definitions(S::PATH, &<S::R as Record>::KIND)
                .await
        } else {
            Ok(Arc::new(Definitions::empty()))
        }
    }

    /// The lead statuses and sources (empty for objects that do not need them).
    pub(crate) async fn lists(&self) -> Result<Arc<LeadPicklists>> {
        if S::LEAD_PICKLISTS {
            self.shared.lead_picklists().await
        } else {
            Ok(Arc::new(LeadPicklists::empty()))
        }
    }

    fn id_of(id: &<S::R as Record>::Id) -> Result<u64> {
        S::parse_id(&id.to_string())
    }

    /// The listing for `params` (plain, `/Search` by field or by `updated_after_utc`, or
    /// `/SearchByTag`).
    pub(crate) fn listing(params: &ListParams) -> Listing {
        let mut l = Listing::new(S::PATH);
        if let Some(q) = params
            .search
            .as_deref()
            .map(str::trim)
            .filter(|q| !q.is_empty())
        {
            if let Some(tag) = q.strip_prefix("tag:") {
                l.path = format!("{}/SearchByTag", S::PATH);
                l.query.push(("tagName".into(), tag.trim().to_string()));
                return l;
            }
            l.path = format!("{}/Search", S::PATH);
            let (field, value) = match q.split_once('=') {
                Some((f, v))
                    if !f.trim().is_empty()
                        && f.trim()
                            .chars()
                            .all(|c| c.is_ascii_alphanumeric() || c == '_') =>
                {
                    (f.trim().to_string(), v.trim().to_string())
                }
                _ => (S::default_search_field(q).to_string(), q.to_string()),
            };
            l.query.push(("field_name".into(), field));
            l.query.push(("field_value".into(), value));
        }
        if let Some(t) = params.updated_since {
            l.path = format!("{}/Search", S::PATH);
            l.query.push((
                "updated_after_utc".into(),
                dates::format_query(&since_query(t)),
            ));
        }
        l
    }

    fn read_all(
        items: &[Box<RawValue>],
        defs: &Definitions,
        lists: &LeadPicklists,
        offset: u64,
    ) -> Result<Vec<S::R>> {
        items
            .iter()
            .enumerate()
            .map(|(i, r)| S::read(r, defs, lists, &format!("[{}]", offset + i as u64)))
            .collect()
    }

    /// Every record of a listing as a stream, concurrently paged ([`paging::stream_pages`];
    /// `params.max_pages` bounds it), de-duplicated by id (first kept), in the vendor's order.
    pub(crate) fn stream_records(
        &self,
        listing: Listing,
        params: &ListParams,
    ) -> BoxStream<'_, Result<S::R>> {
        let shared = &*self.shared;
        let listing = Arc::new(listing);
        let params = ListParams::new().max_pages(params.max_pages.unwrap_or(DEFAULT_MAX_PAGES));
        stream::once(async move { Ok::<_, Error>((self.defs().await?, self.lists().await?)) })
            .map_ok(move |(defs, lists)| {
                let mut offset = 0u64;
                let mut seen = HashSet::new();
                paging::stream_pages(shared, listing.clone(), &params)
                    .map(move |page| {
                        let page = page?;
                        let records = Self::read_all(&page.items, &defs, &lists, offset)?;
                        offset = offset.saturating_add(page.items.len() as u64);
                        let fresh: Vec<S::R> = records
                            .into_iter()
                            .filter(|r| seen.insert(r.id().clone()))
                            .collect();
                        Ok(stream::iter(fresh.into_iter().map(Ok)))
                    })
                    .try_flatten()
            })
            .try_flatten()
            .boxed()
    }

    /// Every record matching `params` (cursor and page size ignored).
    pub async fn fetch_all(&self, params: &ListParams) -> Result<Vec<S::R>> {
        self.stream_records(Self::listing(params), params)
            .try_collect()
            .await
    }
}

/// The `updated_after_utc` value for "updated at or after `t`": Insightly's filter is
/// exclusive at one-second resolution, so ask from one second before `t`'s whole second.
pub fn since_query(t: DateTime<Utc>) -> DateTime<Utc> {
    let whole = DateTime::<Utc>::from_timestamp(t.timestamp(), 0).unwrap_or(t);
    whole - chrono::Duration::seconds(1)
}

#[async_trait]
impl<S: ObjectSpec> Resource<S::R> for ObjectResource<S> {
    fn vendor(&self) -> &str {
        VENDOR
    }

    /// One page: `GET /{Obj}` (or `/Search`, `/SearchByTag`) with `skip`/`top` (≤ 500) and
    /// `count_total=true`.
    ///
    /// `params.search` is `FIELD_NAME=value` (exact match on a standard or `…__c` custom
    /// field), `tag:name`, or a bare value searched in the object's main field (email for
    /// text with `@`). `params.updated_since` asks for records updated in the same second or
    /// later (the vendor's filter is exclusive at one-second resolution).
    async fn list(&self, params: &ListParams) -> Result<Page<S::R>> {
        let top = paging::page_size(params.page_size);
        let skip = params
            .cursor
            .as_ref()
            .map(decode_cursor)
            .transpose()?
            .unwrap_or(0);
        let defs = self.defs().await?;
        let lists = self.lists().await?;
        let page =
            paging::fetch_page(&self.shared, &Self::listing(params), skip, top, true).await?;
        let len = page.items.len() as u64;
        let items = Self::read_all(&page.items, &defs, &lists, 0)?;
        let end = skip.saturating_add(len);
        let last = len < u64::from(top) || page.total.is_some_and(|t| end >= t);
        Ok(Page {
            items,
            next: (!last).then(|| encode_cursor(end)),
            total: page.total,
        })
    }

    /// A full listing: concurrent pages once the total is known (`paging::stream_pages`),
    /// de-duplicated by id, in order; `stream_all` / `list_all` take it, also through
    /// `Arc<dyn Crm>`. A listing that resumes at a cursor or asks for a page size is core's
    /// page loop over [`Resource::list`] instead.
    fn stream_listing(&self, params: ListParams) -> BoxStream<'_, Result<S::R>> {
        if params.cursor.is_some() || params.page_size.is_some() {
            return default_listing(self, params);
        }
        self.stream_records(Self::listing(&params), &params)
    }

    async fn get(&self, id: &<S::R as Record>::Id) -> Result<S::R> {
        let n = Self::id_of(id)?;
        let defs = self.defs().await?;
        let lists = self.lists().await?;
        let raw = self.shared.get_object(&format!("{}/{n}", S::PATH)).await?;
        S::read(&raw, &defs, &lists, "")
    }

    async fn create(&self, new: &<S::R as Record>::New) -> Result<S::R> {
        let defs = self.defs().await?;
        let lists = self.lists().await?;
        let body = S::create_body(new, &defs, &lists)?;
        let path = S::create_path(new)?;
        let raw = self.shared.write_object(Method::POST, &path, &body).await?;
        S::read(&raw, &defs, &lists, "")
    }

    /// `PUT /{Obj}` with the id and exactly the fields the patch touches (v3.1 PUT is
    /// partial): untouched fields are not sent, so never wiped, and no read comes first. Link
    /// changes go through `/{Obj}/{id}/Links`, starting from the links the PUT's answer (or,
    /// for a links-only patch, one read of the record) shows, and only where they differ (see
    /// `link_sync`); the record is read again only when a link was written. An update of
    /// fields only costs the PUT.
    async fn update(
        &self,
        id: &<S::R as Record>::Id,
        patch: &<S::R as Record>::Patch,
    ) -> Result<S::R> {
        let n = Self::id_of(id)?;
        let defs = self.defs().await?;
        let lists = self.lists().await?;
        let mut body = S::patch_body(patch, &defs, &lists)?;
        let scopes = S::link_scopes(patch);
        let mut answered = None;
        if !body.is_empty() {
            body.set(S::ID_KEY, &n)?;
            answered = Some(
                self.shared
                    .write_object(Method::PUT, S::PATH, &body)
                    .await?,
            );
        }
        if scopes.is_empty() {
            return match answered {
                Some(raw) => S::read(&raw, &defs, &lists, ""),
                None => self.get(id).await,
            };
        }
        let raw = match answered {
            Some(raw) => raw,
            None => self.shared.get_object(&format!("{}/{n}", S::PATH)).await?,
        };
        let known = link_sync::known(&raw, &S::implied_link_keys())?;
        let current = match known.links {
            Some(held) => held,
            None => self.current_links(n).await?,
        };
        if self.sync_links(n, &scopes, current, &known.implied).await? {
            self.get(id).await
        } else {
            S::read(&raw, &defs, &lists, "")
        }
    }

    /// `DELETE /{Obj}/{id}`; any 2xx is success.
    async fn delete(&self, id: &<S::R as Record>::Id) -> Result<()> {
        let n = Self::id_of(id)?;
        let url = self.shared.http.url(&format!("{}/{n}", S::PATH))?;
        self.shared.send(Request::new(Method::DELETE, url)).await?;
        Ok(())
    }

    async fn changes_since(
        &self,
        checkpoint: &Checkpoint,
    ) -> Result<ChangeSet<S::R, <S::R as Record>::Id>> {
        crate::changes::changes_since(self, checkpoint).await
    }

    /// A batch per page of the upsert listing, then the deletion scan's batch when one is
    /// due (see [`crate::changes`]).
    fn change_stream(&self, checkpoint: Checkpoint) -> unicrm_core::ChangeStream<'_, S::R> {
        crate::changes::change_stream(self, checkpoint)
    }
}
