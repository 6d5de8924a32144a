//! The project records: `/Projects`, `/Projects/{id}/Milestones`, `/ProjectCategories`
//! (docs/vendors/insightly-v3.1-addendum.md, "Projects").

use serde::Deserialize;

use super::sub::*;

/// `/Projects` record ("Project fields"). `OPPORTUNITY_ID` is read-only.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE", default)]
#[allow(missing_docs)]
pub struct ProjectWire {
    pub project_id: Option<u64>,
    pub project_name: Option<String>,
    pub status: Option<String>,
    pub project_details: Option<String>,
    pub started_date: Option<String>,
    pub completed_date: Option<String>,
    pub opportunity_id: Option<u64>,
    pub category_id: Option<u64>,
    pub pipeline_id: Option<u64>,
    pub stage_id: Option<u64>,
    pub image_url: Option<String>,
    pub responsible_user_id: Option<u64>,
    pub owner_user_id: Option<u64>,
    pub created_user_id: Option<u64>,
    pub visible_to: Option<String>,
    pub visible_team_id: Option<u64>,
    pub date_created_utc: Option<String>,
    pub date_updated_utc: Option<String>,
    pub last_activity_date_utc: Option<String>,
    pub next_activity_date_utc: Option<String>,
    pub linked_email_address: Option<String>,
    pub customfields: Option<Vec<CustomFieldWire>>,
    pub tags: Option<Vec<TagWire>>,
    pub links: Option<Vec<LinkWire>>,
}

/// A project milestone ("Milestones"): note `RESPONSIBLE_USER`, not `…_USER_ID`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE", default)]
#[allow(missing_docs)]
pub struct MilestoneWire {
    pub milestone_id: Option<u64>,
    pub title: Option<String>,
    pub completed: Option<bool>,
    pub due_date: Option<String>,
    pub owner_user_id: Option<u64>,
    pub responsible_user: Option<u64>,
    pub project_id: Option<u64>,
    pub completed_date_utc: Option<String>,
    pub date_created_utc: Option<String>,
    pub date_updated_utc: Option<String>,
}

/// A project (or task, opportunity) category ("Project and task categories").
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE", default)]
#[allow(missing_docs)]
pub struct CategoryWire {
    pub category_id: Option<u64>,
    pub category_name: Option<String>,
    pub active: Option<bool>,
    pub background_color: Option<String>,
}
