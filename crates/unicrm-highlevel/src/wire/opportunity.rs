//! A HighLevel opportunity and pipeline (docs/vendors/highlevel-v2.md, "Opportunities and
//! pipelines").

use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;
use serde_json::{Map, Value};

use super::contact::{WireFieldWrite, nullable_vec};

/// An opportunity as sent (`createdAt`/`updatedAt`, not `dateAdded`/`dateUpdated`).
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct WireOpportunity {
    pub id: String,
    pub name: Option<String>,
    /// A number, maybe fractional (0 if not given); read as text-exact JSON.
    pub monetary_value: Option<Value>,
    pub pipeline_id: Option<String>,
    pub pipeline_stage_id: Option<String>,
    pub assigned_to: Option<String>,
    pub status: Option<String>,
    pub last_stage_change_at: Option<String>,
    pub last_action_date: Option<String>,
    pub created_at: Option<String>,
    pub updated_at: Option<String>,
    pub contact_id: Option<String>,
    /// `customFields` (spec, live) or `custom_fields` (the search pages' example).
    #[serde(default, alias = "custom_fields", deserialize_with = "nullable_vec")]
    pub custom_fields: Vec<Map<String, Value>>,
}

/// `GET /opportunities/search` → `{opportunities, meta, aggregations}`.
#[derive(Debug, Deserialize)]
pub(crate) struct WireOpportunityPage<'a> {
    #[serde(borrow, default, deserialize_with = "super::raw_list")]
    pub opportunities: Vec<&'a RawValue>,
    pub meta: Option<WireMeta>,
}

/// The search page's `meta`: the cursor of the next page and the match count.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct WireMeta {
    pub total: Option<u64>,
    pub start_after_id: Option<String>,
    /// Epoch ms (a number; text accepted).
    pub start_after: Option<Value>,
}

/// The body of `POST /opportunities/` and `PUT /opportunities/{id}`: absent keys are left
/// alone. `locationId` and `contactId` only on create.
#[derive(Debug, Default, Serialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub(crate) struct WireOpportunityWrite {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub location_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pipeline_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub contact_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pipeline_stage_id: Option<Option<String>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub monetary_value: Option<Value>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub assigned_to: Option<Option<String>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub source: Option<Option<String>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub custom_fields: Option<Vec<WireFieldWrite>>,
}

/// One stage of a pipeline.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct WireStage {
    pub id: String,
    pub name: Option<String>,
    /// An integer order (text accepted).
    pub position: Option<Value>,
    /// 0–100, may be fractional.
    pub stage_win_probability: Option<Value>,
}

/// A pipeline (`position` is a rank string, not used for order).
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct WirePipeline {
    pub id: String,
    pub name: Option<String>,
    #[serde(default, deserialize_with = "nullable_vec")]
    pub stages: Vec<WireStage>,
    pub date_added: Option<String>,
    pub date_updated: Option<String>,
}

/// `GET /opportunities/pipelines` → `{pipelines}`.
#[derive(Debug, Deserialize)]
pub(crate) struct WirePipelines {
    #[serde(default, deserialize_with = "nullable_vec")]
    pub pipelines: Vec<Value>,
}

/// The record of a single-opportunity answer: `{opportunity}` or the bare object.
pub(crate) fn one(v: Value) -> Value {
    match v {
        Value::Object(mut m) => match m.remove("opportunity") {
            Some(inner @ Value::Object(_)) => inner,
            _ => Value::Object(m),
        },
        other => other,
    }
}
