//! Change streams (`Resource::change_stream`): the resume property of the stream contract.
//!
//! - **(a) Same replica.** Collecting `change_stream(cp)` gives the same replica (id →
//!   marker) as `changes_since(cp)`, and both equal the vendor's state.
//! - **(b) Resume after every batch.** A chain of streams, each dropped after its first batch
//!   (after reading, not applying, a second one: a run that stopped between reading a batch
//!   and saving its checkpoint), each started from the checkpoint of the last batch applied,
//!   reaches the stream's end and gives the same replica as the uninterrupted read; run again
//!   while the harness's other user writes (creates, updates, deletes) between batches, it
//!   and one more read from its last checkpoint equal the vendor's state.
//! - **(c) Deletions.** A deletion is reported only of a record that is gone (the other user
//!   deleted it); within a batch a record appears at most once, upserts before deletions.
//!
//! The listing must span several batches: when the uninterrupted read yields fewer than
//! [`ResumeOptions::min_batches`], the other user creates records (up to
//! [`ResumeOptions::max_created`]) until it does; the figures say how many batches it
//! spanned.

use std::collections::{BTreeMap, BTreeSet};

use futures::StreamExt;
use serde::Serialize;
use unicrm_core::{Change, ChangeSet, Checkpoint, Crm, collect_changes};

use super::res;
use crate::gate::{Deletions, Gate};
use crate::harness::Harness;
use crate::report::{CheckRecord, Ctx, Failure};
use crate::samples::Sample;

const CHECK: &str = "change-stream resume";

/// How the resume check runs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResumeOptions {
    /// Seed of the other user's choices.
    pub seed: u64,
    /// Writes the other user makes between two batches of the writing chain.
    pub writes_per_batch: usize,
    /// Batches the uninterrupted read must span (records are created until it does).
    pub min_batches: usize,
    /// At most this many records are created to reach [`ResumeOptions::min_batches`].
    pub max_created: usize,
}

impl Default for ResumeOptions {
    fn default() -> Self {
        ResumeOptions {
            seed: 7,
            writes_per_batch: 2,
            min_batches: 3,
            max_created: 300,
        }
    }
}

/// What a resume run measured.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Resume {
    /// Batches of the uninterrupted read (after any records were created for it).
    pub batches: usize,
    /// Records created so the listing spans several batches.
    pub filled: usize,
    /// Streams started by the quiet chain (one per batch applied).
    pub quiet_resumes: usize,
    /// Streams started by the writing chain.
    pub writing_resumes: usize,
    /// The other user's writes during the writing chain: creates, updates, deletes.
    pub writes: (usize, usize, usize),
    /// Requests the client made over the whole check.
    pub requests: u64,
}

impl Resume {
    /// One line of figures.
    pub fn summary(&self) -> String {
        format!(
            "{} batches ({} records created for it); quiet chain {} resumes, writing chain {} resumes with {} creates, {} updates, {} deletes; {} requests",
            self.batches,
            self.filled,
            self.quiet_resumes,
            self.writing_resumes,
            self.writes.0,
            self.writes.1,
            self.writes.2,
            self.requests
        )
    }
}

type Replica = BTreeMap<String, Option<String>>;

/// What the run knows about ids: which are the run's own (seeded or created) and which the
/// other user deleted.
#[derive(Default)]
struct Known {
    ours: BTreeSet<String>,
    deleted: BTreeSet<String>,
}

