//! The migration's state, behind [`StateStore`]: which source record became which target
//! record, row states, links still to fill, checkpoints and per-record leases.
//!
//! `--state` names the store: a file path is the embedded SQLite store (the default, nothing
//! to install, one process at a time); a `postgres://` or `postgresql://` URL is a PostgreSQL
//! database shared by workers on several machines.
//!
//! A row is written `pending` just before a create is sent and `done` with the target id right
//! after it succeeds. A create whose outcome is unknown leaves the row `pending` whatever
//! happens next (another failed attempt, a failed lookup, a crash), so every later run looks
//! the record up in the target before it sends the create again. `pending` rows carry
//! `sent_after`: a lower bound, on the **target's** clock, of when the create may have been
//! applied (the newest target timestamp seen before it was sent).
//!
//! Workers sharing a state write a record only under its lease ([`State::lease`]), taken
//! before the create is sent and given back after its row is written; the entry is read again
//! once the lease is held. A crashed worker's lease expires after [`State::lease_ttl`]; its
//! row is still `pending`, so the next worker looks in the target before any resend.

use std::collections::{BTreeMap, HashSet};
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use chrono::{DateTime, Utc};
pub use unicrm_core::sync::{Applied, Entry, Mark, PendingLink, StateError, StateStore};
use unicrm_state::sqlite::SqliteStore;

use crate::exit::CliError;

#[cfg(test)]
mod tests;

/// How long a lease on a record lasts by default: well above one record's create, its
/// retries and its look-ups (a lease that expired while its holder still works on the record
/// would let another worker look for it too early).
pub const DEFAULT_LEASE_TTL: Duration = Duration::from_secs(15 * 60);

impl From<StateError> for CliError {
    fn from(e: StateError) -> Self {
        CliError::runtime(e.to_string())
    }
}

/// The id map and everything else a run keeps, over a [`StateStore`].
pub struct State {
    store: Arc<dyn StateStore>,
    /// Dry runs: source records that would be created, so records linked to them count as
    /// migratable in the plan.
    planned: Mutex<HashSet<(String, String)>>,
    /// This process's name in leases.
    holder: String,
    lease_ttl: Duration,
}

/// Whether `--state` names a PostgreSQL database rather than a file.
pub fn is_postgres_url(spec: &str) -> bool {
    spec.starts_with("postgres://") || spec.starts_with("postgresql://")
}

impl State {
    /// Opens (and creates) a SQLite state file and locks it for this process; with
    /// `read_only`, a missing file is an empty state and nothing is ever written.
    pub fn open(path: &Path, read_only: bool) -> Result<State, CliError> {
        Ok(State::from_store(Arc::new(SqliteStore::open(
            path, read_only,
        )?)))
    }

    /// Opens the store `--state` names: a PostgreSQL URL or a SQLite file path.
    pub async fn connect(spec: &Path, read_only: bool) -> Result<State, CliError> {
        let text = spec.to_str().unwrap_or_default();
        if !is_postgres_url(text) {
            return State::open(spec, read_only);
        }
        #[cfg(feature = "postgres")]
        {
            let store = unicrm_state::postgres::PostgresStore::connect(text, read_only).await?;
            Ok(State::from_store(Arc::new(store)))
        }
        #[cfg(not(feature = "postgres"))]
        {
            Err(CliError::usage(
                "this unicrm was built without PostgreSQL state (feature `postgres`); use a state file",
            ))
        }
    }

    /// A state over any store.
    pub fn from_store(store: Arc<dyn StateStore>) -> State {
        let nanos = Utc::now().timestamp_nanos_opt().unwrap_or_default();
        State {
            store,
            planned: Mutex::default(),
            holder: format!("pid{}-{nanos:x}", std::process::id()),
            lease_ttl: DEFAULT_LEASE_TTL,
        }
    }

    /// Sets how long this process's leases last.
    pub fn with_lease_ttl(mut self, ttl: Duration) -> State {
        self.lease_ttl = ttl;
        self
    }

    /// How long this process's leases last.
    pub fn lease_ttl(&self) -> Duration {
        self.lease_ttl
    }

