//! The sync figures of issue #16: lag and target requests per mirrored change of a Capsule →
//! Insightly mirror (`unicrm sync --interval`, run in-process) with both simulators at the
//! vendors' real limits (Capsule 4,000 requests per hour, Insightly 10 requests per second).
//!
//! A writer edits source people (one a second; every fourth second it also creates one, and
//! every eighth deletes one it created) while sync cycles run every [`INTERVAL`]. A watcher
//! reads the target (its contact list, every [`WATCH_EVERY`]) and notes when each edit or
//! create shows there: lag is measured by reading the target, with the watcher's period as
//! its resolution. The watcher's requests count against the target's limit too, so the
//! mirror's client paces at 10 − 2 = 8 requests per second and the watcher at 2.
//!
//! `sync_requests_per_change` counts only the mirror's requests to the target (its target
//! client's own count of what it sent, checked against the simulator's count less the
//! watcher's) over the changes it wrote there (creates, updates, deletions) after the first
//! cycle.

use std::collections::HashMap;
use std::num::NonZeroU32;
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use unicrm_cli::migrate::mirror::Deletes;
use unicrm_cli::migrate::{Migrator, Options, state::State};
use unicrm_core::{Contact, ContactPatch, Crm, CrmExt, ListParams, NewContact, Patch};
use unicrm_insightly::InsightlyClient;
use unicrm_sim::{
    CapsuleSim, CapsuleSimOptions, InsightlySim, InsightlySimHandle, InsightlySimOptions,
    SeedOptions,
};

use crate::emit;
use crate::figures::s;

type R<T> = Result<T, String>;

/// Time between the starts of two sync cycles.
const INTERVAL: Duration = Duration::from_secs(5);
/// How long the writer edits the source.
const WRITING: Duration = Duration::from_secs(60);
/// How often the watcher reads the target.
const WATCH_EVERY: Duration = Duration::from_millis(500);
/// How long the watcher waits, after the last write, for the rest to show.
const DRAIN: Duration = Duration::from_secs(30);
/// The target's real per-second limit, and the watcher's share of it.
const TARGET_RPS: u32 = 10;
const WATCHER_RPS: u32 = 2;

fn insightly(h: &InsightlySimHandle, rps: u32) -> R<InsightlyClient> {
    InsightlyClient::builder()
        .base_url(h.base_url.as_str())
        .api_key(h.api_key.clone())
        .requests_per_second(NonZeroU32::new(rps).ok_or("rps must be > 0")?)
        .build()
        .map_err(s)
}

/// The value at the quantile `q` (0..=1) of sorted `v` (nearest rank).
fn quantile(v: &[f64], q: f64) -> f64 {
    if v.is_empty() {
        return f64::NAN;
    }
    let rank = ((q * v.len() as f64).ceil() as usize).clamp(1, v.len());
    v[rank - 1]
}

/// What the writer wrote and the watcher has not seen in the target yet: a marker (a job
/// title or a first name) → when it was written.
#[derive(Default)]
struct Pending {
    written: HashMap<String, Instant>,
    lags: Vec<f64>,
}

