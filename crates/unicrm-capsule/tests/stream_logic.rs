//! The change stream's mid-way checkpoints (`changes::stream::Window`): resuming from any
//! batch's checkpoint ends with the same checkpoint and the same changes as an uninterrupted
//! read, and a deletion of a record read on an earlier page still holds the window after a
//! resume.

use chrono::{DateTime, TimeZone, Utc};
use unicrm_capsule::changes::FeedPage;
use unicrm_capsule::changes::stream::{IdRuns, Window};
use unicrm_capsule::wire::DeletedRecord;
use unicrm_core::{Change, Checkpoint, Contact, ContactId, Cursor};

fn t(s: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2025, 3, 4, 10, 0, s).unwrap()
}

fn page(ids: &[u64], date: u32, last: bool) -> FeedPage<Contact> {
    FeedPage {
        items: ids
            .iter()
            .map(|i| Contact {
                id: ContactId::from(i.to_string().as_str()),
                description: Some(format!("c{i}")),
                updated_at: Some(t(5)),
                ..Contact::default()
            })
            .collect(),
        ids: ids.to_vec(),
        next: (!last).then(|| Cursor::new(format!("page{date}"))),
        date: Some(t(date)),
    }
}

fn pages() -> Vec<FeedPage<Contact>> {
    vec![
        page(&[1, 2], 10, false),
        page(&[3, 4], 11, false),
        page(&[5], 12, true),
    ]
}

fn deleted(id: u64) -> Vec<DeletedRecord> {
    serde_json::from_value(serde_json::json!([{"id": id, "deletedAt": "2025-03-04T10:00:11Z"}]))
        .unwrap()
}

/// Reads every page, stopping (serializing the checkpoint and resuming from it) after page
/// `stop`; returns every change and the last checkpoint.
fn read(stop: Option<usize>, gone: u64) -> (Vec<String>, Checkpoint) {
    let start = Checkpoint::at(t(0));
    let mut w = Window::resume(&start);
    let mut out = Vec::new();
    for (i, p) in pages().into_iter().enumerate() {
        for c in w.page(p) {
            if let Change::Upserted { record } = c {
                out.push(record.id.to_string());
            }
        }
        let cp = w.checkpoint();
        assert_eq!(cp.at, start.at, "a mid-way checkpoint never moves at");
        if Some(i) == stop {
            let text = serde_json::to_string(&cp).unwrap();
            w = Window::resume(&serde_json::from_str(&text).unwrap());
        }
    }
    let set = w.finish::<Contact>(deleted(gone), |n| ContactId::from(n.to_string().as_str()));
    for c in set.changes {
        if let Change::Deleted { id, .. } = c {
            out.push(format!("deleted {id}"));
        }
    }
    (out, set.next)
}

#[test]
fn resuming_after_any_page_ends_as_an_uninterrupted_read() {
    let (all, end) = read(None, 99);
    assert_eq!(all, ["1", "2", "3", "4", "5", "deleted 99"]);
    // first Date 10 − duration 2 − precision 1.
    assert_eq!(end.at, t(7));
    for stop in 0..3 {
        assert_eq!(
            read(Some(stop), 99),
            (all.clone(), end.clone()),
            "stop {stop}"
        );
    }
}

#[test]
fn a_deletion_read_before_the_resume_still_holds_the_window() {
    for stop in [None, Some(0), Some(1), Some(2)] {
        let (_, end) = read(stop, 2);
        assert_eq!(end.at, t(0), "held (stop {stop:?})");
        // Deleted on the last page only: no shift possible, not held.
        let (_, end) = read(stop, 5);
        assert_eq!(end.at, t(7), "not held (stop {stop:?})");
    }
}

#[test]
fn id_runs_merge_and_answer_membership() {
    let mut r = IdRuns::default();
    for id in [5, 7, 6, 1, 3, 2, u64::MAX, 9] {
        r.insert(id);
    }
    assert_eq!(r.runs(), &[(1, 3), (5, 7), (9, 9), (u64::MAX, u64::MAX)]);
    for id in [1, 2, 3, 5, 6, 7, 9, u64::MAX] {
        assert!(r.contains(id), "{id}");
    }
    for id in [0, 4, 8, 10, u64::MAX - 1] {
        assert!(!r.contains(id), "{id}");
    }
}