    /// The store.
    pub fn store(&self) -> &Arc<dyn StateStore> {
        &self.store
    }

    /// The entry of a source record.
    pub async fn get(&self, kind: &str, source_id: &str) -> Result<Option<Entry>, CliError> {
        Ok(self.store.get(kind, source_id).await?)
    }

    /// The target id of a migrated source record (in a dry run, a placeholder for a record
    /// the plan creates).
    pub async fn target_id(&self, kind: &str, source_id: &str) -> Result<Option<String>, CliError> {
        Ok(match self.get(kind, source_id).await? {
            Some(Entry::Done(t)) => Some(t),
            _ => self
                .planned
                .lock()
                .ok()
                .filter(|p| p.contains(&(kind.to_string(), source_id.to_string())))
                .map(|_| format!("planned-{source_id}")),
        })
    }

    /// Dry runs: records that `source_id` would be created.
    pub fn mark_planned(&self, kind: &str, source_id: &str) {
        if let Ok(mut p) = self.planned.lock() {
            p.insert((kind.to_string(), source_id.to_string()));
        }
    }

    /// Claims the record for this process before writing it: `false` when another worker
    /// holds an unexpired lease on it (the record is left to that worker).
    pub async fn lease(&self, kind: &str, source_id: &str) -> Result<bool, CliError> {
        Ok(self
            .store
            .try_lease(kind, source_id, &self.holder, self.lease_ttl)
            .await?)
    }

    /// Gives this process's lease on the record back.
    pub async fn release(&self, kind: &str, source_id: &str) -> Result<(), CliError> {
        Ok(self
            .store
            .release_lease(kind, source_id, &self.holder)
            .await?)
    }

    /// Forgets a source record (its target record is gone): the next write creates it again,
    /// through the create path.
    pub async fn forget(&self, kind: &str, source_id: &str) -> Result<(), CliError> {
        Ok(self.store.forget(kind, source_id).await?)
    }

    /// The source version the record's image holds (see [`StateStore::applied`]).
    pub async fn applied(&self, kind: &str, source_id: &str) -> Result<Option<Applied>, CliError> {
        Ok(self.store.applied(kind, source_id).await?)
    }

    /// Records that the record's image holds this source version.
    pub async fn set_applied(
        &self,
        kind: &str,
        source_id: &str,
        version: Applied,
    ) -> Result<(), CliError> {
        Ok(self.store.set_applied(kind, source_id, version).await?)
    }

    /// Records that the source deleted the record and a sync deleted `target_id` in the target.
    pub async fn mark_deleted(
        &self,
        kind: &str,
        source_id: &str,
        target_id: &str,
    ) -> Result<(), CliError> {
        self.mark(kind, source_id, Mark::Deleted(target_id.to_string()))
            .await
    }

    /// Records that a create is about to be sent, after the target's clock read `sent_after`
    /// (kept from an earlier attempt when that one is older: the create may be from then).
    pub async fn mark_pending(
        &self,
        kind: &str,
        source_id: &str,
        sent_after: Option<DateTime<Utc>>,
    ) -> Result<(), CliError> {
        Ok(self.store.mark_pending(kind, source_id, sent_after).await?)
    }

    /// Records why the last attempt's outcome is unknown; the row stays `pending`.
    pub async fn note_ambiguous(
        &self,
        kind: &str,
        source_id: &str,
        reason: &str,
    ) -> Result<(), CliError> {
        Ok(self.store.note_ambiguous(kind, source_id, reason).await?)
    }

    /// Records the target id.
    pub async fn mark_done(
        &self,
        kind: &str,
        source_id: &str,
        target_id: &str,
    ) -> Result<(), CliError> {
        self.mark_done_with_losses(kind, source_id, target_id, &BTreeMap::new())
            .await
    }

    /// Records the target id and what the target could not hold of the record (field → count).
    pub async fn mark_done_with_losses(
        &self,
        kind: &str,
        source_id: &str,
        target_id: &str,
        losses: &BTreeMap<String, u64>,
    ) -> Result<(), CliError> {
        Ok(self
            .store
            .mark_done(kind, source_id, target_id, losses)
            .await?)
    }

