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
