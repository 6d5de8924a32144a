//! The id-scan change feed of tasks, as a change stream of one batch per page: see the
//! parent module's docs and `task_stream`.

use std::collections::{BTreeMap, BTreeSet, HashSet};

use chrono::{DateTime, Utc};
use futures::StreamExt;
use futures::stream::{self, BoxStream};
use serde::{Deserialize, Serialize};
use unicrm_core::error::Result;
use unicrm_core::page::guarded_pages;
use unicrm_core::{
    Change, ChangeSet, ChangeStream, Checkpoint, Cursor, ListParams, Record, Task, TaskId,
};

use super::{PRECISION, fingerprint, since_of};
use crate::client::Api;
use crate::mapping::task::task_from_wire;
use crate::paging::{DatedPage, fetch_dated};
use crate::wire::{self, WireTask};

/// Ids per multi-show request (docs/vendors/capsule-v2.md, "Multi-show").
pub const MULTI_SHOW: usize = 10;

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
struct ScanState {
    /// Format version (2; version 1 stored `updatedAt` instead of a fingerprint; 0 in a
    /// mid-way checkpoint of a first scan, which has no map yet).
    scan: u32,
    /// id → fingerprint (version 2) of the last complete scan.
    #[serde(default)]
    ids: BTreeMap<String, serde_json::Value>,
    /// The scan in progress, in a mid-way checkpoint of the change stream.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    sweep: Option<Sweep>,
}

/// A scan in progress: what a mid-way checkpoint keeps.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
struct Sweep {
    /// The `Date` of the scan's first response.
    #[serde(default)]
    date: Option<DateTime<Utc>>,
    /// The next page; `None` once every page was read (the read-backs are next).
    #[serde(default)]
    next: Option<Cursor>,
    /// id → fingerprint of the tasks this scan has met.
    #[serde(default)]
    seen: BTreeMap<String, u64>,
}

/// The previous id → fingerprint map (`None` on a first run). A version-1 map keeps its ids
/// (for deletions) with no fingerprint, so each record is reported once more.
fn previous(state: &ScanState) -> Option<BTreeMap<String, Option<u64>>> {
    match state.scan {
        1 | 2 => Some(
            state
                .ids
                .iter()
                .map(|(k, v)| (k.clone(), if state.scan == 2 { v.as_u64() } else { None }))
                .collect(),
        ),
        _ => None,
    }
}

fn scan_params(api: &Api) -> ListParams {
    let mut params = ListParams::new();
    params.page_size = api.feed_page_size;
    params
}

/// A scan being read (see the stream's docs).
struct Run<'a> {
    api: &'a Api,
    checkpoint: Checkpoint,
    /// The checkpoint's state without its sweep (kept verbatim in mid-way checkpoints).
    prior: ScanState,
    previous: Option<BTreeMap<String, Option<u64>>>,
    sweep: Sweep,
    pages: BoxStream<'a, Result<DatedPage<WireTask>>>,
    done: bool,
}