/// Checks one batch's shape (each record once, upserts before deletions) and applies it;
/// a deletion of one of the run's records that the other user did not delete fails.
fn apply<R: Sample>(
    ctx: &Ctx,
    replica: &mut Replica,
    known: &Known,
    set: &ChangeSet<R, R::Id>,
    what: &str,
) -> Result<(), Failure>
where
    R::New: Default,
{
    let mut ids = BTreeSet::new();
    let mut deleting = false;
    for change in &set.changes {
        let id = match change {
            Change::Upserted { record } => {
                if deleting {
                    return Err(ctx.fail(format!(
                        "{what}: a batch reports the upsert of {} after a deletion (upserts come first)",
                        record.id()
                    )));
                }
                record.id().to_string()
            }
            Change::Deleted { id, .. } => {
                deleting = true;
                id.to_string()
            }
            _ => continue,
        };
        if !ids.insert(id.clone()) {
            return Err(ctx.fail(format!(
                "{what}: a batch reports record {id} twice (at most once per batch)"
            )));
        }
        match change {
            Change::Upserted { record } => {
                replica.insert(id, record.marker().map(str::to_string));
            }
            Change::Deleted { .. } => {
                if known.ours.contains(&id) && !known.deleted.contains(&id) {
                    return Err(ctx.fail(format!(
                        "{what}: the stream reports record {id} deleted, but it is alive"
                    )));
                }
                replica.remove(&id);
            }
            _ => {}
        }
    }
    Ok(())
}

/// The vendor's state, through the harness's raw API.
async fn truth(
    ctx: &Ctx,
    harness: &dyn Harness,
    kind: &unicrm_core::ResourceKind,
) -> Result<Replica, Failure> {
    Ok(harness
        .vendor_records(kind)
        .await
        .map_err(|e| ctx.fail(e.to_string()))?
        .ok_or_else(|| ctx.fail("the harness cannot list this kind through the raw API"))?
        .into_iter()
        .map(|v| (v.id, v.marker))
        .collect())
}

/// How `got` differs from `want` (at most a few ids of each sort), or `None`.
fn drift(got: &Replica, want: &Replica, ghosts_count: bool) -> Option<String> {
    let mut stale = Vec::new();
    let mut missing = Vec::new();
    for (id, marker) in want {
        match got.get(id) {
            None => missing.push(id.clone()),
            Some(m) if m != marker => stale.push(format!("{id}: {m:?} ≠ {marker:?}")),
            Some(_) => {}
        }
    }
    let ghosts: Vec<&String> = got.keys().filter(|id| !want.contains_key(*id)).collect();
    let bad = !stale.is_empty() || !missing.is_empty() || (ghosts_count && !ghosts.is_empty());
    bad.then(|| {
        format!(
            "{} stale {:?}, {} missing {:?}, {} ghosts {:?}",
            stale.len(),
            stale.iter().take(5).collect::<Vec<_>>(),
            missing.len(),
            missing.iter().take(5).collect::<Vec<_>>(),
            ghosts.len(),
            ghosts.iter().take(5).collect::<Vec<_>>()
        )
    })
}

/// Every batch of one uninterrupted stream from `cp`.
async fn read_all<R: Sample>(
    ctx: &Ctx,
    crm: &dyn Crm,
    cp: &Checkpoint,
) -> Result<Vec<ChangeSet<R, R::Id>>, Failure>
where
    R::New: Default,
{
    let mut s = res::<R>(crm).change_stream(cp.clone());
    let mut batches = Vec::new();
    while let Some(b) = s.next().await {
        batches.push(b.map_err(|e| ctx.fail(format!("change_stream failed: {e}")))?);
    }
    if batches.is_empty() {
        return Err(ctx.fail("change_stream yielded no batch (at least one is due)"));
    }
    Ok(batches)
}

/// The other user, writing between batches.
struct Writer<'a> {
    harness: &'a dyn Harness,
    kind: unicrm_core::ResourceKind,
    rng: super::feed::Rng,
    live: Vec<String>,
    n: usize,
    counts: (usize, usize, usize),
}

