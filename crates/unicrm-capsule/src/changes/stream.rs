//! The `since` feeds (parties, opportunities, projects) as a stream of batches
//! (`Resource::change_stream`): one batch per vendor page of the listing, then the deletions
//! as a last batch.
//!
//! *A mid-way checkpoint never moves `at`.* Its `at` stays the window's start (the checkpoint
//! the stream started from); what the listing has read so far lives in the state
//! ([`InProgress`]): the listing's first `Date` and latest `Date`, the next page's cursor, the
//! ids read on pages before the latest one (for the hold rule) and the ids of the latest page,
//! next to the window's de-duplication ([`WindowState::seen`] / [`WindowState::deleted`]). A
//! stream started from such a checkpoint continues with the next page of the same window and
//! ends exactly as an uninterrupted one: the last batch's `next` is computed from the same
//! first and last `Date`, the same hold decision and the same de-duplication.
//!
//! *What the state keeps.* The ids read before the latest page are kept as inclusive runs
//! ([`IdRuns`]): a listing of consecutive ids costs one run. An upsert reported mid-way is
//! kept for de-duplication when its `updatedAt` is at or after the cut-off the listing would
//! have if it ended with this page (`next_at` − precision, without a hold); the last batch
//! then drops what is older than the final cut-off. A longer listing only lowers that cut-off,
//! so a record updated just before a long listing (or inside a held window) may be reported
//! once more by the next window: a duplicate, never a loss.

use std::collections::{BTreeMap, HashMap};
use std::future::Future;

use chrono::{DateTime, Utc};
use futures::StreamExt;
use futures::stream::{self, BoxStream};
use serde::{Deserialize, Serialize};
use unicrm_core::error::Result;
use unicrm_core::page::guarded_pages;
use unicrm_core::{Change, ChangeSet, ChangeStream, Checkpoint, Cursor, ListParams, Record};

use super::{FeedPage, PRECISION, WindowState, deleted_since, feed_params, fingerprint, next_at};
use crate::client::Api;
use crate::wire::DeletedRecord;

/// A set of ids as sorted, disjoint, non-adjacent inclusive runs (`[low, high]`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct IdRuns(Vec<(u64, u64)>);

impl IdRuns {
    /// Adds an id.
    pub fn insert(&mut self, id: u64) {
        // The first run that ends at or after `id`.
        let i = self.0.partition_point(|r| r.1 < id);
        if self.0.get(i).is_some_and(|r| r.0 <= id) {
            return;
        }
        let joins_left = i > 0 && self.0[i - 1].1.checked_add(1) == Some(id);
        let joins_right = self
            .0
            .get(i)
            .is_some_and(|r| id.checked_add(1) == Some(r.0));
        match (joins_left, joins_right) {
            (true, true) => {
                self.0[i - 1].1 = self.0[i].1;
                self.0.remove(i);
            }
            (true, false) => self.0[i - 1].1 = id,
            (false, true) => self.0[i].0 = id,
            (false, false) => self.0.insert(i, (id, id)),
        }
    }

    /// Whether `id` is in the set.
    pub fn contains(&self, id: u64) -> bool {
        let i = self.0.partition_point(|r| r.1 < id);
        self.0.get(i).is_some_and(|r| r.0 <= id)
    }

    /// The runs, in order.
    pub fn runs(&self) -> &[(u64, u64)] {
        &self.0
    }
}

/// A listing in progress, kept in a mid-way checkpoint's state.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct InProgress {
    /// `Date` of the listing's first response.
    #[serde(default)]
    pub first_date: Option<DateTime<Utc>>,
    /// `Date` of the latest response.
    #[serde(default)]
    pub last_date: Option<DateTime<Utc>>,
    /// The next page to read; `None` once the listing is complete (the deletions are next).
    #[serde(default)]
    pub next: Option<Cursor>,
    /// Ids read on pages before the latest one.
    #[serde(default)]
    pub before_last: IdRuns,
    /// Ids of the latest page.
    #[serde(default)]
    pub last_page: Vec<u64>,
}

/// A window being read: its start, its de-duplication and the listing so far.
#[derive(Debug, Clone)]
pub struct Window {
    /// The window's start (the `at` of the checkpoint the window began from).
    pub start: DateTime<Utc>,
    /// The de-duplication: the previous window's, plus the upserts reported so far.
    pub state: WindowState,
    /// The listing so far.
    pub listing: InProgress,
    /// Whether the window continues a listing begun by an earlier stream.
    pub resumed: bool,
}

impl Window {
    /// The window a checkpoint starts or continues: a mid-way checkpoint resumes its listing,
    /// any other starts a new one (an unreadable state starts afresh, as `changes_since` does).
    pub fn resume(checkpoint: &Checkpoint) -> Window {
        let mut state = super::window_state(checkpoint);
        let listing = state.listing.take();
        state.window = 1;
        Window {
            start: checkpoint.at,
            state,
            resumed: listing.is_some(),
            listing: listing.unwrap_or_default(),
        }
    }

    /// Whether pages remain to be read: always for a new window, for a resumed one while its
    /// listing has a next page.
    pub fn pages_left(&self) -> bool {
        !self.resumed || self.listing.next.is_some()
    }

