//! `sync_idle_poll_requests` (issue #16, Measure): what keeping an Insightly copy current
//! costs when nothing changes, per 10,000 contacts: requests per idle upsert poll (bound 1:
//! one search page) and per deletion scan (bound ceil(10,000 / 500) = 20 brief pages). The
//! scan's cadence runs on an injected clock, moved by hand past the next due time.

use std::num::NonZeroU32;
use std::sync::Arc;
use std::time::Duration;

use chrono::{TimeZone, Utc};
use unicrm_core::time::ManualClock;
use unicrm_core::{Checkpoint, Crm};
use unicrm_insightly::InsightlyClient;
use unicrm_sim::{InsightlySim, InsightlySimOptions, SeedOptions};

use crate::emit;
use crate::figures::s;

type R<T> = Result<T, String>;

/// Records the figure is measured over.
const N: usize = 10_000;

pub async fn sync_idle_poll_requests() -> R<()> {
    let sim = InsightlySim::start(InsightlySimOptions {
        seed: SeedOptions {
            seed: 16,
            records: N,
        },
        requests_per_second: 0,
        daily_quota: 10_000_000,
        ..Default::default()
    })
    .await
    .map_err(s)?;
    let clock = ManualClock::new(
        Utc.with_ymd_and_hms(2026, 6, 1, 8, 0, 0)
            .single()
            .unwrap_or_default(),
    );
    let client = InsightlyClient::builder()
        .base_url(sim.base_url.as_str())
        .api_key(sim.api_key.clone())
        .requests_per_second(NonZeroU32::new(1_000).ok_or("rps")?)
        .clock(Arc::new(clock.clone()))
        .build()
        .map_err(s)?;
    let contacts = client.contacts();
    // The baseline: every contact, and the first scan.
    let base = contacts
        .changes_since(&Checkpoint::at(chrono::DateTime::UNIX_EPOCH))
        .await
        .map_err(s)?;
    let records = base.changes.len();
    // An idle upsert poll, the scan not due.
    sim.reset_stats();
    let idle = contacts.changes_since(&base.next).await.map_err(s)?;
    let idle_requests = sim.stats().requests as f64;
    emit(
        "sync_idle_poll_requests",
        idle_requests,
        "requests",
        1.0,
        "<= 1.0",
    );
    // A day later the scan is due: its cost as the client reports it.
    clock.advance(Duration::from_secs(86_400));
    contacts.changes_since(&idle.next).await.map_err(s)?;
    let scan = client
        .deletion_scan_stats()
        .last
        .ok_or("no deletion scan ran")?;
    let per_10k = scan.requests as f64 * 10_000.0 / records.max(1) as f64;
    emit(
        "sync_idle_poll_requests.deletion_scan",
        per_10k,
        "requests",
        10_000usize.div_ceil(500) as f64,
        "<= 1.0",
    );
    sim.shutdown().await;
    Ok(())
}
