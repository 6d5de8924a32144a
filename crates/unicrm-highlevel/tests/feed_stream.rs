//! The contact and opportunity change streams over the simulator, at a small feed page size
//! (2): one batch per page; a mid-way checkpoint keeps the window's `at`; resuming after every
//! batch (reading the next one and dropping it unapplied) while another user edits between
//! batches, then one more read, gives the vendor's state; the same chain without writes gives
//! the uninterrupted read's replica; a deletion is reported only of a removed opportunity; a
//! forged checkpoint is a typed error, never a panic.

use std::collections::{BTreeMap, BTreeSet};

use futures::StreamExt;
use serde_json::{Map, Value, json};
use unicrm_core::{
    Change, ChangeSet, Checkpoint, Contact, Crm, Error, Opportunity, Record, Resource,
    collect_changes,
};
use unicrm_highlevel::HighLevelClient;
use unicrm_sim::{HighLevelSim, HighLevelSimHandle, HighLevelSimOptions, SeedOptions};

const PAGE: u32 = 2;

async fn start() -> (HighLevelSimHandle, HighLevelClient) {
    let sim = HighLevelSim::start(HighLevelSimOptions {
        seed: SeedOptions {
            seed: 11,
            records: 12,
        },
        burst_max: 0,
        ..HighLevelSimOptions::default()
    })
    .await
    .expect("sim");
    let crm = HighLevelClient::builder()
        .base_url(sim.base_url.as_str())
        .location_id(sim.location_id.clone())
        .company_id(sim.company_id.clone())
        .private_integration_token(sim.token.clone())
        .currency(unicrm_core::Currency::new("EUR").expect("code"))
        .burst_limit(10_000, std::time::Duration::from_secs(1))
        .feed_page_size(PAGE)
        .build()
        .expect("client");
    (sim, crm)
}

fn epoch() -> Checkpoint {
    Checkpoint::at(chrono::DateTime::UNIX_EPOCH)
}

fn fields(v: Value) -> Map<String, Value> {
    v.as_object().cloned().unwrap_or_default()
}

/// id → marker (a contact's first name, an opportunity's name).
type Replica = BTreeMap<String, Option<String>>;

/// Applies a batch; returns the ids it reports deleted.
fn apply<R: Record>(
    replica: &mut Replica,
    set: &ChangeSet<R, R::Id>,
    marker: fn(&R) -> Option<String>,
) -> Vec<String> {
    let mut deleted = Vec::new();
    let mut ids = BTreeSet::new();
    for c in &set.changes {
        match c {
            Change::Upserted { record } => {
                assert!(deleted.is_empty(), "upserts come before deletions");
                assert!(ids.insert(record.id().to_string()), "once per batch");
                replica.insert(record.id().to_string(), marker(record));
            }
            Change::Deleted { id, .. } => {
                assert!(ids.insert(id.to_string()), "once per batch");
                replica.remove(&id.to_string());
                deleted.push(id.to_string());
            }
            _ => {}
        }
    }
    deleted
}

/// Every batch of one uninterrupted stream.
async fn batches<R: Record>(res: &dyn Resource<R>, cp: &Checkpoint) -> Vec<ChangeSet<R, R::Id>> {
    let mut s = res.change_stream(cp.clone());
    let mut out = Vec::new();
    while let Some(b) = s.next().await {
        out.push(b.expect("batch"));
    }
    out
}