    /// The checkpoint after the batches yielded so far: `at` unchanged, the listing in the
    /// state.
    pub fn checkpoint(&self) -> Checkpoint {
        let mut state = self.state.clone();
        state.listing = Some(self.listing.clone());
        Checkpoint {
            at: self.start,
            state: serde_json::to_value(&state).ok(),
        }
    }

    /// The upserts of one page (de-duplicated against the window), and the listing advanced
    /// past it.
    pub fn page<R: Record>(&mut self, page: FeedPage<R>) -> Vec<Change<R, R::Id>> {
        let l = &mut self.listing;
        if l.first_date.is_none() {
            l.first_date = page.date;
        }
        l.last_date = page.date.or(l.last_date);
        for id in l.last_page.drain(..) {
            l.before_last.insert(id);
        }
        l.last_page = page.ids;
        l.next = page.next;
        let keep_lower = next_at(self.start, l.first_date, l.last_date, false) - PRECISION;

        let mut order: Vec<R::Id> = Vec::new();
        let mut latest: HashMap<R::Id, R> = HashMap::new();
        for r in page.items {
            let id = r.id().clone();
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
        let mut changes = Vec::new();
        for record in order.into_iter().filter_map(|id| latest.remove(&id)) {
            let num = record.id().to_string().parse::<u64>().ok();
            let (Some(num), Some(t)) = (num, record.updated_at()) else {
                changes.push(Change::Upserted { record });
                continue;
            };
            // A version no newer than a deletion the window reported is stale (an id listed
            // again after its deletion, as the one-shot feed never reported it).
            if self.state.deleted.get(&num).is_some_and(|d| *d >= t) {
                continue;
            }
            let fp = fingerprint(&record);
            let already = self
                .state
                .seen
                .get(&num)
                .is_some_and(|(pt, pfp)| *pt > t || (*pt == t && *pfp == fp));
            if already {
                continue;
            }
            if t >= keep_lower {
                self.state.seen.insert(num, (t, fp));
            }
            changes.push(Change::Upserted { record });
        }
        changes
    }

    /// The last batch: the deletions (de-duplicated), and the checkpoint the finished listing
    /// reaches (held where a deletion may have shifted a page).
    pub fn finish<R: Record>(
        mut self,
        deleted: Vec<DeletedRecord>,
        id_from: impl Fn(u64) -> R::Id,
    ) -> ChangeSet<R, R::Id> {
        let l = &self.listing;
        let hold = deleted.iter().any(|d| l.before_last.contains(d.id));
        let at = next_at(self.start, l.first_date, l.last_date, hold);
        let keep_from = at - PRECISION;
        let prev_deleted: BTreeMap<u64, DateTime<Utc>> = self.state.deleted.clone();
        self.state.seen.retain(|_, (t, _)| *t >= keep_from);
        self.state.deleted.retain(|_, t| *t >= keep_from);
        self.state.listing = None;
        let mut changes = Vec::new();
        let mut seen_deleted = std::collections::HashSet::new();
        for d in &deleted {
            if !seen_deleted.insert(d.id) {
                continue;
            }
            self.state.seen.remove(&d.id);
            if let Some(t) = d.deleted_at {
                if prev_deleted.get(&d.id) == Some(&t) {
                    continue;
                }
                if t >= keep_from {
                    self.state.deleted.insert(d.id, t);
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
                state: serde_json::to_value(&self.state).ok(),
            },
        }
    }
}

struct Run<'a, R: Record> {
    api: &'a Api,
    entity: &'static str,
    id_from: fn(u64) -> R::Id,
    window: Option<Window>,
    pages: Option<BoxStream<'a, Result<FeedPage<R>>>>,
}

/// A `since` feed as a stream (see the module docs): `fetch` reads one page of the listing
/// of `entity` (`parties`, `opportunities`, `kases`), whose deleted feed is read last.
pub(crate) fn since_stream<'a, R, F, Fut>(
    api: &'a Api,
    checkpoint: Checkpoint,
    what: &'static str,
    entity: &'static str,
    fetch: F,
    id_from: fn(u64) -> R::Id,
) -> ChangeStream<'a, R>
where
    R: Record,
    F: FnMut(ListParams) -> Fut + Send + 'a,
    Fut: Future<Output = Result<FeedPage<R>>> + Send + 'a,
{
    let window = Window::resume(&checkpoint);
    let since = super::since_of(&checkpoint);
    // A fresh window lists from its first page; a resumed one from its next page, or not at
    // all once its listing was complete.
    let pages = if window.pages_left() {
        let mut params = feed_params(api, since);
        params.cursor = window.listing.next.clone();
        Some(guarded_pages(what, params, fetch))
    } else {
        None
    };
    let run = Run {
        api,
        entity,
        id_from,
        window: Some(window),
        pages,
    };
    stream::try_unfold(run, move |mut run| async move {
        let Some(mut window) = run.window.take() else {
            return Ok(None);
        };
        if let Some(pages) = run.pages.as_mut() {
            if let Some(page) = pages.next().await {
                let changes = window.page(page?);
                if window.listing.next.is_none() {
                    run.pages = None;
                }
                let next = window.checkpoint();
                run.window = Some(window);
                return Ok(Some((ChangeSet { changes, next }, run)));
            }
            run.pages = None;
        }
        let deleted = deleted_since(run.api, run.entity, since).await?;
        let set = window.finish(deleted, run.id_from);
        Ok(Some((set, run)))
    })
    .boxed()
}
