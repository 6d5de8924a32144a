//! A HighLevel business, the CRM company (docs/vendors/highlevel-v2.md, "Businesses").

use serde::{Deserialize, Serialize};
use serde_json::Value;
use serde_json::value::RawValue;

/// A business as sent (`id` 24-hex).
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct WireBusiness {
    pub id: String,
    pub name: Option<String>,
    pub phone: Option<String>,
    pub email: Option<String>,
    pub website: Option<String>,
    pub address: Option<String>,
    pub city: Option<String>,
    pub postal_code: Option<String>,
    pub state: Option<String>,
    pub country: Option<String>,
    pub description: Option<String>,
    pub created_at: Option<String>,
    pub updated_at: Option<String>,
}

/// `GET /businesses/` → `{businesses}` (no total).
#[derive(Debug, Deserialize)]
pub(crate) struct WireBusinesses<'a> {
    #[serde(borrow, default, deserialize_with = "super::raw_list")]
    pub businesses: Vec<&'a RawValue>,
}

/// The body of `POST /businesses/` (with `locationId`) and `PUT /businesses/{id}` (without):
/// absent keys are left alone, `null` clears.
#[derive(Debug, Default, Serialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub(crate) struct WireBusinessWrite {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub location_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub phone: Option<Option<String>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub email: Option<Option<String>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub website: Option<Option<String>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub address: Option<Option<String>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub city: Option<Option<String>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub postal_code: Option<Option<String>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub state: Option<Option<String>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub country: Option<Option<String>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<Option<String>>,
}

/// The record of a single-business answer: `{"success":true,"buiseness":{…}}` (sic, create
/// and update), `{business}` (get), or the bare object ("Uncertain": accept every spelling).
pub(crate) fn one(v: Value) -> Value {
    match v {
        Value::Object(mut m) => {
            for key in ["buiseness", "business"] {
                if let Some(inner @ Value::Object(_)) = m.remove(key) {
                    return inner;
                }
            }
            Value::Object(m)
        }
        other => other,
    }
}
