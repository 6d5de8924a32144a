//! The state store of a migration or a sync: which source record became which target record
//! (the id map), what happened to each record (its row state), links still to fill, named
//! values such as change-feed checkpoints, and per-record leases for workers sharing a state.
//!
//! The trait is the contract; the backends live in the `unicrm-state` crate (SQLite, embedded,
//! by default; PostgreSQL behind a feature). Every backend runs the same contract tests.
//!
//! The rules a backend keeps (the integrity rules of a migration):
//! - a row marked `pending` ([`StateStore::mark_pending`]) is never turned into a failure, a
//!   wait or a refusal ([`Mark::Failed`], [`Mark::Waiting`], [`Mark::Refused`] only note the
//!   reason on it): its create may have been applied, so every later run looks in the target
//!   before sending it again. Only [`Mark::Rejected`] (every create ever sent was refused) or
//!   [`StateStore::mark_done`] end it;
//! - a `pending` row keeps the oldest `sent_after` bound it was given (the first create may be
//!   the one applied), and an attempt without a bound makes it unknown;
//! - a lease on a record is granted to one holder at a time until it expires on the store's
//!   clock (for a networked store, the server's: one clock for every worker).

use std::collections::BTreeMap;
use std::time::Duration;

use async_trait::async_trait;
use chrono::{DateTime, Utc};

/// Status of one source record in the id map.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Entry {
    /// Created (or found) in the target with this id.
    Done(String),
    /// A create was sent (or about to be) and its outcome is unknown: look before sending again.
    Pending {
        /// Lower bound, on the target's clock, of when the create may have been applied.
        sent_after: Option<DateTime<Utc>>,
    },
    /// Not written yet, because a record it links to is still `pending` (retried next run).
    Waiting(String),
    /// Refused by a strict run: the target cannot hold all of it.
    Refused(String),
    /// The last attempt failed for this reason, and nothing was created (retried next run).
    Failed(String),
    /// Deleted at the source, and the record with this id deleted in the target by a sync.
    Deleted(String),
}

/// A change of a row's state other than `pending` and `done` (see [`StateStore::mark`]).
///
/// Exhaustive on purpose: every backend must handle a new mark (a store that ignored one would
/// break an integrity rule in silence).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Mark {
    /// Nothing exists in the target, for this reason; a `pending` row only notes the reason.
    Failed(String),
    /// Waits for a linked record still `pending`; a `pending` row only notes the reason.
    Waiting(String),
    /// Refused by a strict run; a `pending` row only notes the reason.
    Refused(String),
    /// The target refused every create of the record ever sent (no outcome is unknown): the
    /// row becomes `failed` even when it was `pending`.
    Rejected(String),
    /// Deleted at the source, and the record with this target id deleted in the target.
    Deleted(String),
}

/// A link of a migrated record to a record that was not migrated when it was written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PendingLink {
    /// Kind of the record holding the link.
    pub kind: String,
    /// Source id of the record holding the link.
    pub source_id: String,
    /// Unified field of the link (`account_id`, `contact_ids`, …).
    pub field: String,
    /// Kind of the linked record.
    pub link_kind: String,
    /// Source ids of the linked records (several for list fields).
    pub link_source_ids: Vec<String>,
}

/// The source version a target image holds: what a mirror compares an incoming version
/// with, so that the same version is not sent twice and an older one never overwrites a newer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Applied {
    /// `crate::fingerprint` of the source record.
    pub fingerprint: u64,
    /// When the source changed that version (`Record::updated_at`), when known.
    pub updated_at: Option<DateTime<Utc>>,
}

impl Applied {
    /// The version of `record`.
    pub fn of<R: crate::Record>(record: &R) -> Self {
        Applied {
            fingerprint: crate::fingerprint(record),
            updated_at: record.updated_at(),
        }
    }

    /// Whether `self` (an incoming version) is older than `held`: both change times known
    /// and `self`'s earlier. Equal times are not older (two edits within the vendor clock's
    /// precision are told apart by their fingerprints only).
    pub fn is_older_than(&self, held: &Applied) -> bool {
        matches!((self.updated_at, held.updated_at), (Some(a), Some(b)) if a < b)
    }
}

/// A state store failure. The message is complete and safe to show (no password).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum StateError {
    /// Another process holds the state exclusively (an embedded store in use).
    #[error("{0}")]
    Locked(String),
    /// The store could not be read or written.
    #[error("{0}")]
    Store(String),
}

