//! [`CapsuleClient`]: the `Crm` implementation, and the shared request plumbing.

use std::any::{Any, TypeId};
use std::sync::Arc;

use async_trait::async_trait;
use serde::de::DeserializeOwned;
use tokio::sync::Mutex;
use unicrm_core::crm::{ClientStats, UnsupportedResource};
use unicrm_core::error::{Error, Result};
use unicrm_core::http::{HttpClient, HttpResponse, Method, Request, Url};
use unicrm_core::page::collect_items;
use unicrm_core::{
    Account, Capabilities, Contact, Crm, CustomFieldDefinition, Engagement, EngagementType, Lead,
    Note, Opportunity, Pipeline, Project, Resource, ResourceKind, Task, User,
};
use unicrm_core::{ListParams, Page};

use crate::auth::CapsuleOAuth;
use crate::capabilities::capsule_capabilities;
use crate::config::CapsuleClientBuilder;
use crate::hooks::RestHooks;
use crate::mapping::FieldDefs;
use crate::mapping::custom_fields::{FieldEntity, definition_from_wire};
use crate::mapping::pipeline::StageIndex;
use crate::mapping::project::BoardIndex;
use crate::paging::{FirstPage, fetch_page};
use crate::resources::field_definitions::FieldDefinitionsResource;
use crate::resources::opportunities::OpportunitiesResource;
use crate::resources::parties::{AccountsResource, ContactsResource};
use crate::resources::pipelines::PipelinesResource;
use crate::resources::projects::ProjectsResource;
use crate::resources::tasks::TasksResource;
use crate::resources::users::UsersResource;

use crate::resources::engagement_types::EngagementTypesResource;
use crate::resources::engagements::EngagementsResource;
use crate::resources::notes::NotesResource;
use crate::wire::{self, Decoded, FieldDefinition, WireLostReason};

/// A cached list of `(id, name)` (task categories, lost reasons).
type NamedCache = Mutex<Option<Arc<Vec<(u64, String)>>>>;

static LEADS: UnsupportedResource = UnsupportedResource::new("capsule");

/// Everything a client shares between clones: HTTP, OAuth, caches.
pub(crate) struct Api {
    pub(crate) http: HttpClient,
    pub(crate) oauth: Option<CapsuleOAuth>,
    /// Page size of the change feeds' listings (`None`: the largest).
    pub(crate) feed_page_size: Option<u32>,
    /// The entry feeds' overlap and full-walk interval; the Teams edition flag.
    pub(crate) entry_settings: crate::changes::entries::EntryFeedSettings,
    caps: Capabilities,
    party_defs: Mutex<Option<Arc<FieldDefs>>>,
    opportunity_defs: Mutex<Option<Arc<FieldDefs>>>,
    kase_defs: Mutex<Option<Arc<FieldDefs>>>,
    stages: Mutex<Option<Arc<StageIndex>>>,
    boards: Mutex<Option<Arc<BoardIndex>>>,
    current_user_id: Mutex<Option<u64>>,
    categories: NamedCache,
    lost_reasons: NamedCache,
}

/// A Capsule CRM v2 client. Cheap to clone (clones share connections, budget, tokens and
/// caches); implements [`Crm`]. `Debug` never shows credentials.
#[derive(Clone)]
pub struct CapsuleClient {
    pub(crate) api: Arc<Api>,
    hooks: RestHooks,
    contacts: ContactsResource,
    accounts: AccountsResource,
    opportunities: OpportunitiesResource,
    tasks: TasksResource,
    users: UsersResource,
    projects: ProjectsResource,
    pipelines: PipelinesResource,
    field_definitions: FieldDefinitionsResource,

    notes: NotesResource,
    engagements: EngagementsResource,
    engagement_types: EngagementTypesResource,
}

impl std::fmt::Debug for CapsuleClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CapsuleClient")
            .field("http", &self.api.http)
            .field("oauth", &self.api.oauth)
            .finish()
    }
}

impl CapsuleClient {
    /// A builder (Capsule's base URL by default).
    pub fn builder() -> CapsuleClientBuilder {
        CapsuleClientBuilder::new()
    }

