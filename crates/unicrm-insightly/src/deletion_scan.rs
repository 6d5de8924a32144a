//! Deletion scans and their cadence (docs/vendors/insightly-v3.1.md, "Search endpoints" and
//! "Rate limits"): Insightly has no tombstones, so deletions come from a full `brief=true` id
//! scan, which costs `ceil(records / 500)` requests. The scan runs on its own cadence,
//! separate from upsert polling, so an idle upsert poll costs one request.
//!
//! **Cadence.** The scans of one feed may spend a share of the daily quota
//! ([`DeletionScanPolicy::share`], default 10 %: safe on the smallest plan, Free,
//! 1,000 requests a day). With `Q` the daily quota as the responses report it
//! (`X-RateLimit-Limit`; the Free plan's 1,000 until a response says otherwise), `s` the
//! share and `c` the measured cost of the last scan (its requests: pages plus read-backs),
//! the next scan is due `c × 86,400 s / (Q × s)` after the last one, and never sooner than
//! [`DeletionScanPolicy::min_interval`]. The last scan's time and cost travel in the
//! checkpoint state, so the cadence survives restarts. The share is per feed: a caller
//! polling several feeds on one instance divides the share it wants among them.
//!
//! **Memory.** The scan's id set is the one O(records) piece of the feed: the ids are
//! collected page by page (never the raw records) into a sorted set, and stored in the
//! checkpoint as ranges (`"1001-1240,1300"`), which for Insightly's mostly consecutive ids is
//! a few bytes per run of ids.
//!
//! **Reporting.** Each scan emits a `tracing` event (target `unicrm_insightly::deletion_scan`,
//! at info level) and updates [`DeletionScanStats`], read with
//! [`crate::InsightlyClient::deletion_scan_stats`].

use std::collections::BTreeSet;
use std::sync::Mutex;
use std::time::Duration;

use chrono::{DateTime, Utc};
use futures::TryStreamExt;
use serde::{Deserialize, Serialize};
use unicrm_core::{Error, ListParams, Result};

use crate::paging::{self, Listing};
use crate::resources::{ObjectResource, ObjectSpec};

/// The daily quota of the smallest plan (Free), assumed until a response reports one.
pub const SMALLEST_DAILY_QUOTA: u64 = 1_000;

/// The default share of the daily quota one feed's deletion scans may use.
pub const DEFAULT_SHARE: f64 = 0.10;

/// When deletion scans run.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct DeletionScanPolicy {
    /// The share of the daily quota the scans of one feed may use (0 < share ≤ 1).
    pub share: f64,
    /// The shortest time between two scans, whatever the budget allows.
    pub min_interval: Duration,
    /// Scan on every call (the cost of every poll is then that of a scan).
    pub every_call: bool,
}

impl Default for DeletionScanPolicy {
    fn default() -> Self {
        DeletionScanPolicy {
            share: DEFAULT_SHARE,
            min_interval: Duration::ZERO,
            every_call: false,
        }
    }
}

/// Checks a share given by a caller: a number in (0, 1].
pub fn check_share(share: f64) -> Result<f64> {
    if share.is_finite() && share > 0.0 && share <= 1.0 {
        Ok(share)
    } else {
        Err(Error::config(format!(
            "the Insightly deletion scan share must be a fraction in (0, 1], e.g. 0.1 for 10 % \
             of the daily quota; got {share}"
        )))
    }
}

/// What the checkpoint remembers of the last scan.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq)]
pub struct LastScan {
    /// When it ran (the client's clock).
    pub at: DateTime<Utc>,
    /// Its cost in requests (pages plus read-backs).
    pub requests: u64,
}