    /// Makes every earlier write durable (the end of a run).
    pub async fn sync(&self) -> Result<(), CliError> {
        Ok(self.store.flush().await?)
    }

    async fn mark(&self, kind: &str, source_id: &str, mark: Mark) -> Result<(), CliError> {
        Ok(self.store.mark(kind, source_id, mark).await?)
    }

    /// Records a failure after which nothing exists in the target. A `pending` row is never
    /// turned into a failure: its create may have been applied.
    pub async fn mark_failed(
        &self,
        kind: &str,
        source_id: &str,
        reason: &str,
    ) -> Result<(), CliError> {
        self.mark(kind, source_id, Mark::Failed(reason.into()))
            .await
    }

    /// Records that the target refused every create of the record ever sent (no outcome is
    /// unknown): the row becomes `failed` even though it was marked `pending` before sending.
    pub async fn mark_rejected(
        &self,
        kind: &str,
        source_id: &str,
        reason: &str,
    ) -> Result<(), CliError> {
        self.mark(kind, source_id, Mark::Rejected(reason.into()))
            .await
    }

    /// Records that the record waits for a linked record still `pending`.
    pub async fn mark_waiting(
        &self,
        kind: &str,
        source_id: &str,
        reason: &str,
    ) -> Result<(), CliError> {
        self.mark(kind, source_id, Mark::Waiting(reason.into()))
            .await
    }

    /// Records that `--strict` refused the record.
    pub async fn mark_refused(
        &self,
        kind: &str,
        source_id: &str,
        reason: &str,
    ) -> Result<(), CliError> {
        self.mark(kind, source_id, Mark::Refused(reason.into()))
            .await
    }

    /// Stores what the target could not hold of a record (field → count).
    pub async fn set_losses(
        &self,
        kind: &str,
        source_id: &str,
        losses: &BTreeMap<String, u64>,
    ) -> Result<(), CliError> {
        Ok(self.store.set_losses(kind, source_id, losses).await?)
    }

    /// What the target could not hold of a record, as stored by [`State::set_losses`].
    pub async fn losses(
        &self,
        kind: &str,
        source_id: &str,
    ) -> Result<BTreeMap<String, u64>, CliError> {
        Ok(self.store.losses(kind, source_id).await?)
    }

    /// Whether a target record is already the image of some source record.
    pub async fn target_used(&self, kind: &str, target_id: &str) -> Result<bool, CliError> {
        Ok(self.store.target_used(kind, target_id).await?)
    }

    /// Number of rows per kind and status (`done`, `pending`, …), sorted.
    pub async fn status_counts(&self) -> Result<Vec<(String, String, u64)>, CliError> {
        Ok(self.store.status_counts().await?)
    }

    /// Number of `done` rows per kind.
    pub async fn done_counts(&self) -> Result<Vec<(String, u64)>, CliError> {
        Ok(self
            .status_counts()
            .await?
            .into_iter()
            .filter(|(_, s, _)| s == "done")
            .map(|(k, _, n)| (k, n))
            .collect())
    }

    /// Reads a meta value.
    pub async fn meta(&self, key: &str) -> Result<Option<String>, CliError> {
        Ok(self.store.meta(key).await?)
    }

    /// Writes a meta value.
    pub async fn set_meta(&self, key: &str, value: &str) -> Result<(), CliError> {
        Ok(self.store.set_meta(key, value).await?)
    }

    /// Stores a link to fill once the linked records are migrated (replaces one for the same
    /// field).
    pub async fn add_pending_link(&self, link: &PendingLink) -> Result<(), CliError> {
        Ok(self.store.add_pending_link(link).await?)
    }

    /// Every pending link of records of `kind`.
    pub async fn pending_links(&self, kind: &str) -> Result<Vec<PendingLink>, CliError> {
        Ok(self.store.pending_links(kind).await?)
    }

    /// Forgets a pending link (it was filled).
    pub async fn remove_pending_link(
        &self,
        kind: &str,
        source_id: &str,
        field: &str,
    ) -> Result<(), CliError> {
        Ok(self
            .store
            .remove_pending_link(kind, source_id, field)
            .await?)
    }
}
