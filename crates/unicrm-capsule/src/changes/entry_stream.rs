//! The entry feeds (notes, engagements) as change streams: one batch per page of the walk,
//! the read-backs and deletions with the last page (the rules are the parent's
//! `entries` module's).
//!
//! A mid-way checkpoint keeps `at` and puts the walk in progress in the state
//! ([`WalkProgress`], beside the de-duplication map updated so far): the next page, the first
//! response's `Date`, whether the walk is full, whether it is a first run, the ids met as
//! ours and the known ids met as another kind of entry. A stream started from it continues
//! the same walk and ends as an uninterrupted one: the same read-backs, the same next `at`.

use chrono::{DateTime, Utc};
use futures::StreamExt;
use futures::stream::{self, BoxStream};
use serde::{Deserialize, Serialize};
use unicrm_core::error::Result;
use unicrm_core::page::guarded_pages;
use unicrm_core::{Change, ChangeSet, ChangeStream, Checkpoint, Cursor, ListParams, Record};

use super::entries::{EntryState, ReadBack, assemble_state, full_walk_due, read_back, walk_cutoff};
use super::stream::IdRuns;
use crate::client::Api;
use crate::paging::{DatedPage, fetch_dated};
use crate::wire::{Decoded, WireEntry};

/// A walk in progress, kept in a mid-way checkpoint's state.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct WalkProgress {
    /// The next page; `None` once the walk is read (the read-backs are next).
    #[serde(default)]
    pub next: Option<Cursor>,
    /// `Date` of the walk's first response.
    #[serde(default)]
    pub date: Option<DateTime<Utc>>,
    /// Whether the walk reads every page.
    #[serde(default)]
    pub full: bool,
    /// Whether the walk is a first run (no state before it: no deletions, upserts by date).
    #[serde(default)]
    pub first_run: bool,
    /// Ids the walk met as records of this resource.
    #[serde(default)]
    pub ours: IdRuns,
    /// Known ids the walk met as another kind of entry.
    #[serde(default)]
    pub others: Vec<u64>,
}

struct Run<'a, R> {
    api: &'a Api,
    checkpoint: Checkpoint,
    keep: fn(&WireEntry) -> bool,
    map: fn(&Decoded<WireEntry>) -> R,
    /// The de-duplication so far (the previous walk's, updated by the pages read).
    state: EntryState,
    walk: WalkProgress,
    /// Whether the walk's first page is still to come (it decides whether the walk is full).
    fresh: bool,
    pages: BoxStream<'a, Result<DatedPage<WireEntry>>>,
    done: bool,
}

