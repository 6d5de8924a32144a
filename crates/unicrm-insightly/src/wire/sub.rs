//! Sub-objects shared by several records: `LINKS`, `TAGS`, `CUSTOMFIELDS`, `DATES`,
//! `EMAILDOMAINS`, and custom field definitions.

use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;

/// One item of `LINKS`: a relation between this record and another.
#[derive(Debug, Clone, Default, Deserialize, Serialize, PartialEq, Eq)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE", default)]
pub struct LinkWire {
    /// Link id (read-only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub link_id: Option<u64>,
    /// The record the collection belongs to (singular object name).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub object_name: Option<String>,
    /// Its id.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub object_id: Option<u64>,
    /// The linked record's object name, singular: `Contact`, `Organisation`, …
    pub link_object_name: Option<String>,
    /// The linked record's id.
    pub link_object_id: Option<u64>,
    /// Role (free text).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub role: Option<String>,
    /// Details (free text).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub details: Option<String>,
    /// Relationship for contact↔contact and organisation↔organisation links.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub relationship_id: Option<u64>,
    /// Direction of the relationship.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub is_forward: Option<bool>,
}

/// One item of `TAGS`.
#[derive(Debug, Clone, Default, Deserialize, Serialize, PartialEq, Eq)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE", default)]
pub struct TagWire {
    /// The tag's name.
    pub tag_name: Option<String>,
}

/// One item of `CUSTOMFIELDS`. The value stays raw JSON until its definition types it.
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE", default)]
pub struct CustomFieldWire {
    /// API name, ends in `__c`.
    pub field_name: Option<String>,
    /// The value, raw (`None` for JSON `null`).
    pub field_value: Option<Box<RawValue>>,
}

/// One item of `DATES` (contacts, organisations).
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE", default)]
pub struct DateWire {
    /// Id (read-only).
    pub date_id: Option<u64>,
    /// What the date is.
    pub occasion_name: Option<String>,
    /// The date.
    pub occasion_date: Option<String>,
    /// Repeats every year.
    pub repeat_yearly: Option<bool>,
    /// Creates a yearly task.
    pub create_task_yearly: Option<bool>,
}

/// One item of `EMAILDOMAINS` (organisations).
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE", default)]
pub struct EmailDomainWire {
    /// Id (read-only).
    pub email_domain_id: Option<u64>,
    /// The domain.
    pub email_domain: Option<String>,
}

/// An option of a DROPDOWN / MULTISELECT custom field.
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE", default)]
pub struct CustomFieldOptionWire {
    /// Option id.
    pub option_id: Option<u64>,
    /// Option text (what values carry).
    pub option_value: Option<String>,
    /// Whether it is the default.
    pub option_default: Option<bool>,
}

/// A custom field definition, `GET /CustomFields/{Object}`.
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE", default)]
pub struct CustomFieldDefinitionWire {
    /// API name (`Region__c`).
    pub field_name: Option<String>,
    /// Display label.
    pub field_label: Option<String>,
    /// Object it belongs to (`CONTACT`).
    pub field_for: Option<String>,
    /// `TEXT`, `DROPDOWN`, … (open set).
    pub field_type: Option<String>,
    /// Display order.
    pub field_order: Option<i64>,
    /// Help text.
    pub field_help_text: Option<String>,
    /// Default value.
    pub default_value: Option<String>,
    /// Writable.
    pub editable: Option<bool>,
    /// Shown.
    pub visible: Option<bool>,
    /// LOOKUP target object.
    pub join_object: Option<String>,
    /// Options of choice fields.
    pub custom_field_options: Option<Vec<CustomFieldOptionWire>>,
}

/// A lead status, `GET /LeadStatuses` (docs/vendors/insightly-v3.1.md §11.6).
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE", default)]
pub struct LeadStatusWire {
    /// Id (`LEAD_STATUS_ID` on leads).
    pub lead_status_id: Option<u64>,
    /// Label.
    pub lead_status: Option<String>,
    /// Whether new leads get it by default.
    pub default_status: Option<bool>,
    /// Open / closed family (codes uncertain).
    pub status_type: Option<i64>,
    /// Display order.
    pub field_order: Option<i64>,
}

/// A lead source, `GET /LeadSources` (docs/vendors/insightly-v3.1.md §11.6).
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE", default)]
pub struct LeadSourceWire {
    /// Id (`LEAD_SOURCE_ID` on leads).
    pub lead_source_id: Option<u64>,
    /// Label.
    pub lead_source: Option<String>,
    /// Whether new leads get it by default.
    pub default_value: Option<bool>,
    /// Display order.
    pub field_order: Option<i64>,
}
