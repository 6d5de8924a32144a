//! [`InsightlyClient`]: the client, the shared HTTP plumbing, and the [`Crm`] implementation.
//!
//! The builder lives in [`crate::config`], the definitions and picklists caches in
//! `cache.rs`.

use std::sync::Arc;

use async_trait::async_trait;
use serde_json::value::RawValue;
use unicrm_core::crm::ClientStats;
use unicrm_core::http::retry_after::RateLimitHeaders;
use unicrm_core::http::{HttpClient, HttpResponse, Method, Request, Url};
use unicrm_core::{
    Account, Capabilities, Contact, Crm, CustomFieldDefinition, Error, FieldDefinition, Lead, Note,
    Opportunity, Pipeline, Project, Resource, ResourceKind, Result, Task, User,
};

use crate::cache::Caches;
use crate::capabilities::capabilities;
pub use crate::config::InsightlyClientBuilder;
use crate::resources::objects::{
    AccountSpec, ContactSpec, LeadSpec, NoteSpec, OpportunitySpec, TaskSpec,
};
use crate::resources::{
    FieldDefinitionsResource, ObjectResource, PipelinesResource, ProjectsResource, UsersResource,
};
use crate::wire::decode_object;

/// The vendor name used in errors and capabilities.
pub const VENDOR: &str = "insightly";

/// What every resource of a client shares: the HTTP client (connection pool, rate limiter,
/// quota tracker, credentials, counters), the custom field definitions cache and the lead
/// statuses / sources cache.
pub(crate) struct Shared {
    pub(crate) http: HttpClient,
    pub(crate) pod: Option<String>,
    /// Page size of the change feeds' upsert listings (`None`: the largest).
    pub(crate) feed_page_size: Option<u32>,
    /// The custom field definitions and lead picklists caches (see [`crate::cache`]).
    pub(crate) caches: Caches,
    /// When the change feeds scan for deletions.
    pub(crate) deletion_scans: crate::deletion_scan::DeletionScanPolicy,
    /// The clock of the deletion scan cadence.
    pub(crate) clock: Arc<dyn unicrm_core::time::Clock>,
    /// The deletion scans so far.
    pub(crate) scan_stats: crate::deletion_scan::ScanCounter,
}

impl Shared {
    /// Sends a request; adds Insightly's context to errors (a 401 names the key and the pod;
    /// a 405 is an unsupported operation).
    pub(crate) async fn send(&self, req: Request) -> Result<HttpResponse> {
        let method = req.method.clone();
        let path = req.url.path().to_string();
        self.http
            .send(req)
            .await
            .map_err(|e| self.explain(e, &method, &path))
    }

    fn explain(&self, e: Error, method: &Method, path: &str) -> Error {
        match e {
            Error::Unauthenticated { message } => Error::Unauthenticated {
                message: format!(
                    "{message} — check the Insightly API key and the pod: this client uses {} \
                     ({}), and a key only works on its own pod (na1, eu1, …; the API URL is shown \
                     under the key in User Settings → API)",
                    self.http.base_url(),
                    match &self.pod {
                        Some(p) => format!("pod {p}"),
                        None => "a custom base URL".to_string(),
                    }
                ),
            },
            Error::Vendor { status: 405, .. } => {
                Error::unsupported(format!("{method} {path}"), VENDOR)
            }
            other => other,
        }
    }

    /// GET one object.
    pub(crate) async fn get_object(&self, path: &str) -> Result<Box<RawValue>> {
        let resp = self.send(self.http.get(path)?).await?;
        decode_object(&resp.body)
    }

    /// Sends a body-carrying request and decodes the object it answers with.
    pub(crate) async fn write_object(
        &self,
        method: Method,
        path: &str,
        body: &crate::wire::Body,
    ) -> Result<Box<RawValue>> {
        let req = Request::new(method, self.http.url(path)?).json(body)?;
        let resp = self.send(req).await?;
        decode_object(&resp.body)
    }
}

struct Inner {
    shared: Arc<Shared>,
    capabilities: Capabilities,
    contacts: ObjectResource<ContactSpec>,
    accounts: ObjectResource<AccountSpec>,
    opportunities: ObjectResource<OpportunitySpec>,
    leads: ObjectResource<LeadSpec>,
    tasks: ObjectResource<TaskSpec>,
    notes: ObjectResource<NoteSpec>,
    users: UsersResource,
    pipelines: PipelinesResource,
    projects: ProjectsResource,
    field_definitions: FieldDefinitionsResource,
    engagements: crate::resources::engagements::EngagementsResource,
}

