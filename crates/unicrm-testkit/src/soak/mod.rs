//! The change-feed soak: a model-based concurrency test of an adapter's contact and task feeds,
//! comparing whole vendor payloads (shared by every adapter's `feed_convergence` test and
//! `<vendor>_feed_soak` example).
//!
//! Several writers (plain HTTP against the vendor's raw API, each acting as another user)
//! create, update and delete contacts and tasks while the adapter's contact and task feeds are
//! polled again and again across multi-page listings under latency. After the writers stop
//! and one final poll, the replica built only from the feeds (each record's raw vendor
//! payload, by id) is compared with a fresh full listing read through the raw API: stale (same
//! id, other content), missing (at the vendor, not in the replica) and ghost (in the replica,
//! gone at the vendor) records are counted ([`Diff`]).
//!
//! This is stricter than the suite's [`checks::feed`](crate::checks::feed) check, which
//! compares one marker field per record through the [`Harness`](crate::Harness): here every
//! byte of the payload must agree, and several writers with their own credentials race the
//! feeds. An adapter provides the vendor side by implementing [`SoakVendor`] over its
//! simulator, then calls [`assert_converges`] from a test and [`main`] from an example.
//!
//! ```no_run
//! # async fn demo<V: unicrm_testkit::soak::SoakVendor>() {
//! // tests/feed_convergence.rs
//! unicrm_testkit::soak::assert_converges::<V>(1..=3).await;
//! # }
//! ```

mod cli;
mod raw;
mod writer;

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use async_trait::async_trait;
use serde::Serialize;
use serde_json::Value;
use unicrm_core::{Change, Checkpoint, Contact, Crm, CrmExt, Record, ResourceKind, Task};

use crate::harness::HarnessError;

pub use cli::main;
pub use raw::{RawApi, RawAuth};

/// One run's parameters.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SoakConfig {
    /// Seeds the vendor's data, its latency jitter and the writers' choices.
    pub seed: u64,
    /// Seed records (contacts; tasks are about half as many).
    pub records: usize,
    /// Concurrent writers.
    pub writers: usize,
    /// Writes per writer.
    pub ops_per_writer: usize,
    /// Fixed latency of every vendor answer, in milliseconds.
    pub latency_ms: u64,
    /// Random extra latency, in milliseconds.
    pub jitter_ms: u64,
    /// Page size of the feeds' listings (where the adapter lets it be set).
    pub page_size: u32,
    /// Pause of each writer between two writes, in milliseconds (spreads the writes over many
    /// polls).
    pub pause_ms: u64,
}

impl SoakConfig {
    /// The CI configuration for `seed`.
    pub fn ci(seed: u64) -> Self {
        SoakConfig {
            seed,
            records: 40,
            writers: 3,
            ops_per_writer: 80,
            latency_ms: 10,
            jitter_ms: 15,
            page_size: 7,
            pause_ms: 25,
        }
    }
}

/// How far a replica is from the vendor.
#[derive(Debug, Clone, Default, Serialize, PartialEq, Eq)]
pub struct Diff {
    /// Records at the vendor.
    pub vendor: usize,
    /// Records in the replica.
    pub replica: usize,
    /// Same id, other content.
    pub stale: usize,
    /// At the vendor, not in the replica.
    pub missing: usize,
    /// In the replica, not at the vendor.
    pub ghost: usize,
}

impl Diff {
    /// Whether the replica equals the vendor.
    pub fn converged(&self) -> bool {
        self.stale == 0 && self.missing == 0 && self.ghost == 0
    }

    /// Compares a replica (raw payloads by id) with the vendor's records (raw payloads with
    /// their ids).
    pub fn between(vendor: &BTreeMap<String, Value>, replica: &BTreeMap<String, Value>) -> Diff {
        Diff {
            vendor: vendor.len(),
            replica: replica.len(),
            stale: vendor
                .iter()
                .filter(|(id, v)| replica.get(*id).is_some_and(|r| r != *v))
                .count(),
            missing: vendor
                .keys()
                .filter(|id| !replica.contains_key(*id))
                .count(),
            ghost: replica
                .keys()
                .filter(|id| !vendor.contains_key(*id))
                .count(),
        }
    }
}

/// One run's figures.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct Figures {
    /// The seed.
    pub seed: u64,
    /// Writes the vendor accepted.
    pub writes: u64,
    /// Writes it refused (e.g. an update of a record another writer had deleted).
    pub refused_writes: u64,
    /// Feed polls (contacts + tasks), the final ones included.
    pub polls: u64,
    /// Contacts.
    pub contacts: Diff,
    /// Tasks.
    pub tasks: Diff,
}

impl Figures {
    /// Whether both replicas equal the vendor.
    pub fn converged(&self) -> bool {
        self.contacts.converged() && self.tasks.converged()
    }

