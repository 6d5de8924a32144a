//! User ↔ `/Users` (docs/vendors/insightly-v3.1.md §11.9), read-only.
//!
//! `name` is `FIRST_NAME LAST_NAME`; `email` ← `EMAIL_ADDRESS`; `is_active` ← `ACTIVE`;
//! `is_admin` ← `ADMINISTRATOR`; `timezone` ← `TIMEZONE_ID` (a Windows zone name);
//! `currency` ← `USER_CURRENCY`. `ACCOUNT_OWNER`, `CONTACT_ID` and display settings stay in
//! `raw`.

use serde_json::value::RawValue;
use unicrm_core::{Currency, Result, User};

use super::{dates, text};
use crate::wire::UserWire;

/// Reads a user from its JSON text.
pub fn from_json(text: &RawValue) -> Result<User> {
    from_json_at(text, "")
}

/// [`from_json`], with `prefix` prepended to decode error paths.
pub fn from_json_at(text: &RawValue, prefix: &str) -> Result<User> {
    let (w, raw) = super::decode_wire::<UserWire>(text.get(), prefix)?;
    Ok(from_wire(w, raw))
}

/// Maps a decoded user.
pub fn from_wire(w: UserWire, raw: unicrm_core::RawPayload) -> User {
    let first = text(&w.first_name);
    let last = text(&w.last_name);
    let name = match (&first, &last) {
        (Some(f), Some(l)) => Some(format!("{f} {l}")),
        (Some(n), None) | (None, Some(n)) => Some(n.clone()),
        (None, None) => None,
    };
    User {
        id: w.user_id.map(Into::into).unwrap_or_default(),
        name,
        first_name: first,
        last_name: last,
        email: text(&w.email_address),
        username: None,
        is_active: w.active,
        is_admin: w.administrator,
        timezone: text(&w.timezone_id),
        currency: w.user_currency.as_deref().and_then(Currency::new),
        locale: None,
        created_at: dates::datetime(w.date_created_utc.as_ref()),
        updated_at: dates::datetime(w.date_updated_utc.as_ref()),
        raw: Some(raw),
    }
}
