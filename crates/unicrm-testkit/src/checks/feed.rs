//! Change-feed convergence under concurrent writers (the sync property of the integrity
//! issue): a replica built only from `changes_since` equals the vendor's state.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use serde::Serialize;
use unicrm_core::{Change, Checkpoint, Crm};

use super::res;
use crate::gate::{Deletions, Gate, Operation};
use crate::harness::Harness;
use crate::report::{CheckRecord, Ctx, Failure};
use crate::samples::Sample;

/// How hard the convergence check pushes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConvergenceOptions {
    /// Writes the other user makes (creates, updates and deletes mixed).
    pub writes: usize,
    /// Seed of the writer's choices (the run replays for a seed).
    pub seed: u64,
    /// Latency the harness adds to every answer while the writer runs.
    pub latency: Duration,
    /// Pause between two writes.
    pub write_pause: Duration,
    /// Pause between two polls of the feed.
    pub poll_pause: Duration,
    /// The change-stream resume check run after convergence on the same kinds
    /// ([`check_resume`](crate::checks::stream::check_resume)); `None` skips it.
    pub resume: Option<crate::checks::stream::ResumeOptions>,
}

impl Default for ConvergenceOptions {
    fn default() -> Self {
        ConvergenceOptions {
            writes: 60,
            seed: 1,
            latency: Duration::from_millis(15),
            write_pause: Duration::from_millis(5),
            poll_pause: Duration::from_millis(0),
            resume: Some(crate::checks::stream::ResumeOptions::default()),
        }
    }
}

/// What a convergence run measured.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Convergence {
    /// Records the other user created.
    pub creates: usize,
    /// Records it updated.
    pub updates: usize,
    /// Records it deleted.
    pub deletes: usize,
    /// Polls of the change feed (the baseline included).
    pub polls: usize,
    /// Records the vendor holds at the end.
    pub vendor_records: usize,
    /// Records the replica holds at the end.
    pub replica_records: usize,
    /// Ids in both whose marker differs (replica, vendor).
    pub stale: Vec<(String, Option<String>, Option<String>)>,
    /// Ids at the vendor the replica lacks.
    pub missing: Vec<String>,
    /// Ids in the replica the vendor no longer holds.
    pub ghosts: Vec<String>,
    /// Deletions the feed reported of records of this run (seeded or created) that are alive.
    pub invented_deletions: Vec<String>,
    /// Deletions the feed reported of ids the run never knew (deleted before it started, or
    /// records of another kind sharing the vendor's id space); not a failure.
    pub unknown_deletions: usize,
    /// Deletions the feed reported (real or not).
    pub reported_deletions: usize,
    /// Whether the feed reports deletions (per the capabilities).
    pub deletions_reported: bool,
}

impl Convergence {
    /// Whether the replica equals the vendor's state and no deletion was invented (ghosts only
    /// count when the feed reports deletions).
    pub fn converged(&self) -> bool {
        self.stale.is_empty()
            && self.missing.is_empty()
            && self.invented_deletions.is_empty()
            && (self.ghosts.is_empty() || !self.deletions_reported)
    }

    /// One line of figures.
    pub fn summary(&self) -> String {
        format!(
            "{} creates, {} updates, {} deletes, {} polls; vendor {} records, replica {}; {} stale, {} missing, {} ghosts, {} invented deletions ({} deletions of unknown ids)",
            self.creates,
            self.updates,
            self.deletes,
            self.polls,
            self.vendor_records,
            self.replica_records,
            self.stale.len(),
            self.missing.len(),
            self.ghosts.len(),
            self.invented_deletions.len(),
            self.unknown_deletions
        )
    }
}

/// SplitMix64: the writer's choices, replayable for a seed.
pub(crate) struct Rng(pub(crate) u64);

