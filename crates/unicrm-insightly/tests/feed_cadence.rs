//! The streamed change feed and the deletion-scan cadence against the Insightly simulator:
//! a resume from any batch's checkpoint loses nothing while a writer edits; the scan runs at
//! the cadence the quota share allows (the client's clock moved by hand, never wall time);
//! an idle poll between scans costs exactly one request; a deletion is reported only by a
//! scan; the scan's cost is reported. (That a deletion is reported only once the record is
//! read back gone is pinned down exactly in `feed_exchange.rs`.)

use std::collections::BTreeMap;
use std::num::NonZeroU32;
use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, TimeZone, Utc};
use futures::{StreamExt, TryStreamExt};
use unicrm_core::time::ManualClock;
use unicrm_core::{
    Change, ChangeSet, Checkpoint, Contact, ContactId, ContactPatch, Crm, CrmExt, ListParams, Patch,
};
use unicrm_insightly::InsightlyClient;
use unicrm_insightly::changes::FeedState;
use unicrm_sim::{InsightlySim, InsightlySimHandle, InsightlySimOptions, SeedOptions};

async fn sim(records: usize, daily_quota: u32) -> InsightlySimHandle {
    InsightlySim::start(InsightlySimOptions {
        seed: SeedOptions { seed: 11, records },
        requests_per_second: 0,
        daily_quota,
        ..InsightlySimOptions::default()
    })
    .await
    .expect("simulator starts")
}

fn start() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 6, 1, 8, 0, 0).unwrap()
}

fn client(s: &InsightlySimHandle, clock: &ManualClock, page: Option<u32>) -> InsightlyClient {
    let mut b = InsightlyClient::builder()
        .api_key(s.api_key.clone())
        .base_url(s.base_url.as_str())
        .requests_per_second(NonZeroU32::new(1000).unwrap())
        .clock(Arc::new(clock.clone()));
    if let Some(n) = page {
        b = b.change_page_size(n);
    }
    b.build().unwrap()
}

type Replica = BTreeMap<ContactId, Option<String>>;

fn apply(replica: &mut Replica, set: &ChangeSet<Contact, ContactId>) {
    for c in &set.changes {
        match c {
            Change::Upserted { record } => {
                replica.insert(record.id.clone(), record.job_title.clone());
            }
            Change::Deleted { id, .. } => {
                replica.remove(id);
            }
            _ => {}
        }
    }
}

async fn vendor(c: &InsightlyClient) -> Replica {
    let all: Vec<Contact> = c.stream_all(ListParams::new()).try_collect().await.unwrap();
    all.into_iter().map(|r| (r.id, r.job_title)).collect()
}

fn state(cp: &Checkpoint) -> FeedState {
    serde_json::from_value(cp.state.clone().unwrap()).unwrap()
}

async fn edit(c: &InsightlyClient, id: &ContactId, title: String) {
    let patch = ContactPatch {
        job_title: Patch::Set(title),
        ..ContactPatch::default()
    };
    c.contacts().update(id, &patch).await.unwrap();
}