impl DeletionScanPolicy {
    /// The time between two scans that cost `requests` each, on a daily quota of `quota`
    /// (the smallest plan's when unknown).
    pub fn interval(&self, quota: Option<u64>, requests: u64) -> Duration {
        let quota = quota.filter(|q| *q > 0).unwrap_or(SMALLEST_DAILY_QUOTA) as f64;
        let budget = quota * self.share.clamp(f64::MIN_POSITIVE, 1.0);
        let secs = requests as f64 * 86_400.0 / budget;
        let by_budget = Duration::try_from_secs_f64(secs).unwrap_or(Duration::MAX);
        by_budget.max(self.min_interval)
    }

    /// When the scan after `last` is due.
    pub fn next_due(&self, last: &LastScan, quota: Option<u64>) -> DateTime<Utc> {
        let wait = chrono::Duration::from_std(self.interval(quota, last.requests))
            .unwrap_or(chrono::Duration::MAX);
        last.at
            .checked_add_signed(wait)
            .unwrap_or(DateTime::<Utc>::MAX_UTC)
    }

    /// Whether a scan is due at `now`: always without a previous scan (the baseline).
    pub fn due(&self, last: Option<&LastScan>, now: DateTime<Utc>, quota: Option<u64>) -> bool {
        match last {
            None => true,
            Some(_) if self.every_call => true,
            Some(l) => now >= self.next_due(l, quota),
        }
    }
}

/// One scan, as reported.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct DeletionScanReport {
    /// The Insightly object scanned (`Contacts`, `Organisations`, …).
    pub object: &'static str,
    /// When it ran (the client's clock).
    pub at: DateTime<Utc>,
    /// Brief listing pages read.
    pub pages: u64,
    /// Candidates read back (`GET /{Obj}/{id}`).
    pub read_backs: u64,
    /// Requests in all: pages plus read-backs.
    pub requests: u64,
    /// Ids present after the scan.
    pub ids: u64,
    /// Deletions confirmed.
    pub deleted: u64,
    /// When the next scan of this feed is due.
    pub next_due: DateTime<Utc>,
}

/// The deletion scans of a client so far.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct DeletionScanStats {
    /// Scans run.
    pub scans: u64,
    /// Feed calls that ended without a scan (not due).
    pub skipped: u64,
    /// Requests spent on scans in all.
    pub requests: u64,
    /// The last scan.
    pub last: Option<DeletionScanReport>,
}

/// The client's running [`DeletionScanStats`].
#[derive(Debug, Default)]
pub(crate) struct ScanCounter(Mutex<DeletionScanStats>);

impl ScanCounter {
    pub(crate) fn snapshot(&self) -> DeletionScanStats {
        self.0.lock().map(|s| s.clone()).unwrap_or_default()
    }
    pub(crate) fn skipped(&self) {
        if let Ok(mut s) = self.0.lock() {
            s.skipped += 1;
        }
    }
    pub(crate) fn record(&self, report: DeletionScanReport) {
        tracing::info!(
            target: "unicrm_insightly::deletion_scan",
            object = report.object,
            pages = report.pages,
            read_backs = report.read_backs,
            requests = report.requests,
            ids = report.ids,
            deleted = report.deleted,
            next_due = %report.next_due,
            "insightly deletion scan"
        );
        if let Ok(mut s) = self.0.lock() {
            s.scans += 1;
            s.requests += report.requests;
            s.last = Some(report);
        }
    }
}

/// What a scan found.
#[derive(Debug, Default)]
pub(crate) struct ScanResult {
    /// Every id known to exist: the scan plus the candidates that answered.
    pub present: BTreeSet<u64>,
    /// The candidates confirmed gone.
    pub gone: BTreeSet<u64>,
    /// Pages read.
    pub pages: u64,
    /// Candidates read back.
    pub read_backs: u64,
}

