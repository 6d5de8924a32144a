//! The traits an adapter implements, and the conveniences every caller gets from core.
//!
//! An adapter implements one page fetch per resource ([`Resource::list`]); core builds the
//! streams over every page ([`ResourceExt::stream_all`]) and stops them loudly on the loop bugs
//! of other connectors: a cursor that does not advance, or an empty page that claims a next one.

use std::collections::HashSet;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use futures::future::BoxFuture;
use futures::stream::{self, BoxStream, StreamExt, TryStreamExt};
use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::capability::Capabilities;
use crate::change::{ChangeSet, Checkpoint};
use crate::error::{Error, Result};
use crate::models::*;
use crate::page::{Cursor, ListParams, Page};

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
#[async_trait]
pub trait Crm: Send + Sync {
    /// Vendor name (`capsule`, `insightly`).
    fn vendor(&self) -> &str;
    /// What this adapter supports.
    fn capabilities(&self) -> &Capabilities;
    /// Contacts (people).
    fn contacts(&self) -> &dyn Resource<Contact>;
    /// Accounts (organisations).
    fn accounts(&self) -> &dyn Resource<Account>;
    /// Opportunities.
    fn opportunities(&self) -> &dyn Resource<Opportunity>;
    /// Tasks.
    fn tasks(&self) -> &dyn Resource<Task>;
    /// Notes.
    fn notes(&self) -> &dyn Resource<Note>;
    /// Users.
    fn users(&self) -> &dyn Resource<User>;
    /// Pipelines with their stages.
    fn pipelines(&self) -> &dyn Resource<Pipeline>;
    /// Leads.
    fn leads(&self) -> &dyn Resource<Lead>;
    /// Custom field definitions for a kind of record.
    async fn custom_field_definitions(
        &self,
        kind: ResourceKind,
    ) -> Result<Vec<CustomFieldDefinition>>;
    /// The user the credentials act as.
    async fn current_user(&self) -> Result<User>;
    /// Traffic counters.
    fn stats(&self) -> ClientStats;
}

/// Conveniences on any resource.
pub trait ResourceExt<R: Record>: Resource<R> {
    /// Every page from `params.cursor` on, as a stream. Ends with an [`Error::Paging`] if the
    /// cursor does not advance (or comes back to one seen before) or an empty page claims a
    /// next one; ends after the first error.
    fn stream_pages(&self, params: ListParams) -> BoxStream<'_, Result<Page<R>>> {
        struct State {
            params: ListParams,
            seen: HashSet<Cursor>,
            done: bool,
        }
        let mut seen = HashSet::new();
        if let Some(c) = &params.cursor {
            seen.insert(c.clone());
        }
        let state = State {
            params,
            seen,
            done: false,
        };
        stream::try_unfold(state, move |mut st| async move {
            if st.done {
                return Ok(None);
            }
            let page = self.list(&st.params).await?;
            match &page.next {
                None => st.done = true,
                Some(next) => {
                    if page.items.is_empty() {
                        return Err(Error::Paging {
                            message: format!(
                                "{} {} listing returned an empty page with a next cursor",
                                self.vendor(),
                                R::KIND
                            ),
                        });
                    }
                    if !st.seen.insert(next.clone()) {
                        return Err(Error::Paging {
                            message: format!(
                                "{} {} listing: the cursor did not advance ({})",
                                self.vendor(),
                                R::KIND,
                                next.as_str()
                            ),
                        });
                    }
                    st.params.cursor = Some(next.clone());
                }
            }
            Ok(Some((page, st)))
        })
        .boxed()
    }

    /// Every record from every page, as a stream (see [`ResourceExt::stream_pages`]).
    fn stream_all(&self, params: ListParams) -> BoxStream<'_, Result<R>> {
        self.stream_pages(params)
            .map_ok(|page| stream::iter(page.items.into_iter().map(Ok)))
            .try_flatten()
            .boxed()
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

    /// Every record of type `R`, over all pages.
    fn stream_all<R: Record>(&self, params: ListParams) -> BoxStream<'_, Result<R>> {
        R::resource(self).stream_all(params)
    }

    /// Every record of type `R`, collected.
    fn list_all<R: Record>(&self, params: ListParams) -> BoxFuture<'_, Result<Vec<R>>> {
        Box::pin(R::resource(self).stream_all(params).try_collect())
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
    use std::sync::Mutex;

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
        assert!(matches!(res, Err(Error::Paging { .. })), "{res:?}");
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
        assert!(matches!(res, Err(Error::Paging { .. })));
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

    #[tokio::test]
    async fn unsupported_defaults() {
        let r = UnsupportedResource::new("capsule");
        let err = Resource::<Lead>::delete(&r, &LeadId::from(1u64))
            .await
            .unwrap_err();
        assert_eq!(err.to_string(), "lead.delete is not supported by capsule");
        assert!(err.is_unsupported());
    }
}
