//! `/Events` and `/Emails` records (docs/vendors/insightly-v3.1-addendum.md, "Events" and
//! "Emails"). Events have no `TAGS`; emails are read-only metadata (no body, no recipients).

use serde::Deserialize;

use super::{CustomFieldWire, LinkWire, TagWire};

/// `/Events` record ("Event fields").
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE", default)]
#[allow(missing_docs)]
pub struct EventWire {
    pub event_id: Option<u64>,
    pub title: Option<String>,
    pub location: Option<String>,
    pub start_date_utc: Option<String>,
    pub end_date_utc: Option<String>,
    pub all_day: Option<bool>,
    pub details: Option<String>,
    pub reminder_date_utc: Option<String>,
    pub reminder_sent: Option<bool>,
    pub owner_user_id: Option<u64>,
    pub date_created_utc: Option<String>,
    pub date_updated_utc: Option<String>,
    pub customfields: Option<Vec<CustomFieldWire>>,
    pub links: Option<Vec<LinkWire>>,
}

/// `/Emails` record ("Emails"): every field read-only.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE", default)]
#[allow(missing_docs)]
pub struct EmailWire {
    pub email_id: Option<u64>,
    pub email_from: Option<String>,
    pub subject: Option<String>,
    pub email_date_utc: Option<String>,
    pub format: Option<String>,
    pub size: Option<u64>,
    pub owner_user_id: Option<u64>,
    pub date_created_utc: Option<String>,
    pub queued_send_date_utc: Option<String>,
    pub created_user_id: Option<u64>,
    pub tags: Option<Vec<TagWire>>,
    pub links: Option<Vec<LinkWire>>,
}
