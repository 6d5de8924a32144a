//! The opportunity change feed (docs/vendors/highlevel-v2.md, "Incremental reads and
//! deletions"): a full sweep of `GET /opportunities/search`, diffed.
//!
//! The `POST /opportunities/search` `date_updated` filter is unverified live (connectors do
//! full refreshes) and the GET search has no updated-since filter, so the feed sweeps: every
//! opportunity whose `updatedAt` is at or after the checkpoint (less the one-minute overlap)
//! is an upsert. The ids seen are kept in the checkpoint's state; an id seen last time and
//! missing now is reported deleted only once `GET /opportunities/{id}` confirms it with
//! `NotFound` (a record that moved out of the listing, or a lagging search, is not a deletion).
//! The first sweep reports no deletions (nothing to diff against). The next checkpoint comes
//! from the vendor's clock.

use std::collections::BTreeSet;

use serde_json::json;
use unicrm_core::change::next_checkpoint;
use unicrm_core::{
    Change, ChangeSet, Checkpoint, ListParams, Opportunity, OpportunityId, Resource, Result,
};

use super::OVERLAP;
use crate::resources::opportunities::Opportunities;

/// The ids a checkpoint's state holds (`{"ids":[…]}`), if any.
fn previous_ids(cp: &Checkpoint) -> Option<BTreeSet<String>> {
    let ids = cp.state.as_ref()?.get("ids")?.as_array()?;
    Some(
        ids.iter()
            .filter_map(|v| v.as_str().map(str::to_string))
            .collect(),
    )
}

/// The changes since `cp`.
pub(crate) async fn changes(
    res: &Opportunities,
    cp: &Checkpoint,
) -> Result<ChangeSet<Opportunity, OpportunityId>> {
    let since = cp.at - OVERLAP;
    let mut params = ListParams::new();
    let (mut first, mut last) = (None, None);
    let mut ids = BTreeSet::new();
    let mut changes = Vec::new();
    let mut pages = 0u64;
    loop {
        let (page, date) = res.search(&params).await?;
        pages += 1;
        first = first.or(date);
        last = date.or(last);
        for record in page.items {
            if !ids.insert(record.id.as_str().to_string()) {
                continue;
            }
            if record.updated_at.is_none_or(|t| t >= since) {
                changes.push(Change::Upserted { record });
            }
        }
        match page.next {
            Some(next) if pages < unicrm_core::page::DEFAULT_MAX_PAGES => {
                params = params.cursor(Some(next));
            }
            _ => break,
        }
    }
    if let Some(before) = previous_ids(cp) {
        let missing: Vec<String> = before.difference(&ids).cloned().collect();
        for gone in missing {
            let id = OpportunityId::from(gone.as_str());
            match res.get(&id).await {
                Err(e) if e.is_not_found() => changes.push(Change::Deleted {
                    id,
                    deleted_at: None,
                }),
                // Still there (or not known): not a deletion; seen again next time.
                Ok(_) => {
                    ids.insert(gone);
                }
                Err(e) => return Err(e),
            }
        }
    }
    let at = next_checkpoint(cp.at, first, last, false, chrono::Duration::milliseconds(1));
    Ok(ChangeSet {
        changes,
        next: Checkpoint {
            at,
            state: Some(json!({ "ids": ids })),
        },
    })
}
