//! The records: Contact, Organisation, Opportunity, Lead, Task, Note, User, Pipeline,
//! PipelineStage (docs/vendors/insightly-v3.1.md §11).

use serde::Deserialize;
use serde_json::value::RawValue;

use super::sub::*;

/// `/Contacts` record (§11.3).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE", default)]
#[allow(missing_docs)]
pub struct ContactWire {
    pub contact_id: Option<u64>,
    pub salutation: Option<String>,
    pub first_name: Option<String>,
    pub last_name: Option<String>,
    pub title: Option<String>,
    pub background: Option<String>,
    pub image_url: Option<String>,
    pub date_of_birth: Option<String>,
    pub email_address: Option<String>,
    pub email_opted_out: Option<bool>,
    pub phone: Option<String>,
    pub phone_home: Option<String>,
    pub phone_mobile: Option<String>,
    pub phone_other: Option<String>,
    pub phone_fax: Option<String>,
    pub phone_assistant: Option<String>,
    pub assistant_name: Option<String>,
    pub social_linkedin: Option<String>,
    pub social_facebook: Option<String>,
    pub social_twitter: Option<String>,
    pub address_mail_street: Option<String>,
    pub address_mail_city: Option<String>,
    pub address_mail_state: Option<String>,
    pub address_mail_postcode: Option<String>,
    pub address_mail_country: Option<String>,
    pub address_other_street: Option<String>,
    pub address_other_city: Option<String>,
    pub address_other_state: Option<String>,
    pub address_other_postcode: Option<String>,
    pub address_other_country: Option<String>,
    pub organisation_id: Option<u64>,
    pub owner_user_id: Option<u64>,
    pub created_user_id: Option<u64>,
    pub visible_to: Option<String>,
    pub visible_team_id: Option<u64>,
    pub date_created_utc: Option<String>,
    pub date_updated_utc: Option<String>,
    pub last_activity_date_utc: Option<String>,
    pub next_activity_date_utc: Option<String>,
    pub customfields: Option<Vec<CustomFieldWire>>,
    pub tags: Option<Vec<TagWire>>,
    pub dates: Option<Vec<DateWire>>,
    pub links: Option<Vec<LinkWire>>,
}

/// `/Organisations` record (§11.4).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE", default)]
#[allow(missing_docs)]
pub struct OrganisationWire {
    pub organisation_id: Option<u64>,
    pub organisation_name: Option<String>,
    pub background: Option<String>,
    pub image_url: Option<String>,
    pub phone: Option<String>,
    pub phone_fax: Option<String>,
    pub website: Option<String>,
    pub social_linkedin: Option<String>,
    pub social_facebook: Option<String>,
    pub social_twitter: Option<String>,
    pub address_billing_street: Option<String>,
    pub address_billing_city: Option<String>,
    pub address_billing_state: Option<String>,
    pub address_billing_postcode: Option<String>,
    pub address_billing_country: Option<String>,
    pub address_ship_street: Option<String>,
    pub address_ship_city: Option<String>,
    pub address_ship_state: Option<String>,
    pub address_ship_postcode: Option<String>,
    pub address_ship_country: Option<String>,
    pub owner_user_id: Option<u64>,
    pub created_user_id: Option<u64>,
    pub visible_to: Option<String>,
    pub visible_team_id: Option<u64>,
    pub date_created_utc: Option<String>,
    pub date_updated_utc: Option<String>,
    pub last_activity_date_utc: Option<String>,
    pub next_activity_date_utc: Option<String>,
    pub customfields: Option<Vec<CustomFieldWire>>,
    pub tags: Option<Vec<TagWire>>,
    pub dates: Option<Vec<DateWire>>,
    pub emaildomains: Option<Vec<EmailDomainWire>>,
    pub links: Option<Vec<LinkWire>>,
}

/// `/Opportunities` record (§11.5). `BID_AMOUNT` stays raw so it is parsed exactly.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE", default)]
#[allow(missing_docs)]
pub struct OpportunityWire {
    pub opportunity_id: Option<u64>,
    pub opportunity_name: Option<String>,
    pub opportunity_details: Option<String>,
    pub opportunity_state: Option<String>,
    pub probability: Option<Box<RawValue>>,
    pub bid_currency: Option<String>,
    pub bid_amount: Option<Box<RawValue>>,
    pub bid_type: Option<String>,
    pub bid_duration: Option<i64>,
    pub opportunity_value: Option<Box<RawValue>>,
    pub forecast_close_date: Option<String>,
    pub actual_close_date: Option<String>,
    pub category_id: Option<u64>,
    pub pipeline_id: Option<u64>,
    pub stage_id: Option<u64>,
    pub pricebook_id: Option<u64>,
    pub organisation_id: Option<u64>,
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
    pub customfields: Option<Vec<CustomFieldWire>>,
    pub tags: Option<Vec<TagWire>>,
    pub links: Option<Vec<LinkWire>>,
}

