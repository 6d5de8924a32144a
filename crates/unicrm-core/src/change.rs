//! The change feed: what was created, updated or deleted since a checkpoint.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// One change to a record.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "change", rename_all = "snake_case")]
#[non_exhaustive]
pub enum Change<T, Id> {
    /// The record was created or updated; this is its current state.
    Upserted {
        /// The record.
        record: T,
    },
    /// The record was deleted.
    Deleted {
        /// Its id.
        id: Id,
        /// When, if the vendor says.
        deleted_at: Option<DateTime<Utc>>,
    },
}

/// Where a change feed stopped, to continue from next time. Serializable: store it between runs.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Checkpoint {
    /// Changes up to this instant (by the vendor's clock where known) have been reported.
    pub at: DateTime<Utc>,
    /// Adapter state needed to continue (for example the set of ids seen, where the vendor
    /// has no deleted-records feed). Opaque to callers.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub state: Option<serde_json::Value>,
}

impl Checkpoint {
    /// A checkpoint at `at` with no adapter state.
    pub fn at(at: DateTime<Utc>) -> Self {
        Checkpoint { at, state: None }
    }
}

/// The changes since a checkpoint, and the checkpoint to use next time.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ChangeSet<T, Id> {
    /// Changes, upserts before deletions; a record is reported at most once.
    pub changes: Vec<Change<T, Id>>,
    /// Pass this to the next call.
    pub next: Checkpoint,
}