    pub(crate) fn from_api(api: Api) -> Self {
        let api = Arc::new(api);
        CapsuleClient {
            hooks: RestHooks { api: api.clone() },
            contacts: ContactsResource { api: api.clone() },
            accounts: AccountsResource { api: api.clone() },
            opportunities: OpportunitiesResource { api: api.clone() },
            tasks: TasksResource { api: api.clone() },
            users: UsersResource { api: api.clone() },
            projects: ProjectsResource { api: api.clone() },
            pipelines: PipelinesResource { api: api.clone() },
            field_definitions: FieldDefinitionsResource { api: api.clone() },

            notes: NotesResource { api: api.clone() },
            engagements: EngagementsResource { api: api.clone() },
            engagement_types: EngagementTypesResource { api: api.clone() },
            api,
        }
    }

    /// The REST hooks (also reachable from an `Arc<dyn Crm>`: `crm.extension::<RestHooks>()`).
    pub fn hooks(&self) -> &RestHooks {
        &self.hooks
    }

    /// The OAuth endpoints, when the client was built with OAuth.
    pub fn oauth(&self) -> Option<&CapsuleOAuth> {
        self.api.oauth.as_ref()
    }

    /// The underlying HTTP client (base URL, last rate-limit headers).
    pub fn http(&self) -> &HttpClient {
        &self.api.http
    }
}

impl Api {
    pub(crate) fn new(http: HttpClient, oauth: Option<CapsuleOAuth>) -> Self {
        Api {
            http,
            oauth,
            feed_page_size: None,
            entry_settings: Default::default(),
            caps: capsule_capabilities(false),
            party_defs: Mutex::default(),
            opportunity_defs: Mutex::default(),
            kase_defs: Mutex::default(),
            stages: Mutex::default(),
            boards: Mutex::default(),
            current_user_id: Mutex::default(),
            categories: Mutex::default(),
            lost_reasons: Mutex::default(),
        }
    }

    /// Sets the entry feeds' settings (and the capabilities that depend on the edition).
    pub(crate) fn set_entry_settings(&mut self, s: crate::changes::entries::EntryFeedSettings) {
        self.entry_settings = s;
        self.caps = capsule_capabilities(s.teams_edition);
    }

    /// A request for `path` under the base URL with `query`.
    pub(crate) fn request(
        &self,
        method: Method,
        path: &str,
        query: &[(&str, String)],
    ) -> Result<Request> {
        let mut req = Request::new(method, self.http.url(path)?);
        for (k, v) in query {
            req = req.query(k, v);
        }
        Ok(req)
    }

    /// GET `path`.
    pub(crate) async fn get_path(
        &self,
        path: &str,
        query: &[(&str, String)],
    ) -> Result<HttpResponse> {
        self.http
            .send(self.request(Method::GET, path, query)?)
            .await
    }

    /// GET an absolute URL verbatim (a `Link: next` target).
    pub(crate) async fn get_url(&self, url: Url) -> Result<HttpResponse> {
        self.http.send(Request::new(Method::GET, url)).await
    }

    /// POST or PUT a JSON body (already encoded).
    pub(crate) async fn write(
        &self,
        method: Method,
        path: &str,
        query: &[(&str, String)],
        body: String,
    ) -> Result<HttpResponse> {
        let mut req = self.request(method.clone(), path, query)?;
        if method == Method::PUT && !crate::repeat::put_is_repeatable(&body) {
            // Appends rows or deletes them: never re-sent after an unknown outcome.
            req.idempotent = Some(false);
        }
        req.body = Some(body.into_bytes().into());
        self.http.send(req).await
    }

    /// DELETE `path`: 200, 202 (deferred to a job) and 204 are success.
    pub(crate) async fn delete_path(&self, path: &str) -> Result<()> {
        self.http
            .send(self.request(Method::DELETE, path, &[])?)
            .await
            .map(|_| ())
    }

