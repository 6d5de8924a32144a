//! The change feed (`Resource::changes_since`).
//!
//! **Parties and opportunities** (native): upserts from the list endpoint with
//! `since = checkpoint − 1 s` (Capsule's timestamps have whole-second precision and its
//! `since` strictness is undocumented: docs/vendors/capsule-v2.md, "Incremental reads"), every
//! page in order; deletions from `/parties/deleted?since=` / `/opportunities/deleted?since=`,
//! read after the listing. A record both upserted and deleted is reported deleted.
//!
//! *The next checkpoint comes from the vendor's clock*, never ours: the `Date` header of the
//! listing's first response (T₀, as of the start of the listing), minus the listing's duration
//! on the same clock (the last response's `Date` − T₀) and minus the timestamp precision
//! (1 s); never behind the current checkpoint. Any update that landed while the listing ran
//! carries an `updatedAt` at or after T₀ − 1 s and is therefore listed again by the next call.
//! Without a `Date` header the checkpoint does not move (safe, and de-duplicated).
//!
//! *De-duplication across the overlap*: the checkpoint state keeps, for every record reported
//! with an `updatedAt` inside the next call's window, its `updatedAt` and a fingerprint of its
//! content (FNV-1a of the unified record's JSON). A record listed again with the same
//! `updatedAt` **and** the same content is not reported again; a second change in the same
//! vendor second (same `updatedAt`, new content) is. A version older than the one reported is
//! not reported. Deletions are de-duplicated by `(id, deletedAt)` the same way.
//!
//! *Offset paging under concurrent deletes*: a deletion shifts the later pages back by one, so
//! a record at a page boundary can be skipped. A record can only be skipped that way when a
//! record already read, on a page before the last, is deleted before the listing ends (the
//! listing is ordered by id: docs/vendors/capsule-v2.md, "Pagination"). When the deleted feed
//! names such a record, the checkpoint is **held** where it was: the next call lists the same
//! window again (the state keeps its de-duplication), until a listing runs undisturbed.
//!
//! Capsule's deleted-parties feed does not say whether a party was a person or an
//! organisation, so contacts *and* accounts report every deleted party id.
//!
//! **Notes and engagements** (entry walk, [`entries`]): entries have no `since` and no deleted
//! feed; a newest-first walk of `/entries` past `checkpoint − overlap`, periodic full walks,
//! de-duplication by `updatedAt` + fingerprint, deletions confirmed by a 404 on re-read.
//!
//! **Tasks** (id scan, [`scan`]): Capsule has neither `since` nor a deleted feed for
//! them. The whole listing is read (tasks of every status, PENDING included) and compared
//! with the id → fingerprint map stored in [`Checkpoint::state`]: new ids and changed
//! fingerprints are upserts. An id that is missing from the listing is **not** taken as
//! deleted: offset paging skips records under concurrent deletes. Every missing id is read
//! back (tasks by multi-show, ten ids a request, falling back to single reads when a chunk
//! answers 404 or leaves an id out, and a lone id by a single read, whose answer has the
//! singular wrapper): only a 404 of a single read is a deletion; a record
//! that answers is treated as listed. Without a stored map (first run), records updated after the checkpoint are
//! upserts and no deletions are reported. The state grows with the number of records
//! (about 30 bytes each).

pub mod projects;

pub mod entries;
pub mod entry_stream;
pub mod scan;
pub mod stream;

use std::collections::{BTreeMap, HashMap, HashSet};

use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};
use unicrm_core::error::Result;
use unicrm_core::page::Paged;
use unicrm_core::{Change, ChangeSet, Checkpoint, Cursor, ListParams, Record};

use crate::client::Api;
use crate::resources::parties::PartyRecord;
use crate::wire::{self, DeletedRecord};

/// The vendor's timestamp precision (whole seconds), also the overlap applied to `since`.
pub const PRECISION: Duration = Duration::seconds(1);

/// `since` for a checkpoint: one precision step before it.
pub fn since_of(cp: &Checkpoint) -> DateTime<Utc> {
    cp.at - PRECISION
}

