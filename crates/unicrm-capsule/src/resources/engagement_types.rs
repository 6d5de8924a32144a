//! Engagement types: Capsule's activity types, `/activitytypes` (docs/vendors/capsule-v2-addendum.md,
//! "Activity types"): list (paged), get; create and update on the **Teams edition** only.
//!
//! The edition is the account's, and nothing in the API tells it before a write is refused
//! (403), so the client is told: [`CapsuleClientBuilder::teams_edition`](crate::CapsuleClientBuilder::teams_edition).
//! Without it (the default) the capability table declares create and update false and the
//! resource answers `Error::Unsupported` without a request; with it they are declared and a
//! 403 from a non-Teams account comes back as the vendor's error. Delete is undocumented
//! (docs/vendors/capsule-v2-addendum.md, "Uncertain" #5): always `Unsupported`. No change feed.

use std::sync::Arc;

use async_trait::async_trait;
use unicrm_core::error::{Error, Result};
use unicrm_core::http::Method;
use unicrm_core::{
    EngagementType, EngagementTypeId, EngagementTypePatch, ListParams, NewEngagementType, Page,
    Resource,
};

use crate::capabilities::MAX_PAGE_SIZE;
use crate::client::Api;
use crate::mapping::engagement_type::{
    engagement_type_from_wire, engagement_type_patch_to_wire, new_engagement_type_to_wire,
};
use crate::paging::{FirstPage, fetch_page, page_size};
use crate::wire::{self, WireActivityType};

/// The engagement-type resource of a [`CapsuleClient`](crate::CapsuleClient).
#[derive(Clone)]
pub struct EngagementTypesResource {
    pub(crate) api: Arc<Api>,
}

/// The path of one activity type; ids are (possibly negative) numbers.
fn type_path(id: &EngagementTypeId) -> Result<String> {
    let n: i64 = id.as_str().trim().parse().map_err(|_| Error::NotFound {
        message: format!("capsule activity type ids are numbers; {id:?} cannot exist"),
    })?;
    Ok(format!("activitytypes/{n}"))
}

/// Every activity type (for looking one up by name).
pub(crate) async fn all_activity_types(api: &Api) -> Result<Vec<EngagementType>> {
    let rows = api
        .all_pages::<WireActivityType>(
            "activitytypes",
            "activityTypes",
            &[("perPage", MAX_PAGE_SIZE.to_string())],
        )
        .await?;
    Ok(rows.iter().map(engagement_type_from_wire).collect())
}

impl EngagementTypesResource {
    fn writes_allowed(&self, op: &str) -> Result<()> {
        if self.api.entry_settings.teams_edition {
            Ok(())
        } else {
            Err(Error::unsupported(
                format!(
                    "engagement_type.{op} (activity types are written on the Teams edition only)"
                ),
                "capsule",
            ))
        }
    }
}

#[async_trait]
impl Resource<EngagementType> for EngagementTypesResource {
    fn vendor(&self) -> &str {
        "capsule"
    }

    async fn list(&self, params: &ListParams) -> Result<Page<EngagementType>> {
        let first = FirstPage {
            path: "activitytypes".into(),
            query: vec![("perPage", page_size(params, MAX_PAGE_SIZE).to_string())],
        };
        let (items, next) =
            fetch_page::<WireActivityType>(&self.api, &first, params, "activityTypes").await?;
        Ok(Page {
            items: items.iter().map(engagement_type_from_wire).collect(),
            next,
            total: None,
        })
    }

    async fn get(&self, id: &EngagementTypeId) -> Result<EngagementType> {
        let resp = self.api.get_path(&type_path(id)?, &[]).await?;
        let d = wire::decode_one::<WireActivityType>(&resp.body, "activityType")?;
        Ok(engagement_type_from_wire(&d))
    }

    async fn create(&self, new: &NewEngagementType) -> Result<EngagementType> {
        self.writes_allowed("create")?;
        let body = new_engagement_type_to_wire(new)?.wrap("activityType")?;
        let resp = self
            .api
            .write(Method::POST, "activitytypes", &[], body)
            .await?;
        let d = wire::decode_one::<WireActivityType>(&resp.body, "activityType")?;
        Ok(engagement_type_from_wire(&d))
    }

    async fn update(
        &self,
        id: &EngagementTypeId,
        patch: &EngagementTypePatch,
    ) -> Result<EngagementType> {
        self.writes_allowed("update")?;
        let path = type_path(id)?;
        let body = engagement_type_patch_to_wire(patch)?;
        if body.is_empty() {
            return self.get(id).await;
        }
        let resp = self
            .api
            .write(Method::PUT, &path, &[], body.wrap("activityType")?)
            .await?;
        let d = wire::decode_one::<WireActivityType>(&resp.body, "activityType")?;
        Ok(engagement_type_from_wire(&d))
    }

    async fn delete(&self, _id: &EngagementTypeId) -> Result<()> {
        Err(Error::unsupported(
            "engagement_type.delete (undocumented)",
            "capsule",
        ))
    }
}