impl Rng {
    pub(crate) fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    pub(crate) fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

/// Runs the other user's writes while polling the feed of `R`, then compares the replica
/// (built only from `changes_since`, starting from the Unix epoch) with the vendor's state
/// read through the raw API. Returns the figures without judging them; see
/// [`check_convergence`].
pub async fn converge<R: Sample>(
    crm: &dyn Crm,
    harness: &dyn Harness,
    options: &ConvergenceOptions,
) -> Result<Convergence, Failure>
where
    R::New: Default,
{
    let kind = R::KIND;
    let ctx = Ctx::new(crm.vendor(), &kind, "change-feed convergence");
    let gate = Gate::of(crm);
    let deletions_reported = gate.deletions(&kind) == Deletions::Reported;
    let start = harness
        .vendor_records(&kind)
        .await
        .map_err(|e| ctx.fail(e.to_string()))?
        .ok_or_else(|| ctx.fail("the harness cannot list this kind through the raw API"))?;

    let done = AtomicBool::new(false);
    let deleting: Mutex<BTreeSet<String>> = Mutex::new(BTreeSet::new());
    let created: Mutex<BTreeSet<String>> = Mutex::new(BTreeSet::new());
    let start_ids: BTreeSet<String> = start.iter().map(|v| v.id.clone()).collect();
    let mut figures = Convergence {
        deletions_reported,
        ..Convergence::default()
    };

    harness
        .set_latency(options.latency)
        .await
        .map_err(|e| ctx.fail(e.to_string()))?;

    let writer = async {
        let mut rng = Rng(options.seed);
        let mut live: Vec<String> = start.iter().map(|v| v.id.clone()).collect();
        let (mut creates, mut updates, mut deletes) = (0, 0, 0);
        let result = async {
            for i in 0..options.writes {
                let marker = format!("kit-{}-{i}", options.seed);
                match rng.below(10) {
                    0..=2 => {
                        let id = harness.other_user_create(&kind, &marker).await?;
                        lock(&created).insert(id.clone());
                        live.push(id);
                        creates += 1;
                    }
                    3..=7 if !live.is_empty() => {
                        let id = live[rng.below(live.len())].clone();
                        harness.other_user_update(&kind, &id, &marker).await?;
                        updates += 1;
                    }
                    _ if live.len() > 1 => {
                        let id = live.swap_remove(rng.below(live.len()));
                        lock(&deleting).insert(id.clone());
                        harness.other_user_delete(&kind, &id).await?;
                        deletes += 1;
                    }
                    _ => {}
                }
                tokio::time::sleep(options.write_pause).await;
            }
            Ok::<(), crate::HarnessError>(())
        }
        .await;
        done.store(true, Ordering::SeqCst);
        result
            .map(|()| (creates, updates, deletes))
            .map_err(|e| ctx.fail(format!("the other user's write failed: {e}")))
    };

    let poller = async {
        let mut replica: BTreeMap<String, Option<String>> = BTreeMap::new();
        let mut invented = Vec::new();
        let mut reported = 0usize;
        let mut foreign = Vec::new();
        let mut cp = Checkpoint::at(chrono::DateTime::UNIX_EPOCH);
        let mut polls = 0usize;
        loop {
            // A poll that starts after the last write must catch everything.
            let last = done.load(Ordering::SeqCst);
            let set = res::<R>(crm)
                .changes_since(&cp)
                .await
                .map_err(|e| ctx.fail(format!("changes_since (poll {}) failed: {e}", polls + 1)))?;
            polls += 1;
            for change in set.changes {
                match change {
                    Change::Upserted { record } => {
                        replica
                            .insert(record.id().to_string(), record.marker().map(str::to_string));
                    }
                    Change::Deleted { id, .. } => {
                        let id = id.to_string();
                        reported += 1;
                        // A record of this run (seeded or created) that the writer did not
                        // delete is alive: reporting it deleted is an invention. Ids the run
                        // never knew (records deleted before it started, or of another kind)
                        // are counted apart.
                        let known = start_ids.contains(&id) || lock(&created).contains(&id);
                        if !lock(&deleting).contains(&id) {
                            if known {
                                invented.push(id.clone());
                            } else {
                                foreign.push(id.clone());
                            }
                        }
                        replica.remove(&id);
                    }
                    _ => {}
                }
            }
            cp = set.next;
            if last {
                break;
            }
            tokio::time::sleep(options.poll_pause).await;
        }
        Ok::<_, Failure>((replica, invented, foreign, reported, polls))
    };

    let joined = futures::future::try_join(writer, poller).await;
    harness
        .set_latency(Duration::ZERO)
        .await
        .map_err(|e| ctx.fail(e.to_string()))?;
    let ((creates, updates, deletes), (replica, invented, foreign, reported, polls)) = joined?;
    figures.unknown_deletions = foreign.len();
    figures.reported_deletions = reported;
    figures.creates = creates;
    figures.updates = updates;
    figures.deletes = deletes;
    figures.polls = polls;
    figures.invented_deletions = invented;

    let truth: BTreeMap<String, Option<String>> = harness
        .vendor_records(&kind)
        .await
        .map_err(|e| ctx.fail(e.to_string()))?
        .unwrap_or_default()
        .into_iter()
        .map(|v| (v.id, v.marker))
        .collect();
    figures.vendor_records = truth.len();
    figures.replica_records = replica.len();
    for (id, marker) in &truth {
        match replica.get(id) {
            None => figures.missing.push(id.clone()),
            Some(m) if m != marker => figures.stale.push((id.clone(), m.clone(), marker.clone())),
            Some(_) => {}
        }
    }
    figures.ghosts = replica
        .keys()
        .filter(|id| !truth.contains_key(*id))
        .cloned()
        .collect();
    Ok(figures)
}

/// The skip line of a feed check of `kind` (`None`: the check runs): when `changes` is false
/// (the unsupported check asserts that `operation` answers `Unsupported`) or the harness's
/// other user cannot write this kind.
pub(crate) fn feed_skip(
    ctx: &Ctx,
    crm: &dyn Crm,
    harness: &dyn Harness,
    kind: &unicrm_core::ResourceKind,
    operation: &str,
) -> Option<CheckRecord> {
    if !Gate::of(crm).supports(kind, Operation::Changes) {
        return Some(ctx.skip(
            "changes is false",
            format!("{operation} answers Unsupported (unsupported check)"),
        ));
    }
    if !harness.other_user_kinds().contains(kind) {
        return Some(ctx.skip("the harness's other user cannot write this kind", "nothing"));
    }
    None
}

/// [`converge`], judged: 0 stale, 0 missing, 0 ghosts (when the feed reports deletions), and
/// no deletion reported that did not happen.
///
/// Gated: skipped when `changes` is false (the unsupported check asserts `Unsupported`) or
/// when the harness's other user cannot write this kind. When the capabilities say deletions
/// are not reported, ghosts are allowed and any reported deletion fails.
pub async fn check_convergence<R: Sample>(
    crm: &dyn Crm,
    harness: &dyn Harness,
    options: &ConvergenceOptions,
) -> Result<CheckRecord, Failure>
where
    R::New: Default,
{
    let ctx = Ctx::new(crm.vendor(), R::KIND, "change-feed convergence");
    if let Some(skipped) = feed_skip(&ctx, crm, harness, &R::KIND, "changes_since") {
        return Ok(skipped);
    }
    let f = converge::<R>(crm, harness, options).await?;
    ctx.ensure(f.deletions_reported || f.reported_deletions == 0, || {
        format!(
            "the capabilities say deletions are not reported, yet the feed reported {}",
            f.reported_deletions
        )
    })?;
    let first = |v: &[String]| v.iter().take(10).cloned().collect::<Vec<_>>();
    ctx.ensure(f.converged(), || {
        format!(
            "the replica built from changes_since drifted from the vendor ({}); stale (id, replica, vendor) {:?}; missing {:?}; ghosts {:?}; invented deletions {:?}",
            f.summary(),
            f.stale.iter().take(10).collect::<Vec<_>>(),
            first(&f.missing),
            first(&f.ghosts),
            first(&f.invented_deletions)
        )
    })?;
    Ok(ctx.pass(format!("converged: {}", f.summary())))
}