/// An Insightly v3.1 client: implements [`Crm`].
///
/// Cheap to clone; clones share the connection pool, the rate limiter, the quota tracker,
/// the custom field definitions cache and the traffic counters.
///
/// ```no_run
/// # async fn demo() -> unicrm_core::Result<()> {
/// use unicrm_core::{Crm, ListParams};
/// let crm = unicrm_insightly::InsightlyClient::builder()
///     .api_key("3f2a9c1e-7b4d-4e8a-9c0f-5d6e7a8b9c0d")
///     .pod("eu1")
///     .build()?;
/// let page = crm.contacts().list(&ListParams::new()).await?;
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct InsightlyClient {
    inner: Arc<Inner>,
}

impl std::fmt::Debug for InsightlyClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("InsightlyClient")
            .field("base_url", &self.inner.shared.http.base_url().as_str())
            .field("pod", &self.inner.shared.pod)
            .field("api_key", &"[REDACTED]")
            .finish()
    }
}

impl InsightlyClient {
    /// Assembles a client around a built HTTP client (called by the builder).
    pub(crate) fn assemble(
        http: HttpClient,
        pod: Option<String>,
        feed: crate::config::FeedOptions,
    ) -> InsightlyClient {
        let shared = Arc::new(Shared {
            http,
            pod,
            feed_page_size: feed.page_size,
            caches: Caches::default(),
            deletion_scans: feed.deletion_scans,
            clock: feed.clock,
            scan_stats: Default::default(),
        });
        InsightlyClient {
            inner: Arc::new(Inner {
                capabilities: capabilities(),
                contacts: ObjectResource::new(shared.clone()),
                accounts: ObjectResource::new(shared.clone()),
                opportunities: ObjectResource::new(shared.clone()),
                leads: ObjectResource::new(shared.clone()),
                tasks: ObjectResource::new(shared.clone()),
                notes: ObjectResource::new(shared.clone()),
                users: UsersResource::new(shared.clone()),
                pipelines: PipelinesResource::new(shared.clone()),
                projects: ProjectsResource::new(shared.clone()),
                field_definitions: FieldDefinitionsResource::new(shared.clone()),
                engagements: crate::resources::engagements::EngagementsResource::new(
                    shared.clone(),
                ),
                shared,
            }),
        }
    }

    /// A builder.
    pub fn builder() -> InsightlyClientBuilder {
        InsightlyClientBuilder::default()
    }

    /// The API base URL (ends with `/`).
    pub fn base_url(&self) -> &Url {
        self.inner.shared.http.base_url()
    }

    /// The underlying HTTP client (connection pool, counters, last rate-limit headers).
    pub fn http(&self) -> &HttpClient {
        &self.inner.shared.http
    }

    /// The pod, when the base URL is an Insightly pod URL.
    pub fn pod(&self) -> Option<&str> {
        self.inner.shared.pod.as_deref()
    }

    /// The last `X-RateLimit-Limit` / `X-RateLimit-Remaining` seen: the daily quota and what
    /// is left of it.
    pub fn rate_limit_status(&self) -> RateLimitHeaders {
        self.inner.shared.http.last_rate_limit()
    }

    /// The change feeds' deletion scans so far: how many ran, how many polls skipped one,
    /// the requests they spent and the last scan's cost and next due time (see
    /// [`crate::deletion_scan`]).
    pub fn deletion_scan_stats(&self) -> crate::deletion_scan::DeletionScanStats {
        self.inner.shared.scan_stats.snapshot()
    }

    pub(crate) fn contacts_resource(&self) -> &ObjectResource<ContactSpec> {
        &self.inner.contacts
    }
    pub(crate) fn accounts_resource(&self) -> &ObjectResource<AccountSpec> {
        &self.inner.accounts
    }
    pub(crate) fn opportunities_resource(&self) -> &ObjectResource<OpportunitySpec> {
        &self.inner.opportunities
    }
    pub(crate) fn leads_resource(&self) -> &ObjectResource<LeadSpec> {
        &self.inner.leads
    }
    pub(crate) fn tasks_resource(&self) -> &ObjectResource<TaskSpec> {
        &self.inner.tasks
    }
    pub(crate) fn notes_resource(&self) -> &ObjectResource<NoteSpec> {
        &self.inner.notes
    }
    pub(crate) fn projects_resource(
        &self,
    ) -> &ObjectResource<crate::resources::projects::ProjectSpec> {
        self.inner.projects.objects()
    }
    pub(crate) fn engagements_inner(&self) -> &crate::resources::engagements::EngagementsResource {
        &self.inner.engagements
    }
}

