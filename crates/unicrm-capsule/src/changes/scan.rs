//! The id-scan change feed of tasks: see the parent module's docs.

use std::collections::{BTreeMap, BTreeSet, HashSet};

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use unicrm_core::error::Result;
use unicrm_core::page::collect_pages;
use unicrm_core::{Change, ChangeSet, Checkpoint, ListParams, Record, Task, TaskId};

use super::{PRECISION, fingerprint, since_of};
use crate::client::Api;
use crate::mapping::task::task_from_wire;
use crate::paging::{DatedPage, fetch_dated};
use crate::wire::{self, Decoded, WireTask};

/// Ids per multi-show request (docs/vendors/capsule-v2.md, "Multi-show").
pub const MULTI_SHOW: usize = 10;

#[derive(Debug, Default, Serialize, Deserialize)]
struct ScanState {
    /// Format version (2; version 1 stored `updatedAt` instead of a fingerprint).
    scan: u32,
    /// id → fingerprint (version 2).
    #[serde(default)]
    ids: BTreeMap<String, serde_json::Value>,
}

/// The previous id → fingerprint map (`None` on a first run). A version-1 map keeps its ids
/// (for deletions) with no fingerprint, so each record is reported once more.
fn previous(cp: &Checkpoint) -> Option<BTreeMap<String, Option<u64>>> {
    let s: ScanState = serde_json::from_value(cp.state.clone()?).ok()?;
    match s.scan {
        1 | 2 => Some(
            s.ids
                .into_iter()
                .map(|(k, v)| (k, if s.scan == 2 { v.as_u64() } else { None }))
                .collect(),
        ),
        _ => None,
    }
}

/// The ids of the previous scan that a listing did not return: to be read back.
pub fn missing_ids<R: Record>(records: &[R], checkpoint: &Checkpoint) -> Vec<String> {
    let Some(prev) = previous(checkpoint) else {
        return Vec::new();
    };
    let listed: HashSet<String> = records.iter().map(|r| r.id().to_string()).collect();
    prev.into_keys().filter(|id| !listed.contains(id)).collect()
}

/// One record per id, in first-seen order; a record read twice (offset paging repeats records
/// under concurrent inserts) keeps its later reading unless that one is older.
fn latest_first_seen<R: Record>(records: Vec<R>) -> Vec<R> {
    let mut index: std::collections::HashMap<R::Id, usize> = std::collections::HashMap::new();
    let mut out: Vec<R> = Vec::new();
    for r in records {
        match index.get(r.id()) {
            Some(&i) if out[i].updated_at() <= r.updated_at() => out[i] = r,
            Some(_) => {}
            None => {
                index.insert(r.id().clone(), out.len());
                out.push(r);
            }
        }
    }
    out
}

/// Id-scan changes (see the module docs): `records` is the listing plus the missing ids
/// that answered when read back, `gone` the missing ids that answered 404. `vendor_now` is the
/// `Date` of the listing's first response.
pub fn scanned_changes<R: Record>(
    records: Vec<R>,
    gone: &BTreeSet<String>,
    checkpoint: &Checkpoint,
    vendor_now: Option<DateTime<Utc>>,
) -> ChangeSet<R, R::Id> {
    let previous = previous(checkpoint);
    let since = since_of(checkpoint);
    let mut ids: BTreeMap<String, serde_json::Value> = BTreeMap::new();
    let mut changes = Vec::new();
    for r in latest_first_seen(records) {
        let id = r.id().to_string();
        if gone.contains(&id) {
            continue;
        }
        let fp = fingerprint(&r);
        ids.insert(id.clone(), fp.into());
        let changed = match &previous {
            Some(prev) => prev.get(&id) != Some(&Some(fp)),
            None => r.updated_at().is_none_or(|u| u > since),
        };
        if changed {
            changes.push(Change::Upserted { record: r });
        }
    }
    if let Some(prev) = &previous {
        for id in gone.iter().filter(|id| prev.contains_key(*id)) {
            if let Ok(id) = serde_json::from_value::<R::Id>(serde_json::Value::String(id.clone())) {
                changes.push(Change::Deleted {
                    id,
                    deleted_at: None,
                });
            }
        }
    }
    let at = vendor_now.map_or(checkpoint.at, |t| (t - PRECISION).max(checkpoint.at));
    ChangeSet {
        changes,
        next: Checkpoint {
            at,
            state: serde_json::to_value(ScanState { scan: 2, ids }).ok(),
        },
    }
}

