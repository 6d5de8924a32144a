//! Activity types (`/activitytypes`): docs/vendors/capsule-v2-addendum.md, "Activity types".

use serde::Deserialize;

use super::nullable;

/// An activity type's icon: `{order, id, displayName, iconName, isSystem}`.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct WireIcon {
    /// Sort order of the icon in the app.
    pub order: Option<i64>,
    /// The icon's id: `NOTE`, `MEETING`, `PHONE`, … (open).
    pub id: Option<String>,
    /// Display name (`Phone`).
    pub display_name: Option<String>,
    /// Lower-case icon name (`phone`).
    pub icon_name: Option<String>,
    /// Whether the icon is a system one.
    #[serde(deserialize_with = "nullable")]
    pub is_system: bool,
}

/// An activity type as `GET /activitytypes/{id}` returns it. Built-in types have negative ids
/// (-1 Note, -2 Meeting, -3 Call), custom types positive ones.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct WireActivityType {
    /// Id (negative for built-ins).
    pub id: i64,
    /// Name (tenants may rename built-ins).
    #[serde(default)]
    pub name: Option<String>,
    /// Icon.
    #[serde(default)]
    pub icon: Option<WireIcon>,
    /// Whether an entry of this type moves the record's `lastContactedAt`.
    #[serde(default)]
    pub update_last_contacted: Option<bool>,
}