/// Resumes after every batch from `start` (reading the next batch and dropping it), calling
/// `between` after each resume, until a stream ends; then one more uninterrupted read.
/// Returns the replica, the deletions reported and the streams started.
async fn chain<R: Record>(
    res: &dyn Resource<R>,
    start: &Checkpoint,
    marker: fn(&R) -> Option<String>,
    mut between: impl FnMut(usize),
) -> (Replica, Vec<String>, usize) {
    let mut replica = Replica::new();
    let mut deleted = Vec::new();
    let mut cp = start.clone();
    for n in 1..200 {
        let mut s = res.change_stream(cp.clone());
        let batch = s.next().await.expect("a batch").expect("no error");
        deleted.extend(apply(&mut replica, &batch, marker));
        cp = batch.next;
        let more = s.next().await;
        drop(s);
        match more {
            None => {
                for b in batches(res, &cp).await {
                    deleted.extend(apply(&mut replica, &b, marker));
                }
                return (replica, deleted, n);
            }
            Some(b) => {
                b.expect("no error");
                assert_eq!(
                    cp.at, start.at,
                    "a mid-way checkpoint keeps the window's at"
                );
            }
        }
        between(n);
    }
    panic!("resuming after every batch never reached the stream's end");
}

fn contact_marker(c: &Contact) -> Option<String> {
    c.first_name.clone()
}

fn opportunity_marker(o: &Opportunity) -> Option<String> {
    Some(o.name.clone())
}

fn contacts_truth(sim: &HighLevelSimHandle) -> Replica {
    sim.contacts()
        .iter()
        .map(|c| {
            (
                c["id"].as_str().unwrap_or_default().to_string(),
                c.get("firstName")
                    .and_then(Value::as_str)
                    .map(str::to_string),
            )
        })
        .collect()
}

fn opportunities_truth(sim: &HighLevelSimHandle) -> Replica {
    sim.opportunities()
        .iter()
        .map(|o| {
            (
                o["id"].as_str().unwrap_or_default().to_string(),
                o.get("name").and_then(Value::as_str).map(str::to_string),
            )
        })
        .collect()
}

#[tokio::test]
async fn contacts_resumed_after_every_batch_while_another_user_edits_reach_the_vendor_state() {
    let (sim, crm) = start().await;
    let res = crm.contacts();
    let all = batches(res, &epoch()).await;
    let pages = 12usize.div_ceil(PAGE as usize);
    assert_eq!(all.len(), pages, "12 contacts, {PAGE} a page");
    for b in &all[..pages - 1] {
        assert_eq!(b.next.at, epoch().at);
        assert!(b.next.state.is_some());
    }
    // The last batch moves `at` and carries no state.
    assert!(all[pages - 1].next.at > epoch().at);
    assert_eq!(all[pages - 1].next.state, None);
    let mut uninterrupted = Replica::new();
    for b in &all {
        apply(&mut uninterrupted, b, contact_marker);
    }
    assert_eq!(uninterrupted, contacts_truth(&sim));
    // Collected, the stream is changes_since.
    let set = res.changes_since(&epoch()).await.expect("changes_since");
    let mut since = Replica::new();
    apply(&mut since, &set, contact_marker);
    assert_eq!(since, uninterrupted);
    let collected = collect_changes(&epoch(), res.change_stream(epoch()))
        .await
        .expect("collected");
    let mut from_collected = Replica::new();
    apply(&mut from_collected, &collected, contact_marker);
    assert_eq!(from_collected, uninterrupted);

    let (quiet, _, n) = chain(res, &epoch(), contact_marker, |_| {}).await;
    assert_eq!(quiet, uninterrupted);
    assert_eq!(n, pages);

    // Between batches: a contact already read and one not yet read are edited, one is added.
    let ids: Vec<String> = uninterrupted.keys().cloned().collect();
    let (writing, _, n) = chain(res, &epoch(), contact_marker, |i| {
        for id in [&ids[i % ids.len()], &ids[(i * 5 + 7) % ids.len()]] {
            assert!(sim.touch_contact(id, fields(json!({"firstName": format!("w{i}")}))));
        }
        sim.insert_contact(fields(
            json!({"firstName": format!("new{i}"), "lastName": "X"}),
        ));
    })
    .await;
    assert!(n >= pages, "{n}");
    assert_eq!(writing, contacts_truth(&sim));
}

