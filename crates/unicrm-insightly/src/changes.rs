//! The change feed (docs/vendors/insightly-v3.1.md, "Search endpoints"): upserts since a
//! checkpoint, and deletions, as a stream of batches (`Resource::change_stream`), each with
//! the checkpoint that resumes after it; `changes_since` is that stream collected.
//!
//! **Upserts** come from `GET /{Obj}/Search?updated_after_utc=…` (full records), read page
//! after page (`top` = 500 unless `change_page_size` says otherwise), `count_total=true` on
//! each page: a short page ends the listing only when the total agrees. The filter is
//! *exclusive* and has *one-second* resolution, so the feed asks from one second before the
//! checkpoint's whole second. **One batch per page.** A batch's checkpoint keeps `at` where
//! the listing started and the listing in progress in its state ([`Window`]: the next
//! `skip`, the first page's `Date`, the last total): a stream started from it reads the next
//! page of the same window. Only the batch that ends the listing moves `at`, to what the
//! listing read in one go would have given.
//!
//! *The next checkpoint comes from the vendor's clock*, never ours: the `Date` header of the
//! listing's first response (T₀, as of the start of the listing), minus the listing's duration
//! on the same clock (the last page's `Date` − T₀) and minus the timestamp precision (1 s);
//! never behind the current checkpoint. Any update that landed while the listing ran has a
//! `DATE_UPDATED_UTC` at or after T₀ − 1 s and is listed again by the next call. Without a
//! `Date` header the checkpoint does not move (safe, and de-duplicated).
//!
//! *De-duplication across the overlap*: the checkpoint state keeps, for every record reported
//! with a `DATE_UPDATED_UTC` inside the next call's window, that time and a fingerprint of its
//! content (FNV-1a of the unified record's JSON). A record listed again with the same time
//! **and** content is not reported again; a second change within the same vendor second
//! (same time, new content) is. A version older than the one reported is not reported.
//! While a listing is in progress the window's own reports are kept likewise (those a
//! listing ending now would keep), so a resume repeats as little as it can; a repeat is
//! allowed, a loss is not.
//!
//! **Deletions**: Insightly has no tombstones. When a scan is due ([`crate::deletion_scan`]:
//! its own cadence, on a share of the daily quota), the stream lists every id with
//! `brief=true` at `top=500` — the cheapest possible listing — and compares it with the id set
//! stored in the checkpoint (compact ranges, `"1001-1240,1300"`): every id of the last scan
//! and every id reported since. An id missing from that scan is only a *candidate*: offset
//! paging skips records under concurrent deletes. Each candidate is read
//! (`GET /{Obj}/{id}`; Insightly has no multi-get): a 404 (or 403: no longer visible to this
//! key) is a deletion; a record that answers stays in the set. The deletions are a batch of
//! their own, after the upserts. The first call (a checkpoint without state) records the
//! baseline and reports no deletions of ids it never saw. The id set is the one O(records)
//! piece of the feed's memory and state.
//!
//! *Offset paging under concurrent deletes*: a deletion shifts the later pages of the upsert
//! listing back by one, so a record at a page boundary can be skipped — only when a record
//! already read on a page before the last is deleted before the listing ends (the listing is
//! ordered by id in practice: "Paging, counting and brief"). The checkpoint is **held** where
//! it was (the next call lists the same window again, de-duplicated) when the listing's total
//! drops between two pages (a record left the window: deleted) and, when a scan runs, when
//! it confirms the deletion of a record read on a page before the last (of any record, when
//! the listing was resumed and its earlier pages are not known).
//!
//! **Cost per call**: `ceil(changed / 500)` search requests (at least 1), plus, when a scan
//! is due, `ceil(total / 500)` brief id-scan requests and one read per deletion candidate,
//! plus one custom field definitions request per five minutes (for leads also
//! `/LeadStatuses` and `/LeadSources`, for the labels). An idle poll between scans costs 1
//! request; for 10,000 contacts a scan costs 20.

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::sync::Arc;

