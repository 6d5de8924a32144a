//! What the Capsule adapter supports, as typed data (the reasons are in the crate docs and in
//! each mapping's module docs).

use unicrm_core::{
    Capabilities, DeletionDetection, Filters, NewAccount, NewContact, NewNote, NewOpportunity,
    NewProject, NewTask, ResourceCapabilities, ResourceKind,
};

/// Capsule's largest page.
pub const MAX_PAGE_SIZE: u32 = 100;
/// The entry feeds' largest page.
pub const MAX_ENTRY_PAGE_SIZE: u32 = 50;

/// Unified fields no vendor stores as written: derived from other records or from activity.
const DERIVED: [&str; 5] = [
    "account_name",
    "stage_name",
    "last_activity_at",
    "stage_changed_at",
    "picture_url",
];

/// `fields` without the derived ones and without `unstored` (what Capsule does not keep).
fn writable(fields: &'static [&'static str], unstored: &[&str]) -> Vec<&'static str> {
    fields
        .iter()
        .copied()
        .filter(|f| !DERIVED.contains(f) && !unstored.contains(f))
        .collect()
}

/// Field definitions (mapping/field_definition.rs): listed always (`of` honoured), read by
/// id, created by `POST /{entity}/fields/definitions`; update and delete are not confirmed by
/// the vendor.
fn field_definitions() -> ResourceCapabilities {
    let mut r = ResourceCapabilities::read_only(MAX_PAGE_SIZE);
    r.operations.create = true;
    r.filters.of = true;
    r.writable = ["name", "kind", "description", "choices", "applies_to"]
        .into_iter()
        .map(str::to_string)
        .collect();
    r
}

/// What an engagement write may set (mapping/engagement.rs; the rest is not stored).
pub const ENGAGEMENT_WRITABLE: [&str; 8] = [
    "kind",
    "engagement_type_id",
    "body",
    "start_at",
    "contact_id",
    "account_id",
    "opportunity_id",
    "project_id",
];

/// What an engagement-type write may set (mapping/engagement_type.rs).
pub const ENGAGEMENT_TYPE_WRITABLE: [&str; 4] = ["name", "kind", "icon", "updates_last_contacted"];

/// The capability table. `teams_edition`: activity types can be written
/// (`CapsuleClientBuilder::teams_edition`).
pub fn capsule_capabilities(teams_edition: bool) -> Capabilities {
    let party = |fields, unstored: &[&str]| {
        let mut r = ResourceCapabilities {
            filters: Filters {
                search: true,
                updated_since: true,
                of: false,
            },
            deletions: DeletionDetection::Native,
            tags: true,
            custom_fields: true,
            ..ResourceCapabilities::crud(MAX_PAGE_SIZE, writable(fields, unstored))
        };
        r.operations.changes = true;
        r
    };
    let scanned = |max, fields, unstored: &[&str]| {
        let mut r = ResourceCapabilities {
            deletions: DeletionDetection::IdScan,
            ..ResourceCapabilities::crud(max, writable(fields, unstored))
        };
        r.operations.changes = true;
        r
    };
    Capabilities::new("capsule")
        // mapping/contact.rs, mapping/account.rs: "Not stored by Capsule".
        .with(
            ResourceKind::Contact,
            party(
                NewContact::FIELDS,
                &["department", "birthday", "lead_source", "links"],
            ),
        )
        .with(
            ResourceKind::Account,
            party(
                NewAccount::FIELDS,
                &[
                    "industry",
                    "number_of_employees",
                    "annual_revenue",
                    "parent_id",
                    "links",
                ],
            ),
        )
        // mapping/opportunity.rs: "Not mapped".
        .with(
            ResourceKind::Opportunity,
            party(NewOpportunity::FIELDS, &["contact_ids", "won_reason"]),
        )
        // mapping/project.rs: "Not mapped"; `closedOn` is read-only, `startOn` undocumented.
        .with(
            ResourceKind::Project,
            party(
                NewProject::FIELDS,
                &[
                    "assignee_id",
                    "category_id",
                    "milestones",
                    "next_activity_at",
                    "start_date",
                    "closed_date",
                    "links",
                ],
            ),
        )
        // mapping/task.rs: "Not stored".
        .with(
            ResourceKind::Task,
            scanned(
                MAX_PAGE_SIZE,
                NewTask::FIELDS,
                &["priority", "start_date", "lead_id"],
            ),
        )
        // mapping/note.rs: the subject is ignored on notes, the creator is the token's user.
        .with(
            ResourceKind::Note,
            scanned(
                MAX_ENTRY_PAGE_SIZE,
                NewNote::FIELDS,
                &["title", "owner_id", "lead_id"],
            ),
        )
        .with(
            ResourceKind::User,
            ResourceCapabilities::read_only(MAX_PAGE_SIZE),
        )
        .with(
            ResourceKind::Pipeline,
            ResourceCapabilities::read_only(MAX_PAGE_SIZE),
        )
        .with(ResourceKind::FieldDefinition, field_definitions())
        // mapping/engagement.rs: logged activities and (read-only) emails from the entry feed.
        .with(ResourceKind::Engagement, {
            let mut r = ResourceCapabilities {
                deletions: DeletionDetection::IdScan,
                ..ResourceCapabilities::crud(MAX_ENTRY_PAGE_SIZE, ENGAGEMENT_WRITABLE)
            };
            r.operations.changes = true;
            r
        })
        // resources/engagement_types.rs: written on the Teams edition only, never deleted.
        .with(ResourceKind::EngagementType, {
            let mut r = ResourceCapabilities::read_only(MAX_PAGE_SIZE);
            if teams_edition {
                r.operations.create = true;
                r.operations.update = true;
                r.writable = ENGAGEMENT_TYPE_WRITABLE
                    .iter()
                    .map(|f| f.to_string())
                    .collect();
            }
            r
        })
        .with(ResourceKind::Lead, ResourceCapabilities::none())
        .with_webhooks(true)
}
