//! Capsule activity type ↔ unified [`EngagementType`] (docs/vendors/capsule-v2-addendum.md,
//! "Activity types").
//!
//! | Capsule | unified |
//! |---|---|
//! | `id` (negative for built-ins) | `id` (`"-2"`) |
//! | `name` | `name` |
//! | built-in id -1 / -2 / -3; a custom type's `icon.id` | `kind` (see [`kind_of_type`]) |
//! | `icon.id` | `icon` |
//! | `updateLastContacted` | `updates_last_contacted` |
//! | id < 0 | `is_system` |
//!
//! Tenants rename built-in types, so built-ins map by **id**; custom types (positive ids) by
//! their icon: `PHONE` → call, `MEETING` → meeting, `EMAIL` → email, any other icon
//! `Other(<icon id, lower case>)` (`Other("note")`; never the type's name, so renaming a type
//! does not change its kind). The built-in Note (-1) maps to `Other("note")`: entries of that
//! type are notes, not engagements; -5/-6 (email sent/received) to email. Written, `kind`
//! picks the icon (call → `PHONE`, meeting → `MEETING`, `Other("note")` → `NOTE`); another
//! kind cannot be stored (a validation error). `is_active` is not reported by Capsule (`None`).

use unicrm_core::error::{Error, Result};
use unicrm_core::{EngagementKind, EngagementType, EngagementTypeId, NewEngagementType, Patch};

use super::Body;
use crate::wire::{
    CALL_ACTIVITY, Decoded, EMAIL_RECEIVED_ACTIVITY, EMAIL_SENT_ACTIVITY, MEETING_ACTIVITY,
    NOTE_ACTIVITY, TASK_COMPLETED_ACTIVITY, WireActivityType,
};

/// The icon a new activity type gets when the caller names none: by its kind (a note icon
/// without one); a kind no icon stands for cannot be stored.
fn icon_for(kind: Option<&EngagementKind>) -> Result<&'static str> {
    match kind {
        Some(EngagementKind::Call) => Ok("PHONE"),
        Some(EngagementKind::Meeting) => Ok("MEETING"),
        None => Ok("NOTE"),
        Some(EngagementKind::Other(o)) if o.eq_ignore_ascii_case("note") => Ok("NOTE"),
        Some(k) => Err(Error::Validation {
            message: format!("a Capsule activity type cannot be of kind {k}"),
            fields: vec![unicrm_core::FieldError {
                field: Some("kind".into()),
                resource: None,
                message: "call, meeting or note".into(),
            }],
        }),
    }
}

/// The unified kind of an activity type: built-ins by id, custom types by icon id.
pub fn kind_of_type(id: i64, icon: Option<&str>, name: &str) -> EngagementKind {
    match id {
        NOTE_ACTIVITY => EngagementKind::Other("note".into()),
        MEETING_ACTIVITY => EngagementKind::Meeting,
        CALL_ACTIVITY => EngagementKind::Call,
        TASK_COMPLETED_ACTIVITY => EngagementKind::Other("task_completed".into()),
        EMAIL_SENT_ACTIVITY | EMAIL_RECEIVED_ACTIVITY => EngagementKind::Email,
        id if id < 0 => EngagementKind::Other(name.to_string()),
        _ => match icon.map(str::to_ascii_uppercase).as_deref() {
            Some("PHONE") => EngagementKind::Call,
            Some("MEETING") => EngagementKind::Meeting,
            Some("EMAIL") => EngagementKind::Email,
            Some(other) if !other.trim().is_empty() => {
                EngagementKind::Other(other.to_ascii_lowercase())
            }
            _ => EngagementKind::Other("note".into()),
        },
    }
}

/// An activity type → unified.
pub fn engagement_type_from_wire(d: &Decoded<WireActivityType>) -> EngagementType {
    let t = &d.wire;
    let name = t.name.clone().unwrap_or_default();
    let icon = t.icon.as_ref().and_then(|i| i.id.clone());
    EngagementType {
        id: EngagementTypeId::from(t.id.to_string()),
        kind: Some(kind_of_type(t.id, icon.as_deref(), &name)),
        name,
        icon,
        updates_last_contacted: t.update_last_contacted,
        is_system: Some(t.id < 0),
        is_active: None,
        created_at: None,
        updated_at: None,
        raw: Some(d.raw.clone()),
    }
}

/// `{"id": "PHONE"}`.
#[derive(serde::Serialize)]
struct IconRef<'a> {
    id: &'a str,
}

/// The body of `POST /activitytypes`: `name`, `icon` (`icon`, else one matching `kind`),
/// `updateLastContacted` (Capsule's default when absent).
pub fn new_engagement_type_to_wire(n: &NewEngagementType) -> Result<Body> {
    if n.name.trim().is_empty() {
        return Err(Error::validation("an activity type needs a name"));
    }
    let mut b = Body::new();
    b.set("name", &n.name)?;
    let icon = n
        .icon
        .as_deref()
        .filter(|i| !i.trim().is_empty())
        .map_or_else(
            || icon_for(n.kind.as_ref()).map(str::to_string),
            |i| Ok(i.to_string()),
        )?;
    b.set("icon", &IconRef { id: &icon })?;
    if let Some(u) = n.updates_last_contacted {
        b.set("updateLastContacted", &u)?;
    }
    b.merge_vendor_fields(&n.vendor_fields)?;
    Ok(b)
}

/// The body of `PUT /activitytypes/{id}` (partial): `name`, `icon`, `updateLastContacted`.
/// `kind` maps to an icon when no icon is set; `is_system`/`is_active` are not writable.
pub fn engagement_type_patch_to_wire(p: &unicrm_core::EngagementTypePatch) -> Result<Body> {
    let mut b = Body::new();
    match &p.name {
        Patch::Unchanged => {}
        Patch::Set(n) if !n.trim().is_empty() => b.set("name", n)?,
        _ => return Err(Error::validation("an activity type needs a name")),
    }
    match (&p.icon, &p.kind) {
        (Patch::Set(i), _) if !i.trim().is_empty() => b.set("icon", &IconRef { id: i })?,
        (Patch::Unchanged, Patch::Set(k)) => b.set(
            "icon",
            &IconRef {
                id: icon_for(Some(k))?,
            },
        )?,
        (Patch::Unchanged, Patch::Unchanged) => {}
        _ => return Err(Error::validation("an activity type always has an icon")),
    }
    match &p.updates_last_contacted {
        Patch::Unchanged => {}
        Patch::Set(u) => b.set("updateLastContacted", u)?,
        Patch::Clear => b.set("updateLastContacted", &false)?,
    }
    if !p.is_system.is_unchanged() || !p.is_active.is_unchanged() {
        return Err(Error::unsupported(
            "engagement_type.update (is_system, is_active)",
            "capsule",
        ));
    }
    b.merge_vendor_fields(&p.vendor_fields)?;
    Ok(b)
}