use chrono::{DateTime, Duration, Utc};
use futures::{StreamExt, stream};
use serde::{Deserialize, Serialize};
use unicrm_core::page::DEFAULT_MAX_PAGES;
use unicrm_core::{Change, ChangeSet, ChangeStream, Checkpoint, Error, Record, Result};

use crate::deletion_scan::{self, DeletionScanReport, LastScan};
use crate::mapping::dates;
use crate::paging::{self, Listing};
use crate::resources::{ObjectResource, ObjectSpec, since_query};

/// The vendor's timestamp precision (whole seconds).
pub const PRECISION: Duration = Duration::seconds(1);

/// What the checkpoint's `state` holds.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
pub struct FeedState {
    /// Format version (3; version 2 had no `window` nor `last_scan`, version 1 kept
    /// `boundary` pairs instead of `seen`).
    pub v: u32,
    /// Every id present at the last scan and every id reported since, as ranges (`"1-5,9"`).
    pub ids: String,
    /// id → (`DATE_UPDATED_UTC`, fingerprint) of the upserts reported inside the window of
    /// the next listing (as of the last finished listing).
    #[serde(default)]
    pub seen: BTreeMap<u64, (DateTime<Utc>, u64)>,
    /// The upsert listing in progress, when the checkpoint is from mid-way.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub window: Option<Window>,
    /// The last deletion scan: when, and what it cost.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_scan: Option<LastScan>,
}

/// An upsert listing in progress (see the module docs).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Window {
    /// The checkpoint time the listing started from (its `updated_after_utc` is
    /// one second before this time's whole second).
    pub since: DateTime<Utc>,
    /// The `skip` of the next page.
    pub skip: u64,
    /// `Date` of the listing's first response.
    #[serde(default)]
    pub first_date: Option<DateTime<Utc>>,
    /// `Date` of its latest response.
    #[serde(default)]
    pub last_date: Option<DateTime<Utc>>,
    /// The total its latest page reported.
    #[serde(default)]
    pub total: Option<u64>,
    /// Whether the checkpoint must stay at `since` when the listing ends.
    #[serde(default)]
    pub hold: bool,
    /// The window's own reports a listing ending now would keep (as `FeedState::seen`).
    #[serde(default)]
    pub seen: BTreeMap<u64, (DateTime<Utc>, u64)>,
    /// Whether the listing is read and the deletion scan comes next (the checkpoint of the
    /// listing's last batch when a scan is due): a stream resumed from it scans at once,
    /// without reading the listing's end again.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub listed: bool,
}

impl Window {
    /// A listing starting from `since`.
    pub fn new(since: DateTime<Utc>) -> Self {
        Window {
            since,
            skip: 0,
            first_date: None,
            last_date: None,
            total: None,
            hold: false,
            seen: BTreeMap::new(),
            listed: false,
        }
    }

    /// Takes in a page's `Date` and total: a total lower than the last one means a record
    /// left the window while it was listed (a deletion), so the checkpoint is held.
    pub fn observe(&mut self, date: Option<DateTime<Utc>>, total: Option<u64>) {
        if self.first_date.is_none() {
            self.first_date = date;
        }
        if date.is_some() {
            self.last_date = date;
        }
        if let (Some(before), Some(now)) = (self.total, total)
            && now < before
        {
            self.hold = true;
        }
        if total.is_some() {
            self.total = total;
        }
    }

    /// The checkpoint the listing gives if it ends now (held or not).
    pub fn end_at(&self, hold: bool) -> DateTime<Utc> {
        next_at(
            self.since,
            self.first_date,
            self.last_date,
            self.hold || hold,
        )
    }
}

/// The content fingerprint used to de-duplicate re-read records (core's, FNV-1a of the JSON).
pub use unicrm_core::change::fingerprint;

