//! Users.

use chrono::{DateTime, Utc};
use serde::Deserialize;

use super::{NestedParty, nullable};

/// A user as `GET /users` returns it.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct WireUser {
    /// Id.
    pub id: u64,
    /// Login name.
    #[serde(default)]
    pub username: Option<String>,
    /// Display name.
    #[serde(default)]
    pub name: Option<String>,
    /// Locale (`en_GB`).
    #[serde(default)]
    pub locale: Option<String>,
    /// Currency.
    #[serde(default)]
    pub currency: Option<String>,
    /// IANA time zone.
    #[serde(default)]
    pub timezone: Option<String>,
    /// `ACTIVE`, … (open).
    #[serde(default)]
    pub status: Option<String>,
    /// Last login.
    #[serde(default)]
    pub last_login_at: Option<DateTime<Utc>>,
    /// Deleted user.
    #[serde(default, deserialize_with = "nullable")]
    pub deleted: bool,
    /// Avatar.
    #[serde(default, rename = "pictureURL")]
    pub picture_url: Option<String>,
    /// The user's own person record.
    #[serde(default)]
    pub party: Option<NestedParty>,
}