fn scan_params(api: &Api) -> ListParams {
    let mut params = ListParams::new();
    params.page_size = api.feed_page_size;
    params
}

/// The records of every page, mapped, with the first `Date` any page carried.
fn flatten_dated<T, R>(
    pages: Vec<DatedPage<T>>,
    map: impl Fn(&Decoded<T>) -> R,
) -> (Vec<R>, Option<DateTime<Utc>>) {
    let date = pages.iter().find_map(|p| p.date);
    let out = pages
        .iter()
        .flat_map(|p| p.items.iter().map(&map))
        .collect();
    (out, date)
}

/// Every task (all statuses), with the first response's `Date`.
async fn list_tasks(api: &Api) -> Result<(Vec<Task>, Option<DateTime<Utc>>)> {
    let params = scan_params(api);
    let first = &crate::resources::tasks::first_page(&params);
    let pages = collect_pages("capsule task scan", params, |p: ListParams| async move {
        fetch_dated::<WireTask>(api, first, &p, "tasks", |_| true, |t| t.id).await
    })
    .await?;
    Ok(flatten_dated(pages, task_from_wire))
}

/// Reads back one task: `Some` when it answers, `None` on 404 (gone).
async fn read_back_task(api: &Api, id: &str) -> Result<Option<Task>> {
    match api.get_path(&format!("tasks/{id}"), &[]).await {
        Ok(resp) => Ok(Some(task_from_wire(&wire::decode_one::<WireTask>(
            &resp.body, "task",
        )?))),
        Err(e) if e.is_not_found() => Ok(None),
        Err(e) => Err(e),
    }
}

/// Reads back tasks by multi-show; returns those that answered and the ids that are gone.
///
/// A chunk of one id is an ordinary show (`GET /tasks/{id}` answers the singular `task`
/// wrapper, not `tasks`: docs/vendors/capsule-v2.md, "Multi-show"), so it is read as one.
/// Only a 404 of a single read is a deletion: a multi-show that answers 404, or a 200 that
/// leaves an id out, sends its ids to single reads.
async fn read_back_tasks(api: &Api, ids: &[String]) -> Result<(Vec<Task>, BTreeSet<String>)> {
    let mut found = Vec::new();
    let mut unanswered: Vec<&String> = Vec::new();
    for chunk in ids.chunks(MULTI_SHOW) {
        if let [_] = chunk {
            unanswered.extend(chunk);
            continue;
        }
        match api
            .get_path(&format!("tasks/{}", chunk.join(",")), &[])
            .await
        {
            Ok(resp) => {
                let items = wire::decode_list::<WireTask>(&resp.body, "tasks")?;
                let answered: HashSet<String> =
                    items.iter().map(|d| d.wire.id.to_string()).collect();
                found.extend(items.iter().map(task_from_wire));
                unanswered.extend(chunk.iter().filter(|id| !answered.contains(*id)));
            }
            Err(e) if e.is_not_found() => unanswered.extend(chunk),
            Err(e) => return Err(e),
        }
    }
    let mut gone = BTreeSet::new();
    for id in unanswered {
        match read_back_task(api, id).await? {
            Some(t) => found.push(t),
            None => {
                gone.insert(id.clone());
            }
        }
    }
    Ok((found, gone))
}

/// The task feed.
pub(crate) async fn task_changes(
    api: &Api,
    checkpoint: &Checkpoint,
) -> Result<ChangeSet<Task, TaskId>> {
    let (mut records, date) = list_tasks(api).await?;
    let missing = missing_ids(&records, checkpoint);
    let (found, gone) = read_back_tasks(api, &missing).await?;
    records.extend(found);
    Ok(scanned_changes(records, &gone, checkpoint, date))
}
