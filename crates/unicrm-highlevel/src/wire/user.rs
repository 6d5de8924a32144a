//! A HighLevel user (docs/vendors/highlevel-v2.md, "Users").

use serde::Deserialize;
use serde_json::Value;

/// `roles`.
#[derive(Debug, Clone, Default, Deserialize)]
pub(crate) struct WireRoles {
    pub role: Option<String>,
}

/// A user as sent (bare on `GET /users/{id}`, with a `traceId` key that is skipped).
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct WireUser {
    pub id: String,
    pub name: Option<String>,
    pub first_name: Option<String>,
    pub last_name: Option<String>,
    pub email: Option<String>,
    pub roles: Option<WireRoles>,
    pub deleted: Option<bool>,
    pub platform_language: Option<String>,
}

/// `GET /users/search` (`{users, count}`) and the deprecated `GET /users/` (`{users}`).
#[derive(Debug, Deserialize)]
pub(crate) struct WireUsers {
    #[serde(default)]
    pub users: Vec<Value>,
}