/// The next checkpoint (see the module docs): core's [`unicrm_core::change::next_checkpoint`]
/// with this vendor's timestamp [`PRECISION`].
pub fn next_at(
    prev: DateTime<Utc>,
    first: Option<DateTime<Utc>>,
    last: Option<DateTime<Utc>>,
    hold: bool,
) -> DateTime<Utc> {
    unicrm_core::change::next_checkpoint(prev, first, last, hold, PRECISION)
}

/// Encodes a sorted id set as ranges: `1,2,3,5` → `"1-3,5"`.
pub fn encode_ids(ids: &BTreeSet<u64>) -> String {
    let mut out: Vec<String> = Vec::new();
    let mut it = ids.iter().copied().peekable();
    while let Some(start) = it.next() {
        let mut end = start;
        while it.peek() == Some(&(end.wrapping_add(1))) && end != u64::MAX {
            end += 1;
            it.next();
        }
        out.push(if start == end {
            start.to_string()
        } else {
            format!("{start}-{end}")
        });
    }
    out.join(",")
}

/// Decodes [`encode_ids`] text. Ranges are capped so a corrupt state cannot exhaust memory.
pub fn decode_ids(s: &str) -> Result<BTreeSet<u64>> {
    let bad = || {
        Error::config(format!(
            "the change-feed checkpoint has an invalid id set: {s:.40?}"
        ))
    };
    let mut out = BTreeSet::new();
    for part in s.split(',').map(str::trim).filter(|p| !p.is_empty()) {
        match part.split_once('-') {
            Some((a, b)) => {
                let a: u64 = a.trim().parse().map_err(|_| bad())?;
                let b: u64 = b.trim().parse().map_err(|_| bad())?;
                if b < a || b - a > 10_000_000 {
                    return Err(bad());
                }
                out.extend(a..=b);
            }
            None => {
                out.insert(part.parse().map_err(|_| bad())?);
            }
        }
    }
    Ok(out)
}

fn state_of(cp: &Checkpoint) -> Result<Option<FeedState>> {
    match &cp.state {
        None | Some(serde_json::Value::Null) => Ok(None),
        Some(v) => serde_json::from_value::<FeedState>(v.clone())
            .map(Some)
            .map_err(|e| {
                Error::config(format!(
                    "the change-feed checkpoint state is not from the Insightly adapter: {e}"
                ))
            }),
    }
}

/// The Insightly id of a record: its unified id, or the number after a kind prefix
/// (`event-7001`, see [`crate::resources::engagements`]).
fn numeric_id<R: Record>(r: &R) -> Option<u64> {
    let s = r.id().to_string();
    s.rsplit_once('-')
        .map_or(s.as_str(), |(_, n)| n)
        .parse::<u64>()
        .ok()
}

/// One record per id, in first-seen order; a record read twice keeps its later reading
/// unless that one is older.
fn latest_first_seen<R: Record>(records: Vec<R>) -> Vec<R> {
    let mut index: HashMap<R::Id, usize> = HashMap::new();
    let mut out: Vec<R> = Vec::new();
    for r in records {
        match index.get(r.id()) {
            Some(&i) if out[i].updated_at() <= r.updated_at() => out[i] = r,
            Some(_) => {}
            None => {
                index.insert(r.id().clone(), out.len());
                out.push(r);
            }
        }
    }
    out
}

/// id → (`DATE_UPDATED_UTC`, fingerprint) of reported upserts.
pub type Seen = BTreeMap<u64, (DateTime<Utc>, u64)>;

/// Whether a reading at `t` with fingerprint `fp` was already reported per `seen`: a newer
/// version, or this one (same time and content).
fn reported(seen: &Seen, n: u64, t: DateTime<Utc>, fp: u64) -> bool {
    seen.get(&n)
        .is_some_and(|(pt, pfp)| *pt > t || (*pt == t && *pfp == fp))
}

