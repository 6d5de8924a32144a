//! A HighLevel contact as read (GET by id, search hit) and as written
//! (docs/vendors/highlevel-v2.md, "Contact object", "Contact writes").

use serde::{Deserialize, Serialize};
use serde_json::Value;
use serde_json::value::RawValue;

/// One of `additionalEmails`: an object live, a plain string in the docs ("Uncertain" 5).
#[derive(Debug, Clone, Deserialize)]
#[serde(untagged)]
pub(crate) enum ExtraEmail {
    Object { email: Option<String> },
    Text(String),
}

/// One of `additionalPhones` (both forms, as for emails).
#[derive(Debug, Clone, Deserialize)]
#[serde(untagged)]
pub(crate) enum ExtraPhone {
    Object { phone: Option<String> },
    Text(String),
}

/// A custom field value as read: `{id, value}` (value of any JSON type).
#[derive(Debug, Clone, Deserialize)]
pub(crate) struct WireFieldValue {
    pub id: String,
    #[serde(default)]
    pub value: Value,
}

/// A contact as HighLevel sends it.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct WireContact {
    pub id: String,
    pub first_name: Option<String>,
    pub last_name: Option<String>,
    pub name: Option<String>,
    pub contact_name: Option<String>,
    pub email: Option<String>,
    pub phone: Option<String>,
    #[serde(default, deserialize_with = "nullable_vec")]
    pub additional_emails: Vec<ExtraEmail>,
    #[serde(default, deserialize_with = "nullable_vec")]
    pub additional_phones: Vec<ExtraPhone>,
    pub company_name: Option<String>,
    pub business_id: Option<String>,
    pub business_name: Option<String>,
    /// GET and webhooks say `address1`; search hits say `address`.
    pub address1: Option<String>,
    pub address: Option<String>,
    pub city: Option<String>,
    pub state: Option<String>,
    pub postal_code: Option<String>,
    pub country: Option<String>,
    pub website: Option<String>,
    pub date_of_birth: Option<String>,
    pub source: Option<String>,
    pub assigned_to: Option<String>,
    #[serde(default, deserialize_with = "nullable_vec")]
    pub tags: Vec<String>,
    /// `customFields`, or v1's `customField`.
    #[serde(default, alias = "customField", deserialize_with = "nullable_vec")]
    pub custom_fields: Vec<WireFieldValue>,
    pub date_added: Option<String>,
    pub date_updated: Option<String>,
    /// ISO text, or epoch ms in v1 data.
    pub last_activity: Option<Value>,
    /// Search hits only: the cursor of this hit.
    pub search_after: Option<Vec<Value>>,
}

/// `[]` for an absent key or `null`.
pub(crate) fn nullable_vec<'de, D, T>(d: D) -> Result<Vec<T>, D::Error>
where
    D: serde::Deserializer<'de>,
    T: Deserialize<'de>,
{
    Ok(Option::<Vec<T>>::deserialize(d)?.unwrap_or_default())
}

/// `GET /contacts/{id}`: `{contact, traceId}`.
#[derive(Debug, Deserialize)]
pub(crate) struct WireOne {
    pub contact: Value,
}

/// `POST /contacts/search`: `{contacts, total, traceId}`.
#[derive(Debug, Deserialize)]
pub(crate) struct WireSearchPage<'a> {
    #[serde(borrow, default, deserialize_with = "super::raw_list")]
    pub contacts: Vec<&'a RawValue>,
    pub total: Option<u64>,
}

/// A custom field value as written: `{id, field_value}` (reads say `value`).
#[derive(Debug, Clone, Serialize, PartialEq)]
pub(crate) struct WireFieldWrite {
    pub id: String,
    pub field_value: Value,
}

/// The body of `POST /contacts/` and `PUT /contacts/{id}`: absent keys are left alone, `null`
/// clears. `locationId` only on create (a PUT with it is a 422, "Errors").
#[derive(Debug, Default, Serialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub(crate) struct WireContactWrite {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub location_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub first_name: Option<Option<String>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_name: Option<Option<String>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub email: Option<Option<String>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub phone: Option<Option<String>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub company_name: Option<Option<String>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub address1: Option<Option<String>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub city: Option<Option<String>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub state: Option<Option<String>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub postal_code: Option<Option<String>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub country: Option<Option<String>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub website: Option<Option<String>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub date_of_birth: Option<Option<String>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub source: Option<Option<String>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub assigned_to: Option<Option<String>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tags: Option<Vec<String>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub custom_fields: Option<Vec<WireFieldWrite>>,
}