impl Run<'_> {
    /// The upserts among `records`: new ids and changed fingerprints (on a first run, records
    /// updated after the checkpoint); a record met again with the same fingerprint (offset
    /// paging repeats records under concurrent inserts) is not reported again.
    fn upserts(&mut self, records: Vec<Task>) -> Vec<Change<Task, TaskId>> {
        let since = since_of(&self.checkpoint);
        let mut changes = Vec::new();
        for r in records {
            let id = r.id().to_string();
            let fp = fingerprint(&r);
            if self.sweep.seen.insert(id.clone(), fp) == Some(fp) {
                continue;
            }
            let changed = match &self.previous {
                Some(prev) => prev.get(&id) != Some(&Some(fp)),
                None => r.updated_at().is_none_or(|u| u > since),
            };
            if changed {
                changes.push(Change::Upserted { record: r });
            }
        }
        changes
    }

    /// The checkpoint after a page with a next one: `at` unmoved, the scan in the state.
    fn mid_way(&self) -> Checkpoint {
        let mut state = self.prior.clone();
        state.sweep = Some(self.sweep.clone());
        Checkpoint {
            at: self.checkpoint.at,
            state: serde_json::to_value(state).ok(),
        }
    }

    /// The last batch's read-backs and deletions, and the final checkpoint: the ids of the
    /// previous scan this one did not meet are read back; those that answer count as listed,
    /// those that answer 404 are deleted.
    async fn finish(
        &mut self,
        mut changes: Vec<Change<Task, TaskId>>,
    ) -> Result<ChangeSet<Task, TaskId>> {
        let missing: Vec<String> = self
            .previous
            .as_ref()
            .map(|p| {
                p.keys()
                    .filter(|id| !self.sweep.seen.contains_key(*id))
                    .cloned()
                    .collect()
            })
            .unwrap_or_default();
        let (found, gone) = read_back_tasks(self.api, &missing).await?;
        let found: Vec<Task> = found
            .into_iter()
            .filter(|t| !gone.contains(&t.id().to_string()))
            .collect();
        changes.extend(self.upserts(found));
        for id in &gone {
            self.sweep.seen.remove(id);
            if let Ok(id) = serde_json::from_value::<TaskId>(serde_json::Value::String(id.clone()))
            {
                changes.push(Change::Deleted {
                    id,
                    deleted_at: None,
                });
            }
        }
        let cp = &self.checkpoint;
        let at = self
            .sweep
            .date
            .map_or(cp.at, |t| (t - PRECISION).max(cp.at));
        let ids = std::mem::take(&mut self.sweep.seen)
            .into_iter()
            .map(|(k, v)| (k, v.into()))
            .collect();
        Ok(ChangeSet {
            changes,
            next: Checkpoint {
                at,
                state: serde_json::to_value(ScanState {
                    scan: 2,
                    ids,
                    sweep: None,
                })
                .ok(),
            },
        })
    }
}

/// The task feed as a stream (see the parent module's docs): one batch per page of the
/// scan, the read-backs and deletions with the last page. A mid-way checkpoint keeps `at`,
/// the previous scan's map verbatim and the scan in progress (its first `Date`, the next
/// page, the ids met with their fingerprints); a stream started from it continues the same
/// scan and ends as an uninterrupted one would. An unreadable state starts a first run.
pub(crate) fn task_stream(api: &Api, checkpoint: Checkpoint) -> ChangeStream<'_, Task> {
    let mut prior: ScanState = checkpoint
        .state
        .clone()
        .and_then(|s| serde_json::from_value(s).ok())
        .unwrap_or_default();
    let sweep = prior.sweep.take();
    let resumed = sweep.is_some();
    let sweep = sweep.unwrap_or_default();
    let mut params = scan_params(api);
    params.cursor = sweep.next.clone();
    let pages = if resumed && sweep.next.is_none() {
        stream::empty().boxed()
    } else {
        guarded_pages(
            "capsule task scan",
            params,
            move |p: ListParams| async move {
                let first = crate::resources::tasks::first_page(&p);
                fetch_dated::<WireTask>(api, &first, &p, "tasks", |_| true, |t| t.id).await
            },
        )
    };
    let run = Run {
        api,
        previous: previous(&prior),
        prior,
        checkpoint,
        sweep,
        pages,
        done: false,
    };
    stream::try_unfold(run, |mut run| async move {
        if run.done {
            return Ok(None);
        }
        let (changes, next) = match run.pages.next().await {
            Some(page) => {
                let page = page?;
                run.sweep.date = run.sweep.date.or(page.date);
                let records = page.items.iter().map(task_from_wire).collect();
                (run.upserts(records), page.next)
            }
            None => (Vec::new(), None),
        };
        if next.is_some() {
            run.sweep.next = next;
            let next = run.mid_way();
            return Ok(Some((ChangeSet { changes, next }, run)));
        }
        run.done = true;
        let set = run.finish(changes).await?;
        Ok(Some((set, run)))
    })
    .boxed()
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

/// The task feed: `task_stream` collected.
pub(crate) async fn task_changes(
    api: &Api,
    checkpoint: &Checkpoint,
) -> Result<ChangeSet<Task, TaskId>> {
    unicrm_core::collect_changes(checkpoint, task_stream(api, checkpoint.clone())).await
}