#[tokio::test]
async fn opportunities_resumed_after_every_batch_report_only_real_deletions() {
    let (sim, crm) = start().await;
    let res = crm.opportunities();
    let truth = opportunities_truth(&sim);
    assert!(truth.len() > 2 * PAGE as usize, "{}", truth.len());
    let all = batches(res, &epoch()).await;
    assert_eq!(all.len(), truth.len().div_ceil(PAGE as usize));
    let mut uninterrupted = Replica::new();
    for b in &all {
        assert!(apply(&mut uninterrupted, b, opportunity_marker).is_empty());
    }
    assert_eq!(uninterrupted, truth);
    let baseline = all.last().expect("a batch").next.clone();
    let (quiet, deleted, _) = chain(res, &baseline, opportunity_marker, |_| {}).await;
    assert!(deleted.is_empty(), "{deleted:?}");
    // The second sweep reports what the overlap holds again, as it is.
    for (id, name) in &quiet {
        assert_eq!(truth.get(id), Some(name), "{id}");
    }

    // From the baseline: between batches one opportunity is renamed and one removed.
    let ids: Vec<String> = truth.keys().cloned().collect();
    let mut removed = Vec::new();
    let (writing, deleted, _) = chain(res, &baseline, opportunity_marker, |i| {
        let rename = &ids[(i * 3) % ids.len()];
        sim.touch_opportunity(rename, fields(json!({"name": format!("renamed {i}")})));
        let gone = &ids[ids.len() - i];
        if sim.remove_opportunity(gone) {
            removed.push(gone.clone());
        }
    })
    .await;
    assert!(!removed.is_empty());
    let reported: BTreeSet<String> = deleted.into_iter().collect();
    let removed: BTreeSet<String> = removed.into_iter().collect();
    assert_eq!(reported, removed, "each removal reported, nothing else");
    let now = opportunities_truth(&sim);
    for (id, name) in &writing {
        assert_eq!(
            now.get(id),
            Some(name),
            "{id}: the replica's version is current"
        );
    }
    for (id, name) in &now {
        if name.as_deref().is_some_and(|n| n.starts_with("renamed")) {
            assert_eq!(writing.get(id), Some(name), "{id}: the rename arrived");
        }
    }
}

#[tokio::test]
async fn a_forged_checkpoint_is_a_typed_error() {
    let (_sim, crm) = start().await;
    let cp = |state: Value| Checkpoint {
        at: chrono::DateTime::UNIX_EPOCH,
        state: Some(state),
    };
    let contacts = [
        json!(7),
        json!({"ids": ["a"]}),
        json!({"contacts": {"dates": {}, "cursor": "not json"}}),
        json!({"contacts": {"dates": {}, "cursor": "{\"n\":1,\"after\":[]}"}}),
        json!({"contacts": {"dates": {"first": "noon"}, "cursor": "{}"}}),
    ];
    for state in contacts {
        let mut s = crm.contacts().change_stream(cp(state.clone()));
        match s.next().await {
            Some(Err(Error::Config { .. } | Error::Paging { .. })) => {}
            other => panic!("{state}: {other:?}"),
        }
        assert!(s.next().await.is_none(), "{state}: ends after the error");
    }
    let opportunities = [
        json!("x"),
        json!({"ids": 5}),
        json!({"contacts": {}}),
        json!({"ids": [], "sweep": {"cursor": "3"}}),
        json!({"ids": [], "sweep": {"seen": [1]}}),
    ];
    for state in opportunities {
        let mut s = crm.opportunities().change_stream(cp(state.clone()));
        match s.next().await {
            Some(Err(Error::Config { .. } | Error::Paging { .. })) => {}
            other => panic!("{state}: {other:?}"),
        }
        assert!(s.next().await.is_none(), "{state}: ends after the error");
    }
    // The state the previous version of the opportunity feed wrote still reads.
    let old = cp(json!({"ids": []}));
    let set = crm.opportunities().changes_since(&old).await.expect("old");
    assert!(!set.changes.is_empty());
}
