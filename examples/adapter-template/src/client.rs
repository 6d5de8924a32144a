//! [`TinycrmClient`]: the `Crm` impl, handing out one struct per resource.

use async_trait::async_trait;
use unicrm_core::crm::ClientStats;
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
    // Every other resource accessor keeps `Crm`'s default, an `UnsupportedResource`: an
    // adapter lists only what it has, and new resource kinds in core do not break it.
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
    fn rate_budget(&self) -> unicrm_core::http::retry_after::RateLimitHeaders {
        self.http.last_rate_limit()
    }
    fn base_url(&self) -> Option<&unicrm_core::http::Url> {
        Some(self.http.base_url())
    }
}