impl Writer<'_> {
    async fn write(&mut self, known: &mut Known, ctx: &Ctx) -> Result<(), Failure> {
        let marker = format!("kit-resume-{}", self.n);
        self.n += 1;
        let fail = |e: crate::HarnessError| ctx.fail(format!("the other user's write failed: {e}"));
        match self.rng.below(10) {
            0..=2 => {
                let id = self
                    .harness
                    .other_user_create(&self.kind, &marker)
                    .await
                    .map_err(fail)?;
                known.ours.insert(id.clone());
                self.live.push(id);
                self.counts.0 += 1;
            }
            3..=7 if !self.live.is_empty() => {
                let id = self.live[self.rng.below(self.live.len())].clone();
                self.harness
                    .other_user_update(&self.kind, &id, &marker)
                    .await
                    .map_err(fail)?;
                self.counts.1 += 1;
            }
            _ if self.live.len() > 1 => {
                let id = self.live.swap_remove(self.rng.below(self.live.len()));
                // Known deleted before the request: a feed may see it gone at once.
                known.deleted.insert(id.clone());
                self.harness
                    .other_user_delete(&self.kind, &id)
                    .await
                    .map_err(fail)?;
                self.counts.2 += 1;
            }
            _ => {}
        }
        Ok(())
    }
}