/// The upserts of one page of `window` (whose `Date` and total are already observed), not
/// already reported per `prev_seen` (the last finished listing's) or the window's own
/// reports. Every id read joins `ids`; the window's reports are pruned to those a listing
/// ending now would keep.
pub fn page_changes<R: Record>(
    records: Vec<R>,
    prev_seen: &BTreeMap<u64, (DateTime<Utc>, u64)>,
    window: &mut Window,
    ids: &mut BTreeSet<u64>,
) -> Vec<Change<R, R::Id>> {
    let mut changes = Vec::new();
    for record in latest_first_seen(records) {
        let Some(n) = numeric_id(&record) else {
            changes.push(Change::Upserted { record });
            continue;
        };
        ids.insert(n);
        let Some(t) = record.updated_at() else {
            changes.push(Change::Upserted { record });
            continue;
        };
        let fp = fingerprint(&record);
        if reported(prev_seen, n, t, fp) || reported(&window.seen, n, t, fp) {
            continue;
        }
        window.seen.insert(n, (t, fp));
        changes.push(Change::Upserted { record });
    }
    let keep_from = since_query(window.end_at(false));
    window.seen.retain(|_, (t, _)| *t >= keep_from);
    changes
}

/// Ends `window`: the next checkpoint time (held when the window or `hold` says so) and the
/// reports to keep for the next call's window, without the ids in `gone`.
pub fn finish(
    window: &Window,
    prev_seen: &Seen,
    hold: bool,
    gone: &BTreeSet<u64>,
) -> (DateTime<Utc>, Seen) {
    let at = window.end_at(hold);
    let keep_from = since_query(at);
    let mut seen: Seen = prev_seen.clone();
    for (n, v) in &window.seen {
        match seen.get(n) {
            Some(old) if old.0 > v.0 => {}
            _ => {
                seen.insert(*n, *v);
            }
        }
    }
    seen.retain(|n, (t, _)| *t >= keep_from && !gone.contains(n));
    (at, seen)
}

/// Whether confirmed deletions may have made the listing skip a record: one of `gone` was
/// read on a page before the last (`before_last`), or, for a resumed listing whose earlier
/// pages are unknown, any deletion at all.
pub fn deletions_hold(gone: &BTreeSet<u64>, before_last: &HashSet<u64>, resumed: bool) -> bool {
    if resumed {
        !gone.is_empty()
    } else {
        gone.iter().any(|id| before_last.contains(id))
    }
}

/// One run of the stream: the state carried from batch to batch.
struct Run<S: ObjectSpec> {
    state: FeedState,
    ids: BTreeSet<u64>,
    window: Window,
    before_last: HashSet<u64>,
    last_page: Vec<u64>,
    resumed: bool,
    pages: u64,
    defs: Arc<crate::mapping::Definitions>,
    lists: Arc<crate::mapping::lead::LeadPicklists>,
    _spec: std::marker::PhantomData<fn() -> S>,
}

enum Phase<S: ObjectSpec> {
    Start(Checkpoint),
    Listing(Box<Run<S>>),
    Scan(Box<Run<S>>),
    Done,
}

type Batch<S> = ChangeSet<<S as ObjectSpec>::R, <<S as ObjectSpec>::R as Record>::Id>;

fn checkpoint_of(at: DateTime<Utc>, state: &FeedState) -> Result<Checkpoint> {
    Ok(Checkpoint {
        at,
        state: Some(serde_json::to_value(state).map_err(|e| Error::config(e.to_string()))?),
    })
}

impl<S: ObjectSpec> Run<S> {
    async fn start(res: &ObjectResource<S>, checkpoint: &Checkpoint) -> Result<Self> {
        let mut state = state_of(checkpoint)?.unwrap_or_default();
        let ids = decode_ids(&state.ids)?;
        let window = state
            .window
            .take()
            .unwrap_or_else(|| Window::new(checkpoint.at));
        Ok(Run {
            resumed: window.skip > 0,
            state,
            ids,
            window,
            before_last: HashSet::new(),
            last_page: Vec::new(),
            pages: 0,
            defs: res.defs().await?,
            lists: res.lists().await?,
            _spec: std::marker::PhantomData,
        })
    }

