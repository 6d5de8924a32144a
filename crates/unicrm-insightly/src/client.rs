//! [`InsightlyClient`]: the builder, the shared HTTP plumbing, and the [`Crm`] implementation.

use std::collections::HashMap;
use std::num::NonZeroU32;
use std::sync::Arc;
use std::time::{Duration, Instant};

use async_trait::async_trait;
use secrecy::SecretString;
use serde_json::value::RawValue;
use unicrm_core::crm::ClientStats;
use unicrm_core::http::retry_after::RateLimitHeaders;
use unicrm_core::http::{
    ClientOptions, HttpClient, HttpClientBuilder, HttpResponse, Method, RateLimiter, Request,
    RetryPolicy, Url,
};
use unicrm_core::time::{Clock, Sleeper};
use unicrm_core::{
    Account, Capabilities, Contact, Crm, CustomFieldDefinition, Error, Lead, Note, Opportunity,
    Pipeline, Resource, ResourceKind, Result, Task, User,
};

use crate::capabilities::capabilities;
use crate::config;
use crate::errors::{InsightlyErrors, InsightlyRateLimits};
use crate::mapping::Definitions;
use crate::mapping::lead::LeadPicklists;
use crate::resources::objects::{
    AccountSpec, ContactSpec, LeadSpec, NoteSpec, OpportunitySpec, TaskSpec,
};
use crate::resources::{ObjectResource, PipelinesResource, UsersResource};
use crate::wire::{CustomFieldDefinitionWire, decode_object};

/// The vendor name used in errors and capabilities.
pub const VENDOR: &str = "insightly";

/// How long custom field definitions (and the lead statuses and sources) are cached.
const DEFINITIONS_TTL: Duration = Duration::from_secs(300);

/// Builds an [`InsightlyClient`]. Only the API key is required.
pub struct InsightlyClientBuilder {
    api_key: Option<SecretString>,
    pod: Option<String>,
    options: ClientOptions,
    request_interval: Duration,
    instance: Option<String>,
    feed_page_size: Option<u32>,
}

impl std::fmt::Debug for InsightlyClientBuilder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("InsightlyClientBuilder")
            .field("api_key", &self.api_key.as_ref().map(|_| "[REDACTED]"))
            .field("pod", &self.pod)
            .field("options", &self.options)
            .field("request_interval", &self.request_interval)
            .field("instance", &self.instance)
            .finish()
    }
}

impl Default for InsightlyClientBuilder {
    fn default() -> Self {
        InsightlyClientBuilder {
            api_key: None,
            pod: None,
            options: ClientOptions::default(),
            request_interval: config::REQUEST_INTERVAL,
            instance: None,
            feed_page_size: None,
        }
    }
}

impl InsightlyClientBuilder {
    /// The user's API key (User Settings → API). Required.
    pub fn api_key(mut self, key: impl Into<SecretString>) -> Self {
        self.api_key = Some(key.into());
        self
    }

    /// The pod (`na1` — the default — `eu1`, …): the API is then
    /// `https://api.{pod}.insightly.com/v3.1/`. A whole API URL is accepted too.
    pub fn pod(mut self, pod: impl AsRef<str>) -> Self {
        self.pod = Some(pod.as_ref().to_string());
        self
    }

    /// Takes every option `options` sets (base URL, user agent, timeouts, rate limiter,
    /// retries, a shared connection pool, sleeper, clock) over what is set already; the
    /// setters below override single options afterwards. Many tenants' clients given one
    /// [`ClientOptions`] with one [`ConnectionPool`](unicrm_core::http::ConnectionPool) share
    /// that pool. A rate limiter in `options` replaces the per-instance one.
    pub fn options(mut self, options: ClientOptions) -> Self {
        self.options = self.options.merged_with(options);
        self
    }

    /// A base URL overriding the pod (the simulator, a proxy, a pod unknown here), e.g.
    /// `http://127.0.0.1:8080/v3.1/`. A missing trailing `/` is added.
    pub fn base_url(mut self, url: impl AsRef<str>) -> Self {
        self.options.base_url = Some(url.as_ref().to_string());
        self
    }

