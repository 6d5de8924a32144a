//! [`TinycrmClient`]: the `Crm` impl, handing out one struct per resource.

use async_trait::async_trait;
use unicrm_core::crm::{ClientStats, UnsupportedResource};
use unicrm_core::http::HttpClient;
use unicrm_core::*;

use crate::resources::contact::Contacts;
use crate::wire::user::WireUser;
use crate::{TinycrmBuilder, VENDOR};

/// A Tinycrm client. Cheap to clone; hold it as `Arc<dyn Crm>` to use it like any CRM.
#[derive(Debug, Clone)]
pub struct TinycrmClient {
    http: HttpClient,
    capabilities: Capabilities,
    contacts: Contacts,
    none: UnsupportedResource,
}

impl TinycrmClient {
    /// A builder.
    pub fn builder() -> TinycrmBuilder {
        TinycrmBuilder::default()
    }

    pub(crate) fn new(http: HttpClient) -> Self {
        TinycrmClient {
            contacts: Contacts { http: http.clone() },
            http,
            capabilities: crate::capabilities::capabilities(),
            none: UnsupportedResource::new(VENDOR),
        }
    }
}

#[async_trait]
impl Crm for TinycrmClient {
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
        &self.none
    }
    fn opportunities(&self) -> &dyn Resource<Opportunity> {
        &self.none
    }
    fn tasks(&self) -> &dyn Resource<Task> {
        &self.none
    }
    fn notes(&self) -> &dyn Resource<Note> {
        &self.none
    }
    fn users(&self) -> &dyn Resource<User> {
        &self.none
    }
    fn pipelines(&self) -> &dyn Resource<Pipeline> {
        &self.none
    }
    fn leads(&self) -> &dyn Resource<Lead> {
        &self.none
    }
    async fn custom_field_definitions(
        &self,
        kind: ResourceKind,
    ) -> Result<Vec<CustomFieldDefinition>> {
        Err(Error::unsupported(
            format!("{kind}.custom_field_definitions"),
            VENDOR,
        ))
    }
    async fn current_user(&self) -> Result<User> {
        let me: WireUser = self.http.send(self.http.get("me")?).await?.json()?;
        Ok(crate::mapping::user::from_wire(me))
    }
    fn stats(&self) -> ClientStats {
        self.http.stats()
    }
}
