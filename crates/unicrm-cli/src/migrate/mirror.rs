//! Mirroring a change feed into the target (`unicrm sync`): the migration's id map and create
//! path, plus updates and deletions.
//!
//! A cycle reads each resource's change feed from its checkpoint (kept in the state) and
//! applies every change:
//! - an upsert of a record the id map does not hold in the target goes through the
//!   migration's create path (rows `pending` before the request, look-ups after an unknown
//!   outcome: never created twice);
//! - an upsert of a mirrored record becomes an update: every field the target can write is
//!   set to the source's value, or cleared where the source has none; a field the source has
//!   but the target cannot take (an unmatched owner, a link to a record not mirrored yet) is
//!   left as it is, and a link is stored to fill once its record exists. The id map keeps
//!   the fingerprint of the source version each image holds (set after its create or
//!   update), and an upsert of that same version sends nothing: a feed reading a change
//!   again, or two workers sharing the state, never send the same update twice;
//! - a deletion deletes the mirrored record (with `--deletes propagate`; a target that answers
//!   404 has it deleted already), and the row becomes `deleted`.
//!
//! The feed is read as a change stream, one batch at a time, and a resource's checkpoint
//! moves to a batch's checkpoint once every change of that batch and of the batches before it
//! was applied: a run stopped half-way (a signal, a crash, a spent budget, a failed read)
//! resumes after the last batch applied in full, and a change that failed is read again by
//! the next cycle (later batches are still applied, but their checkpoints are not saved).
//! Re-applying an update is harmless (and skipped by its fingerprint), and creates go
//! through the id map.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, Ordering};

use chrono::{DateTime, Utc};
use futures::StreamExt;
use serde::Serialize;
use serde_json::Value;
use unicrm_core::sync::Applied;
use unicrm_core::{Change, Checkpoint, CrmExt, Error};

use super::Migrator;
use super::state::{Entry, PendingLink};
use super::transform::Migratable;
use crate::exit::CliError;

/// What a sync does with deletions at the source.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Deletes {
    /// Delete the mirrored record.
    #[default]
    Propagate,
    /// Keep the mirrored record.
    Ignore,
}

/// What one cycle did.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Cycle {
    /// Cycle number, from 1.
    pub cycle: u64,
    /// Records created or updated in the target.
    pub upserted: u64,
    /// Records deleted in the target.
    pub deleted: u64,
    /// Changes not applied (retried by the next cycle: the checkpoint did not pass them).
    pub failed: u64,
    /// Upserts of a source version the target already holds, or of an older one than it
    /// holds (applied by this worker before, or by another one sharing the state): nothing
    /// sent.
    #[serde(skip_serializing_if = "is_zero")]
    pub unchanged: u64,
    /// The longest delay, in milliseconds, from a record's change at the source to its write
    /// to the target, among changes made since the previous cycle's checkpoint (0: none).
    pub lag_ms: u64,
    /// Per resource: source changes the target has no place for, and fields it could not
    /// take (counted, never silently dropped).
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub lost: BTreeMap<String, u64>,
    /// Resources whose changes the source cannot feed (not mirrored).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub unmirrored: Vec<String>,
    /// Whether a signal stopped the cycle before its end (its state is saved).
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub interrupted: bool,
}

fn is_zero(n: &u64) -> bool {
    *n == 0
}

fn empty(v: Option<&Value>) -> bool {
    match v {
        None | Some(Value::Null) => true,
        Some(Value::String(s)) => s.trim().is_empty(),
        Some(Value::Array(a)) => a.is_empty(),
        Some(Value::Object(o)) => o.is_empty(),
        _ => false,
    }
}

/// The patch that makes a mirrored record equal to `new` on every field in `fields`: set
/// where `new` has a value, cleared where the source record (`source`) has none and the
/// source keeps that field (`source_keeps`), untouched where the source has a value the
/// target cannot take (`new` lacks it) or never keeps the field.
///
/// A field the source does not keep is not cleared: its emptiness says nothing. For instance
/// Capsule keeps no links on a person, while Insightly shows on a contact the links that
/// mirrored opportunities, tasks and notes made to it; clearing `links` would delete those.
pub fn mirror_patch(
    new: &Value,
    source: &Value,
    fields: &[&str],
    source_keeps: impl Fn(&str) -> bool,
) -> serde_json::Map<String, Value> {
    let mut patch = serde_json::Map::new();
    for f in fields {
        match new.get(*f) {
            Some(v) if !empty(Some(v)) => {
                patch.insert(f.to_string(), v.clone());
            }
            _ if empty(source.get(*f)) && source_keeps(f) => {
                patch.insert(f.to_string(), Value::Null);
            }
            _ => {}
        }
    }
    patch
}