    /// Client-side pace, evenly spaced: `n` requests per second (the default is one request
    /// per 105 ms, about 9.5 per second: under Insightly's per-instance burst limit of 10, with
    /// headroom for jitter; see [`crate::config::REQUEST_INTERVAL`]).
    pub fn requests_per_second(mut self, n: NonZeroU32) -> Self {
        self.request_interval = Duration::from_secs(1) / n.get();
        self
    }

    /// Client-side pace as the interval between requests (for a pace that is not a whole number
    /// per second).
    pub fn request_interval(mut self, interval: Duration) -> Self {
        self.request_interval = interval;
        self
    }

    /// Retry policy (see [`unicrm_core::http::retry`]).
    pub fn retry(mut self, policy: RetryPolicy) -> Self {
        self.options.retry = Some(policy);
        self
    }

    /// The sleeper used for back-off and `Retry-After` waits (tests record them).
    pub fn sleeper(mut self, sleeper: Arc<dyn Sleeper>) -> Self {
        self.options.sleeper = Some(sleeper);
        self
    }

    /// The clock used to resolve `Retry-After` dates.
    pub fn clock(mut self, clock: Arc<dyn Clock>) -> Self {
        self.options.clock = Some(clock);
        self
    }

    /// A rate limiter to use instead of the process-wide one for this key (for example one
    /// shared by several keys of the same instance, or a networked one shared by processes).
    pub fn rate_limiter(mut self, limiter: Arc<dyn RateLimiter>) -> Self {
        self.options.rate_limiter = Some(limiter);
        self
    }

    /// The Insightly instance (account) this client works on. Every client given the same
    /// name (at the same base URL) shares one rate limiter, whatever its key: the vendor's
    /// budget is per instance, shared by all its keys. Without a name, clients share a
    /// limiter per API key.
    pub fn instance(mut self, name: impl Into<String>) -> Self {
        self.instance = Some(name.into());
        self
    }

    /// Page size of the change feeds' upsert listings (1..=500; default 500, the largest).
    /// Smaller pages cost more requests; tests use them to exercise page boundaries.
    pub fn change_page_size(mut self, n: u32) -> Self {
        self.feed_page_size = Some(n);
        self
    }

    /// Whole-request timeout (default 60 s).
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.options.timeout = Some(timeout);
        self
    }

    /// User agent.
    pub fn user_agent(mut self, ua: impl Into<String>) -> Self {
        self.options.user_agent = Some(ua.into());
        self
    }

    /// Builds the client. Fails with [`Error::Config`] without an API key, or with an invalid
    /// pod or base URL.
    pub fn build(self) -> Result<InsightlyClient> {
        let key = self.api_key.ok_or_else(|| {
            Error::config("an Insightly API key is required (User Settings → API)")
        })?;
        let credentials = crate::auth::credentials(&key)?;
        let (base_url, pod) =
            config::resolve(self.pod.as_deref(), self.options.base_url.as_deref())?;
        let limiter = match self.options.rate_limiter.clone() {
            Some(l) => l,
            None => {
                let instance = match self.instance.as_deref() {
                    Some(name) if !name.trim().is_empty() => {
                        crate::rate_limit::Instance::named(name)
                    }
                    _ => crate::rate_limit::Instance::of_key(&key),
                };
                crate::rate_limit::shared_limiter(&base_url, &instance, self.request_interval)
            }
        };
        let http = HttpClientBuilder::new(VENDOR, base_url.as_str())?
            .options(&self.options)
            .credentials(Arc::new(credentials))
            .rate_limiter(limiter)
            .error_parser(Arc::new(InsightlyErrors))
            .rate_limit_reader(Arc::new(InsightlyRateLimits));
        let shared = Arc::new(Shared {
            http: http.build()?,
            pod,
            feed_page_size: self.feed_page_size,
            definitions: tokio::sync::Mutex::new(HashMap::new()),
            lead_picklists: tokio::sync::Mutex::new(None),
        });
        Ok(InsightlyClient {
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
                shared,
            }),
        })
    }
}

