//! The one place capabilities are enforced: [`Guarded`] wraps any `Arc<dyn Crm>` and checks
//! every resource call against the adapter's [`Capabilities`] before the adapter sees it.
//!
//! | call | refused with [`Error::Unsupported`] when |
//! | --- | --- |
//! | any operation | the operation is false (`contact.delete`) |
//! | `list` | `search` / `updated_since` is set and not honoured (`task.list with search`) |
//! | `create`, `update` | the write sets (or clears) a field the resource cannot write, named (`contact.create setting department`) |
//!
//! A page size above the resource's `max_page_size` is **clamped** to it, and a page size of 0
//! becomes 1: a caller asking for "as much as possible" gets the vendor's largest page, never an
//! error. A resource whose `max_page_size` is 0 (unknown) gets the page size unchanged.
//! `vendor_fields` (the escape hatch) are always passed on.
//!
//! The refusals send nothing to the vendor. [`crate::registry::connect`] returns guarded
//! clients; adapters therefore need no checks of their own.

use std::any::{Any, TypeId};
use std::borrow::Cow;
use std::marker::PhantomData;
use std::sync::Arc;

use async_trait::async_trait;
use futures::stream::{self, BoxStream, StreamExt};

use crate::capability::{Capabilities, Filter, Operation, ResourceCapabilities};
use crate::change::{ChangeSet, Checkpoint};
use crate::crm::{ClientStats, Crm, Record, Resource};
use crate::error::{Error, Result};
use crate::models::*;
use crate::page::{ListParams, Page};

/// One resource of a [`Guarded`] client.
struct Guard<R> {
    inner: Arc<dyn Crm>,
    vendor: String,
    caps: ResourceCapabilities,
    _record: PhantomData<fn() -> R>,
}

impl<R: Record> Guard<R> {
    fn new(inner: &Arc<dyn Crm>, caps: &Capabilities) -> Self {
        Guard {
            inner: inner.clone(),
            vendor: inner.vendor().to_string(),
            caps: caps.of::<R>().clone(),
            _record: PhantomData,
        }
    }

    fn target(&self) -> &dyn Resource<R> {
        R::resource(self.inner.as_ref())
    }

    fn refuse(&self, what: String) -> Error {
        Error::unsupported(what, self.vendor.clone())
    }

    fn allow(&self, op: Operation) -> Result<()> {
        if self.caps.supports(op) {
            Ok(())
        } else {
            Err(self.refuse(format!("{}.{}", R::KIND, op.as_str())))
        }
    }

    fn allow_fields(&self, op: Operation, fields: &[&'static str]) -> Result<()> {
        match fields.iter().find(|f| !self.caps.can_write(f)) {
            None => Ok(()),
            Some(f) => Err(self.refuse(format!("{}.{} setting {f}", R::KIND, op.as_str()))),
        }
    }

    /// The parameters to pass on: filters checked, page size clamped.
    fn params<'p>(&self, params: &'p ListParams) -> Result<Cow<'p, ListParams>> {
        for (filter, set) in [
            (Filter::Search, params.search.is_some()),
            (Filter::UpdatedSince, params.updated_since.is_some()),
            (Filter::Of, params.of.is_some()),
        ] {
            if set && !self.caps.honours(filter) {
                return Err(self.refuse(format!("{}.list with {}", R::KIND, filter.as_str())));
            }
        }
        match clamp(params.page_size, self.caps.max_page_size) {
            n if n == params.page_size => Ok(Cow::Borrowed(params)),
            n => {
                let mut p = params.clone();
                p.page_size = n;
                Ok(Cow::Owned(p))
            }
        }
    }
}

/// The page size passed on for `requested` when the vendor's largest page is `max` (0:
/// unknown).
fn clamp(requested: Option<u32>, max: u32) -> Option<u32> {
    match requested {
        Some(0) => Some(1),
        Some(n) if max > 0 && n > max => Some(max),
        other => other,
    }
}

#[async_trait]
impl<R: Record> Resource<R> for Guard<R> {
    fn vendor(&self) -> &str {
        &self.vendor
    }

    async fn list(&self, params: &ListParams) -> Result<Page<R>> {
        self.allow(Operation::List)?;
        let params = self.params(params)?;
        self.target().list(&params).await
    }

    async fn get(&self, id: &R::Id) -> Result<R> {
        self.allow(Operation::Get)?;
        self.target().get(id).await
    }

    async fn create(&self, new: &R::New) -> Result<R> {
        self.allow(Operation::Create)?;
        self.allow_fields(Operation::Create, &R::new_fields(new))?;
        self.target().create(new).await
    }

    async fn update(&self, id: &R::Id, patch: &R::Patch) -> Result<R> {
        self.allow(Operation::Update)?;
        self.allow_fields(Operation::Update, &R::patch_fields(patch))?;
        self.target().update(id, patch).await
    }

    async fn delete(&self, id: &R::Id) -> Result<()> {
        self.allow(Operation::Delete)?;
        self.target().delete(id).await
    }

    async fn changes_since(&self, checkpoint: &Checkpoint) -> Result<ChangeSet<R, R::Id>> {
        self.allow(Operation::Changes)?;
        self.target().changes_since(checkpoint).await
    }

