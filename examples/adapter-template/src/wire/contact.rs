//! A Tinycrm contact, a page of them, and the deleted-contacts list (`API.md`, Contacts).

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// A contact as Tinycrm sends it.
#[derive(Debug, Clone, Deserialize)]
pub(crate) struct WireContact {
    pub id: u64,
    pub first_name: Option<String>,
    pub last_name: Option<String>,
    pub title: Option<String>,
    pub email: Option<String>,
    pub created_at: Option<DateTime<Utc>>,
    pub updated_at: Option<DateTime<Utc>>,
}

/// One page of `GET contacts`: each contact kept as JSON, so the unified record can carry the
/// vendor's payload verbatim.
#[derive(Debug, Deserialize)]
pub(crate) struct WirePage {
    pub data: Vec<Value>,
    pub next_after: Option<u64>,
}

/// `GET contacts/deleted`.
#[derive(Debug, Deserialize)]
pub(crate) struct WireDeletedList {
    pub data: Vec<WireDeleted>,
}

/// One deleted contact.
#[derive(Debug, Deserialize)]
pub(crate) struct WireDeleted {
    pub id: u64,
    pub deleted_at: Option<DateTime<Utc>>,
}

/// The body of `POST contacts` and `PATCH contacts/{id}`: an absent key is left alone, `null`
/// clears (`API.md`, Contacts).
#[derive(Debug, Default, Serialize)]
pub(crate) struct WireWrite {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub first_name: Option<Option<String>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_name: Option<Option<String>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub title: Option<Option<String>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub email: Option<Option<String>>,
}