/// What every resource of a client shares: the HTTP client (connection pool, rate limiter,
/// quota tracker, credentials, counters), the custom field definitions cache and the lead
/// statuses / sources cache.
pub(crate) struct Shared {
    pub(crate) http: HttpClient,
    pub(crate) pod: Option<String>,
    /// Page size of the change feeds' upsert listings (`None`: the largest).
    pub(crate) feed_page_size: Option<u32>,
    definitions: tokio::sync::Mutex<HashMap<&'static str, (Instant, Arc<Definitions>)>>,
    lead_picklists: tokio::sync::Mutex<Option<(Instant, Arc<LeadPicklists>)>>,
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

    /// Custom field definitions of `object` (`Contacts`), fetched fresh.
    pub(crate) async fn fetch_definitions(
        &self,
        object: &'static str,
        kind: &ResourceKind,
    ) -> Result<(Vec<CustomFieldDefinitionWire>, Arc<Definitions>)> {
        let path = format!("CustomFields/{object}");
        let wire: Vec<CustomFieldDefinitionWire> = match self.send(self.http.get(&path)?).await {
            Ok(resp) => crate::wire::decode_array(&resp.body)?
                .iter()
                .enumerate()
                .map(|(i, r)| crate::wire::decode_at(r.get(), &format!("[{i}]")))
                .collect::<Result<_>>()?,
            // No access to custom fields (plan, permission): values are typed from JSON alone.
            Err(Error::PermissionDenied { .. } | Error::NotFound { .. }) => Vec::new(),
            Err(e) => return Err(e),
        };
        let defs = Arc::new(Definitions::from_wire(wire.clone(), kind));
        self.definitions
            .lock()
            .await
            .insert(object, (Instant::now(), defs.clone()));
        Ok((wire, defs))
    }

    /// Custom field definitions of `object`, cached for five minutes (one request per object
    /// per client and period; clones share the cache).
    pub(crate) async fn definitions(
        &self,
        object: &'static str,
        kind: &ResourceKind,
    ) -> Result<Arc<Definitions>> {
        {
            let cache = self.definitions.lock().await;
            if let Some((at, d)) = cache.get(object) {
                if at.elapsed() < DEFINITIONS_TTL {
                    return Ok(d.clone());
                }
            }
        }
        Ok(self.fetch_definitions(object, kind).await?.1)
    }

    /// One picklist (`LeadStatuses`, `LeadSources`); empty without access to it.
    async fn fetch_picklist<T: serde::de::DeserializeOwned>(&self, path: &str) -> Result<Vec<T>> {
        match self.send(self.http.get(path)?).await {
            Ok(resp) => crate::wire::decode_array(&resp.body)?
                .iter()
                .enumerate()
                .map(|(i, r)| crate::wire::decode_at(r.get(), &format!("[{i}]")))
                .collect(),
            // No access (plan, permission, leads disabled): labels stay unresolved.
            Err(Error::PermissionDenied { .. } | Error::NotFound { .. }) => Ok(Vec::new()),
            Err(e) => Err(e),
        }
    }

    /// The lead statuses and sources (`GET /LeadStatuses`, `GET /LeadSources`), cached for
    /// five minutes like the custom field definitions (two requests per client and period;
    /// clones share the cache). The lock is held while fetching, so concurrent callers wait
    /// for one fetch.
    pub(crate) async fn lead_picklists(&self) -> Result<Arc<LeadPicklists>> {
        let mut cache = self.lead_picklists.lock().await;
        if let Some((at, l)) = cache.as_ref() {
            if at.elapsed() < DEFINITIONS_TTL {
                return Ok(l.clone());
            }
        }
        let statuses = self.fetch_picklist("LeadStatuses").await?;
        let sources = self.fetch_picklist("LeadSources").await?;
        let lists = Arc::new(LeadPicklists::from_wire(statuses, sources));
        *cache = Some((Instant::now(), lists.clone()));
        Ok(lists)
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
