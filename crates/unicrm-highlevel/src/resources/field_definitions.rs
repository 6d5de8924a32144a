//! `Resource<FieldDefinition>` over `GET /locations/{locationId}/customFields?model=…`
//! (docs/vendors/highlevel-v2.md, "Custom fields, tags and location metadata"): `ListParams::of` picks the model
//! (contact → `contact`, opportunity → `opportunity`; kinds without custom fields here list
//! nothing, and no `of` lists `all`). The vendor answers the whole list; core's `Page::slice`
//! pages it. `get` searches that list (one request either way). Read-only here.

use async_trait::async_trait;
use unicrm_core::http::Method;
use unicrm_core::{
    CustomFieldId, Error, FieldDefinition, ListParams, Page, Resource, ResourceKind, Result,
};

use crate::VENDOR;
use crate::client::Api;
use crate::mapping::field;
use crate::wire::field::WireFields;

/// HighLevel's custom field definitions.
#[derive(Debug, Clone)]
pub(crate) struct FieldDefinitions {
    pub(crate) api: Api,
}

/// The `model` query value for a kind; `None`: the kind has no custom fields here.
pub(crate) fn model_of(kind: Option<&ResourceKind>) -> Option<&'static str> {
    match kind {
        None => Some("all"),
        Some(ResourceKind::Contact) => Some("contact"),
        Some(ResourceKind::Opportunity) => Some("opportunity"),
        Some(_) => None,
    }
}

impl FieldDefinitions {
    /// The definitions of `model`, as the vendor lists them (those of another model left out,
    /// should the vendor ignore the filter).
    pub(crate) async fn of(
        &self,
        kind: Option<&ResourceKind>,
    ) -> Result<Vec<unicrm_core::CustomFieldDefinition>> {
        let Some(model) = model_of(kind) else {
            return Ok(vec![]);
        };
        let path = format!("locations/{}/customFields", self.api.location_id);
        let req = self.api.request(Method::GET, &path)?.query("model", model);
        let fields: WireFields = self.api.send(req).await?.json()?;
        fields
            .custom_fields
            .into_iter()
            .map(field::from_wire)
            .filter(|d| match (d, kind) {
                (Ok(d), Some(k)) => d.applies_to.contains(k),
                _ => true,
            })
            .collect()
    }
}

#[async_trait]
impl Resource<FieldDefinition> for FieldDefinitions {
    fn vendor(&self) -> &str {
        VENDOR
    }

    async fn list(&self, params: &ListParams) -> Result<Page<FieldDefinition>> {
        let all = self.of(params.of.as_ref()).await?;
        Page::slice(all.into_iter().map(FieldDefinition::from).collect(), params)
    }

    async fn get(&self, id: &CustomFieldId) -> Result<FieldDefinition> {
        crate::client::check_id("custom field", id.as_str())?;
        self.of(None)
            .await?
            .into_iter()
            .find(|d| &d.id == id)
            .map(FieldDefinition::from)
            .ok_or_else(|| Error::NotFound {
                message: format!("{VENDOR} has no custom field {id}"),
            })
    }
}
