//! What the adapter supports, as typed data: contacts only (full CRUD, `updated_since`, a
//! change feed with Tinycrm's own deleted-records list), no tags, no custom fields, no
//! webhooks. Core's guard (`unicrm_core::guard`, applied by `unicrm_core::registry::connect`)
//! enforces this before the adapter is called: an operation, a filter or a written field not
//! listed here is `Error::Unsupported`, and no request is sent.

use unicrm_core::{Capabilities, DeletionDetection, Filters, ResourceCapabilities, ResourceKind};

/// The unified contact fields Tinycrm stores (see `mapping/contact.rs`): everything else a
/// caller sets on a contact is refused by the guard, never dropped in silence.
pub const CONTACT_FIELDS: [&str; 4] = ["first_name", "last_name", "job_title", "emails"];

/// The adapter's capabilities.
pub fn capabilities() -> Capabilities {
    let mut contacts = ResourceCapabilities {
        filters: Filters {
            updated_since: true,
            // Filters core adds later are off until the adapter says otherwise.
            ..Filters::default()
        },
        deletions: DeletionDetection::Native,
        ..ResourceCapabilities::crud(crate::paging::MAX_PAGE, CONTACT_FIELDS)
    };
    contacts.operations.changes = true;
    Capabilities::new(crate::VENDOR).with(ResourceKind::Contact, contacts)
}
