//! The change feed (`Resource::changes_since`).
//!
//! **Parties and opportunities** (native): upserts from the list endpoint with `since`, all
//! pages; deletions from `/parties/deleted?since=` / `/opportunities/deleted?since=`. `since`
//! is the checkpoint minus one second (Capsule's `since` strictness is undocumented), and
//! records are de-duplicated by id (the latest `updatedAt` wins; a record both upserted and
//! deleted is reported deleted). The next checkpoint is the latest `updatedAt`/`deletedAt`
//! seen, or the time of the request when nothing changed — never earlier than the checkpoint.
//! Capsule's deleted-parties feed does not say whether a party was a person or an
//! organisation, so contacts *and* accounts report every deleted party id.
//!
//! **Tasks and notes** (id scan): Capsule has neither `since` nor a deleted feed for them. The
//! whole listing is read and compared with the id → `updatedAt` map stored in
//! [`Checkpoint::state`]: new ids and changed `updatedAt`s are upserts, ids that disappeared
//! are deletions. Without a stored map (first run), records updated after the checkpoint are
//! upserts and no deletions are reported. The state grows with the number of records
//! (about 40 bytes each).

use std::collections::{BTreeMap, HashMap, HashSet};

use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};
use unicrm_core::error::Result;
use unicrm_core::{Change, ChangeSet, Checkpoint, ListParams, Record};

use crate::client::Api;
use crate::resources::parties::PartyRecord;
use crate::wire::{self, DeletedRecord};

/// The overlap applied to `since`.
pub const OVERLAP: Duration = Duration::seconds(1);

fn since_of(cp: &Checkpoint) -> DateTime<Utc> {
    cp.at - OVERLAP
}

/// Upserts de-duplicated by id (latest `updatedAt` wins, first-seen order kept), deletions
/// win over upserts, next checkpoint per the module docs.
pub fn assemble<R: Record>(
    upserts: Vec<R>,
    deleted: Vec<DeletedRecord>,
    id_from: impl Fn(u64) -> R::Id,
    checkpoint: &Checkpoint,
    request_time: DateTime<Utc>,
) -> ChangeSet<R, R::Id> {
    let deleted_ids: HashSet<R::Id> = deleted.iter().map(|d| id_from(d.id)).collect();
    let mut order: Vec<R::Id> = Vec::new();
    let mut latest: HashMap<R::Id, R> = HashMap::new();
    let mut newest: Option<DateTime<Utc>> = None;
    for r in upserts {
        newest = newest.max(r.updated_at());
        let id = r.id().clone();
        if deleted_ids.contains(&id) {
            continue;
        }
        match latest.get(&id) {
            Some(prev) if prev.updated_at() >= r.updated_at() => {}
            Some(_) => {
                latest.insert(id, r);
            }
            None => {
                order.push(id.clone());
                latest.insert(id, r);
            }
        }
    }
    let mut changes: Vec<Change<R, R::Id>> = order
        .into_iter()
        .filter_map(|id| latest.remove(&id))
        .map(|record| Change::Upserted { record })
        .collect();
    let mut seen_deleted = HashSet::new();
    for d in &deleted {
        newest = newest.max(d.deleted_at);
        if seen_deleted.insert(d.id) {
            changes.push(Change::Deleted {
                id: id_from(d.id),
                deleted_at: d.deleted_at,
            });
        }
    }
    let at = newest.unwrap_or(request_time).max(checkpoint.at);
    ChangeSet {
        changes,
        next: Checkpoint::at(at),
    }
}