/// One page read by a change feed.
#[derive(Debug)]
pub struct FeedPage<R> {
    /// The mapped records.
    pub items: Vec<R>,
    /// The ids of every record on the page (for parties: people and organisations).
    pub ids: Vec<u64>,
    /// The next page.
    pub next: Option<Cursor>,
    /// The `Date` header of the page's response.
    pub date: Option<DateTime<Utc>>,
}

impl<R> Paged for FeedPage<R> {
    fn next_cursor(&self) -> Option<&Cursor> {
        self.next.as_ref()
    }
    /// Empty only when the vendor's page was: a page of organisations holds no contact but is
    /// not empty.
    fn is_empty(&self) -> bool {
        self.items.is_empty() && self.ids.is_empty()
    }
}

/// What a `since` listing read, page by page.
#[derive(Debug)]
pub struct Listing<R> {
    /// The records, in order.
    pub records: Vec<R>,
    /// Ids read on pages before the last (a deletion of one of them may have shifted a
    /// later page).
    pub before_last: HashSet<u64>,
    /// `Date` of the first response.
    pub first_date: Option<DateTime<Utc>>,
    /// `Date` of the last response.
    pub last_date: Option<DateTime<Utc>>,
}

impl<R> Default for Listing<R> {
    fn default() -> Self {
        Listing {
            records: Vec::new(),
            before_last: HashSet::new(),
            first_date: None,
            last_date: None,
        }
    }
}

impl<R> Listing<R> {
    /// Adds a page read after the ones already added.
    pub fn push(&mut self, page: FeedPage<R>, ids_of_previous_page: &mut Vec<u64>) {
        self.before_last.extend(ids_of_previous_page.drain(..));
        *ids_of_previous_page = page.ids;
        self.records.extend(page.items);
        if self.first_date.is_none() {
            self.first_date = page.date;
        }
        self.last_date = page.date.or(self.last_date);
    }
}

/// The content fingerprint used to de-duplicate re-read records (core's, FNV-1a of the JSON).
pub use unicrm_core::change::fingerprint;

/// The state of a `since` feed's checkpoint: what was reported inside the overlap window.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct WindowState {
    /// Format version (1).
    pub window: u32,
    /// id → (`updatedAt`, fingerprint) of the upserts reported inside the window.
    #[serde(default)]
    pub seen: BTreeMap<u64, (DateTime<Utc>, u64)>,
    /// id → `deletedAt` of the deletions reported inside the window.
    #[serde(default)]
    pub deleted: BTreeMap<u64, DateTime<Utc>>,
    /// The listing in progress, in a mid-way checkpoint of a change stream (`None` once the
    /// window's listing and deletions were read).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub listing: Option<stream::InProgress>,
}

fn window_state(cp: &Checkpoint) -> WindowState {
    cp.state
        .clone()
        .and_then(|s| serde_json::from_value::<WindowState>(s).ok())
        .filter(|s| s.window == 1)
        .unwrap_or_default()
}

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

/// Whether a deletion may have made the listing skip a record (see the module docs).
pub fn must_hold<R>(listing: &Listing<R>, deleted: &[DeletedRecord]) -> bool {
    deleted.iter().any(|d| listing.before_last.contains(&d.id))
}

