//! Copying the records of one kind: the loop over the source's records, the per-record
//! lease and id-map check, the translation of one record (`build`) and the report counters.
//! The create itself is in `create.rs`, the look-up after an unknown outcome in `lookup.rs`,
//! and the links filled once their records exist in `fill_links.rs`.

use futures::StreamExt;
use unicrm_core::{CrmExt, ListParams, Record};

use super::state::Entry;
use super::transform::{Known, Links, MissingLink, Resolved};
use super::{Failure, Migratable, Migrator, ResourceReport};
use crate::exit::CliError;

impl Migrator<'_> {
    /// Moves the lower bound of the target's clock forward with a record it answered.
    pub(super) fn observe<R: Record>(&mut self, r: &R) {
        if let Some(t) = r.updated_at() {
            if self.target_clock.is_none_or(|c| t > c) {
                self.target_clock = Some(t);
            }
        }
    }

    /// The new target record for a source record (or why it cannot be written), the links
    /// that cannot be translated yet and the custom field values with no home: the record is
    /// translated over the linked records looked up so far, then again once the ones it asked
    /// for are looked up in the state. The last item says why the target cannot hold the
    /// record at all, when the translation found that.
    #[allow(clippy::type_complexity)]
    pub(super) async fn build<R: Migratable>(
        &self,
        record: &R,
    ) -> Result<
        (
            Result<R::New, String>,
            Vec<MissingLink>,
            u64,
            Vec<&'static str>,
            Option<String>,
        ),
        CliError,
    > {
        let mut known = Known::new();
        loop {
            let mut links = Links::new(&known);
            let built = record.to_new(&self.maps, &mut links);
            if links.asked.is_empty() {
                return Ok((
                    built,
                    links.missing,
                    links.dropped_fields,
                    links.unheld,
                    links.cannot_hold,
                ));
            }
            let asked = std::mem::take(&mut links.asked);
            for (kind, id) in asked {
                let target = self.state.target_id(&kind, &id).await?;
                let waits = target.is_none()
                    && matches!(
                        self.state.get(&kind, &id).await?,
                        Some(Entry::Pending { .. } | Entry::Waiting(_))
                    );
                let unheld = target.is_none() && self.unheld.contains(&(kind.clone(), id.clone()));
                known.insert(
                    (kind, id),
                    Resolved {
                        target,
                        waits,
                        unheld,
                    },
                );
            }
        }
    }

    pub(super) async fn migrate_kind<R: Migratable>(
        &mut self,
        label: &'static str,
    ) -> Result<(), CliError> {
        let pb = self.bar(label);
        self.report
            .resources
            .insert(label, ResourceReport::default());
        let result = self.migrate_records::<R>(label, &pb).await;
        let r = self
            .report
            .resources
            .get(label)
            .cloned()
            .unwrap_or_default();
        pb.finish_with_message(format!(
            "{} created, {} already there, {} not migrated",
            r.created + r.recovered,
            r.skipped_existing,
            r.failed.len()
        ));
        result
    }

    /// Counts one record the target has no place for, with why.
    pub(super) fn cannot_hold(&mut self, label: &'static str, reason: String) {
        let r = self.rep(label);
        r.unsupported += 1;
        if !r.unsupported_reasons.contains(&reason) {
            r.unsupported_reasons.push(reason);
        }
    }

    pub(super) fn rep(&mut self, label: &'static str) -> &mut ResourceReport {
        self.report.resources.entry(label).or_default()
    }

    pub(super) fn fail(&mut self, label: &'static str, source_id: &str, reason: String) {
        self.rep(label).failed.push(Failure {
            source_id: source_id.to_string(),
            reason,
        });
    }

    async fn migrate_records<R: Migratable>(
        &mut self,
        label: &'static str,
        pb: &indicatif::ProgressBar,
    ) -> Result<(), CliError> {
        let source = self.source;
        let ops = |crm: &dyn unicrm_core::Crm| crm.capabilities().resource(&R::KIND).operations;
        if !ops(source).list {
            // Nothing of this kind at the source: nothing to carry.
            return Ok(());
        }
        if !ops(self.target).create {
            // The target has no place for this kind: every source record is counted as what
            // it cannot hold, and nothing is sent.
            let reason = format!("{} cannot create {label}", self.target.vendor());
            let mut stream = source.stream_all::<R>(ListParams::new());
            while let Some(item) = stream.next().await {
                item?;
                pb.inc(1);
                self.cannot_hold(label, reason.clone());
            }
            return Ok(());
        }
        let mut stream = source.stream_all::<R>(ListParams::new());
        let mut since_save = 0u32;
        while let Some(item) = stream.next().await {
            // A failed read of the source stops the run; the id map makes the rerun resume.
            let record = item?;
            pb.inc(1);
            if let Some((org, person)) = record.member_of() {
                self.maps.people.add(org, person);
            }
            self.migrate_one::<R>(label, &record).await?;
            since_save += 1;
            if since_save >= 200 {
                since_save = 0;
                self.save_clock().await?;
            }
            let r = &self.report.resources[label];
            pb.set_message(format!("{} created", r.created + r.recovered));
        }
        Ok(())
    }

    /// Takes this worker's lease on a record before writing it; `false` (the record counted
    /// as left to the worker holding it) when another worker holds it.
    pub(super) async fn lease(
        &mut self,
        label: &'static str,
        kind: &str,
        sid: &str,
    ) -> Result<bool, CliError> {
        if self.opts.dry_run || self.state.lease(kind, sid).await? {
            return Ok(true);
        }
        self.rep(label).leased += 1;
        self.fail(
            label,
            sid,
            "another worker sharing the state is writing it (leased); a later run checks it".into(),
        );
        Ok(false)
    }

    /// Gives the lease taken by [`Migrator::lease`] back, after `result` (the write).
    pub(super) async fn release<T>(
        &mut self,
        kind: &str,
        sid: &str,
        result: Result<T, CliError>,
    ) -> Result<T, CliError> {
        if self.opts.dry_run {
            return result;
        }
        let released = self.state.release(kind, sid).await;
        let value = result?;
        released?;
        Ok(value)
    }

    /// Migrates one source record, unless the id map says it is in the target already: the
    /// create path of a migration, and of a sync for a record it has not mirrored yet. The
    /// record is written under this worker's lease, and its entry read again once the lease
    /// is held (another worker may have written it meanwhile).
    pub(super) async fn migrate_one<R: Migratable>(
        &mut self,
        label: &'static str,
        record: &R,
    ) -> Result<(), CliError> {
        let kind = R::KIND.to_string();
        let sid = record.id().to_string();
        if let Some(Entry::Done(_) | Entry::Deleted(_)) = self.state.get(&kind, &sid).await? {
            self.rep(label).skipped_existing += 1;
            return Ok(());
        }
        if !self.lease(label, &kind, &sid).await? {
            return Ok(());
        }
        let result = self.write_one(label, record).await;
        self.release(&kind, &sid, result).await
    }
}