/// A run stopped after any batch and resumed from that batch's checkpoint, with a writer
/// editing, deleting and creating in between, ends with the replica equal to the vendor.
/// The vendor's clock is moved by hand between pages, so a listing takes a long time on it:
/// a mid-way checkpoint that moved `at` past the unread pages' edits would lose them.
/// Mid-way checkpoints keep `at` where the listing started; only the last one moves it.
#[tokio::test]
async fn a_resume_from_each_batch_checkpoint_loses_nothing_while_a_writer_edits() {
    let vendor_clock = unicrm_sim::SimClock::manual(start());
    let s = InsightlySim::start(InsightlySimOptions {
        seed: SeedOptions {
            seed: 11,
            records: 14,
        },
        requests_per_second: 0,
        clock: vendor_clock.clone(),
        ..InsightlySimOptions::default()
    })
    .await
    .expect("simulator starts");
    let tick = |secs: u64| vendor_clock.advance(Duration::from_secs(secs));
    let clock = ManualClock::new(start());
    let c = client(&s, &clock, Some(4));
    let ids: Vec<ContactId> = vendor(&c).await.into_keys().collect();
    assert!(ids.len() >= 12, "{ids:?}");
    let base = c
        .contacts()
        .changes_since(&Checkpoint::at(DateTime::UNIX_EPOCH))
        .await
        .unwrap();
    let mut replica = Replica::new();
    apply(&mut replica, &base);
    assert_eq!(replica, vendor(&c).await);
    let mut cp = base.next;

    for k in 0..3 {
        // Every record edited: the listing has ceil(n / 4) pages, one batch each.
        tick(10);
        for (n, id) in ids.iter().enumerate() {
            if replica.contains_key(id) {
                edit(&c, id, format!("round{k}-{n}")).await;
            }
        }
        tick(10);
        // Stop after batch k.
        let start_at = cp.at;
        let mut stream = c.contacts().change_stream(cp.clone());
        for _ in 0..=k {
            let b = stream.next().await.expect("a batch").unwrap();
            assert_eq!(
                b.next.at, start_at,
                "a mid-way checkpoint does not move `at`"
            );
            assert!(state(&b.next).window.is_some(), "batch {k} is mid-way");
            apply(&mut replica, &b);
            cp = b.next;
            tick(5);
        }
        drop(stream);
        // The writer: the first page again (read already), a deletion, a creation.
        for (n, id) in ids.iter().take(4).enumerate() {
            if replica.contains_key(id) {
                edit(&c, id, format!("late{k}-{n}")).await;
            }
        }
        if k == 1 {
            c.contacts().delete(&ids[6]).await.unwrap();
        }
        if k == 2 {
            let new = unicrm_core::NewContact {
                first_name: Some("Ada".into()),
                job_title: Some("new".into()),
                ..Default::default()
            };
            c.contacts().create(&new).await.unwrap();
        }
        tick(30);
        // Deletions are scanned for on the cadence: let it be due.
        clock.advance(Duration::from_secs(86_400));
        let rest = c.contacts().changes_since(&cp).await.unwrap();
        assert!(state(&rest.next).window.is_none());
        apply(&mut replica, &rest);
        cp = rest.next;
        // Edits that landed on pages the window had read before the stop come with the next
        // call, as edits during any listing do: its window starts before the first page.
        let next = c.contacts().changes_since(&cp).await.unwrap();
        apply(&mut replica, &next);
        cp = next.next;
        assert_eq!(replica, vendor(&c).await, "after a stop at batch {k}");
    }
}

fn deleted(set: &ChangeSet<Contact, ContactId>) -> Vec<ContactId> {
    set.changes
        .iter()
        .filter_map(|c| match c {
            Change::Deleted { id, .. } => Some(id.clone()),
            _ => None,
        })
        .collect()
}