    /// Why the run does not prove convergence: too few writes (≤ 100) or polls (< 6), an
    /// empty vendor, or a replica that drifted. `None` when it does.
    pub fn problem(&self) -> Option<String> {
        if self.writes <= 100 {
            return Some(format!("only {} writes were accepted", self.writes));
        }
        if self.polls < 6 {
            return Some(format!("only {} polls ran during the writes", self.polls));
        }
        if self.contacts.vendor == 0 || self.tasks.vendor == 0 {
            return Some("the vendor holds no contacts or no tasks".into());
        }
        (!self.converged()).then(|| "the replicas drifted from the vendor".into())
    }
}

/// The two kinds the soak writes and polls.
pub const SOAK_KINDS: [ResourceKind; 2] = [ResourceKind::Contact, ResourceKind::Task];

/// The vendor side of the soak, implemented by an adapter over its simulator.
///
/// The writer methods act as another user of the CRM, through the vendor's raw API (never
/// through the adapter under test); `writer` (0-based, below [`SoakConfig::writers`]) picks
/// whose credentials. `kind` is one of [`SOAK_KINDS`]. A refused write is not an error: it
/// answers `None` / `false` and is counted.
#[async_trait]
pub trait SoakVendor: Send + Sync + Sized + 'static {
    /// Starts a fresh vendor seeded and slowed down as `config` says.
    async fn start(config: &SoakConfig) -> Result<Self, HarnessError>;

    /// A client of the adapter under test (listing the feeds at `config.page_size` where the
    /// adapter allows it).
    fn client(&self) -> Result<Arc<dyn Crm>, HarnessError>;

    /// Every record of `kind` the vendor holds now, as its raw payload (exactly what the
    /// adapter keeps in the record's `raw`), read through the raw API.
    async fn records(&self, kind: &ResourceKind) -> Result<Vec<Value>, HarnessError>;

    /// The id of a raw record of `kind`, as the adapter shows it (`Record::id` as text).
    fn id_of(&self, kind: &ResourceKind, record: &Value) -> String;

    /// Writer `writer` creates a record of `kind` carrying `tag`; its id, `None` if refused.
    async fn create(&self, writer: usize, kind: &ResourceKind, tag: &str) -> Option<String>;

    /// Writer `writer` changes a field of record `id` to `tag`; `false` if refused.
    async fn update(&self, writer: usize, kind: &ResourceKind, id: &str, tag: &str) -> bool;

    /// Writer `writer` deletes record `id`; `false` if refused.
    async fn delete(&self, writer: usize, kind: &ResourceKind, id: &str) -> bool;

    /// Normalises a replica's payload before the comparison, knowing the ids deleted during
    /// the run (for vendor behaviour no feed can see; the default keeps it as it is).
    fn normalize(&self, kind: &ResourceKind, replica: Value, deleted: &BTreeSet<String>) -> Value {
        let _ = (kind, deleted);
        replica
    }

    /// Stops the vendor.
    async fn shutdown(self);
}

fn herr(e: impl std::fmt::Display) -> HarnessError {
    HarnessError::new(e.to_string())
}

/// One poll of the feed of `R`: applies the changes to `replica`, returns the next checkpoint.
async fn poll<R: Record>(
    crm: &dyn Crm,
    cp: &Checkpoint,
    replica: &mut BTreeMap<String, Value>,
) -> Result<Checkpoint, HarnessError> {
    let set = crm
        .changes_since::<R>(cp)
        .await
        .map_err(|e| herr(format!("{} feed: {e}", R::KIND)))?;
    for change in set.changes {
        match change {
            Change::Upserted { record } => {
                let raw = serde_json::to_value(&record)
                    .ok()
                    .and_then(|mut v| v.get_mut("raw").map(Value::take))
                    .unwrap_or_default();
                replica.insert(record.id().to_string(), raw);
            }
            Change::Deleted { id, .. } => {
                replica.remove(&id.to_string());
            }
            _ => {}
        }
    }
    Ok(set.next)
}

/// Runs one seed on a fresh vendor (see the module docs) and returns its figures without
/// judging them.
pub async fn run<V: SoakVendor>(config: SoakConfig) -> Result<Figures, HarnessError> {
    let vendor = Arc::new(V::start(&config).await?);
    let result = run_on(vendor.clone(), config).await;
    if let Some(v) = Arc::into_inner(vendor) {
        v.shutdown().await;
    }
    result
}

