//! Capsule user → unified [`User`] (read-only).
//!
//! `name` → `name`; the linked person's `firstName`/`lastName` → `first_name`/`last_name`;
//! `username`, `timezone`, `currency`, `locale` as they are; `is_active` = `status` ACTIVE and
//! not `deleted`. Capsule users have no email key (it lives on the linked person) and no
//! admin flag in the API: both are `None`.

use unicrm_core::{Currency, User, UserId};

use super::non_empty;
use crate::wire::{Decoded, WireUser};

/// A user → unified.
pub fn user_from_wire(d: &Decoded<WireUser>) -> User {
    let u = &d.wire;
    User {
        id: UserId::from(u.id),
        name: non_empty(&u.name),
        first_name: u.party.as_ref().and_then(|p| non_empty(&p.first_name)),
        last_name: u.party.as_ref().and_then(|p| non_empty(&p.last_name)),
        email: None,
        username: non_empty(&u.username),
        is_active: Some(
            !u.deleted
                && u.status
                    .as_deref()
                    .is_none_or(|s| s.eq_ignore_ascii_case("active")),
        ),
        is_admin: None,
        timezone: non_empty(&u.timezone),
        currency: u.currency.as_deref().and_then(Currency::new),
        locale: non_empty(&u.locale),
        created_at: None,
        updated_at: None,
        raw: Some(d.raw.clone()),
    }
}
