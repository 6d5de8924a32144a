//! Copying the records of one kind: the create / lookup protocol that never sends a create
//! twice, losses, waiting and pending links.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use futures::StreamExt;
use unicrm_core::{CrmExt, ListParams, Record};

use super::losses::{self, add};
use super::state::{Entry, PendingLink};
use super::transform::{Known, Links, MissingLink, Resolved};
use super::{
    CREATE_ATTEMPTS, Failure, LOOKUP_MARGIN, Migratable, Migrator, ResourceReport, budget_spent,
    outcome_unknown,
};
use crate::exit::CliError;

/// How one record's create ended.
enum Outcome<R> {
    /// Created by this run.
    Created(R),
    /// Found in the target after an unknown outcome (not created twice).
    Recovered(R),
    /// Nothing was created, for this reason.
    Failed(String),
    /// The outcome is still unknown; the row stays `pending`.
    Unknown(String),
    /// The target has no place for this record (it refused it as unsupported, before
    /// sending anything): reported as what the target cannot hold.
    Unsupported(String),
}

fn describe(lost: &BTreeMap<String, u64>) -> String {
    lost.iter()
        .map(|(f, n)| format!("{n} × {f}"))
        .collect::<Vec<_>>()
        .join(", ")
}

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
    fn cannot_hold(&mut self, label: &'static str, reason: String) {
        let r = self.rep(label);
        r.unsupported += 1;
        if !r.unsupported_reasons.contains(&reason) {
            r.unsupported_reasons.push(reason);
        }
    }

    fn rep(&mut self, label: &'static str) -> &mut ResourceReport {
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

    /// [`Migrator::migrate_one`] under the record's lease.
    async fn write_one<R: Migratable>(
        &mut self,
        label: &'static str,
        record: &R,
    ) -> Result<(), CliError> {
        let kind = R::KIND.to_string();
        let sid = record.id().to_string();
        let entry = self.state.get(&kind, &sid).await?;
        if let Some(Entry::Done(_) | Entry::Deleted(_)) = entry {
            self.rep(label).skipped_existing += 1;
            return Ok(());
        }
        let (built, missing, dropped, unheld, cannot_hold) = self.build(record).await?;
        if let Some(reason) = cannot_hold.filter(|_| !matches!(entry, Some(Entry::Pending { .. })))
        {
            // Nothing in the target can hold it: counted as such each run, no row kept.
            if !self.opts.dry_run {
                self.state.forget(&kind, &sid).await?;
            }
            self.cannot_hold(label, reason);
            return Ok(());
        }
        for field in &unheld {
            // A link to a record the target cannot hold is dropped and counted as lost.
            *self
                .rep(label)
                .lost
                .entry(format!("link:{field}"))
                .or_default() += 1;
        }
        if let Some(m) = missing.iter().find(|m| m.waits) {
            let reason = format!(
                "waits for {} {} (its create's outcome is not known yet); a later run writes it with the link",
                m.link_kind,
                m.source_ids.join(",")
            );
            if !self.opts.dry_run {
                self.state.mark_waiting(&kind, &sid, &reason).await?;
            }
            self.rep(label).waiting += 1;
            self.fail(label, &sid, reason);
            return Ok(());
        }
        let new = match built {
            Ok(n) => n,
            Err(reason) if !unheld.is_empty() && !matches!(entry, Some(Entry::Pending { .. })) => {
                // Nothing left to attach it to: its linked records are what the target cannot
                // hold. Counted as such each run, with no row kept (as a create refused as
                // unsupported before sending).
                if !self.opts.dry_run {
                    self.state.forget(&kind, &sid).await?;
                }
                self.cannot_hold(
                    label,
                    format!("{reason}: its linked record is one the target cannot hold"),
                );
                return Ok(());
            }
            Err(reason) => {
                if !self.opts.dry_run {
                    self.state.mark_failed(&kind, &sid, &reason).await?;
                }
                if let Some(Entry::Pending { .. }) = entry {
                    self.rep(label).pending += 1;
                }
                self.fail(label, &sid, reason);
                return Ok(());
            }
        };
        let sent = serde_json::to_value(&new)?;
        // Fields the target cannot write are left out (the guard would refuse the whole
        // record); `sent` keeps them, so they are measured as losses like any other.
        let (new, _) = self
            .target
            .capabilities()
            .of::<R>()
            .writable_part::<R>(&new)?;
        let mut predicted = self.capacity.predict(&kind, &sent);
        if dropped > 0 {
            *predicted.entry("custom_fields".to_string()).or_default() += dropped;
        }
        if self.opts.dry_run {
            self.state.mark_planned(&kind, &sid);
            let r = self.rep(label);
            r.planned += 1;
            add(&mut r.lost, &predicted);
            return Ok(());
        }
        let pending = matches!(entry, Some(Entry::Pending { .. }));
        if self.opts.strict && !predicted.is_empty() && !pending {
            let reason = format!(
                "--strict: the target cannot hold {}; not written",
                describe(&predicted)
            );
            self.state.mark_refused(&kind, &sid, &reason).await?;
            self.rep(label).refused += 1;
            self.fail(label, &sid, reason);
            return Ok(());
        }
        let outcome = match entry {
            // An earlier run sent this create and never learned its outcome: look first.
            Some(Entry::Pending { sent_after }) => {
                match self.find_in_target::<R>(label, &new, sent_after).await {
                    Ok(Some(r)) => Outcome::Recovered(r),
                    Ok(None) if self.opts.strict && !predicted.is_empty() => {
                        // Not in the target: refuse it now (the row stays `pending`, so a
                        // later run looks again before anything is sent).
                        let reason = format!(
                            "--strict: the target cannot hold {}; not written",
                            describe(&predicted)
                        );
                        self.state.note_ambiguous(&kind, &sid, &reason).await?;
                        self.rep(label).refused += 1;
                        self.fail(label, &sid, reason);
                        return Ok(());
                    }
                    Ok(None) => self.create::<R>(label, &sid, &new).await?,
                    Err(e) if budget_spent(&e) => return Err(e.into()),
                    Err(e) => Outcome::Unknown(format!(
                        "an earlier create's outcome is unknown and the lookup failed ({e}); the next run looks again"
                    )),
                }
            }
            _ => self.create::<R>(label, &sid, &new).await?,
        };
        let outcome = match (outcome, R::fallback(&new)) {
            (Outcome::Unsupported(_), Some(alt)) => self.create::<R>(label, &sid, &alt).await?,
            (o, _) => o,
        };
        match outcome {
            Outcome::Created(r) => {
                self.finish::<R>(label, &kind, &sid, &sent, dropped, &missing, &r)
                    .await?;
                // The image holds this source version: a sync reading it again sends nothing.
                self.state
                    .set_applied(&kind, &sid, unicrm_core::sync::Applied::of(record))
                    .await?;
            }
            // Found after an unknown outcome: its create may be from an older version.
            Outcome::Recovered(r) => {
                self.finish::<R>(label, &kind, &sid, &sent, dropped, &missing, &r)
                    .await?;
            }
            Outcome::Failed(reason) => self.fail(label, &sid, reason),
            Outcome::Unsupported(reason) => {
                self.unheld.insert((kind.clone(), sid.clone()));
                self.cannot_hold(label, reason)
            }
            Outcome::Unknown(reason) => {
                self.state.note_ambiguous(&kind, &sid, &reason).await?;
                self.rep(label).pending += 1;
                self.fail(label, &sid, reason);
            }
        }
        Ok(())
    }

    /// Records a record now in the target: its id, what it lost, its links still to fill.
    #[allow(clippy::too_many_arguments)]
    async fn finish<R: Migratable>(
        &mut self,
        label: &'static str,
        kind: &str,
        sid: &str,
        sent: &serde_json::Value,
        dropped: u64,
        missing: &[MissingLink],
        stored: &R,
    ) -> Result<(), CliError> {
        let tid = stored.id().to_string();
        let stored_json = serde_json::to_value(stored)?;
        let mut lost = losses::measure(sent, &stored_json);
        self.capacity.learn(kind, sent, &lost);
        if dropped > 0 {
            *lost.entry("custom_fields".to_string()).or_default() += dropped;
        }
        self.state
            .mark_done_with_losses(kind, sid, &tid, &lost)
            .await?;
        for m in missing {
            self.state
                .add_pending_link(&PendingLink {
                    kind: kind.to_string(),
                    source_id: sid.to_string(),
                    field: m.field.to_string(),
                    link_kind: m.link_kind.to_string(),
                    link_source_ids: m.source_ids.clone(),
                })
                .await?;
        }
        if self.opts.strict && !lost.is_empty() {
            self.fail(
                label,
                sid,
                format!(
                    "--strict: written, but the target dropped {} (now known: such records are refused)",
                    describe(&lost)
                ),
            );
        }
        add(&mut self.rep(label).lost, &lost);
        Ok(())
    }

    /// Sends the create of `new`, at most [`CREATE_ATTEMPTS`] times, each time after finding
    /// that an earlier attempt with an unknown outcome left nothing in the target.
    async fn create<R: Migratable>(
        &mut self,
        label: &'static str,
        sid: &str,
        new: &R::New,
    ) -> Result<Outcome<R>, CliError> {
        let kind = R::KIND.to_string();
        let target = self.target;
        let resource = target.resource::<R>();
        // Whether some attempt, in this run or an earlier one, may have been applied. Only then
        // does a refusal leave the row `pending`: a refusal of every attempt ever sent means
        // nothing was written.
        let mut unknown = matches!(
            self.state.get(&kind, sid).await?,
            Some(Entry::Pending { .. })
        );
        for attempt in 1..=CREATE_ATTEMPTS {
            // Written (and synced) before the request leaves: a crash from here on leaves a
            // `pending` row, and the next run looks before sending.
            self.state
                .mark_pending(&kind, sid, self.target_clock)
                .await?;
            match resource.create(new).await {
                Ok(r) => {
                    self.observe(&r);
                    self.rep(label).created += 1;
                    return Ok(Outcome::Created(r));
                }
                Err(e) if outcome_unknown(&e) => {
                    unknown = true;
                    self.rep(label).ambiguous += 1;
                    let reason = format!("create outcome unknown ({e})");
                    self.state.note_ambiguous(&kind, sid, &reason).await?;
                    tracing::info!(error = %e, kind = %R::KIND, attempt, "create outcome unknown; looking for the record before sending it again");
                    let sent_after = match self.state.get(&kind, sid).await? {
                        Some(Entry::Pending { sent_after }) => sent_after,
                        _ => None,
                    };
                    match self.find_in_target::<R>(label, new, sent_after).await {
                        Ok(Some(r)) => return Ok(Outcome::Recovered(r)),
                        Ok(None) => {}
                        Err(le) if budget_spent(&le) => return Err(le.into()),
                        Err(le) => {
                            return Ok(Outcome::Unknown(format!(
                                "{reason}; the lookup failed ({le}); the next run looks again"
                            )));
                        }
                    }
                }
                Err(e) if budget_spent(&e) => {
                    // Nothing was created by this attempt; the row stays `pending` only if an
                    // earlier attempt's outcome is unknown.
                    self.refused(&kind, sid, unknown, &e.to_string()).await?;
                    return Err(e.into());
                }
                Err(e) => {
                    let reason = e.to_string();
                    if e.is_unsupported() && !unknown {
                        // Refused before anything was sent: no row is kept (the record is
                        // counted as what the target cannot hold, each run).
                        self.state.forget(&kind, sid).await?;
                        return Ok(Outcome::Unsupported(reason));
                    }
                    self.refused(&kind, sid, unknown, &reason).await?;
                    if unknown {
                        return Ok(Outcome::Unknown(format!(
                            "{reason}, after an attempt whose outcome is unknown; the next run looks first"
                        )));
                    }
                    return Ok(Outcome::Failed(reason));
                }
            }
        }
        Ok(Outcome::Unknown(format!(
            "create outcome unknown after {CREATE_ATTEMPTS} attempts and not found in the target; the next run looks again before sending"
        )))
    }

    /// Records that the target refused a create: the row becomes `failed`, unless an earlier
    /// attempt's outcome is unknown (`unknown`), when it stays `pending` with the reason.
    async fn refused(
        &mut self,
        kind: &str,
        sid: &str,
        unknown: bool,
        reason: &str,
    ) -> Result<(), CliError> {
        if unknown {
            self.state.note_ambiguous(kind, sid, reason).await
        } else {
            self.state.mark_rejected(kind, sid, reason).await
        }
    }

    /// Finds a target record changed since its clock read `sent_after` (less a margin) that
    /// matches `new` and is not yet the image of another source record; looks again after each
    /// delay of the search lag when it finds none.
    async fn find_in_target<R: Migratable>(
        &mut self,
        label: &'static str,
        new: &R::New,
        sent_after: Option<DateTime<Utc>>,
    ) -> Result<Option<R>, unicrm_core::Error> {
        let key = R::new_key(new);
        let kind = R::KIND.to_string();
        let target = self.target;
        let mut params = ListParams::new();
        if target.capabilities().of::<R>().filters.updated_since {
            params.updated_since = sent_after.map(|t| {
                t - chrono::Duration::from_std(LOOKUP_MARGIN).unwrap_or(chrono::Duration::zero())
            });
        }
        let delays = self.opts.search_lag.clone();
        let sleeper = self.opts.sleeper.clone();
        for look in 0..=delays.len() {
            if look > 0 {
                sleeper.sleep(delays[look - 1]).await;
            }
            self.rep(label).lookups += 1;
            let mut stream = target.stream_all::<R>(params.clone());
            while let Some(item) = stream.next().await {
                let r = item?;
                self.observe(&r);
                if r.record_key() == key {
                    let used = self
                        .state
                        .target_used(&kind, &r.id().to_string())
                        .await
                        .map_err(|e| unicrm_core::Error::config(e.message))?;
                    if !used {
                        self.rep(label).recovered += 1;
                        return Ok(Some(r));
                    }
                }
            }
        }
        Ok(None)
    }

    /// Writes the links stored for records of `R` whose linked records are now migrated.
    pub(super) async fn fill_links<R: Migratable>(
        &mut self,
        label: &'static str,
    ) -> Result<(), CliError> {
        if self.opts.dry_run {
            return Ok(());
        }
        let kind = R::KIND.to_string();
        let target = self.target;
        for link in self.state.pending_links(&kind).await? {
            let Some(Entry::Done(tid)) = self.state.get(&kind, &link.source_id).await? else {
                continue;
            };
            let mut ids = Vec::new();
            for s in &link.link_source_ids {
                match self.state.target_id(&link.link_kind, s).await? {
                    Some(t) => ids.push(serde_json::Value::String(t)),
                    None => break,
                }
            }
            if ids.len() < link.link_source_ids.len() {
                continue;
            }
            let value = if link.field.ends_with("_ids") {
                serde_json::Value::Array(ids)
            } else {
                ids.remove(0)
            };
            let patch: R::Patch =
                serde_json::from_value(serde_json::json!({ link.field.clone(): value }))?;
            let id: R::Id = serde_json::from_value(serde_json::Value::String(tid))?;
            match target.resource::<R>().update(&id, &patch).await {
                Ok(r) => {
                    self.observe(&r);
                    self.state
                        .remove_pending_link(&kind, &link.source_id, &link.field)
                        .await?;
                    self.rep(label).links_filled += 1;
                }
                Err(e) if budget_spent(&e) => return Err(e.into()),
                Err(e) => {
                    tracing::warn!(error = %e, kind = %kind, source_id = %link.source_id, field = %link.field, "link not filled; kept for the next run");
                }
            }
        }
        self.rep(label).links_pending = self.state.pending_links(&kind).await?.len() as u64;
        Ok(())
    }
}
