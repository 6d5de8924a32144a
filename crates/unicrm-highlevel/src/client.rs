//! [`HighLevelClient`] and its `Crm` impl, and `Api`: every request goes through it, so each
//! carries the `Version` of its endpoint family and each error is sorted by
//! [`crate::errors::refine`].

use std::sync::Arc;

use async_trait::async_trait;
use unicrm_core::crm::ClientStats;
use unicrm_core::http::{HeaderValue, HttpClient, HttpResponse, Method, Request};
use unicrm_core::*;

use crate::auth::HighLevelOAuth;
use crate::config::Versions;
use crate::resources::accounts::Accounts;
use crate::resources::contacts::Contacts;
use crate::resources::engagement_types::EngagementTypes;
use crate::resources::field_definitions::FieldDefinitions;
use crate::resources::opportunities::Opportunities;
use crate::resources::pipelines::Pipelines;
use crate::resources::users::Users;
use crate::resources::{engagements::Engagements, notes::Notes, tasks::Tasks};
use crate::wire::user::WireUsers;
use crate::{HighLevelBuilder, VENDOR};

/// The HTTP client with HighLevel's rules: the `Version` header, location scoping and error
/// refinement.
#[derive(Debug, Clone)]
pub(crate) struct Api {
    pub(crate) http: HttpClient,
    pub(crate) versions: Arc<Versions>,
    pub(crate) location_id: Arc<str>,
    pub(crate) company_id: Option<Arc<str>>,
    /// The location's currency: opportunity amounts are bare numbers in it.
    pub(crate) currency: Currency,
    /// The change feeds' page size (`None`: the vendor's largest).
    pub(crate) feed_page_size: Option<u32>,
}

/// An id safe to put in a path: HighLevel ids are letters, digits, `-` and `_` (UUID stages,
/// 24-hex businesses); anything else cannot name a record and must not become a path such as
/// `contacts/../users`.
pub(crate) fn check_id(kind: &str, id: &str) -> Result<()> {
    if id.is_empty()
        || !id
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
    {
        return Err(Error::NotFound {
            message: format!("{VENDOR} has no {kind} {id:?}"),
        });
    }
    Ok(())
}

impl Api {
    /// A request for `path` (relative to the base URL) with its `Version` header.
    pub(crate) fn request(&self, method: Method, path: &str) -> Result<Request> {
        let mut req = Request::new(method, self.http.url(path)?);
        if let Some(v) = self.versions.for_path(path) {
            let value = HeaderValue::from_str(v)
                .map_err(|_| Error::config("highlevel: a Version value is not a header value"))?;
            req = req.header("version", value);
        }
        Ok(req)
    }

    /// A request for `collection/{id}` (the id checked first).
    pub(crate) fn request_id(&self, method: Method, collection: &str, id: &str) -> Result<Request> {
        check_id(collection, id)?;
        self.request(method, &format!("{collection}/{id}"))
    }

    /// Sends `req`; errors sorted by HighLevel's meanings.
    pub(crate) async fn send(&self, req: Request) -> Result<HttpResponse> {
        self.http.send(req).await.map_err(crate::errors::refine)
    }
}

/// A HighLevel client for one location. Cheap to clone; hold it as `Arc<dyn Crm>` to use it
/// like any CRM.
#[derive(Debug, Clone)]
pub struct HighLevelClient {
    api: Api,
    oauth: Option<HighLevelOAuth>,
    capabilities: Capabilities,
    contacts: Contacts,
    accounts: Accounts,
    opportunities: Opportunities,
    pipelines: Pipelines,
    users: Users,
    field_definitions: FieldDefinitions,
    notes: Notes,
    engagements: Engagements,
    engagement_types: EngagementTypes,
    tasks: Tasks,
}

impl HighLevelClient {
    /// A builder.
    pub fn builder() -> HighLevelBuilder {
        HighLevelBuilder::default()
    }

    pub(crate) fn new(api: Api, oauth: Option<HighLevelOAuth>) -> Self {
        HighLevelClient {
            contacts: Contacts { api: api.clone() },
            accounts: Accounts { api: api.clone() },
            opportunities: Opportunities { api: api.clone() },
            pipelines: Pipelines { api: api.clone() },
            users: Users { api: api.clone() },
            field_definitions: FieldDefinitions { api: api.clone() },
            notes: Notes { api: api.clone() },
            engagements: Engagements { api: api.clone() },
            engagement_types: EngagementTypes { api: api.clone() },
            tasks: Tasks { api: api.clone() },
            capabilities: crate::capabilities::capabilities(),
            oauth,
            api,
        }
    }

    /// The location every call is scoped to.
    pub fn location_id(&self) -> &str {
        &self.api.location_id
    }

    /// The agency id, when configured or given by the OAuth token response.
    pub fn company_id(&self) -> Option<&str> {
        self.api.company_id.as_deref()
    }

    /// The OAuth endpoints, when the client was built with OAuth tokens.
    pub fn oauth(&self) -> Option<&HighLevelOAuth> {
        self.oauth.as_ref()
    }
}

#[async_trait]
impl Crm for HighLevelClient {
    fn vendor(&self) -> &str {
        VENDOR
    }
    fn capabilities(&self) -> &Capabilities {
        &self.capabilities
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
    fn pipelines(&self) -> &dyn Resource<Pipeline> {
        &self.pipelines
    }
    fn users(&self) -> &dyn Resource<User> {
        &self.users
    }
    fn field_definitions(&self) -> &dyn Resource<FieldDefinition> {
        &self.field_definitions
    }
    fn notes(&self) -> &dyn Resource<Note> {
        &self.notes
    }
    fn tasks(&self) -> &dyn Resource<Task> {
        &self.tasks
    }
    fn engagements(&self) -> &dyn Resource<Engagement> {
        &self.engagements
    }
    fn engagement_types(&self) -> &dyn Resource<EngagementType> {
        &self.engagement_types
    }
    /// HighLevel has no "me" endpoint: the location's users are read (`GET /users/`, which
    /// needs no company id) and the first admin among them — else the first user — stands
    /// for the token's user.
    async fn current_user(&self) -> Result<User> {
        let req = self
            .api
            .request(Method::GET, "users/")?
            .query("locationId", &*self.api.location_id);
        let users: WireUsers = self.api.send(req).await?.json()?;
        let is_admin = |u: &serde_json::Value| {
            u.pointer("/roles/role")
                .and_then(serde_json::Value::as_str)
                .is_some_and(|r| r.eq_ignore_ascii_case("admin"))
        };
        let pick = users
            .users
            .iter()
            .find(|u| is_admin(u))
            .or(users.users.first())
            .cloned()
            .ok_or_else(|| Error::NotFound {
                message: "highlevel: the location has no users".into(),
            })?;
        crate::mapping::user::from_wire(pick)
    }
    /// `GET /locations/{locationId}/customFields?model=…` (contacts and opportunities carry
    /// custom fields; other kinds answer an empty list).
    async fn custom_field_definitions(
        &self,
        kind: ResourceKind,
    ) -> Result<Vec<CustomFieldDefinition>> {
        self.field_definitions.of(Some(&kind)).await
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
}