impl<R: Record> Run<'_, R>
where
    R::Id: From<u64>,
{
    /// The de-duplication base of the rules: none on a first run.
    fn prev(&self) -> Option<&EntryState> {
        (!self.walk.first_run).then_some(&self.state)
    }

    /// Applies `records` (and, on the last batch, the confirmed `gone`) to the state; returns
    /// the changes and the next `at`.
    fn apply(
        &mut self,
        records: Vec<R>,
        gone: &[u64],
        last: bool,
    ) -> (Vec<Change<R, R::Id>>, DateTime<Utc>) {
        let (full, date) = if last {
            (self.walk.full, self.walk.date)
        } else {
            (false, None)
        };
        let (changes, state, at) = assemble_state(
            records,
            gone,
            self.prev(),
            full,
            date,
            &self.checkpoint,
            R::Id::from,
        );
        if self.walk.first_run {
            // The rules start a first run's map afresh: add to the one built so far.
            self.state.seen.extend(state.seen);
            self.state.full_at = state.full_at.or(self.state.full_at);
        } else {
            self.state = state;
        }
        (changes, at)
    }

    /// One page of the walk: its records of this resource, and whether it ends the walk.
    fn page(&mut self, page: DatedPage<WireEntry>) -> (Vec<R>, bool) {
        if self.fresh {
            self.fresh = false;
            self.walk.date = page.date;
            let now = page.date.unwrap_or(self.checkpoint.at);
            self.walk.full = self.walk.first_run
                || full_walk_due(
                    self.state.full_at,
                    now,
                    self.api.entry_settings.full_walk_interval,
                );
        }
        let cutoff = walk_cutoff(&self.checkpoint, self.api.entry_settings.overlap);
        let oldest = page.items.last().and_then(|d| d.wire.entry_at);
        let ends = page.next.is_none() || (!self.walk.full && oldest.is_some_and(|o| o < cutoff));
        self.walk.next = if ends { None } else { page.next.clone() };
        let mut records = Vec::new();
        for d in &page.items {
            if (self.keep)(&d.wire) {
                self.walk.ours.insert(d.wire.id);
                records.push((self.map)(d));
            } else if self.state.seen.contains_key(&d.wire.id) {
                self.walk.others.push(d.wire.id);
            }
        }
        (records, ends)
    }

    /// The ids to read back once the walk is read: known ids met only as another kind, and,
    /// after a full walk, known ids not met as ours.
    fn to_confirm(&self) -> Vec<u64> {
        if self.walk.first_run {
            return Vec::new();
        }
        let ours = &self.walk.ours;
        super::entries::confirm_ids(
            self.walk.others.iter().copied(),
            &self.state,
            self.walk.full,
            |id| ours.contains(id),
        )
    }

    /// The last batch: `records` of the last page, the read-backs and deletions, the final
    /// checkpoint.
    async fn finish(&mut self, mut records: Vec<R>) -> Result<ChangeSet<R, R::Id>> {
        let mut gone = Vec::new();
        for id in self.to_confirm() {
            match read_back(self.api, id, self.keep, self.map).await? {
                ReadBack::Ours(r) => records.push(r),
                ReadBack::Gone => gone.push(id),
            }
        }
        let (changes, at) = self.apply(records, &gone, true);
        self.state.walk = None;
        Ok(ChangeSet {
            changes,
            next: Checkpoint {
                at,
                state: serde_json::to_value(&self.state).ok(),
            },
        })
    }
}

/// An entry feed as a stream: `keep` picks the resource's entries, `map` maps them.
pub(crate) fn entry_stream<R: Record>(
    api: &Api,
    checkpoint: Checkpoint,
    keep: fn(&WireEntry) -> bool,
    map: fn(&Decoded<WireEntry>) -> R,
) -> ChangeStream<'_, R>
where
    R::Id: From<u64>,
{
    let prev = super::entries::previous(&checkpoint);
    let mut state = prev.clone().unwrap_or(EntryState {
        entries: 1,
        ..EntryState::default()
    });
    let resumed = state.walk.take();
    let fresh = resumed.is_none();
    let walk = resumed.unwrap_or(WalkProgress {
        first_run: prev.is_none(),
        ..WalkProgress::default()
    });
    let mut params = ListParams::new();
    params.page_size = api.feed_page_size;
    params.cursor = walk.next.clone();
    let pages = if !fresh && walk.next.is_none() {
        stream::empty().boxed()
    } else {
        guarded_pages(
            "capsule entry feed",
            params,
            move |p: ListParams| async move {
                let first = crate::resources::engagements::first_page(&p);
                fetch_dated::<WireEntry>(api, &first, &p, "entries", |_| true, |e| e.id).await
            },
        )
    };
    let run = Run {
        api,
        checkpoint,
        keep,
        map,
        state,
        walk,
        fresh,
        pages,
        done: false,
    };
    stream::try_unfold(run, |mut run| async move {
        if run.done {
            return Ok(None);
        }
        let (records, ends) = match run.pages.next().await {
            Some(page) => run.page(page?),
            None => (Vec::new(), true),
        };
        if ends {
            run.done = true;
            let set = run.finish(records).await?;
            return Ok(Some((set, run)));
        }
        let (changes, _) = run.apply(records, &[], false);
        let mut state = run.state.clone();
        state.walk = Some(run.walk.clone());
        let next = Checkpoint {
            at: run.checkpoint.at,
            state: serde_json::to_value(&state).ok(),
        };
        Ok(Some((ChangeSet { changes, next }, run)))
    })
    .boxed()
}
