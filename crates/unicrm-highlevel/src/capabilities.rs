//! What the adapter supports, as typed data. Core's guard enforces it before the adapter is
//! called: an operation, a filter or a written field not listed here is `Unsupported`.

use unicrm_core::{Capabilities, DeletionDetection, Filters, ResourceCapabilities, ResourceKind};

/// The unified contact fields HighLevel stores (see `mapping/contact.rs`).
pub const CONTACT_FIELDS: [&str; 12] = [
    "first_name",
    "last_name",
    "emails",
    "phones",
    "addresses",
    "websites",
    "account_name",
    "birthday",
    "lead_source",
    "owner_id",
    "tags",
    "custom_fields",
];

/// The adapter's capabilities.
pub fn capabilities() -> Capabilities {
    let mut contacts = ResourceCapabilities {
        filters: Filters {
            updated_since: true,
            search: true,
            ..Filters::default()
        },
        deletions: DeletionDetection::None,
        ..ResourceCapabilities::crud(crate::paging::MAX_PAGE, CONTACT_FIELDS)
    };
    contacts.operations.changes = true;
    contacts.tags = true;
    contacts.custom_fields = true;
    Capabilities::new(crate::VENDOR)
        .with(ResourceKind::Contact, contacts)
        .with(ResourceKind::Note, crate::capabilities_records::notes())
        .with(ResourceKind::Task, crate::capabilities_records::tasks())
        .with(
            ResourceKind::Engagement,
            crate::capabilities_records::engagements(),
        )
}
