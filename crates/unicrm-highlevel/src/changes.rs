//! The contact change feed (docs/vendors/highlevel-v2.md, "Incremental reads and
//! deletions").
//!
//! - Upserts: `POST /contacts/search` with `dateUpdated >= checkpoint − overlap`, sorted by
//!   `dateUpdated` ascending and paged by `searchAfter`. The overlap (one minute) covers
//!   search lag: a write can reach search seconds after it happened. Ids are de-duplicated.
//! - The next checkpoint comes from HighLevel's clock (core's `change::next_checkpoint` over
//!   the `Date` of the first and last answers), never from ours.
//! - Deletions: HighLevel lists no deleted records; they arrive as `ContactDelete` webhooks
//!   (`hooks.rs`), so the feed reports none (the capabilities say `DeletionDetection::None`).

use std::collections::HashSet;

pub(crate) mod opportunities;

use unicrm_core::change::next_checkpoint;
use unicrm_core::{Change, ChangeSet, Checkpoint, Contact, ContactId, ListParams, Result};

use crate::resources::contacts::Contacts;

/// How far before the checkpoint each read starts (search lag).
pub const OVERLAP: chrono::Duration = chrono::Duration::seconds(60);

/// The changes since `cp`.
pub(crate) async fn contacts(
    res: &Contacts,
    cp: &Checkpoint,
) -> Result<ChangeSet<Contact, ContactId>> {
    let since = cp.at - OVERLAP;
    let mut params = ListParams::new().updated_since(since);
    let mut first = None;
    let mut last = None;
    let mut seen = HashSet::new();
    let mut changes = Vec::new();
    let mut pages = 0u64;
    loop {
        let (page, date) = res.search(&params).await?;
        pages += 1;
        first = first.or(date);
        last = date.or(last);
        for record in page.items {
            if seen.insert(record.id.clone()) {
                changes.push(Change::Upserted { record });
            }
        }
        match page.next {
            Some(next) if pages < 100_000 => params = params.cursor(Some(next)),
            _ => break,
        }
    }
    Ok(ChangeSet {
        changes,
        next: Checkpoint::at(next_checkpoint(
            cp.at,
            first,
            last,
            false,
            chrono::Duration::milliseconds(1),
        )),
    })
}
