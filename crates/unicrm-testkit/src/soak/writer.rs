//! The soak's writers: other users creating, updating and deleting through the raw API.

use std::collections::BTreeSet;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use super::{SOAK_KINDS, SoakVendor};

/// A small deterministic generator (xorshift64*), one per writer.
struct Rng(u64);

impl Rng {
    fn new(seed: u64) -> Self {
        Rng(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1)
    }

    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

/// What the writers share: the live ids per kind (in [`SOAK_KINDS`] order), the ids they
/// deleted, and their counters.
pub(super) struct Shared {
    pools: Vec<Mutex<Vec<String>>>,
    deleted: Mutex<BTreeSet<String>>,
    writes: AtomicU64,
    refused: AtomicU64,
}

impl Shared {
    pub(super) fn new(pools: Vec<Vec<String>>) -> Self {
        Shared {
            pools: pools.into_iter().map(Mutex::new).collect(),
            deleted: Mutex::new(BTreeSet::new()),
            writes: AtomicU64::new(0),
            refused: AtomicU64::new(0),
        }
    }

    /// The ids deleted by the writers.
    pub(super) fn deleted(&self) -> BTreeSet<String> {
        lock(&self.deleted).clone()
    }

    /// (accepted, refused) writes.
    pub(super) fn counts(&self) -> (u64, u64) {
        (
            self.writes.load(Ordering::Relaxed),
            self.refused.load(Ordering::Relaxed),
        )
    }

    fn pick(&self, pool: usize, rng: &mut Rng, remove: bool) -> Option<String> {
        let mut p = lock(self.pools.get(pool)?);
        if p.is_empty() {
            return None;
        }
        let i = rng.below(p.len());
        Some(if remove {
            p.swap_remove(i)
        } else {
            p[i].clone()
        })
    }

    fn count(&self, accepted: bool) {
        let counter = if accepted {
            &self.writes
        } else {
            &self.refused
        };
        counter.fetch_add(1, Ordering::Relaxed);
    }
}

/// Writer `w`: `ops` writes, 65 % on contacts and 35 % on tasks; of those 20 % creates, 15 %
/// deletes and 65 % updates, chosen by `seed`.
pub(super) async fn write<V: SoakVendor>(
    vendor: Arc<V>,
    shared: Arc<Shared>,
    w: usize,
    seed: u64,
    ops: usize,
    pause: Duration,
) {
    let mut rng = Rng::new(seed);
    for n in 0..ops {
        tokio::time::sleep(pause).await;
        let tag = format!("{seed}-{n}");
        let pool = usize::from(rng.below(100) >= 65);
        let kind = &SOAK_KINDS[pool];
        let r = rng.below(100);
        if r < 20 {
            let id = vendor.create(w, kind, &tag).await;
            shared.count(id.is_some());
            if let (Some(id), Some(p)) = (id, shared.pools.get(pool)) {
                lock(p).push(id);
            }
        } else if r < 35 {
            if let Some(id) = shared.pick(pool, &mut rng, true) {
                let ok = vendor.delete(w, kind, &id).await;
                shared.count(ok);
                if ok {
                    lock(&shared.deleted).insert(id);
                }
            }
        } else if let Some(id) = shared.pick(pool, &mut rng, false) {
            let ok = vendor.update(w, kind, &id, &tag).await;
            shared.count(ok);
        }
    }
}