async fn deleted_since(
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

/// Changes of contacts or accounts (`pick` keeps the wanted kind).
pub(crate) async fn party_changes<R: Record>(
    api: &Api,
    checkpoint: &Checkpoint,
    pick: impl Fn(PartyRecord) -> Option<R>,
    id_from: impl Fn(u64) -> R::Id,
) -> Result<ChangeSet<R, R::Id>> {
    let request_time = api.clock.now();
    let since = since_of(checkpoint);
    let mut params = ListParams::new().updated_since(since);
    let mut upserts = Vec::new();
    loop {
        let (items, next) = api.party_page(&params, |_| true).await?;
        upserts.extend(items.into_iter().filter_map(&pick));
        match next {
            Some(n) => params.cursor = Some(n),
            None => break,
        }
    }
    let deleted = deleted_since(api, "parties", since).await?;
    Ok(assemble(
        upserts,
        deleted,
        id_from,
        checkpoint,
        request_time,
    ))
}

/// Changes of opportunities.
pub(crate) async fn opportunity_changes(
    api: &Api,
    checkpoint: &Checkpoint,
) -> Result<ChangeSet<unicrm_core::Opportunity, unicrm_core::OpportunityId>> {
    use unicrm_core::Resource;
    let request_time = api.clock.now();
    let since = since_of(checkpoint);
    let mut params = ListParams::new().updated_since(since);
    let mut upserts = Vec::new();
    loop {
        let page = Resource::<unicrm_core::Opportunity>::list(api, &params).await?;
        upserts.extend(page.items);
        match page.next {
            Some(n) => params.cursor = Some(n),
            None => break,
        }
    }
    let deleted = deleted_since(api, "opportunities", since).await?;
    Ok(assemble(
        upserts,
        deleted,
        unicrm_core::OpportunityId::from,
        checkpoint,
        request_time,
    ))
}

#[derive(Debug, Default, Serialize, Deserialize)]
struct ScanState {
    /// Format version.
    scan: u32,
    /// id → `updatedAt` (RFC 3339) or null.
    ids: BTreeMap<String, Option<DateTime<Utc>>>,
}

/// Id-scan changes from a full listing (see the module docs).
pub fn scanned_changes<R: Record>(
    records: Vec<R>,
    checkpoint: &Checkpoint,
    request_time: DateTime<Utc>,
) -> ChangeSet<R, R::Id> {
    let previous: Option<ScanState> = checkpoint
        .state
        .clone()
        .and_then(|s| serde_json::from_value(s).ok())
        .filter(|s: &ScanState| s.scan == 1);
    let since = since_of(checkpoint);
    let mut state = ScanState {
        scan: 1,
        ids: BTreeMap::new(),
    };
    let mut changes = Vec::new();
    for r in records {
        let id = r.id().to_string();
        if state.ids.contains_key(&id) {
            continue;
        }
        state.ids.insert(id.clone(), r.updated_at());
        let changed = match &previous {
            Some(prev) => prev.ids.get(&id) != Some(&r.updated_at()),
            None => r.updated_at().is_none_or(|u| u > since),
        };
        if changed {
            changes.push(Change::Upserted { record: r });
        }
    }
    if let Some(prev) = &previous {
        for id in prev.ids.keys() {
            if !state.ids.contains_key(id) {
                if let Ok(id) =
                    serde_json::from_value::<R::Id>(serde_json::Value::String(id.clone()))
                {
                    changes.push(Change::Deleted {
                        id,
                        deleted_at: None,
                    });
                }
            }
        }
    }
    ChangeSet {
        changes,
        next: Checkpoint {
            at: request_time.max(checkpoint.at),
            state: serde_json::to_value(&state).ok(),
        },
    }
}

/// Reads every page of a resource and runs the id scan.
pub(crate) async fn scan_resource<R: Record>(
    resource: &dyn unicrm_core::Resource<R>,
    api: &Api,
    checkpoint: &Checkpoint,
) -> Result<ChangeSet<R, R::Id>> {
    use futures::TryStreamExt;
    use unicrm_core::ResourceExt;
    let request_time = api.clock.now();
    let all: Vec<R> = resource.stream_all(ListParams::new()).try_collect().await?;
    Ok(scanned_changes(all, checkpoint, request_time))
}