/// `sync_lag_p50`, `sync_lag_p99`, `sync_requests_per_change`.
pub async fn sync_lag() -> R<()> {
    let capsule = CapsuleSim::start(CapsuleSimOptions {
        seed: SeedOptions {
            seed: 9,
            records: 20,
        },
        ..Default::default()
    })
    .await
    .map_err(s)?;
    let target_sim = InsightlySim::start(InsightlySimOptions {
        seed: SeedOptions {
            seed: 9,
            records: 0,
        },
        requests_per_second: TARGET_RPS,
        ..Default::default()
    })
    .await
    .map_err(s)?;
    let source = unicrm_capsule::CapsuleClient::builder()
        .base_url(capsule.base_url.as_str())
        .personal_access_token(capsule.token.clone())
        .build()
        .map_err(s)?;
    let target = insightly(&target_sim, TARGET_RPS - WATCHER_RPS)?;
    let watcher = insightly(&target_sim, WATCHER_RPS)?;
    let dir = tempfile::tempdir().map_err(s)?;
    let state = State::open(&dir.path().join("sync.sqlite"), false).map_err(|e| e.message)?;
    let mut migrator = Migrator::new(&source, &target, state, Options::default());
    let never = AtomicBool::new(false);
    // The first cycle mirrors everything; the figures are of the cycles after it.
    migrator
        .sync_cycle(1, Deletes::Propagate, &never)
        .await
        .map_err(|e| e.message)?;
    let people: Vec<Contact> = source.list_all(ListParams::new()).await.map_err(s)?;
    if people.is_empty() {
        return Err("no people at the source".into());
    }
    let before = target_sim.stats();
    let (target_before, watcher_before) = (target.stats().requests, watcher.stats().requests);
    let pending = Mutex::new(Pending::default());
    let (writing_done, finished) = (AtomicBool::new(false), AtomicBool::new(false));
    let (mut mirrored, mut unchanged, mut cycles) = (0u64, 0u64, 0u64);

    let sync_loop = async {
        let mut n = 1;
        while !finished.load(Ordering::SeqCst) {
            let started = tokio::time::Instant::now();
            n += 1;
            let c = migrator
                .sync_cycle(n, Deletes::Propagate, &never)
                .await
                .map_err(|e| e.message)?;
            mirrored += c.upserted + c.deleted;
            unchanged += c.unchanged;
            cycles += 1;
            tokio::time::sleep_until(started + INTERVAL).await;
        }
        Ok::<(), String>(())
    };
    let writer = async {
        let result = async {
            let t0 = Instant::now();
            let mut created = Vec::new();
            let mut k = 0usize;
            let mut tick = tokio::time::interval(Duration::from_secs(1));
            while t0.elapsed() < WRITING {
                tick.tick().await;
                k += 1;
                let who = &people[k % people.len()];
                let title = format!("edit-{k}");
                let patch = ContactPatch {
                    job_title: Patch::Set(title.clone()),
                    ..Default::default()
                };
                source.contacts().update(&who.id, &patch).await.map_err(s)?;
                lock(&pending).written.insert(title, Instant::now());
                if k % 4 == 0 {
                    let name = format!("new-{k}");
                    let new = NewContact {
                        first_name: Some(name.clone()),
                        last_name: Some("Synced".into()),
                        ..Default::default()
                    };
                    let c = source.contacts().create(&new).await.map_err(s)?;
                    lock(&pending).written.insert(name, Instant::now());
                    created.push(c.id);
                }
                if k % 8 == 0 && !created.is_empty() {
                    let id = created.remove(0);
                    source.contacts().delete(&id).await.map_err(s)?;
                }
            }
            Ok::<(), String>(())
        }
        .await;
        writing_done.store(true, Ordering::SeqCst);
        result
    };
    let watch = async {
        let result = async {
            let mut drained_at: Option<Instant> = None;
            loop {
                tokio::time::sleep(WATCH_EVERY).await;
                let listed: Vec<Contact> = watcher.list_all(ListParams::new()).await.map_err(s)?;
                let now = Instant::now();
                {
                    let mut p = lock(&pending);
                    for c in &listed {
                        for marker in [c.job_title.as_deref(), c.first_name.as_deref()]
                            .into_iter()
                            .flatten()
                        {
                            if let Some(t) = p.written.remove(marker) {
                                p.lags.push((now - t).as_secs_f64());
                            }
                        }
                    }
                    // An edit overwritten by a later one before a cycle read it never shows.
                    if writing_done.load(Ordering::SeqCst) && p.written.is_empty() {
                        break;
                    }
                }
                if writing_done.load(Ordering::SeqCst) {
                    let at = *drained_at.get_or_insert(now);
                    if now - at > DRAIN {
                        break;
                    }
                }
            }
            Ok::<(), String>(())
        }
        .await;
        finished.store(true, Ordering::SeqCst);
        result
    };
    let (a, b, c) = tokio::join!(sync_loop, writer, watch);
    a?;
    b?;
    c?;
    let after = target_sim.stats();
    // Where the target's requests went (stderr; the figures are on stdout).
    for (path, n) in &after.per_path {
        let n = n - before.per_path.get(path).copied().unwrap_or(0);
        if n > 0 {
            eprintln!("unicrm-bench: sync target {path}: {n}");
        }
    }
    let (mut lags, unseen) = {
        let p = lock(&pending);
        (p.lags.clone(), p.written.len())
    };
    lags.sort_by(f64::total_cmp);
    let secs = INTERVAL.as_secs_f64();
    emit(
        "sync_lag_p50",
        quantile(&lags, 0.5),
        "s",
        secs,
        "<= 1 (one cycle interval)",
    );
    emit(
        "sync_lag_p99",
        quantile(&lags, 0.99),
        "s",
        secs,
        "<= 2 (two cycle intervals)",
    );
    emit(
        "sync_lag.samples",
        lags.len() as f64,
        "changes",
        (lags.len() + unseen) as f64,
        "(reference: changes seen in the target / written)",
    );
    // The mirror's own target client counts what it sent (every attempt); the simulator's
    // count less the watcher's client's must agree with it.
    let requests = target.stats().requests - target_before;
    let watcher_requests = watcher.stats().requests - watcher_before;
    let seen_by_target = (after.requests - before.requests).saturating_sub(watcher_requests);
    if seen_by_target != requests {
        eprintln!(
            "unicrm-bench: sync target saw {seen_by_target} mirror requests, the client counted {requests}"
        );
    }
    emit(
        "sync_requests_per_change",
        requests as f64 / mirrored.max(1) as f64,
        "requests/change",
        1.0,
        "<= 1.1",
    );
    emit(
        "sync_requests_per_change.mirrored",
        mirrored as f64,
        "changes",
        (mirrored + unchanged) as f64,
        "(reference: changes written / changes read, over the cycles)",
    );
    emit(
        "sync_requests_per_change.cycles",
        cycles as f64,
        "cycles",
        cycles as f64,
        "(reference: sync cycles after the first)",
    );
    emit(
        "sync_lag.target_429s",
        (after.rate_limited - before.rate_limited) as f64,
        "responses",
        0.0,
        "== 0",
    );
    capsule.shutdown().await;
    target_sim.shutdown().await;
    Ok(())
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

#[cfg(test)]
mod tests {
    use super::quantile;

    #[test]
    fn quantiles_are_nearest_rank() {
        let v: Vec<f64> = (1..=100).map(f64::from).collect();
        assert_eq!(quantile(&v, 0.5), 50.0);
        assert_eq!(quantile(&v, 0.99), 99.0);
        assert_eq!(quantile(&v[..1], 0.99), 1.0);
        assert!(quantile(&[], 0.5).is_nan());
    }
}
