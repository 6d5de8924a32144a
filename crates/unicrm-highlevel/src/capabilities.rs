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
        .with(ResourceKind::Account, accounts())
        .with(ResourceKind::Opportunity, opportunities())
        .with(
            ResourceKind::Pipeline,
            // The whole list in one answer, sliced: any page size.
            ResourceCapabilities::read_only(u32::MAX),
        )
        .with(
            ResourceKind::User,
            ResourceCapabilities::read_only(crate::resources::users::MAX_PAGE),
        )
        .with(ResourceKind::FieldDefinition, field_definitions())
        .with(ResourceKind::Note, crate::capabilities_records::notes())
        .with(ResourceKind::Task, crate::capabilities_records::tasks())
        .with(
            ResourceKind::Engagement,
            crate::capabilities_records::engagements(),
        )
        .with(
            ResourceKind::EngagementType,
            // The location's calendars, the whole list in one answer, sliced: any page size
            // (`resources/engagement_types.rs`).
            ResourceCapabilities::read_only(u32::MAX),
        )
}

/// The unified opportunity fields HighLevel stores (see `mapping/opportunity.rs`).
pub const OPPORTUNITY_FIELDS: [&str; 7] = [
    "name",
    "amount",
    "status",
    "pipeline_id",
    "stage_id",
    "contact_id",
    "owner_id",
];

/// Opportunities: CRUD with custom fields, no tags; the change feed sweeps and diffs, so
/// deletions are found by id scan (`changes/opportunities.rs`).
fn opportunities() -> ResourceCapabilities {
    let mut r = ResourceCapabilities {
        deletions: DeletionDetection::IdScan,
        ..ResourceCapabilities::crud(
            crate::resources::opportunities::MAX_PAGE,
            OPPORTUNITY_FIELDS,
        )
    };
    r.operations.changes = true;
    r.custom_fields = true;
    r
}

/// Field definitions: read-only, `of` honoured (`resources/field_definitions.rs`).
fn field_definitions() -> ResourceCapabilities {
    let mut r = ResourceCapabilities::read_only(u32::MAX);
    r.filters.of = true;
    r
}

/// The unified account fields a business stores (see `mapping/account.rs`).
pub const ACCOUNT_FIELDS: [&str; 6] = [
    "name",
    "description",
    "emails",
    "phones",
    "addresses",
    "websites",
];

/// Businesses: CRUD, no filters, no tags or custom fields, no change feed (a small list to
/// refetch, docs/vendors/highlevel-v2.md, "Incremental reads and deletions").
fn accounts() -> ResourceCapabilities {
    ResourceCapabilities::crud(crate::resources::accounts::MAX_PAGE, ACCOUNT_FIELDS)
}