    /// The checkpoint after a batch: mid-way (`window` kept, `at` unmoved) or final.
    fn checkpoint(&self, finished: Option<DateTime<Utc>>) -> Result<Checkpoint> {
        let mut state = FeedState {
            v: 3,
            ids: encode_ids(&self.ids),
            seen: self.state.seen.clone(),
            window: Some(self.window.clone()),
            last_scan: self.state.last_scan,
        };
        match finished {
            Some(at) => {
                state.window = None;
                checkpoint_of(at, &state)
            }
            None => checkpoint_of(self.window.since, &state),
        }
    }

    /// Reads the next page of the upsert listing; `true` when it ended the listing.
    async fn page(
        &mut self,
        res: &ObjectResource<S>,
    ) -> Result<(Vec<Change<S::R, <S::R as Record>::Id>>, bool)> {
        self.pages += 1;
        if self.pages > DEFAULT_MAX_PAGES {
            return Err(Error::Paging {
                message: format!(
                    "insightly {}/Search needs more than {DEFAULT_MAX_PAGES} pages (the limit)",
                    S::PATH
                ),
            });
        }
        let listing = Listing {
            path: format!("{}/Search", S::PATH),
            query: vec![(
                "updated_after_utc".into(),
                dates::format_query(&since_query(self.window.since)),
            )],
            brief: false,
        };
        let top = paging::page_size(res.shared.feed_page_size);
        let page = paging::fetch_page(&res.shared, &listing, self.window.skip, top, true).await?;
        self.window.observe(page.date, page.total);
        let mut records = Vec::with_capacity(page.items.len());
        for (j, raw) in page.items.iter().enumerate() {
            let at = self.window.skip as usize + j;
            records.push(S::read(raw, &self.defs, &self.lists, &format!("[{at}]"))?);
        }
        self.before_last.extend(self.last_page.drain(..));
        self.last_page = records.iter().filter_map(numeric_id).collect();
        let changes = page_changes(records, &self.state.seen, &mut self.window, &mut self.ids);
        self.window.skip = self.window.skip.saturating_add(page.items.len() as u64);
        Ok((changes, page.next.is_none()))
    }
}

/// The next batch of the stream (see the module docs).
async fn step<S: ObjectSpec>(
    res: &ObjectResource<S>,
    phase: Phase<S>,
) -> Result<Option<(Batch<S>, Phase<S>)>> {
    let mut run = match phase {
        Phase::Done => return Ok(None),
        Phase::Start(cp) => {
            let run = Box::new(Run::<S>::start(res, &cp).await?);
            // Resumed between the listing and its scan: the scan is next.
            if run.window.listed {
                return scan_batch(res, run).await.map(Some);
            }
            run
        }
        Phase::Listing(run) => run,
        Phase::Scan(run) => return scan_batch(res, run).await.map(Some),
    };
    let (changes, ended) = run.page(res).await?;
    if !ended {
        let next = run.checkpoint(None)?;
        return Ok(Some((ChangeSet { changes, next }, Phase::Listing(run))));
    }
    let policy = &res.shared.deletion_scans;
    let now = res.shared.clock.now();
    let quota = res.shared.http.last_rate_limit().limit;
    if policy.due(run.state.last_scan.as_ref(), now, quota) {
        // The listing is read; the checkpoint moves once the scan has said whether to hold.
        run.window.listed = true;
        let next = run.checkpoint(None)?;
        return Ok(Some((ChangeSet { changes, next }, Phase::Scan(run))));
    }
    res.shared.scan_stats.skipped();
    let (at, seen) = finish(&run.window, &run.state.seen, false, &BTreeSet::new());
    run.state.seen = seen;
    let next = run.checkpoint(Some(at))?;
    Ok(Some((ChangeSet { changes, next }, Phase::Done)))
}

