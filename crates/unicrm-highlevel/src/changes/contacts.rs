//! The contact change feed (docs/vendors/highlevel-v2.md, "Incremental reads and
//! deletions", "Contacts search and searchAfter"), one batch per search page.
//!
//! - Upserts: `POST /contacts/search` with `dateUpdated >= checkpoint − overlap`, sorted by
//!   `dateUpdated` ascending and paged by `searchAfter`. The overlap (one minute) covers
//!   search lag: a write can reach search seconds after it happened. Ids are de-duplicated
//!   within a page; a contact updated while the window is read moves past the cursor (its
//!   `dateUpdated` grows) and is met again, newer, in a later batch.
//! - A mid-way checkpoint (`{"contacts": {"first", "last", "cursor"}}`) keeps the window's
//!   `at` and the next page's `searchAfter` cursor; the last batch's checkpoint has no state
//!   (see the parent module for the rules).
//! - Deletions: HighLevel lists no deleted records; they arrive as `ContactDelete` webhooks
//!   (`hooks.rs`), so the feed reports none (the capabilities say `DeletionDetection::None`).

use futures::StreamExt;
use futures::stream::{self, BoxStream};
use serde::{Deserialize, Serialize};
use unicrm_core::page::guarded_pages;
use unicrm_core::{ChangeSet, ChangeStream, Checkpoint, Contact, Cursor, ListParams, Result};

use super::{Dated, Dates, encode, state_of, upserts};
use crate::resources::contacts::Contacts;

/// How far before the checkpoint each read starts (search lag).
pub const OVERLAP: chrono::Duration = chrono::Duration::seconds(60);

/// A mid-way checkpoint's state.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct State {
    contacts: Window,
}

/// The window's listing so far.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct Window {
    /// The `Date` of the listing's first and latest answers.
    dates: Dates,
    /// The next page's cursor (the search cursor of `paging.rs`).
    cursor: String,
}

struct Run<'a> {
    at: chrono::DateTime<chrono::Utc>,
    dates: Dates,
    pages: BoxStream<'a, Result<Dated<Contact>>>,
    done: bool,
}

/// The contact change stream from `cp` (see the module docs).
pub(crate) fn stream(res: &Contacts, cp: Checkpoint) -> ChangeStream<'_, Contact> {
    let window = match state_of::<State>(&cp, "contact") {
        Ok(s) => s.map(|s| s.contacts),
        Err(e) => return stream::once(async move { Err(e) }).boxed(),
    };
    let mut params = ListParams::new().updated_since(cp.at - OVERLAP);
    params.page_size = res.api.feed_page_size;
    let dates = window.as_ref().map(|w| w.dates).unwrap_or_default();
    params.cursor = window.map(|w| Cursor::new(w.cursor));
    let pages = guarded_pages(
        "highlevel contact feed",
        params,
        move |p: ListParams| async move {
            let (page, date) = res.search(&p).await?;
            Ok(Dated { page, date })
        },
    );
    let run = Run {
        at: cp.at,
        dates,
        pages,
        done: false,
    };
    stream::try_unfold(run, |mut run| async move {
        if run.done {
            return Ok(None);
        }
        let (changes, next) = match run.pages.next().await {
            Some(page) => {
                let Dated { page, date } = page?;
                run.dates.add(date);
                (upserts(page.items), page.next)
            }
            None => (Vec::new(), None),
        };
        let next = match next {
            Some(cursor) => Checkpoint {
                at: run.at,
                state: encode(&State {
                    contacts: Window {
                        dates: run.dates,
                        cursor: cursor.as_str().to_string(),
                    },
                }),
            },
            None => {
                run.done = true;
                Checkpoint::at(run.dates.next_at(run.at))
            }
        };
        Ok(Some((ChangeSet { changes, next }, run)))
    })
    .boxed()
}
