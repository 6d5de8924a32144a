//! The entry feeds (notes and engagements): a newest-first walk of `/entries`.
//!
//! Capsule's entry feeds take **no `since`** and are ordered by `entryAt`, which users
//! back-date and which edits leave alone (docs/vendors/capsule-v2-addendum.md, "Listing
//! entries"). So:
//!
//! * **Walk** the account's feed newest `entryAt` first, page by page, until past a page whose
//!   oldest entry is older than `checkpoint − overlap` (the overlap is at least 7 days,
//!   [`CapsuleClientBuilder::entry_feed_overlap`](crate::CapsuleClientBuilder::entry_feed_overlap)).
//!   A new entry back-dated inside the overlap, and any change to an entry whose `entryAt` is
//!   inside it, are read by the next walk.
//! * A **full walk** (every page) runs on the first call and then whenever the last full walk
//!   started at least the full-walk interval before the walk's first response (its `Date`,
//!   the vendor's clock)
//!   ([`CapsuleClientBuilder::entry_full_walk_interval`](crate::CapsuleClientBuilder::entry_full_walk_interval),
//!   24 h by default). It catches what a partial walk cannot: entries back-dated past the
//!   overlap, edits of old entries, deletions.
//! * **De-duplication**: the checkpoint state keeps, for every entry of the resource, its
//!   `updatedAt` and a fingerprint of the unified record (core's `change::fingerprint`). An
//!   entry read again with the same `updatedAt` and fingerprint is not reported; one with an
//!   older `updatedAt` is not either; anything else is an upsert.
//! * **Deletions are confirmed, never inferred from absence**: after a full walk, every known
//!   id the walk did not return, and (on any walk) a known id that came back as another kind
//!   of entry, is read back with `GET /entries/{id}`. Only a 404, or an answer that is no
//!   longer of this resource (a meeting turned into a plain note leaves the engagements), is
//!   a deletion; an entry that answers as one of ours counts as listed.
//!
//! The next checkpoint is the vendor's `Date` of the walk's first response minus one second,
//! never behind the current one (no `Date`: it does not move). The state grows with the
//! number of entries (about 40 bytes each).

use std::collections::{BTreeMap, HashMap, HashSet};

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use unicrm_core::error::Result;
use unicrm_core::{Change, ChangeSet, Checkpoint, Record};

use super::{PRECISION, fingerprint, since_of};
use crate::client::Api;
use crate::wire::{self, Decoded, WireEntry};

/// The settings of the entry feeds.
#[derive(Debug, Clone, Copy)]
pub struct EntryFeedSettings {
    /// How far before the checkpoint a partial walk reads (at least [`MIN_OVERLAP`]).
    pub overlap: chrono::Duration,
    /// How old the last full walk may be before the next call walks everything.
    pub full_walk_interval: chrono::Duration,
    /// Whether the account is on the Teams edition (activity types can be written).
    pub teams_edition: bool,
}

/// The smallest overlap (docs/vendors/capsule-v2-addendum.md, "Listing entries").
pub const MIN_OVERLAP: chrono::Duration = chrono::Duration::days(7);

impl Default for EntryFeedSettings {
    fn default() -> Self {
        EntryFeedSettings {
            overlap: MIN_OVERLAP,
            full_walk_interval: chrono::Duration::hours(24),
            teams_edition: false,
        }
    }
}

/// The checkpoint state of an entry feed.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct EntryState {
    /// Format version (1).
    pub entries: u32,
    /// id → (`updatedAt`, fingerprint) of every entry of the resource.
    #[serde(default)]
    pub seen: BTreeMap<u64, (Option<DateTime<Utc>>, u64)>,
    /// When the last full walk started, on the vendor's clock.
    #[serde(default)]
    pub full_at: Option<DateTime<Utc>>,
    /// The walk in progress, in a mid-way checkpoint of a change stream.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub walk: Option<super::entry_stream::WalkProgress>,
}

pub(crate) fn previous(cp: &Checkpoint) -> Option<EntryState> {
    cp.state
        .clone()
        .and_then(|s| serde_json::from_value::<EntryState>(s).ok())
        .filter(|s| s.entries == 1)
}

/// Whether a walk is a full one: no full walk yet, or the last one started at least `every`
/// before `now` (the vendor's `Date` of the walk's first response).
pub fn full_walk_due(
    last_full: Option<DateTime<Utc>>,
    now: DateTime<Utc>,
    every: chrono::Duration,
) -> bool {
    last_full.is_none_or(|f| now - f >= every)
}

/// The oldest `entryAt` a partial walk must read past.
pub fn walk_cutoff(checkpoint: &Checkpoint, overlap: chrono::Duration) -> DateTime<Utc> {
    checkpoint.at - overlap.max(MIN_OVERLAP)
}

/// What a walk read: every entry (all kinds), in order, and the first response's `Date`.
pub struct Walk {
    /// The entries, in feed order (duplicates possible under concurrent inserts).
    pub entries: Vec<Decoded<WireEntry>>,
    /// `Date` of the first response.
    pub date: Option<DateTime<Utc>>,
    /// Whether every page was read.
    pub full: bool,
}

/// The outcome of reading one entry back.
#[derive(Debug)]
pub enum ReadBack<R> {
    /// It answered as one of this resource's records.
    Ours(R),
    /// It is gone (404) or no longer of this resource.
    Gone,
}

