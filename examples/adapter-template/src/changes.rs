//! The contact change feed: upserts from `updated_since` listings, deletions from Tinycrm's
//! deleted-contacts list (`API.md`, Contacts).
//!
//! Integrity, as every unicrm feed:
//! - the next checkpoint comes from Tinycrm's clock (the `Date` of the first answer, less one
//!   second for its whole-second precision), never from ours, and never moves backwards or
//!   without a `Date`; a change made while the listing runs is after it, so the next call
//!   sees it;
//! - a deletion is Tinycrm's own record of it, so it is reported only for a contact that is
//!   really gone (an adapter that finds deletions by comparing ids must read each missing id
//!   back and count only a 404).

use chrono::{DateTime, Duration, SecondsFormat, Utc};
use futures::TryStreamExt;
use unicrm_core::{
    Change, ChangeSet, Checkpoint, Contact, ContactId, ListParams, ResourceExt, Result,
};

use crate::resources::contact::Contacts;
use crate::wire::contact::WireDeletedList;

/// The changes since `cp`.
pub(crate) async fn contacts(
    res: &Contacts,
    cp: &Checkpoint,
) -> Result<ChangeSet<Contact, ContactId>> {
    let since = cp.at.to_rfc3339_opts(SecondsFormat::Millis, true);
    // Deletions first: their answer's `Date` is the vendor's time before the listing starts.
    let req = res.http.get("contacts/deleted")?.query("since", &since);
    let answer = res.http.send(req).await?;
    let vendor_now = answer
        .header("date")
        .and_then(|d| DateTime::parse_from_rfc2822(d).ok())
        .map(|d| d.with_timezone(&Utc));
    let deleted: WireDeletedList = answer.json()?;

    // Upserts: every page through core's loop (and its guards).
    let params = ListParams::new().updated_since(cp.at);
    let upserts: Vec<Contact> = res.stream_all(params).try_collect().await?;

    let mut changes: Vec<_> = upserts
        .into_iter()
        .map(|record| Change::Upserted { record })
        .collect();
    changes.extend(deleted.data.into_iter().map(|d| Change::Deleted {
        id: d.id.into(),
        deleted_at: d.deleted_at,
    }));
    let at = match vendor_now {
        Some(now) => (now - Duration::seconds(1)).max(cp.at),
        None => cp.at,
    };
    Ok(ChangeSet {
        changes,
        next: Checkpoint::at(at),
    })
}