/// Free plan (1,000 requests a day) at the default 10 % share: a scan costing `c` requests
/// is due `c × 864 s` after the last one. Between scans a poll costs one request and reports
/// no deletion; the scan that is due reports it, and its cost is in the stats, the
/// checkpoint and the next due time. A larger quota (as the responses report it) brings the
/// next scan closer.
#[tokio::test]
async fn the_scan_runs_at_the_cadence_the_quota_share_allows() {
    let s = sim(6, 1_000).await;
    let clock = ManualClock::new(start());
    let c = client(&s, &clock, None);
    let ids: Vec<ContactId> = vendor(&c).await.into_keys().collect();
    let base = c
        .contacts()
        .changes_since(&Checkpoint::at(DateTime::UNIX_EPOCH))
        .await
        .unwrap();
    let stats = c.deletion_scan_stats();
    assert_eq!(stats.scans, 1, "the first call records the baseline");
    let first = stats.last.clone().unwrap();
    assert_eq!((first.pages, first.read_backs, first.requests), (1, 0, 1));
    assert_eq!(first.at, start());
    assert_eq!(first.next_due, start() + chrono::Duration::seconds(864));
    let scan = state(&base.next).last_scan.unwrap();
    assert_eq!((scan.at, scan.requests), (start(), 1));

    // A deletion, then idle polls before the scan is due: one request each, no deletion.
    c.contacts().delete(&ids[1]).await.unwrap();
    let mut cp = base.next;
    for step in [0u64, 600, 263] {
        clock.advance(Duration::from_secs(step));
        let before = c.stats().requests;
        let set = c.contacts().changes_since(&cp).await.unwrap();
        assert_eq!(
            c.stats().requests - before,
            1,
            "an idle poll costs one request"
        );
        assert!(deleted(&set).is_empty(), "{:?}", set.changes);
        cp = set.next;
    }
    assert_eq!(c.deletion_scan_stats().scans, 1);
    assert_eq!(c.deletion_scan_stats().skipped, 3);

    // 864 s after the last scan: due. One search page, one scan page, one read-back.
    clock.advance(Duration::from_secs(1));
    let before = c.stats().requests;
    let set = c.contacts().changes_since(&cp).await.unwrap();
    assert_eq!(c.stats().requests - before, 3);
    assert_eq!(deleted(&set), vec![ids[1].clone()]);
    let stats = c.deletion_scan_stats();
    assert_eq!(stats.scans, 2);
    assert_eq!(stats.requests, 1 + 2);
    let report = stats.last.unwrap();
    assert_eq!(
        (report.pages, report.read_backs, report.requests),
        (1, 1, 2)
    );
    assert_eq!(report.deleted, 1);
    assert_eq!(report.ids, ids.len() as u64 - 1);
    assert_eq!(report.object, "Contacts");
    let now = start() + chrono::Duration::seconds(864);
    assert_eq!(report.next_due, now + chrono::Duration::seconds(2 * 864));
    assert_eq!(state(&set.next).last_scan.unwrap().requests, 2);
    cp = set.next;

    // The deletion is not reported again; the cadence follows the last scan's cost.
    clock.advance(Duration::from_secs(2 * 864 - 1));
    let set = c.contacts().changes_since(&cp).await.unwrap();
    assert!(set.changes.is_empty(), "{:?}", set.changes);
    cp = set.next;
    assert_eq!(c.deletion_scan_stats().scans, 2);

    // A larger quota reported by the vendor (Enterprise): on the Free plan's the next scan
    // would be 1 s away; on 10 % of 100,000 a day it is due now, and the one after it
    // (1 request) 8.64 s later.
    s.set_rate_limits(0, 100_000);
    c.contacts().changes_since(&cp).await.unwrap();
    let stats = c.deletion_scan_stats();
    assert_eq!(
        stats.scans, 3,
        "the quota the responses report sets the cadence"
    );
    let last = stats.last.unwrap();
    assert_eq!((last.next_due - last.at).num_milliseconds(), 8_640);
}

/// A share and a floor from the builder: the scan waits for the longer of the two; a share
/// outside (0, 1] is refused when the client is built.
#[tokio::test]
async fn the_share_and_the_minimum_interval_come_from_the_builder() {
    let s = sim(3, 1_000).await;
    let clock = ManualClock::new(start());
    let c = InsightlyClient::builder()
        .api_key(s.api_key.clone())
        .base_url(s.base_url.as_str())
        .clock(Arc::new(clock.clone()))
        .deletion_scan_share(1.0)
        .deletion_scan_min_interval(Duration::from_secs(3_600))
        .build()
        .unwrap();
    let base = c
        .contacts()
        .changes_since(&Checkpoint::at(DateTime::UNIX_EPOCH))
        .await
        .unwrap();
    // 1 request on 1,000 a day at 100 %: 86.4 s by the budget, an hour by the floor.
    let last = c.deletion_scan_stats().last.unwrap();
    assert_eq!((last.next_due - last.at).num_seconds(), 3_600);
    clock.advance(Duration::from_secs(3_599));
    let set = c.contacts().changes_since(&base.next).await.unwrap();
    assert_eq!(c.deletion_scan_stats().scans, 1);
    clock.advance(Duration::from_secs(1));
    c.contacts().changes_since(&set.next).await.unwrap();
    assert_eq!(c.deletion_scan_stats().scans, 2);

    for bad in [0.0, 1.5, f64::NAN] {
        let err = InsightlyClient::builder()
            .api_key(s.api_key.clone())
            .base_url(s.base_url.as_str())
            .deletion_scan_share(bad)
            .build()
            .unwrap_err();
        assert!(matches!(err, unicrm_core::Error::Config { .. }), "{err}");
    }
}
