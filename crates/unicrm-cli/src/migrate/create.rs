//! Writing one record into the target: the create protocol that never sends a create twice
//! (a `pending` row written before each request, a look-up after an unknown outcome, at most
//! `CREATE_ATTEMPTS` attempts), `--strict` refusals, waiting links, and the bookkeeping once
//! the record is in the target (id, losses, links still to fill).

use std::collections::BTreeMap;

use unicrm_core::CrmExt;

use super::losses::{self, add};
use super::state::{Entry, PendingLink};
use super::transform::MissingLink;
use super::{CREATE_ATTEMPTS, Migratable, Migrator, budget_spent, outcome_unknown};
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
    /// [`Migrator::migrate_one`] under the record's lease.
    pub(super) async fn write_one<R: Migratable>(
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
}
