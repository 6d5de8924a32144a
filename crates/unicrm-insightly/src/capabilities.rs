//! What the Insightly adapter supports, as typed data (the checklist is in the crate docs; the
//! fields Insightly does not keep are in each mapping's module docs).

use unicrm_core::{
    Capabilities, DeletionDetection, Filters, NewAccount, NewContact, NewEngagement, NewLead,
    NewNote, NewOpportunity, NewProject, NewTask, ResourceCapabilities, ResourceKind,
};

use crate::client::VENDOR;
use crate::config::MAX_PAGE_SIZE;

/// Unified fields no vendor stores as written: derived from other records or from activity
/// (`IMAGE_URL` is read-only at Insightly).
const DERIVED: [&str; 5] = [
    "account_name",
    "stage_name",
    "last_activity_at",
    "stage_changed_at",
    "picture_url",
];

/// Full CRUD, search, updated-since, change feed with id-scan deletions; writes `fields`
/// except the derived ones and `unstored`.
fn record(
    tags: bool,
    custom_fields: bool,
    fields: &'static [&'static str],
    unstored: &[&str],
) -> ResourceCapabilities {
    let writable = fields
        .iter()
        .copied()
        .filter(|f| !DERIVED.contains(f) && !unstored.contains(f));
    let mut r = ResourceCapabilities {
        filters: Filters {
            search: true,
            updated_since: true,
            of: false,
        },
        deletions: DeletionDetection::IdScan,
        tags,
        custom_fields,
        ..ResourceCapabilities::crud(MAX_PAGE_SIZE, writable)
    };
    r.operations.changes = true;
    r
}

/// The adapter's capabilities.
pub fn capabilities() -> Capabilities {
    Capabilities::new(VENDOR)
        // mapping/contact.rs: no department or lead source on a contact.
        .with(
            ResourceKind::Contact,
            record(
                true,
                true,
                NewContact::FIELDS,
                &["department", "lead_source"],
            ),
        )
        // mapping/account.rs: no organisation email, industry, headcount, revenue or parent.
        .with(
            ResourceKind::Account,
            record(
                true,
                true,
                NewAccount::FIELDS,
                &[
                    "emails",
                    "industry",
                    "number_of_employees",
                    "annual_revenue",
                    "parent_id",
                ],
            ),
        )
        .with(
            ResourceKind::Opportunity,
            record(
                true,
                true,
                NewOpportunity::FIELDS,
                &["lost_reason", "won_reason"],
            ),
        )
        // mapping/lead.rs: `converted*` are read-only.
        .with(
            ResourceKind::Lead,
            record(
                true,
                true,
                NewLead::FIELDS,
                &[
                    "converted",
                    "converted_at",
                    "converted_contact_id",
                    "converted_account_id",
                    "converted_opportunity_id",
                ],
            ),
        )
        // Tasks have CUSTOMFIELDS at Insightly but the unified task has no home for them (raw
        // only); neither tasks nor notes have tags.
        .with(
            ResourceKind::Task,
            record(false, false, NewTask::FIELDS, &["due_time", "category"]),
        )
        .with(
            ResourceKind::Note,
            record(false, false, NewNote::FIELDS, &["occurred_at"]),
        )
        .with(ResourceKind::Engagement, engagements())
        .with(
            ResourceKind::User,
            ResourceCapabilities::read_only(MAX_PAGE_SIZE),
        )
        .with(
            ResourceKind::Pipeline,
            ResourceCapabilities::read_only(MAX_PAGE_SIZE),
        )
        // mapping/project.rs: no expected end date, team or stage name; milestones are read
        // on `get` and written as a whole list (resources/milestones.rs).
        .with(
            ResourceKind::Project,
            record(
                true,
                true,
                NewProject::FIELDS,
                &["expected_close_date", "team_id", "next_activity_at"],
            ),
        )
        // resources/field_definitions.rs: listed (one record type with `of`), read by id;
        // the vendor cannot create, change or delete custom fields through its API.
        .with(ResourceKind::FieldDefinition, {
            let mut r = ResourceCapabilities::read_only(MAX_PAGE_SIZE);
            r.filters.of = true;
            r
        })
}

/// Engagements (resources/engagements.rs): events (`meeting`, read-write) and emails
/// (read-only). Events have no tags, status, direction, assignee, type or calendar
/// (mapping/event.rs); participants are read from the contact links. No search (the two
/// objects search different fields); `updated_since` and the change feed (id-scan deletions)
/// cover both.
fn engagements() -> ResourceCapabilities {
    let mut r = record(
        false,
        true,
        NewEngagement::FIELDS,
        &[
            "engagement_type_id",
            "engagement_type_name",
            "status",
            "direction",
            "assignee_id",
            "calendar_id",
            "participants",
        ],
    );
    r.filters.search = false;
    r
}
