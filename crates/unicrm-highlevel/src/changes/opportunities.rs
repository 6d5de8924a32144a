//! The opportunity change feed (docs/vendors/highlevel-v2.md, "Incremental reads and
//! deletions"): a full sweep of `GET /opportunities/search`, diffed, one batch per page.
//!
//! The `POST /opportunities/search` `date_updated` filter is unverified live (connectors do
//! full refreshes) and the GET search has no updated-since filter, so the feed sweeps: every
//! opportunity whose `updatedAt` is at or after the checkpoint (less the one-minute overlap)
//! is an upsert. The ids seen are kept in the checkpoint's state; an id seen last time and
//! missing now is reported deleted only once `GET /opportunities/{id}` confirms it with
//! `NotFound` (a record that moved out of the listing, or a lagging search, is not a deletion).
//! The first sweep reports no deletions (nothing to diff against). The next checkpoint comes
//! from the vendor's clock.
//!
//! **Batches.** One per page of the sweep; the deletions come with the last page. A mid-way
//! checkpoint's state (`{"ids": [previous sweep], "sweep": {"dates", "cursor", "seen"}}`)
//! keeps the window's `at`, the previous sweep's ids, the ids this sweep has met so far and
//! the next page's cursor; the last batch's state is `{"ids": [this sweep]}`. A sweep resumed
//! from a mid-way checkpoint diffs exactly what an uninterrupted one would.

use std::collections::BTreeSet;

use chrono::{DateTime, Utc};
use futures::StreamExt;
use futures::stream::{self, BoxStream};
use serde::{Deserialize, Serialize};
use unicrm_core::page::guarded_pages;
use unicrm_core::{
    Change, ChangeSet, ChangeStream, Checkpoint, Cursor, ListParams, Opportunity, OpportunityId,
    Resource, Result,
};

use super::{Dated, Dates, OVERLAP, encode, state_of};
use crate::resources::opportunities::Opportunities;

/// A checkpoint's state: the previous sweep's ids, and the sweep in progress (mid-way only).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct State {
    #[serde(default)]
    ids: Option<BTreeSet<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    sweep: Option<Sweep>,
}

/// A sweep in progress.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct Sweep {
    /// The `Date` of the sweep's first and latest answers.
    #[serde(default)]
    dates: Dates,
    /// The next page's cursor; `None` once every page was read.
    #[serde(default)]
    cursor: Option<String>,
    /// The ids met so far.
    #[serde(default)]
    seen: BTreeSet<String>,
}

struct Run<'a> {
    res: &'a Opportunities,
    at: DateTime<Utc>,
    since: DateTime<Utc>,
    before: Option<BTreeSet<String>>,
    sweep: Sweep,
    pages: BoxStream<'a, Result<Dated<Opportunity>>>,
    done: bool,
}

impl Run<'_> {
    /// The upserts of one page: ids not met before in this sweep, updated inside the window.
    fn page(&mut self, items: Vec<Opportunity>) -> Vec<Change<Opportunity, OpportunityId>> {
        let mut changes = Vec::new();
        for record in items {
            if !self.sweep.seen.insert(record.id.as_str().to_string()) {
                continue;
            }
            if record.updated_at.is_none_or(|t| t >= self.since) {
                changes.push(Change::Upserted { record });
            }
        }
        changes
    }

    /// The ids of the previous sweep this one did not meet, confirmed gone one by one: a
    /// `NotFound` is a deletion; a record that answers stays in the ids (met next time).
    async fn deletions(&mut self) -> Result<Vec<Change<Opportunity, OpportunityId>>> {
        let Some(before) = &self.before else {
            return Ok(Vec::new());
        };
        let missing: Vec<String> = before.difference(&self.sweep.seen).cloned().collect();
        let mut changes = Vec::new();
        for gone in missing {
            let id = OpportunityId::from(gone.as_str());
            match self.res.get(&id).await {
                Err(e) if e.is_not_found() => changes.push(Change::Deleted {
                    id,
                    deleted_at: None,
                }),
                Ok(_) => {
                    self.sweep.seen.insert(gone);
                }
                Err(e) => return Err(e),
            }
        }
        Ok(changes)
    }
}

/// The opportunity change stream from `cp` (see the module docs).
pub(crate) fn stream(res: &Opportunities, cp: Checkpoint) -> ChangeStream<'_, Opportunity> {
    let state = match state_of::<State>(&cp, "opportunity") {
        Ok(s) => s.unwrap_or_default(),
        Err(e) => return stream::once(async move { Err(e) }).boxed(),
    };
    let resumed = state.sweep.is_some();
    let sweep = state.sweep.unwrap_or_default();
    let mut params = ListParams::new();
    params.page_size = res.api.feed_page_size;
    params.cursor = sweep.cursor.clone().map(Cursor::new);
    // A resumed sweep whose pages were all read goes straight to its deletions.
    let pages = if resumed && sweep.cursor.is_none() {
        stream::empty().boxed()
    } else {
        guarded_pages(
            "highlevel opportunity feed",
            params,
            move |p: ListParams| async move {
                let (page, date) = res.search(&p).await?;
                Ok(Dated { page, date })
            },
        )
    };
    let run = Run {
        res,
        at: cp.at,
        since: cp.at - OVERLAP,
        before: state.ids,
        sweep,
        pages,
        done: false,
    };
    stream::try_unfold(run, |mut run| async move {
        if run.done {
            return Ok(None);
        }
        let (mut changes, next) = match run.pages.next().await {
            Some(page) => {
                let Dated { page, date } = page?;
                run.sweep.dates.add(date);
                (run.page(page.items), page.next)
            }
            None => (Vec::new(), None),
        };
        if let Some(cursor) = next {
            run.sweep.cursor = Some(cursor.as_str().to_string());
            let next = Checkpoint {
                at: run.at,
                state: encode(&State {
                    ids: run.before.clone(),
                    sweep: Some(run.sweep.clone()),
                }),
            };
            return Ok(Some((ChangeSet { changes, next }, run)));
        }
        changes.extend(run.deletions().await?);
        run.done = true;
        let next = Checkpoint {
            at: run.sweep.dates.next_at(run.at),
            state: encode(&State {
                ids: Some(std::mem::take(&mut run.sweep.seen)),
                sweep: None,
            }),
        };
        Ok(Some((ChangeSet { changes, next }, run)))
    })
    .boxed()
}
