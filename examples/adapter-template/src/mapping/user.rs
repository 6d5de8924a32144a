//! Tinycrm user → unified `User`.

use unicrm_core::User;

use crate::wire::user::WireUser;

/// The unified user.
pub(crate) fn from_wire(w: WireUser) -> User {
    User {
        id: w.id.into(),
        name: w.name,
        email: w.email,
        ..Default::default()
    }
}