    /// The adapter's own change stream, after the same check as [`Resource::changes_since`].
    fn change_stream(&self, checkpoint: Checkpoint) -> crate::crm::ChangeStream<'_, R> {
        match self.allow(Operation::Changes) {
            Ok(()) => self.target().change_stream(checkpoint),
            Err(e) => stream::once(async move { Err(e) }).boxed(),
        }
    }

    /// The adapter's own full listing (Insightly's concurrent pages, say), after the same
    /// checks as [`Resource::list`].
    fn stream_listing(&self, params: ListParams) -> BoxStream<'_, Result<R>> {
        let checked = self
            .allow(Operation::List)
            .and_then(|()| self.params(&params).map(Cow::into_owned));
        match checked {
            Ok(params) => self.target().stream_listing(params),
            Err(e) => stream::once(async move { Err(e) }).boxed(),
        }
    }
}

/// A [`Crm`] whose every resource call is checked against the capabilities first (see the
/// module docs). Vendor extras ([`crate::CrmExt::extension`]) are forwarded to the wrapped
/// client.
pub struct Guarded {
    inner: Arc<dyn Crm>,
    contacts: Guard<Contact>,
    accounts: Guard<Account>,
    opportunities: Guard<Opportunity>,
    tasks: Guard<Task>,
    notes: Guard<Note>,
    users: Guard<User>,
    pipelines: Guard<Pipeline>,
    leads: Guard<Lead>,
    projects: Guard<Project>,
    engagements: Guard<Engagement>,
    engagement_types: Guard<EngagementType>,
    field_definitions: Guard<FieldDefinition>,
}

impl std::fmt::Debug for Guarded {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Guarded")
            .field("vendor", &self.inner.vendor())
            .finish_non_exhaustive()
    }
}

impl Guarded {
    /// Guards `inner`, with the capabilities it states now.
    pub fn new(inner: Arc<dyn Crm>) -> Self {
        let caps = inner.capabilities().clone();
        Guarded {
            contacts: Guard::new(&inner, &caps),
            accounts: Guard::new(&inner, &caps),
            opportunities: Guard::new(&inner, &caps),
            tasks: Guard::new(&inner, &caps),
            notes: Guard::new(&inner, &caps),
            users: Guard::new(&inner, &caps),
            pipelines: Guard::new(&inner, &caps),
            leads: Guard::new(&inner, &caps),
            projects: Guard::new(&inner, &caps),
            engagements: Guard::new(&inner, &caps),
            engagement_types: Guard::new(&inner, &caps),
            field_definitions: Guard::new(&inner, &caps),
            inner,
        }
    }

    /// The wrapped client (unchecked calls: for adapters' own tests).
    pub fn inner(&self) -> &Arc<dyn Crm> {
        &self.inner
    }
}

/// `crm`, guarded; a client that is already guarded is returned as it is.
pub fn guard(crm: Arc<dyn Crm>) -> Arc<dyn Crm> {
    if crm.extension_of(TypeId::of::<Guarded>()).is_some() {
        return crm;
    }
    Arc::new(Guarded::new(crm))
}

#[async_trait]
impl Crm for Guarded {
    fn vendor(&self) -> &str {
        self.inner.vendor()
    }

    fn capabilities(&self) -> &Capabilities {
        self.inner.capabilities()
    }

    fn contacts(&self) -> &dyn Resource<Contact> {
        &self.contacts
    }

    fn accounts(&self) -> &dyn Resource<Account> {
        &self.accounts
    }

    fn opportunities(&self) -> &dyn Resource<Opportunity> {
        &self.opportunities
    }

    fn tasks(&self) -> &dyn Resource<Task> {
        &self.tasks
    }

    fn notes(&self) -> &dyn Resource<Note> {
        &self.notes
    }

    fn users(&self) -> &dyn Resource<User> {
        &self.users
    }

    fn pipelines(&self) -> &dyn Resource<Pipeline> {
        &self.pipelines
    }

    fn leads(&self) -> &dyn Resource<Lead> {
        &self.leads
    }

    fn projects(&self) -> &dyn Resource<Project> {
        &self.projects
    }

    fn engagements(&self) -> &dyn Resource<Engagement> {
        &self.engagements
    }

    fn engagement_types(&self) -> &dyn Resource<EngagementType> {
        &self.engagement_types
    }

    fn field_definitions(&self) -> &dyn Resource<FieldDefinition> {
        &self.field_definitions
    }

    async fn custom_field_definitions(
        &self,
        kind: ResourceKind,
    ) -> Result<Vec<CustomFieldDefinition>> {
        self.inner.custom_field_definitions(kind).await
    }

    async fn current_user(&self) -> Result<User> {
        self.inner.current_user().await
    }

    fn stats(&self) -> ClientStats {
        self.inner.stats()
    }

    fn rate_budget(&self) -> crate::http::retry_after::RateLimitHeaders {
        self.inner.rate_budget()
    }

    fn base_url(&self) -> Option<&url::Url> {
        self.inner.base_url()
    }

    fn extension_of(&self, type_id: TypeId) -> Option<&(dyn Any + Send + Sync)> {
        if type_id == TypeId::of::<Guarded>() {
            return Some(self);
        }
        self.inner.extension_of(type_id)
    }
}

#[cfg(test)]
#[path = "guard_tests.rs"]
mod tests;