/// Scans every id (`brief=true`, page by page: only the ids are kept), then reads back each
/// id of `known` the scan missed: a 404 (or 403: no longer visible to this key) is a
/// deletion; a record that answers stays. Offset paging skips records under concurrent
/// deletes, so a missing id is only a candidate.
pub(crate) async fn scan<S: ObjectSpec>(
    res: &ObjectResource<S>,
    known: &BTreeSet<u64>,
) -> Result<ScanResult> {
    let listing = std::sync::Arc::new(Listing {
        brief: true,
        ..Listing::new(S::PATH)
    });
    let mut pages = paging::stream_pages(&res.shared, listing, &ListParams::new());
    let mut out = ScanResult::default();
    let mut offset = 0usize;
    while let Some(page) = pages.try_next().await? {
        out.pages += 1;
        for (j, raw) in page.items.iter().enumerate() {
            let at = offset + j;
            let m: serde_json::Map<String, serde_json::Value> =
                crate::wire::decode_at(raw.get(), &format!("[{at}]"))?;
            match m.get(S::ID_KEY).and_then(serde_json::Value::as_u64) {
                Some(id) => {
                    out.present.insert(id);
                }
                None => {
                    return Err(Error::decode(
                        format!("[{at}].{}", S::ID_KEY),
                        "missing or not an integer id",
                    ));
                }
            }
        }
        offset += page.items.len();
    }
    let candidates: Vec<u64> = known.difference(&out.present).copied().collect();
    for id in candidates {
        out.read_backs += 1;
        match res.shared.get_object(&format!("{}/{id}", S::PATH)).await {
            Ok(_) => {
                out.present.insert(id);
            }
            Err(e) if e.is_not_found() || e.status() == Some(403) => {
                out.gone.insert(id);
            }
            Err(e) => return Err(e),
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(s: i64) -> DateTime<Utc> {
        DateTime::<Utc>::from_timestamp(1_700_000_000 + s, 0).unwrap()
    }

    #[test]
    fn the_interval_spends_the_share_of_the_quota() {
        let p = DeletionScanPolicy::default();
        // 20 requests on 1,000 a day at 10 %: 100 a day, so five scans, every 4.8 h.
        assert_eq!(p.interval(Some(1_000), 20), Duration::from_secs(17_280));
        // Unknown quota: the smallest plan's.
        assert_eq!(p.interval(None, 20), Duration::from_secs(17_280));
        assert_eq!(p.interval(Some(0), 20), Duration::from_secs(17_280));
        // Enterprise, 100,000 a day: 10,000 for scans, 200 pages each: every 1,728 s.
        assert_eq!(p.interval(Some(100_000), 200), Duration::from_secs(1_728));
        let half = DeletionScanPolicy { share: 0.5, ..p };
        assert_eq!(half.interval(Some(1_000), 20), Duration::from_secs(3_456));
        let floor = DeletionScanPolicy {
            min_interval: Duration::from_secs(20_000),
            ..p
        };
        assert_eq!(floor.interval(Some(1_000), 20), Duration::from_secs(20_000));
        assert_eq!(
            floor.interval(Some(100_000), 20),
            Duration::from_secs(20_000)
        );
    }

    #[test]
    fn due_only_once_the_interval_has_passed() {
        let p = DeletionScanPolicy::default();
        let last = LastScan {
            at: t(0),
            requests: 20,
        };
        assert!(p.due(None, t(0), None), "baseline");
        assert!(!p.due(Some(&last), t(17_279), Some(1_000)));
        assert!(p.due(Some(&last), t(17_280), Some(1_000)));
        assert_eq!(p.next_due(&last, Some(1_000)), t(17_280));
        let always = DeletionScanPolicy {
            every_call: true,
            ..p
        };
        assert!(always.due(Some(&last), t(1), Some(1_000)));
    }

    #[test]
    fn shares() {
        assert_eq!(check_share(0.1).unwrap(), 0.1);
        assert_eq!(check_share(1.0).unwrap(), 1.0);
        assert!(check_share(0.0).is_err());
        assert!(check_share(1.5).is_err());
        assert!(check_share(f64::NAN).is_err());
        assert!(check_share(-0.1).is_err());
    }
}