/// The deletion scan and the batch of its confirmed deletions, with the final checkpoint.
async fn scan_batch<S: ObjectSpec>(
    res: &ObjectResource<S>,
    mut run: Box<Run<S>>,
) -> Result<(Batch<S>, Phase<S>)> {
    let found = deletion_scan::scan(res, &run.ids).await?;
    let hold = deletions_hold(&found.gone, &run.before_last, run.resumed);
    let (at, seen) = finish(&run.window, &run.state.seen, hold, &found.gone);
    let last = LastScan {
        at: res.shared.clock.now(),
        requests: found.pages + found.read_backs,
    };
    let quota = res.shared.http.last_rate_limit().limit;
    res.shared.scan_stats.record(DeletionScanReport {
        object: S::PATH,
        at: last.at,
        pages: found.pages,
        read_backs: found.read_backs,
        requests: last.requests,
        ids: found.present.len() as u64,
        deleted: found.gone.len() as u64,
        next_due: res.shared.deletion_scans.next_due(&last, quota),
    });
    run.state.seen = seen;
    run.state.last_scan = Some(last);
    run.ids = found.present;
    let changes = found
        .gone
        .iter()
        .map(|id| Change::Deleted {
            id: S::make_id(*id),
            deleted_at: None,
        })
        .collect();
    let next = run.checkpoint(Some(at))?;
    Ok((ChangeSet { changes, next }, Phase::Done))
}

/// The change feed of one object as a stream of batches (see the module docs).
pub(crate) fn change_stream<S: ObjectSpec>(
    res: &ObjectResource<S>,
    checkpoint: Checkpoint,
) -> ChangeStream<'_, S::R> {
    stream::try_unfold(Phase::Start(checkpoint), move |phase| step(res, phase)).boxed()
}

/// The change feed of one object: [`change_stream`] collected.
pub(crate) async fn changes_since<S: ObjectSpec>(
    res: &ObjectResource<S>,
    checkpoint: &Checkpoint,
) -> Result<Batch<S>> {
    unicrm_core::collect_changes(checkpoint, change_stream(res, checkpoint.clone())).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn id_ranges() {
        let ids: BTreeSet<u64> = [1, 2, 3, 5, 7, 8, u64::MAX].into_iter().collect();
        let s = encode_ids(&ids);
        assert_eq!(s, format!("1-3,5,7-8,{}", u64::MAX));
        assert_eq!(decode_ids(&s).unwrap(), ids);
        assert_eq!(encode_ids(&BTreeSet::new()), "");
        assert!(decode_ids("").unwrap().is_empty());
        assert!(decode_ids("5-1").is_err());
        assert!(decode_ids("x").is_err());
        assert!(decode_ids("0-18446744073709551615").is_err());
    }

    fn contact(id: &str, updated: i64, name: &str) -> unicrm_core::Contact {
        unicrm_core::Contact {
            id: unicrm_core::ContactId::new(id),
            first_name: Some(name.into()),
            updated_at: DateTime::<Utc>::from_timestamp(updated, 0),
            ..Default::default()
        }
    }

    /// Offset paging can read a record twice in one listing: the reading kept is the newer
    /// one (or the later one at the same time), never an older one, and the order is that
    /// of first sight.
    #[test]
    fn a_record_read_twice_keeps_its_newer_reading_in_first_seen_order() {
        let kept = latest_first_seen(vec![
            contact("1", 100, "old"),
            contact("2", 100, "two"),
            contact("1", 200, "new"),
            contact("3", 300, "three-new"),
            contact("3", 250, "three-old"),
            contact("2", 100, "two-again"),
        ]);
        let got: Vec<(&str, &str)> = kept
            .iter()
            .map(|c| (c.id.as_str(), c.first_name.as_deref().unwrap_or("")))
            .collect();
        assert_eq!(got, [("1", "new"), ("2", "two-again"), ("3", "three-new")]);
    }
}
