//! The capabilities of contacts' sub-records (notes, tasks) and calendar engagements, kept
//! apart from `capabilities.rs` so each resource family states its own.

use unicrm_core::{DeletionDetection, ResourceCapabilities};

use crate::resources::contact_walk::MAX_PAGE;

/// The unified note fields a write may set (`mapping/note.rs`).
pub const NOTE_FIELDS: [&str; 4] = ["content", "title", "owner_id", "contact_id"];

/// The unified task fields a write may set (`mapping/task.rs`).
pub const TASK_FIELDS: [&str; 7] = [
    "title",
    "description",
    "due_date",
    "due_time",
    "status",
    "owner_id",
    "contact_id",
];

/// The unified engagement fields a write may set (`mapping/engagement.rs`).
pub const ENGAGEMENT_FIELDS: [&str; 10] = [
    "kind",
    "subject",
    "body",
    "start_at",
    "end_at",
    "status",
    "location",
    "owner_id",
    "contact_id",
    "calendar_id",
];

/// Appointments: CRUD, listed by walking contacts; a change feed over a window of each
/// calendar's events. Deletions are reported only as HighLevel confirms them (an event listed
/// with `deleted: true`), which no source says a listing does: not relied on (`None`).
pub fn engagements() -> ResourceCapabilities {
    let mut r = ResourceCapabilities {
        deletions: DeletionDetection::None,
        ..ResourceCapabilities::crud(MAX_PAGE, ENGAGEMENT_FIELDS)
    };
    r.operations.changes = true;
    r
}

/// Notes: CRUD; listed by walking contacts; no change feed (no `dateUpdated`, deletions
/// only as `NoteDelete` webhooks).
pub fn notes() -> ResourceCapabilities {
    ResourceCapabilities {
        deletions: DeletionDetection::None,
        ..ResourceCapabilities::crud(MAX_PAGE, NOTE_FIELDS)
    }
}

/// Tasks: as notes.
pub fn tasks() -> ResourceCapabilities {
    ResourceCapabilities {
        deletions: DeletionDetection::None,
        ..ResourceCapabilities::crud(MAX_PAGE, TASK_FIELDS)
    }
}