pub(crate) async fn read_back<R>(
    api: &Api,
    id: u64,
    keep: fn(&WireEntry) -> bool,
    map: fn(&Decoded<WireEntry>) -> R,
) -> Result<ReadBack<R>> {
    match api.get_path(&format!("entries/{id}"), &[]).await {
        Ok(resp) => {
            let d = wire::decode_one::<WireEntry>(&resp.body, "entry")?;
            Ok(if keep(&d.wire) {
                ReadBack::Ours(map(&d))
            } else {
                ReadBack::Gone
            })
        }
        Err(e) if e.is_not_found() => Ok(ReadBack::Gone),
        Err(e) => Err(e),
    }
}

/// The ids to read back after `walk`: known ids it returned as another kind of entry, and,
/// after a full walk, known ids it did not return as ours.
pub fn to_confirm(walk: &Walk, prev: &EntryState, keep: fn(&WireEntry) -> bool) -> Vec<u64> {
    let ours: HashSet<u64> = walk
        .entries
        .iter()
        .filter(|d| keep(&d.wire))
        .map(|d| d.wire.id)
        .collect();
    let others = walk
        .entries
        .iter()
        .filter(|d| !keep(&d.wire) && prev.seen.contains_key(&d.wire.id))
        .map(|d| d.wire.id);
    confirm_ids(others, prev, walk.full, |id| ours.contains(&id))
}

/// The ids to read back: `others` (known ids met as another kind) not met as ours, and,
/// after a `full` walk, every id of `prev` not met as ours; sorted, each once.
pub(crate) fn confirm_ids(
    others: impl Iterator<Item = u64>,
    prev: &EntryState,
    full: bool,
    is_ours: impl Fn(u64) -> bool,
) -> Vec<u64> {
    let mut out: Vec<u64> = others.filter(|id| !is_ours(*id)).collect();
    if full {
        out.extend(prev.seen.keys().copied().filter(|id| !is_ours(*id)));
    }
    out.sort_unstable();
    out.dedup();
    out
}

/// The change set of a walk (see the module docs). `records` are the walk's records of this
/// resource plus those read back that answered; `gone` the confirmed deletions.
pub fn assemble<R: Record>(
    records: Vec<R>,
    gone: &[u64],
    prev: Option<&EntryState>,
    full: bool,
    vendor_now: Option<DateTime<Utc>>,
    checkpoint: &Checkpoint,
    id_from: impl Fn(u64) -> R::Id,
) -> ChangeSet<R, R::Id> {
    let (changes, state, at) =
        assemble_state(records, gone, prev, full, vendor_now, checkpoint, id_from);
    ChangeSet {
        changes,
        next: Checkpoint {
            at,
            state: serde_json::to_value(&state).ok(),
        },
    }
}

/// What `assemble_state` gives: the changes, the next state and the next `at`.
pub(crate) type Assembled<R> = (Vec<Change<R, <R as Record>::Id>>, EntryState, DateTime<Utc>);

/// [`assemble`]: the changes, the next state and the next `at`.
pub(crate) fn assemble_state<R: Record>(
    records: Vec<R>,
    gone: &[u64],
    prev: Option<&EntryState>,
    full: bool,
    vendor_now: Option<DateTime<Utc>>,
    checkpoint: &Checkpoint,
    id_from: impl Fn(u64) -> R::Id,
) -> Assembled<R> {
    let since = since_of(checkpoint);
    let mut state = EntryState {
        entries: 1,
        seen: prev.map(|p| p.seen.clone()).unwrap_or_default(),
        full_at: prev.and_then(|p| p.full_at),
        walk: None,
    };
    // One reading per id: the later one, unless it is older.
    let mut order = Vec::new();
    let mut latest: HashMap<u64, R> = HashMap::new();
    for r in records {
        let Ok(id) = r.id().to_string().parse::<u64>() else {
            continue;
        };
        match latest.get(&id) {
            Some(kept) if kept.updated_at() > r.updated_at() => {}
            Some(_) => {
                latest.insert(id, r);
            }
            None => {
                order.push(id);
                latest.insert(id, r);
            }
        }
    }
    let mut changes = Vec::new();
    for id in order {
        let Some(r) = latest.remove(&id) else {
            continue;
        };
        let t = r.updated_at();
        let fp = fingerprint(&r);
        let report = match (prev, prev.and_then(|p| p.seen.get(&id))) {
            (Some(_), Some((pt, pfp))) => !(*pt > t || (*pt == t && *pfp == fp)),
            (Some(_), None) => true,
            // First run: what changed after the checkpoint.
            (None, _) => t.is_none_or(|u| u > since),
        };
        let stale = prev
            .and_then(|p| p.seen.get(&id))
            .is_some_and(|(pt, _)| *pt > t);
        if !stale {
            state.seen.insert(id, (t, fp));
        }
        if report {
            changes.push(Change::Upserted { record: r });
        }
    }
    for id in gone {
        // Only an id reported before is reported deleted (never on a first run).
        let known = prev.is_some_and(|p| p.seen.contains_key(id));
        if state.seen.remove(id).is_some() && known {
            changes.push(Change::Deleted {
                id: id_from(*id),
                deleted_at: None,
            });
        }
    }
    let at = vendor_now.map_or(checkpoint.at, |t| (t - PRECISION).max(checkpoint.at));
    if full {
        state.full_at = Some(at);
    }
    (changes, state, at)
}

/// An entry feed: `keep` picks the resource's entries, `map` maps them; the change stream
/// (`entry_stream.rs`) collected.
pub(crate) async fn entry_changes<R: Record>(
    api: &Api,
    checkpoint: &Checkpoint,
    keep: fn(&WireEntry) -> bool,
    map: fn(&Decoded<WireEntry>) -> R,
) -> Result<ChangeSet<R, R::Id>>
where
    R::Id: From<u64>,
{
    let stream = super::entry_stream::entry_stream(api, checkpoint.clone(), keep, map);
    unicrm_core::collect_changes(checkpoint, stream).await
}
