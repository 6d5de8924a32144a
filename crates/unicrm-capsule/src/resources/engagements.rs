//! Engagements: Capsule entries that are logged activities (`type: note` with an activity type
//! other than Note: meetings, calls, custom types) or filed emails (`type: email`, read-only),
//! from the account's entry feed `/entries` (newest `entryAt` first, 50 a page). See
//! `mapping/engagement.rs` for what is an engagement and how it maps;
//! docs/vendors/capsule-v2-addendum.md, "Entries as engagements".
//!
//! A plain note read here (or an engagement read as a note) answers `NotFound`: every entry is
//! in exactly one of the two resources. Update and delete read the entry first for that
//! reason (and because an email cannot be edited). Create posts `type: note` with the
//! activity type; an email or appointment is `Error::Unsupported` and a missing or second
//! related record a validation error, both before any request. A custom kind
//! (`Other("Video call")`) is looked up by name among `/activitytypes`.

use std::sync::Arc;

use async_trait::async_trait;
use unicrm_core::error::{Error, Result};
use unicrm_core::http::Method;
use unicrm_core::{
    ChangeSet, Checkpoint, Engagement, EngagementId, EngagementPatch, ListParams, NewEngagement,
    Page, Resource,
};

use super::engagement_types::all_activity_types;
use super::path_id;
use crate::capabilities::MAX_ENTRY_PAGE_SIZE;
use crate::client::Api;
use crate::mapping::engagement::{
    ActivityChoice, activity_choice, check_new, engagement_from_wire, engagement_patch_to_wire,
    new_engagement_to_wire, patch_changes_type,
};
use crate::paging::{FirstPage, fetch_filtered, page_size};
use crate::wire::{self, Decoded, EntryClass, WireEntry};

/// The engagement resource of a [`CapsuleClient`](crate::CapsuleClient).
#[derive(Clone)]
pub struct EngagementsResource {
    pub(crate) api: Arc<Api>,
}

/// The first request of an entry listing (`/entries`).
pub(crate) fn first_page(params: &ListParams) -> FirstPage {
    FirstPage {
        path: "entries".into(),
        query: vec![(
            "perPage",
            page_size(params, MAX_ENTRY_PAGE_SIZE).to_string(),
        )],
    }
}

fn entry_path(id: &EngagementId) -> Result<String> {
    Ok(format!("entries/{}", path_id("engagement", id.as_str())?))
}

/// An entry read as an engagement; any other entry is `NotFound`.
fn as_engagement(d: &Decoded<WireEntry>) -> Result<Engagement> {
    if !d.wire.is_engagement() {
        return Err(Error::NotFound {
            message: format!(
                "entry {} is a {} (not an engagement: see the notes resource)",
                d.wire.id,
                d.wire.kind.as_deref().unwrap_or("note")
            ),
        });
    }
    Ok(engagement_from_wire(d))
}

impl EngagementsResource {
    async fn read(&self, id: &EngagementId) -> Result<Decoded<WireEntry>> {
        let resp = self.api.get_path(&entry_path(id)?, &[]).await?;
        wire::decode_one::<WireEntry>(&resp.body, "entry")
    }

    /// The activity type id of a choice (a custom type looked up by name).
    async fn activity_id(&self, choice: ActivityChoice) -> Result<i64> {
        match choice {
            ActivityChoice::Id(id) => Ok(id),
            ActivityChoice::Named(name) => {
                let types = all_activity_types(&self.api).await?;
                types
                    .iter()
                    .find(|t| t.name.trim().eq_ignore_ascii_case(&name))
                    .and_then(|t| t.id.as_str().parse::<i64>().ok())
                    .ok_or_else(|| Error::Validation {
                        message: format!("capsule has no activity type named {name:?}"),
                        fields: vec![unicrm_core::FieldError {
                            field: Some("kind".into()),
                            resource: None,
                            message: "unknown activity type".into(),
                        }],
                    })
            }
        }
    }
}

#[async_trait]
impl Resource<Engagement> for EngagementsResource {
    fn vendor(&self) -> &str {
        "capsule"
    }

    async fn list(&self, params: &ListParams) -> Result<Page<Engagement>> {
        let (items, next) = fetch_filtered::<WireEntry>(
            &self.api,
            &first_page(params),
            params,
            "entries",
            WireEntry::is_engagement,
        )
        .await?;
        Ok(Page {
            items: items.iter().map(engagement_from_wire).collect(),
            next,
            total: None,
        })
    }

    async fn get(&self, id: &EngagementId) -> Result<Engagement> {
        as_engagement(&self.read(id).await?)
    }

    async fn create(&self, new: &NewEngagement) -> Result<Engagement> {
        let choice = activity_choice(&new.kind, new.engagement_type_id.as_ref())?;
        check_new(new)?;
        let activity = self.activity_id(choice).await?;
        let body = new_engagement_to_wire(new, activity)?.wrap("entry")?;
        let resp = self.api.write(Method::POST, "entries", &[], body).await?;
        as_engagement(&wire::decode_one::<WireEntry>(&resp.body, "entry")?)
    }

    async fn update(&self, id: &EngagementId, patch: &EngagementPatch) -> Result<Engagement> {
        let path = entry_path(id)?;
        let current = self.read(id).await?;
        let engagement = as_engagement(&current)?;
        if current.wire.class() == EntryClass::Email {
            return Err(Error::unsupported(
                "engagement.update (emails are read-only)",
                "capsule",
            ));
        }
        let activity = if patch_changes_type(patch) {
            let kind = patch.kind.as_set().unwrap_or(&engagement.kind);
            let choice = activity_choice(kind, patch.engagement_type_id.as_set())?;
            Some(self.activity_id(choice).await?)
        } else {
            None
        };
        let body = engagement_patch_to_wire(patch, activity)?;
        if body.is_empty() {
            return Ok(engagement);
        }
        let resp = self
            .api
            .write(Method::PUT, &path, &[], body.wrap("entry")?)
            .await?;
        as_engagement(&wire::decode_one::<WireEntry>(&resp.body, "entry")?)
    }

    async fn delete(&self, id: &EngagementId) -> Result<()> {
        let path = entry_path(id)?;
        as_engagement(&self.read(id).await?)?;
        self.api.delete_path(&path).await
    }

    fn change_stream(&self, checkpoint: Checkpoint) -> unicrm_core::ChangeStream<'_, Engagement> {
        crate::changes::entry_stream::entry_stream(
            &self.api,
            checkpoint,
            WireEntry::is_engagement,
            engagement_from_wire,
        )
    }

    async fn changes_since(
        &self,
        checkpoint: &Checkpoint,
    ) -> Result<ChangeSet<Engagement, EngagementId>> {
        crate::changes::entries::entry_changes(
            &self.api,
            checkpoint,
            WireEntry::is_engagement,
            engagement_from_wire,
        )
        .await
    }
}