impl Migrator<'_> {
    fn checkpoint_key(kind: &str) -> String {
        format!("sync_checkpoint:{kind}")
    }

    /// One cycle of every resource, in link order; `stop` ends it after the change in flight.
    pub async fn sync_cycle(
        &mut self,
        n: u64,
        deletes: Deletes,
        stop: &AtomicBool,
    ) -> Result<Cycle, CliError> {
        if n == 1 {
            self.prepare().await?;
        }
        let mut cycle = Cycle {
            cycle: n,
            ..Default::default()
        };
        macro_rules! each {
            ($($ty:ty => $label:literal),* $(,)?) => {$(
                if !cycle.interrupted {
                    self.sync_kind::<$ty>($label, deletes, stop, &mut cycle).await?;
                }
            )*};
        }
        each!(
            unicrm_core::Account => "accounts",
            unicrm_core::Contact => "contacts",
            unicrm_core::Opportunity => "opportunities",
            unicrm_core::Project => "projects",
            unicrm_core::Task => "tasks",
            unicrm_core::Note => "notes",
            unicrm_core::Engagement => "engagements",
        );
        if !cycle.interrupted {
            // Links to records mirrored after the records holding them.
            self.fill_links::<unicrm_core::Contact>("contacts").await?;
            self.fill_links::<unicrm_core::Opportunity>("opportunities")
                .await?;
            self.fill_links::<unicrm_core::Project>("projects").await?;
            self.fill_links::<unicrm_core::Task>("tasks").await?;
            self.fill_links::<unicrm_core::Note>("notes").await?;
            self.fill_links::<unicrm_core::Engagement>("engagements")
                .await?;
        }
        self.save_clock().await?;
        for r in self.report.resources.values() {
            cycle.failed += r.failed.len() as u64;
        }
        self.report.resources.clear();
        Ok(cycle)
    }

    async fn sync_kind<R: Migratable>(
        &mut self,
        label: &'static str,
        deletes: Deletes,
        stop: &AtomicBool,
        cycle: &mut Cycle,
    ) -> Result<(), CliError> {
        let kind = R::KIND.to_string();
        let source_ops = self.source.capabilities().resource(&R::KIND).operations;
        if !source_ops.list {
            return Ok(());
        }
        if !source_ops.changes {
            cycle.unmirrored.push(label.to_string());
            return Ok(());
        }
        let key = Self::checkpoint_key(&kind);
        let from = match self.state.meta(&key).await? {
            Some(text) => serde_json::from_str::<Checkpoint>(&text).map_err(|e| {
                CliError::runtime(format!(
                    "the sync state's {label} checkpoint is unreadable ({e}); restore the state file or remove its `{key}` entry to start {label} over"
                ))
            })?,
            None => Checkpoint::at(DateTime::<Utc>::UNIX_EPOCH),
        };
        let can_create = self
            .target
            .capabilities()
            .resource(&R::KIND)
            .operations
            .create;
        // One batch at a time: memory holds a batch, and each batch's checkpoint is saved
        // once its changes are applied, so a stop or a failure part-way through a long feed
        // costs at most the batch in flight.
        let source = self.source;
        let mut stream = source.change_stream::<R>(from.clone());
        // Whether every batch so far applied cleanly: after a failed change no later
        // checkpoint is saved (they would pass it), though later changes are still applied.
        let mut clean = true;
        while let Some(batch) = stream.next().await {
            // A read that fails part-way keeps the checkpoints of the batches before it.
            let set = batch?;
            let failed_before = self.failures(label);
            for change in set.changes {
                if stop.load(Ordering::SeqCst) {
                    cycle.interrupted = true;
                    return Ok(());
                }
                self.apply_change::<R>(label, change, &from, can_create, deletes, cycle)
                    .await?;
            }
            let failed_now = self.failures(label);
            if failed_now != failed_before {
                if clean {
                    // Some change was not applied: the checkpoint stays before this batch,
                    // and the next cycle reads it again.
                    tracing::warn!(
                        resource = label,
                        failed = failed_now - failed_before,
                        "changes not applied; the checkpoint is kept before them"
                    );
                }
                clean = false;
            }
            if clean {
                self.state
                    .set_meta(&key, &serde_json::to_string(&set.next)?)
                    .await?;
            }
        }
        Ok(())
    }

    /// Failures recorded so far for `label`.
    fn failures(&self, label: &str) -> usize {
        self.report
            .resources
            .get(label)
            .map_or(0, |r| r.failed.len())
    }

    /// Applies one change of a feed that started at `from`.
    async fn apply_change<R: Migratable>(
        &mut self,
        label: &'static str,
        change: Change<R, R::Id>,
        from: &Checkpoint,
        can_create: bool,
        deletes: Deletes,
        cycle: &mut Cycle,
    ) -> Result<(), CliError> {
        match change {
            Change::Upserted { record } => {
                if !can_create {
                    *cycle.lost.entry(label.to_string()).or_default() += 1;
                    return Ok(());
                }
                let changed = record.updated_at();
                if self.upsert::<R>(label, &record, cycle).await? {
                    cycle.upserted += 1;
                    if let Some(t) = changed.filter(|t| *t >= from.at && from.at.timestamp() > 0) {
                        let lag = (Utc::now() - t).num_milliseconds().max(0) as u64;
                        cycle.lag_ms = cycle.lag_ms.max(lag);
                    }
                }
            }
            Change::Deleted { id, .. } if deletes == Deletes::Propagate => {
                let deleted = self.delete::<R>(label, &id.to_string()).await?;
                cycle.deleted += u64::from(deleted);
            }
            _ => {}
        }
        Ok(())
    }

    /// Applies one upsert; `true` when the target now has the record.
    pub(super) async fn upsert<R: Migratable>(
        &mut self,
        label: &'static str,
        record: &R,
        cycle: &mut Cycle,
    ) -> Result<bool, CliError> {
        let kind = R::KIND.to_string();
        let sid = record.id().to_string();
        if !matches!(self.state.get(&kind, &sid).await?, Some(Entry::Done(_))) {
            self.migrate_one::<R>(label, record).await?;
            return Ok(matches!(
                self.state.get(&kind, &sid).await?,
                Some(Entry::Done(_))
            ));
        }
        if !self.lease(label, &kind, &sid).await? {
            return Ok(false);
        }
        let result = self.update_leased(label, record, cycle).await;
        let updated = self.release(&kind, &sid, result).await?;
        if updated == Some(false) {
            // Deleted in the target by someone else: mirror it again.
            self.migrate_one::<R>(label, record).await?;
            return Ok(matches!(
                self.state.get(&kind, &sid).await?,
                Some(Entry::Done(_))
            ));
        }
        Ok(updated.unwrap_or(false))
    }

    /// Updates a mirrored record, under its lease: `Some(true)` when updated, `Some(false)`
    /// when the target no longer has it (forgotten: the caller mirrors it again), `None` when
    /// it was not written (a failure counted, the same source version applied already, or no
    /// longer mirrored).
    async fn update_leased<R: Migratable>(
        &mut self,
        label: &'static str,
        record: &R,
        cycle: &mut Cycle,
    ) -> Result<Option<bool>, CliError> {
        let kind = R::KIND.to_string();
        let sid = record.id().to_string();
        // Read again under the lease: another worker may have changed it meanwhile.
        let Some(Entry::Done(tid)) = self.state.get(&kind, &sid).await? else {
            return Ok(None);
        };
        // The same source version applied already (a feed reading it again, or another
        // worker that held the lease first): an update with equal values is not sent twice.
        // Nor is an older version than the image holds (a worker that read the record before
        // another worker applied a later edit): it would overwrite the later edit, and the
        // feed, whose checkpoint the other worker moved past that edit, would not bring it
        // back.
        let version = Applied::of(record);
        if let Some(held) = self.state.applied(&kind, &sid).await? {
            if held.fingerprint == version.fingerprint || version.is_older_than(&held) {
                cycle.unchanged += 1;
                return Ok(None);
            }
        }
        let (built, missing, dropped, _unheld, _cannot_hold) = self.build(record).await?;
        let new = match built {
            Ok(n) => n,
            Err(reason) => {
                self.fail(label, &sid, reason);
                return Ok(None);
            }
        };
        let caps = self.target.capabilities().of::<R>().clone();
        let (new, unwritable) = caps.writable_part::<R>(&new)?;
        let fields: Vec<&str> = R::FIELDS
            .iter()
            .copied()
            .filter(|f| caps.can_write(f))
            .collect();
        // What the source keeps: the fields it can write (an adapter marks a unified field it
        // does not store as not writable).
        let source_caps = self.source.capabilities().of::<R>().clone();
        let patch = mirror_patch(
            &serde_json::to_value(&new)?,
            &serde_json::to_value(record)?,
            &fields,
            |f| source_caps.can_write(f),
        );
        let mut lost = BTreeMap::new();
        // Fields the target derives itself (a linked account's name, the last activity) are
        // not losses, as in a migration.
        for f in unwritable
            .into_iter()
            .filter(|f| !super::losses::NOT_COMPARED.contains(f))
        {
            lost.insert(f.to_string(), 1);
        }
        if dropped > 0 {
            lost.insert("custom_fields".to_string(), dropped);
        }
        for (f, n) in lost {
            *cycle.lost.entry(format!("{label}.{f}")).or_default() += n;
        }
        let patch: R::Patch = serde_json::from_value(Value::Object(patch))?;
        let id: R::Id = serde_json::from_value(Value::String(tid.clone()))?;
        match self.target.resource::<R>().update(&id, &patch).await {
            Ok(stored) => {
                self.observe(&stored);
                self.state.set_applied(&kind, &sid, version).await?;
                for m in &missing {
                    self.state
                        .add_pending_link(&PendingLink {
                            kind: kind.clone(),
                            source_id: sid.clone(),
                            field: m.field.to_string(),
                            link_kind: m.link_kind.to_string(),
                            link_source_ids: m.source_ids.clone(),
                        })
                        .await?;
                }
                Ok(Some(true))
            }
            Err(Error::NotFound { .. }) => {
                self.state.forget(&kind, &sid).await?;
                Ok(Some(false))
            }
            Err(e) if super::budget_spent(&e) => Err(e.into()),
            Err(e) => {
                self.fail(label, &sid, format!("update of {tid} failed: {e}"));
                Ok(None)
            }
        }
    }

    /// Applies one deletion; `true` when a mirrored record was deleted.
    async fn delete<R: Migratable>(
        &mut self,
        label: &'static str,
        sid: &str,
    ) -> Result<bool, CliError> {
        let kind = R::KIND.to_string();
        if !matches!(self.state.get(&kind, sid).await?, Some(Entry::Done(_))) {
            return Ok(false);
        }
        if !self.lease(label, &kind, sid).await? {
            return Ok(false);
        }
        let result = self.delete_leased::<R>(label, sid).await;
        self.release(&kind, sid, result).await
    }

    /// [`Migrator::delete`] under the record's lease.
    async fn delete_leased<R: Migratable>(
        &mut self,
        label: &'static str,
        sid: &str,
    ) -> Result<bool, CliError> {
        let kind = R::KIND.to_string();
        // Read again under the lease: another worker may have deleted it meanwhile.
        let Some(Entry::Done(tid)) = self.state.get(&kind, sid).await? else {
            return Ok(false);
        };
        let id: R::Id = serde_json::from_value(Value::String(tid.clone()))?;
        match self.target.resource::<R>().delete(&id).await {
            Ok(()) | Err(Error::NotFound { .. }) => {
                self.state.mark_deleted(&kind, sid, &tid).await?;
                Ok(true)
            }
            Err(e) if super::budget_spent(&e) => Err(e.into()),
            Err(e) => {
                self.fail(label, sid, format!("delete of {tid} failed: {e}"));
                Ok(false)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn a_mirror_patch_sets_clears_and_leaves_what_the_target_cannot_take_or_the_source_does_not_keep()
     {
        let source = json!({"first_name": "Ada", "job_title": null, "owner_id": "7", "tags": []});
        // The owner has no match in the target, so the transformed record lacks it.
        let new = json!({"first_name": "Ada", "tags": []});
        let fields = [
            "first_name",
            "job_title",
            "owner_id",
            "tags",
            "department",
            "links",
        ];
        // The source keeps every field but links.
        let patch = mirror_patch(&new, &source, &fields, |f| f != "links");
        assert_eq!(patch.get("first_name"), Some(&json!("Ada")));
        assert_eq!(
            patch.get("job_title"),
            Some(&Value::Null),
            "cleared at the source"
        );
        assert_eq!(
            patch.get("tags"),
            Some(&Value::Null),
            "no tags at the source"
        );
        assert_eq!(
            patch.get("department"),
            Some(&Value::Null),
            "absent at the source"
        );
        assert!(
            !patch.contains_key("owner_id"),
            "an unmatched owner is left alone"
        );
        assert!(
            !patch.contains_key("links"),
            "a field the source does not keep is never cleared"
        );
    }
}
