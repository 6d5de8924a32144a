//! `Resource<EngagementType>` over the location's calendars (docs/vendors/highlevel-v2.md,
//! "Calendars and appointments"; `Version: 2021-04-15`, as every `/calendars/*` call; mapping
//! in `mapping/engagement_type.rs`):
//!
//! - **List:** `GET /calendars/?locationId=…` answers the whole list (no paging); core's
//!   `Page::slice` pages it.
//! - **Read:** `GET /calendars/{calendarId}` → `{calendar}`.
//! - Read-only: create, update and delete are `Unsupported` (the capability table says so,
//!   and the guard refuses them before a request).

use async_trait::async_trait;
use unicrm_core::http::Method;
use unicrm_core::{EngagementType, EngagementTypeId, ListParams, Page, Resource, Result};

use crate::VENDOR;
use crate::client::Api;

/// HighLevel's calendars, as engagement types.
#[derive(Debug, Clone)]
pub(crate) struct EngagementTypes {
    pub(crate) api: Api,
}

/// Every calendar of the location (`GET /calendars/?locationId=…`) and the answer's `Date`.
pub(crate) async fn all_dated(
    api: &Api,
) -> Result<(Vec<EngagementType>, Option<chrono::DateTime<chrono::Utc>>)> {
    let req = api
        .request(Method::GET, "calendars/")?
        .query("locationId", &*api.location_id)
        .repeatable(true);
    let resp = api.send(req).await?;
    Ok((crate::pages::calendars(&resp.body)?, resp.date()))
}

#[async_trait]
impl Resource<EngagementType> for EngagementTypes {
    fn vendor(&self) -> &str {
        VENDOR
    }

    async fn list(&self, params: &ListParams) -> Result<Page<EngagementType>> {
        Page::slice(all_dated(&self.api).await?.0, params)
    }

    async fn get(&self, id: &EngagementTypeId) -> Result<EngagementType> {
        let req = self
            .api
            .request_id(Method::GET, "calendars", id.as_str())?
            .repeatable(true);
        crate::pages::calendar(&self.api.send(req).await?.body)
    }
}