/// `/Leads` record (§11.6). Note `EMAIL`, not `EMAIL_ADDRESS`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE", default)]
#[allow(missing_docs)]
pub struct LeadWire {
    pub lead_id: Option<u64>,
    pub salutation: Option<String>,
    pub first_name: Option<String>,
    pub last_name: Option<String>,
    pub title: Option<String>,
    pub email: Option<String>,
    pub phone: Option<String>,
    pub mobile: Option<String>,
    pub fax: Option<String>,
    pub website: Option<String>,
    pub organisation_name: Option<String>,
    pub industry: Option<String>,
    pub employee_count: Option<i64>,
    pub lead_description: Option<String>,
    pub lead_rating: Option<i64>,
    pub lead_source_id: Option<u64>,
    pub lead_status_id: Option<u64>,
    pub address_street: Option<String>,
    pub address_city: Option<String>,
    pub address_state: Option<String>,
    pub address_postcode: Option<String>,
    pub address_country: Option<String>,
    pub converted: Option<bool>,
    pub converted_contact_id: Option<u64>,
    pub converted_organisation_id: Option<u64>,
    pub converted_opportunity_id: Option<u64>,
    pub converted_date_utc: Option<String>,
    pub email_opted_out: Option<bool>,
    pub image_url: Option<String>,
    pub owner_user_id: Option<u64>,
    pub responsible_user_id: Option<u64>,
    pub created_user_id: Option<u64>,
    pub visible_to: Option<String>,
    pub visible_team_id: Option<u64>,
    pub date_created_utc: Option<String>,
    pub date_updated_utc: Option<String>,
    pub last_activity_date_utc: Option<String>,
    pub next_activity_date_utc: Option<String>,
    pub customfields: Option<Vec<CustomFieldWire>>,
    pub tags: Option<Vec<TagWire>>,
    pub links: Option<Vec<LinkWire>>,
}

/// `/Tasks` record (§11.7). Tasks have no `TAGS`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE", default)]
#[allow(missing_docs)]
pub struct TaskWire {
    pub task_id: Option<u64>,
    pub title: Option<String>,
    pub details: Option<String>,
    pub status: Option<String>,
    pub priority: Option<i64>,
    pub percent_complete: Option<i64>,
    pub completed: Option<bool>,
    pub completed_date_utc: Option<String>,
    pub start_date: Option<String>,
    pub due_date: Option<String>,
    pub reminder_date_utc: Option<String>,
    pub reminder_sent: Option<bool>,
    pub category_id: Option<u64>,
    pub responsible_user_id: Option<u64>,
    pub owner_user_id: Option<u64>,
    pub assigned_by_user_id: Option<u64>,
    pub assigned_team_id: Option<u64>,
    pub assigned_date_utc: Option<String>,
    pub created_user_id: Option<u64>,
    pub owner_visible: Option<bool>,
    pub publicly_visible: Option<bool>,
    pub parent_task_id: Option<u64>,
    pub recurrence: Option<String>,
    pub project_id: Option<u64>,
    pub milestone_id: Option<u64>,
    pub opportunity_id: Option<u64>,
    pub stage_id: Option<u64>,
    pub email_id: Option<u64>,
    pub date_created_utc: Option<String>,
    pub date_updated_utc: Option<String>,
    pub customfields: Option<Vec<CustomFieldWire>>,
    pub links: Option<Vec<LinkWire>>,
}

/// `/Notes` record (§11.8).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE", default)]
#[allow(missing_docs)]
pub struct NoteWire {
    pub note_id: Option<u64>,
    pub title: Option<String>,
    pub body: Option<String>,
    pub owner_user_id: Option<u64>,
    pub date_created_utc: Option<String>,
    pub date_updated_utc: Option<String>,
    pub links: Option<Vec<LinkWire>>,
}

/// `/Users` record (§11.9), read-only.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE", default)]
#[allow(missing_docs)]
pub struct UserWire {
    pub user_id: Option<u64>,
    pub first_name: Option<String>,
    pub last_name: Option<String>,
    pub email_address: Option<String>,
    pub active: Option<bool>,
    pub administrator: Option<bool>,
    pub account_owner: Option<bool>,
    pub timezone_id: Option<String>,
    pub user_currency: Option<String>,
    pub contact_id: Option<u64>,
    pub date_created_utc: Option<String>,
    pub date_updated_utc: Option<String>,
}

/// `/Pipelines` record (§11.10). Stages are not embedded.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE", default)]
#[allow(missing_docs)]
pub struct PipelineWire {
    pub pipeline_id: Option<u64>,
    pub pipeline_name: Option<String>,
    pub for_opportunities: Option<bool>,
    pub for_projects: Option<bool>,
    pub owner_user_id: Option<u64>,
}

/// `/PipelineStages` record (§11.10): a flat list over every pipeline.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE", default)]
#[allow(missing_docs)]
pub struct PipelineStageWire {
    pub stage_id: Option<u64>,
    pub pipeline_id: Option<u64>,
    pub stage_name: Option<String>,
    pub stage_order: Option<i64>,
    pub activityset_id: Option<u64>,
    pub owner_user_id: Option<u64>,
}
