//! HighLevel user → unified `User` (read-only: the API writes no users here).

use serde_json::Value;
use unicrm_core::{RawPayload, Result, User};

use crate::wire::user::WireUser;

/// A user from its JSON.
pub(crate) fn from_wire(value: Value) -> Result<User> {
    let w: WireUser = unicrm_core::error::decode_value(value.clone())?;
    let name = w.name.or_else(|| {
        let n = [w.first_name.as_deref(), w.last_name.as_deref()]
            .into_iter()
            .flatten()
            .collect::<Vec<_>>()
            .join(" ");
        (!n.is_empty()).then_some(n)
    });
    Ok(User {
        id: w.id.into(),
        name,
        first_name: w.first_name,
        last_name: w.last_name,
        email: w.email,
        is_active: w.deleted.map(|d| !d),
        is_admin: w
            .roles
            .as_ref()
            .and_then(|r| r.role.as_deref())
            .map(|r| r.eq_ignore_ascii_case("admin")),
        locale: w.platform_language,
        raw: Some(RawPayload::from_value(&value)),
        ..Default::default()
    })
}