/// Where a migration or a sync keeps its state. Object-safe: held as `Arc<dyn StateStore>`.
///
/// `kind` is a record kind (`contact`, `account`, …); `source_id` and `target_id` are the
/// record's ids at the source and in the target.
#[async_trait]
pub trait StateStore: Send + Sync {
    /// The entry of a source record.
    async fn get(&self, kind: &str, source_id: &str) -> Result<Option<Entry>, StateError>;

    /// Marks a create as about to be sent, after the target's clock read `sent_after` (the
    /// oldest bound of a `pending` row is kept; `None` makes it unknown). Durable before it
    /// returns: the request leaves after this.
    async fn mark_pending(
        &self,
        kind: &str,
        source_id: &str,
        sent_after: Option<DateTime<Utc>>,
    ) -> Result<(), StateError>;

    /// Notes why a create's outcome is unknown; only a `pending` row changes (and stays so).
    async fn note_ambiguous(
        &self,
        kind: &str,
        source_id: &str,
        reason: &str,
    ) -> Result<(), StateError>;

    /// Records the target id and what the target could not hold of the record (field → count);
    /// the applied fingerprint is cleared (see [`StateStore::applied`]).
    async fn mark_done(
        &self,
        kind: &str,
        source_id: &str,
        target_id: &str,
        losses: &BTreeMap<String, u64>,
    ) -> Result<(), StateError>;

    /// The source version whose image the target holds (its fingerprint, and its change time
    /// when the writer knew it), for a `done` row whose writer recorded it; `None` when
    /// unknown (no row, not `done`, or written without one). A `done` row's version is
    /// cleared whenever its target id is (re)written ([`StateStore::mark_done`]).
    async fn applied(&self, kind: &str, source_id: &str) -> Result<Option<Applied>, StateError>;

    /// Records that the target image of a `done` row now holds this source version (written
    /// after the target accepted it). A row that is not `done` is left as it is.
    async fn set_applied(
        &self,
        kind: &str,
        source_id: &str,
        version: Applied,
    ) -> Result<(), StateError>;

    /// Changes a row's state (see [`Mark`] for what a `pending` row keeps).
    async fn mark(&self, kind: &str, source_id: &str, mark: Mark) -> Result<(), StateError>;

    /// Forgets a source record (its target record is gone, or it was never sent).
    async fn forget(&self, kind: &str, source_id: &str) -> Result<(), StateError>;

    /// Stores what the target could not hold of a record (field → count; empty clears).
    async fn set_losses(
        &self,
        kind: &str,
        source_id: &str,
        losses: &BTreeMap<String, u64>,
    ) -> Result<(), StateError>;

    /// What the target could not hold of a record, as stored.
    async fn losses(
        &self,
        kind: &str,
        source_id: &str,
    ) -> Result<BTreeMap<String, u64>, StateError>;

    /// Whether a target record is already the image (`done`) of some source record.
    async fn target_used(&self, kind: &str, target_id: &str) -> Result<bool, StateError>;

    /// Number of rows per kind and status (`done`, `pending`, …), sorted by kind then status.
    async fn status_counts(&self) -> Result<Vec<(String, String, u64)>, StateError>;

    /// Reads a named value (a checkpoint such as `sync_checkpoint:<kind>`, the target's clock).
    async fn meta(&self, key: &str) -> Result<Option<String>, StateError>;

    /// Writes a named value.
    async fn set_meta(&self, key: &str, value: &str) -> Result<(), StateError>;

    /// Makes every earlier write durable (the end of a run, a batch).
    async fn flush(&self) -> Result<(), StateError>;

    /// Stores a link to fill once the linked records are migrated (replaces one for the same
    /// record and field).
    async fn add_pending_link(&self, link: &PendingLink) -> Result<(), StateError>;

    /// Every pending link of records of `kind`, sorted by source id then field.
    async fn pending_links(&self, kind: &str) -> Result<Vec<PendingLink>, StateError>;

    /// Forgets a pending link (it was filled).
    async fn remove_pending_link(
        &self,
        kind: &str,
        source_id: &str,
        field: &str,
    ) -> Result<(), StateError>;

    /// Claims the record for `holder` until `ttl` from now on the store's clock: `true` when
    /// no other holder has an unexpired lease on it (a holder renews its own). A worker writes
    /// a record to the target only under its lease, and reads the record's entry again after
    /// taking it (another worker may have finished it meanwhile).
    async fn try_lease(
        &self,
        kind: &str,
        source_id: &str,
        holder: &str,
        ttl: Duration,
    ) -> Result<bool, StateError>;

    /// Gives a lease back (nothing happens when `holder` does not hold it any more).
    async fn release_lease(
        &self,
        kind: &str,
        source_id: &str,
        holder: &str,
    ) -> Result<(), StateError>;
}