async fn run_on<V: SoakVendor>(
    vendor: Arc<V>,
    config: SoakConfig,
) -> Result<Figures, HarnessError> {
    let mut pools = Vec::new();
    for kind in &SOAK_KINDS {
        let ids: Vec<String> = vendor
            .records(kind)
            .await?
            .iter()
            .map(|v| vendor.id_of(kind, v))
            .collect();
        pools.push(ids);
    }
    let crm = vendor.client()?;
    let shared = Arc::new(writer::Shared::new(pools));
    let handles: Vec<_> = (0..config.writers)
        .map(|w| {
            tokio::spawn(writer::write(
                vendor.clone(),
                shared.clone(),
                w,
                config.seed * 1000 + w as u64,
                config.ops_per_writer,
                std::time::Duration::from_millis(config.pause_ms),
            ))
        })
        .collect();
    let done = Arc::new(AtomicBool::new(false));
    let watcher = {
        let done = done.clone();
        tokio::spawn(async move {
            let mut failed = None;
            for h in handles {
                if let Err(e) = h.await {
                    failed = Some(herr(format!("a writer failed: {e}")));
                }
            }
            done.store(true, Ordering::SeqCst);
            failed.map_or(Ok(()), Err)
        })
    };

    let start = Checkpoint::at(chrono::DateTime::<chrono::Utc>::UNIX_EPOCH);
    let (mut cp_contacts, mut cp_tasks) = (start.clone(), start);
    let mut replica_contacts = BTreeMap::new();
    let mut replica_tasks = BTreeMap::new();
    let mut polls = 0u64;
    let polled = async {
        loop {
            // Read before polling: the poll after the writers are done is the final one.
            let finished = done.load(Ordering::SeqCst);
            cp_contacts =
                poll::<Contact>(crm.as_ref(), &cp_contacts, &mut replica_contacts).await?;
            cp_tasks = poll::<Task>(crm.as_ref(), &cp_tasks, &mut replica_tasks).await?;
            polls += 2;
            if finished {
                return Ok::<(), HarnessError>(());
            }
        }
    }
    .await;
    // Let the writers finish even when a poll failed, so the vendor can shut down.
    let written = watcher.await.map_err(herr)?;
    polled?;
    written?;

    let deleted = shared.deleted();
    let mut diffs = Vec::new();
    for (kind, replica) in SOAK_KINDS.iter().zip([&replica_contacts, &replica_tasks]) {
        let truth: BTreeMap<String, Value> = vendor
            .records(kind)
            .await?
            .into_iter()
            .map(|v| (vendor.id_of(kind, &v), v))
            .collect();
        let replica: BTreeMap<String, Value> = replica
            .iter()
            .map(|(id, v)| (id.clone(), vendor.normalize(kind, v.clone(), &deleted)))
            .collect();
        diffs.push(Diff::between(&truth, &replica));
    }
    let tasks = diffs.pop().unwrap_or_default();
    let contacts = diffs.pop().unwrap_or_default();
    let (writes, refused_writes) = shared.counts();
    Ok(Figures {
        seed: config.seed,
        writes,
        refused_writes,
        polls,
        contacts,
        tasks,
    })
}

/// Runs every seed of `seeds` with [`SoakConfig::ci`], prints each run's figures as a JSON
/// line, and panics unless every run exercised the feeds (more than 100 accepted writes, at
/// least 6 polls, contacts and tasks at the vendor) and converged (0 stale, 0 missing, 0 ghost
/// records of either kind).
pub async fn assert_converges<V: SoakVendor>(seeds: impl IntoIterator<Item = u64>) {
    for seed in seeds {
        let figures = match run::<V>(SoakConfig::ci(seed)).await {
            Ok(f) => f,
            Err(e) => panic!("seed {seed}: {e}"),
        };
        println!(
            "{}",
            serde_json::to_string(&figures).unwrap_or_else(|e| e.to_string())
        );
        if let Some(problem) = figures.problem() {
            panic!("seed {seed}: {problem}: {figures:?}");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn map(entries: &[(&str, Value)]) -> BTreeMap<String, Value> {
        entries
            .iter()
            .map(|(k, v)| (k.to_string(), v.clone()))
            .collect()
    }

    #[test]
    fn a_diff_counts_stale_missing_and_ghost_records() {
        let vendor = map(&[
            ("1", json!({"a": 1})),
            ("2", json!({"a": 2})),
            ("3", json!({"a": 3})),
        ]);
        let replica = map(&[
            ("1", json!({"a": 1})),
            ("2", json!({"a": 9})),
            ("4", json!({"a": 4})),
        ]);
        let d = Diff::between(&vendor, &replica);
        assert_eq!(
            d,
            Diff {
                vendor: 3,
                replica: 3,
                stale: 1,
                missing: 1,
                ghost: 1
            }
        );
        assert!(!d.converged());
        assert!(Diff::between(&vendor, &vendor).converged());
    }

    fn figures(writes: u64, polls: u64, contacts: Diff) -> Figures {
        Figures {
            seed: 1,
            writes,
            refused_writes: 0,
            polls,
            contacts,
            tasks: Diff {
                vendor: 2,
                replica: 2,
                ..Diff::default()
            },
        }
    }

    #[test]
    fn a_run_proves_convergence_only_when_it_exercised_the_feeds() {
        let fine = Diff {
            vendor: 5,
            replica: 5,
            ..Diff::default()
        };
        assert_eq!(figures(101, 6, fine.clone()).problem(), None);
        assert!(figures(100, 6, fine.clone()).problem().is_some());
        assert!(figures(101, 5, fine.clone()).problem().is_some());
        assert!(figures(101, 6, Diff::default()).problem().is_some());
        let ghost = Diff { ghost: 1, ..fine };
        let problem = figures(101, 6, ghost).problem();
        assert!(problem.is_some_and(|p| p.contains("drifted")));
    }
}