macro_rules! fetch_all_impl {
    ($($record:ty => $accessor:ident),* $(,)?) => {$(
        #[async_trait]
        impl crate::resources::FetchAll<$record> for InsightlyClient {
            async fn fetch_all(&self, params: &unicrm_core::ListParams) -> Result<Vec<$record>> {
                self.$accessor().fetch_all(params).await
            }
        }
    )*};
}

fetch_all_impl!(
    Contact => contacts_resource,
    Account => accounts_resource,
    Opportunity => opportunities_resource,
    Lead => leads_resource,
    Task => tasks_resource,
    Note => notes_resource,
    Project => projects_resource,
);

/// The Insightly object path of a unified kind that has custom fields.
fn custom_field_object(kind: &ResourceKind) -> Option<&'static str> {
    match kind {
        ResourceKind::Contact => Some("Contacts"),
        ResourceKind::Account => Some("Organisations"),
        ResourceKind::Opportunity => Some("Opportunities"),
        ResourceKind::Lead => Some("Leads"),
        ResourceKind::Task => Some("Tasks"),
        ResourceKind::Engagement => Some("Events"),

        ResourceKind::Project => Some("Projects"),
        _ => None,
    }
}

#[async_trait]
impl Crm for InsightlyClient {
    fn vendor(&self) -> &str {
        VENDOR
    }
    fn capabilities(&self) -> &Capabilities {
        &self.inner.capabilities
    }
    fn contacts(&self) -> &dyn Resource<Contact> {
        &self.inner.contacts
    }
    fn accounts(&self) -> &dyn Resource<Account> {
        &self.inner.accounts
    }
    fn opportunities(&self) -> &dyn Resource<Opportunity> {
        &self.inner.opportunities
    }
    fn tasks(&self) -> &dyn Resource<Task> {
        &self.inner.tasks
    }
    fn notes(&self) -> &dyn Resource<Note> {
        &self.inner.notes
    }
    fn users(&self) -> &dyn Resource<User> {
        &self.inner.users
    }
    fn pipelines(&self) -> &dyn Resource<Pipeline> {
        &self.inner.pipelines
    }
    fn leads(&self) -> &dyn Resource<Lead> {
        &self.inner.leads
    }
    /// Events and emails ([`crate::resources::EngagementsResource`]).
    fn engagements(&self) -> &dyn Resource<unicrm_core::Engagement> {
        self
    }

    fn projects(&self) -> &dyn Resource<Project> {
        &self.inner.projects
    }
    fn field_definitions(&self) -> &dyn Resource<FieldDefinition> {
        &self.inner.field_definitions
    }

    /// `GET /CustomFields/{Object}` (Contacts, Organisations, Opportunities, Leads, Tasks;
    /// engagements: Events, emails have none).
    async fn custom_field_definitions(
        &self,
        kind: ResourceKind,
    ) -> Result<Vec<CustomFieldDefinition>> {
        let object = custom_field_object(&kind).ok_or_else(|| {
            Error::unsupported(format!("{kind}.custom_field_definitions"), VENDOR)
        })?;
        let (wire, _) = self.inner.shared.fetch_definitions(object, &kind).await?;
        Ok(wire
            .into_iter()
            .filter_map(|d| crate::mapping::custom_fields::definition(d, &kind))
            .collect())
    }

    /// `GET /Users/Me`: the user the API key belongs to (the cheapest authentication check).
    async fn current_user(&self) -> Result<User> {
        let raw = self.inner.shared.get_object("Users/Me").await?;
        crate::mapping::user::from_json(&raw)
    }

    fn stats(&self) -> ClientStats {
        self.inner.shared.http.stats()
    }

    fn rate_budget(&self) -> unicrm_core::http::retry_after::RateLimitHeaders {
        self.rate_limit_status()
    }

    fn base_url(&self) -> Option<&unicrm_core::http::Url> {
        Some(InsightlyClient::base_url(self))
    }

    /// Vendor extras: the [`InsightlyClient`] itself (pod, rate-limit status).
    fn extension_of(
        &self,
        type_id: std::any::TypeId,
    ) -> Option<&(dyn std::any::Any + Send + Sync)> {
        (type_id == std::any::TypeId::of::<InsightlyClient>()).then_some(self as _)
    }
}