/// Upserts de-duplicated by id and across the overlap, deletions winning over upserts, the
/// next checkpoint and its state, per the module docs.
pub fn assemble<R: Record>(
    listing: Listing<R>,
    deleted: Vec<DeletedRecord>,
    id_from: impl Fn(u64) -> R::Id,
    checkpoint: &Checkpoint,
) -> ChangeSet<R, R::Id> {
    let prev = window_state(checkpoint);
    let hold = must_hold(&listing, &deleted);
    let at = next_at(checkpoint.at, listing.first_date, listing.last_date, hold);
    // The next call asks for `since = at − PRECISION`: what is older never comes back.
    let keep_from = at - PRECISION;
    let mut state = WindowState {
        window: 1,
        seen: prev
            .seen
            .iter()
            .filter(|(_, (t, _))| *t >= keep_from)
            .map(|(k, v)| (*k, *v))
            .collect(),
        deleted: prev
            .deleted
            .iter()
            .filter(|(_, t)| **t >= keep_from)
            .map(|(k, v)| (*k, *v))
            .collect(),
        listing: None,
    };

    let deleted_ids: HashSet<R::Id> = deleted.iter().map(|d| id_from(d.id)).collect();
    let mut order: Vec<R::Id> = Vec::new();
    let mut latest: HashMap<R::Id, R> = HashMap::new();
    for r in listing.records {
        let id = r.id().clone();
        if deleted_ids.contains(&id) {
            continue;
        }
        match latest.get(&id) {
            Some(kept) if kept.updated_at() >= r.updated_at() => {}
            Some(_) => {
                latest.insert(id, r);
            }
            None => {
                order.push(id.clone());
                latest.insert(id, r);
            }
        }
    }
    let mut changes: Vec<Change<R, R::Id>> = Vec::new();
    for record in order.into_iter().filter_map(|id| latest.remove(&id)) {
        let num = record.id().to_string().parse::<u64>().ok();
        let (Some(num), Some(t)) = (num, record.updated_at()) else {
            changes.push(Change::Upserted { record });
            continue;
        };
        let fp = fingerprint(&record);
        let already = prev
            .seen
            .get(&num)
            .is_some_and(|(pt, pfp)| *pt > t || (*pt == t && *pfp == fp));
        if already {
            continue;
        }
        if t >= keep_from {
            state.seen.insert(num, (t, fp));
        }
        changes.push(Change::Upserted { record });
    }
    let mut seen_deleted = HashSet::new();
    for d in &deleted {
        if !seen_deleted.insert(d.id) {
            continue;
        }
        state.seen.remove(&d.id);
        if let Some(t) = d.deleted_at {
            if prev.deleted.get(&d.id) == Some(&t) {
                continue;
            }
            if t >= keep_from {
                state.deleted.insert(d.id, t);
            }
        }
        changes.push(Change::Deleted {
            id: id_from(d.id),
            deleted_at: d.deleted_at,
        });
    }
    ChangeSet {
        changes,
        next: Checkpoint {
            at,
            state: serde_json::to_value(&state).ok(),
        },
    }
}

pub(crate) async fn deleted_since(
    api: &Api,
    entity: &str,
    since: DateTime<Utc>,
) -> Result<Vec<DeletedRecord>> {
    let resp = api
        .get_path(
            &format!("{entity}/deleted"),
            &[("since", crate::mapping::format_datetime(&since))],
        )
        .await?;
    Ok(wire::decode_list::<DeletedRecord>(&resp.body, entity)?
        .into_iter()
        .map(|d| d.wire)
        .collect())
}

pub(crate) fn feed_params(api: &Api, since: DateTime<Utc>) -> ListParams {
    let mut params = ListParams::new().updated_since(since);
    params.page_size = api.feed_page_size;
    params
}

/// The change stream of contacts or accounts (`pick` keeps the wanted kind), see
/// [`stream`].
pub(crate) fn party_stream<R: Record>(
    api: &Api,
    checkpoint: Checkpoint,
    pick: fn(PartyRecord) -> Option<R>,
    id_from: fn(u64) -> R::Id,
) -> unicrm_core::ChangeStream<'_, R> {
    stream::since_stream(
        api,
        checkpoint,
        "capsule party feed",
        "parties",
        move |params: ListParams| async move {
            let page = api.party_page_dated(&params).await?;
            Ok(FeedPage {
                items: page.items.into_iter().filter_map(pick).collect(),
                ids: page.ids,
                next: page.next,
                date: page.date,
            })
        },
        id_from,
    )
}

/// The change stream of opportunities, see [`stream`].
pub(crate) fn opportunity_stream(
    api: &Api,
    checkpoint: Checkpoint,
) -> unicrm_core::ChangeStream<'_, unicrm_core::Opportunity> {
    stream::since_stream(
        api,
        checkpoint,
        "capsule opportunity feed",
        "opportunities",
        move |params: ListParams| async move { api.opportunity_page_dated(&params).await },
        unicrm_core::OpportunityId::from,
    )
}