/// Resumes after every batch from `start` until a stream ends (see the module docs), the
/// writer (if any) writing `per_batch` times between batches. Returns the replica, the last
/// checkpoint and the number of streams started.
async fn chain<R: Sample>(
    ctx: &Ctx,
    crm: &dyn Crm,
    start: &Checkpoint,
    known: &mut Known,
    mut writer: Option<(&mut Writer<'_>, usize)>,
    limit: usize,
    what: &str,
) -> Result<(Replica, Checkpoint, usize), Failure>
where
    R::New: Default,
{
    let mut replica = Replica::new();
    let mut cp = start.clone();
    let mut streams = 0usize;
    loop {
        streams += 1;
        if streams > limit {
            return Err(ctx.fail(format!(
                "{what}: resuming after every batch did not reach the stream's end in {limit} streams"
            )));
        }
        let mut s = res::<R>(crm).change_stream(cp.clone());
        let batch = match s.next().await {
            None => {
                return Err(ctx.fail(format!(
                    "{what}: a stream resumed from a batch's checkpoint yielded no batch"
                )));
            }
            Some(b) => b.map_err(|e| {
                ctx.fail(format!(
                    "{what}: change_stream resumed from a batch's checkpoint failed: {e}"
                ))
            })?,
        };
        apply::<R>(ctx, &mut replica, known, &batch, what)?;
        cp = batch.next.clone();
        // Read the next batch without applying it: the run stops before saving it.
        let more = s.next().await;
        drop(s);
        match more {
            None => return Ok((replica, cp, streams)),
            Some(Err(e)) => {
                return Err(ctx.fail(format!("{what}: change_stream failed mid-way: {e}")));
            }
            Some(Ok(_)) => {}
        }
        if let Some((w, per_batch)) = writer.as_mut() {
            for _ in 0..*per_batch {
                w.write(known, ctx).await?;
            }
        }
    }
}

/// Runs the resume check of `R` (see the module docs) and returns its figures.
pub async fn resume<R: Sample>(
    crm: &dyn Crm,
    harness: &dyn Harness,
    options: &ResumeOptions,
) -> Result<Resume, Failure>
where
    R::New: Default,
{
    let kind = R::KIND;
    let ctx = Ctx::new(crm.vendor(), &kind, CHECK);
    let ghosts_count = Gate::of(crm).deletions(&kind) == Deletions::Reported;
    let requests_before = crm.stats().requests;
    let epoch = Checkpoint::at(chrono::DateTime::UNIX_EPOCH);
    let mut figures = Resume::default();
    let mut known = Known {
        ours: truth(&ctx, harness, &kind).await?.into_keys().collect(),
        ..Known::default()
    };

    // Enough records for several batches.
    let mut batches = read_all::<R>(&ctx, crm, &epoch).await?;
    while batches.len() < options.min_batches && figures.filled < options.max_created {
        let chunk = (options.max_created - figures.filled).min(50);
        for i in 0..chunk {
            let id = harness
                .other_user_create(&kind, &format!("kit-resume-fill-{}", figures.filled + i))
                .await
                .map_err(|e| ctx.fail(format!("the other user's create failed: {e}")))?;
            known.ours.insert(id);
        }
        figures.filled += chunk;
        batches = read_all::<R>(&ctx, crm, &epoch).await?;
    }
    figures.batches = batches.len();

    // (a) The collected stream and changes_since give the same replica, the vendor's.
    let mut streamed = Replica::new();
    for b in &batches {
        apply::<R>(&ctx, &mut streamed, &known, b, "uninterrupted stream")?;
    }
    let collected = collect_changes(&epoch, res::<R>(crm).change_stream(epoch.clone()))
        .await
        .map_err(|e| ctx.fail(format!("change_stream failed: {e}")))?;
    let mut from_collected = Replica::new();
    apply::<R>(
        &ctx,
        &mut from_collected,
        &known,
        &collected,
        "collected stream",
    )?;
    let set = res::<R>(crm)
        .changes_since(&epoch)
        .await
        .map_err(|e| ctx.fail(format!("changes_since failed: {e}")))?;
    let mut from_since = Replica::new();
    apply::<R>(&ctx, &mut from_since, &known, &set, "changes_since")?;
    let now = truth(&ctx, harness, &kind).await?;
    for (what, got) in [
        ("the uninterrupted stream", &streamed),
        ("the collected stream", &from_collected),
        ("changes_since", &from_since),
    ] {
        if let Some(d) = drift(got, &now, ghosts_count) {
            return Err(ctx.fail(format!(
                "the replica built from {what} differs from the vendor's state: {d}"
            )));
        }
    }
    if let Some(d) = drift(&from_collected, &from_since, true) {
        return Err(ctx.fail(format!(
            "collecting change_stream and changes_since give different replicas: {d}"
        )));
    }

    // (b) Resumed after every batch, without writes: the uninterrupted read's replica.
    let limit = 4 * figures.batches + 50;
    let (quiet, _, n) =
        chain::<R>(&ctx, crm, &epoch, &mut known, None, limit, "quiet chain").await?;
    figures.quiet_resumes = n;
    if let Some(d) = drift(&quiet, &streamed, true) {
        return Err(ctx.fail(format!(
            "resuming after every batch gives another replica than the uninterrupted read: {d}"
        )));
    }

    // (b) Resumed after every batch while the other user writes between batches, then one
    // read from the last checkpoint (started after the last write): the vendor's state.
    let mut writer = Writer {
        harness,
        kind: kind.clone(),
        rng: super::feed::Rng(options.seed),
        live: now.keys().cloned().collect(),
        n: 0,
        counts: (0, 0, 0),
    };
    let (mut writing, cp, n) = chain::<R>(
        &ctx,
        crm,
        &epoch,
        &mut known,
        Some((&mut writer, options.writes_per_batch)),
        limit,
        "writing chain",
    )
    .await?;
    figures.writing_resumes = n;
    figures.writes = writer.counts;
    for b in read_all::<R>(&ctx, crm, &cp).await? {
        apply::<R>(
            &ctx,
            &mut writing,
            &known,
            &b,
            "the read after the writing chain",
        )?;
    }
    let end = truth(&ctx, harness, &kind).await?;
    if let Some(d) = drift(&writing, &end, ghosts_count) {
        return Err(ctx.fail(format!(
            "resumed after every batch while the other user wrote, the replica drifted from the vendor ({}): {d}",
            figures.summary()
        )));
    }
    figures.requests = crm.stats().requests.saturating_sub(requests_before);
    Ok(figures)
}

/// [`resume`], as a line of the report.
///
/// Gated: skipped when `changes` is false (the unsupported check asserts `Unsupported`) or
/// when the harness's other user cannot write this kind.
pub async fn check_resume<R: Sample>(
    crm: &dyn Crm,
    harness: &dyn Harness,
    options: &ResumeOptions,
) -> Result<CheckRecord, Failure>
where
    R::New: Default,
{
    let ctx = Ctx::new(crm.vendor(), R::KIND, CHECK);
    if let Some(skipped) = super::feed::feed_skip(&ctx, crm, harness, &R::KIND, "change_stream") {
        return Ok(skipped);
    }
    let f = resume::<R>(crm, harness, options).await?;
    Ok(ctx.pass(format!("resumed after every batch: {}", f.summary())))
}