    /// Every page of a listing, following `Link: next`, through core's guarded page loop.
    pub(crate) async fn all_pages<T: DeserializeOwned>(
        &self,
        path: &str,
        wrapper: &str,
        query: &[(&'static str, String)],
    ) -> Result<Vec<Decoded<T>>> {
        let first = FirstPage {
            path: path.to_string(),
            query: query.to_vec(),
        };
        let first = &first;
        collect_items(
            format!("capsule {path}"),
            ListParams::new(),
            |params: ListParams| async move {
                let (items, next) = fetch_page::<T>(self, first, &params, wrapper).await?;
                Ok(Page {
                    items,
                    next,
                    total: None,
                })
            },
        )
        .await
    }

    /// Custom field definitions of an entity (cached; `refresh` reloads).
    pub(crate) async fn field_defs(
        &self,
        entity: FieldEntity,
        refresh: bool,
    ) -> Result<Arc<FieldDefs>> {
        let slot = match entity {
            FieldEntity::Parties => &self.party_defs,
            FieldEntity::Opportunities => &self.opportunity_defs,
            FieldEntity::Kases => &self.kase_defs,
        };
        let mut guard = slot.lock().await;
        if let (Some(d), false) = (guard.as_ref(), refresh) {
            return Ok(d.clone());
        }
        let defs = self.load_definitions(entity).await?;
        let defs = Arc::new(FieldDefs::new(defs));
        *guard = Some(defs.clone());
        Ok(defs)
    }

    async fn load_definitions(&self, entity: FieldEntity) -> Result<Vec<CustomFieldDefinition>> {
        let rows = self
            .all_pages::<FieldDefinition>(
                &format!("{}/fields/definitions", entity.path()),
                "definitions",
                &[("perPage", "100".into())],
            )
            .await?;
        Ok(rows
            .iter()
            .map(|d| definition_from_wire(d, entity))
            .collect())
    }

    /// Definitions that cover every definition id in `ids` (reloaded once when one is new).
    pub(crate) async fn defs_covering(
        &self,
        entity: FieldEntity,
        ids: impl Iterator<Item = String> + Clone,
    ) -> Result<Arc<FieldDefs>> {
        let defs = self.field_defs(entity, false).await?;
        if defs.knows_all(ids.clone().collect::<Vec<_>>().iter().map(String::as_str)) {
            return Ok(defs);
        }
        self.field_defs(entity, true).await
    }

    /// Pipelines with their milestones (cached; `refresh` reloads).
    pub(crate) async fn stage_index(&self, refresh: bool) -> Result<Arc<StageIndex>> {
        let mut guard = self.stages.lock().await;
        if let (Some(s), false) = (guard.as_ref(), refresh) {
            return Ok(s.clone());
        }
        let pipelines = crate::resources::pipelines::all_pipelines(self).await?;
        let idx = Arc::new(StageIndex::new(&pipelines));
        *guard = Some(idx.clone());
        Ok(idx)
    }

    /// Stage → board, from every stage of every board (cached; `refresh` reloads).
    pub(crate) async fn board_index(&self, refresh: bool) -> Result<Arc<BoardIndex>> {
        let mut guard = self.boards.lock().await;
        if let (Some(b), false) = (guard.as_ref(), refresh) {
            return Ok(b.clone());
        }
        let stages = self
            .all_pages::<wire::WireStage>(
                "stages",
                "stages",
                &[
                    ("perPage", "100".into()),
                    ("status", "all".into()),
                    ("includeOnDeletedBoard", "true".into()),
                ],
            )
            .await?;
        let idx = Arc::new(BoardIndex::new(&stages));
        *guard = Some(idx.clone());
        Ok(idx)
    }

    /// The id of the token's user (`GET /users/current`, cached).
    pub(crate) async fn current_user_id(&self) -> Result<u64> {
        let mut guard = self.current_user_id.lock().await;
        if let Some(id) = *guard {
            return Ok(id);
        }
        let resp = self.get_path("users/current", &[]).await?;
        let d = wire::decode_one::<wire::WireUser>(&resp.body, "user")?;
        *guard = Some(d.wire.id);
        Ok(d.wire.id)
    }

    async fn named_list(
        &self,
        slot: &NamedCache,
        path: &str,
        wrapper: &str,
        refresh: bool,
    ) -> Result<Arc<Vec<(u64, String)>>> {
        let mut guard = slot.lock().await;
        if let (Some(s), false) = (guard.as_ref(), refresh) {
            return Ok(s.clone());
        }
        let rows = self.all_pages::<WireLostReason>(path, wrapper, &[]).await?;
        let list = Arc::new(
            rows.into_iter()
                .map(|r| (r.wire.id, r.wire.name.unwrap_or_default()))
                .collect::<Vec<_>>(),
        );
        *guard = Some(list.clone());
        Ok(list)
    }

    /// Looks up a task category or lost reason id by name (case-insensitive), reloading the
    /// list once when the name is not found.
    async fn id_by_name(
        &self,
        slot: &NamedCache,
        path: &str,
        wrapper: &str,
        what: &str,
        name: &str,
    ) -> Result<u64> {
        for refresh in [false, true] {
            let list = self.named_list(slot, path, wrapper, refresh).await?;
            if let Some((id, _)) = list
                .iter()
                .find(|(_, n)| n.trim().eq_ignore_ascii_case(name.trim()))
            {
                return Ok(*id);
            }
        }
        Err(Error::Validation {
            message: format!("capsule has no {what} named {name:?}"),
            fields: vec![unicrm_core::FieldError {
                field: Some(what.replace(' ', "_")),
                resource: None,
                message: format!("unknown {what}"),
            }],
        })
    }

    /// A task category's id by name.
    pub(crate) async fn category_id(&self, name: &str) -> Result<u64> {
        self.id_by_name(
            &self.categories,
            "categories",
            "categories",
            "category",
            name,
        )
        .await
    }

    /// A lost reason's id by name.
    pub(crate) async fn lost_reason_id(&self, name: &str) -> Result<u64> {
        self.id_by_name(
            &self.lost_reasons,
            "lostreasons",
            "lostReasons",
            "lost reason",
            name,
        )
        .await
    }
}

#[async_trait]
impl Crm for CapsuleClient {
    fn vendor(&self) -> &str {
        "capsule"
    }

    fn capabilities(&self) -> &Capabilities {
        &self.api.caps
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

    fn engagements(&self) -> &dyn Resource<Engagement> {
        &self.engagements
    }

    fn engagement_types(&self) -> &dyn Resource<EngagementType> {
        &self.engagement_types
    }

    fn users(&self) -> &dyn Resource<User> {
        &self.users
    }

    fn pipelines(&self) -> &dyn Resource<Pipeline> {
        &self.pipelines
    }

    fn projects(&self) -> &dyn Resource<Project> {
        &self.projects
    }

    fn field_definitions(&self) -> &dyn Resource<unicrm_core::FieldDefinition> {
        &self.field_definitions
    }

    fn leads(&self) -> &dyn Resource<Lead> {
        &LEADS
    }

    async fn custom_field_definitions(
        &self,
        kind: ResourceKind,
    ) -> Result<Vec<CustomFieldDefinition>> {
        let entity = match &kind {
            ResourceKind::Contact | ResourceKind::Account => FieldEntity::Parties,
            ResourceKind::Opportunity => FieldEntity::Opportunities,
            ResourceKind::Project => FieldEntity::Kases,
            ResourceKind::Lead => {
                return Err(Error::unsupported(
                    "lead.custom_field_definitions",
                    "capsule",
                ));
            }
            // Tasks, notes, users and pipelines carry no custom fields in Capsule.
            _ => return Ok(Vec::new()),
        };
        let defs = self.api.load_definitions(entity).await?;
        Ok(defs
            .into_iter()
            .filter(|d| d.applies_to.contains(&kind))
            .collect())
    }

    async fn current_user(&self) -> Result<User> {
        let resp = self.api.get_path("users/current", &[]).await?;
        let d = wire::decode_one::<wire::WireUser>(&resp.body, "user")?;
        Ok(crate::mapping::user::user_from_wire(&d))
    }

    fn stats(&self) -> ClientStats {
        self.api.http.stats()
    }

    fn rate_budget(&self) -> unicrm_core::http::retry_after::RateLimitHeaders {
        self.api.http.last_rate_limit()
    }

    fn base_url(&self) -> Option<&unicrm_core::http::Url> {
        Some(self.api.http.base_url())
    }

    /// Vendor extras: [`RestHooks`], the [`CapsuleOAuth`] handle (when built with OAuth) and
    /// the [`CapsuleClient`] itself.
    fn extension_of(&self, type_id: TypeId) -> Option<&(dyn Any + Send + Sync)> {
        if type_id == TypeId::of::<RestHooks>() {
            Some(&self.hooks)
        } else if type_id == TypeId::of::<CapsuleOAuth>() {
            self.api.oauth.as_ref().map(|o| o as _)
        } else if type_id == TypeId::of::<CapsuleClient>() {
            Some(self)
        } else {
            None
        }
    }
}
