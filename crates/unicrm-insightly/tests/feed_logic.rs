//! The change feed's pure rules (`changes::assemble`, `next_at`, `candidates`, `must_hold`):
//! which version is reported, what the checkpoint keeps, which ids are read back.

use std::collections::{BTreeSet, HashSet};

use chrono::{DateTime, TimeZone, Utc};
use unicrm_core::{Change, ChangeSet, Contact, ContactId};
use unicrm_insightly::changes::{
    FeedState, UpsertListing, assemble, candidates, decode_ids, fingerprint, must_hold, next_at,
};

fn t(s: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2025, 3, 4, 10, 0, s).unwrap()
}

fn contact(id: u64, about: &str, updated: DateTime<Utc>) -> Contact {
    Contact {
        id: ContactId::from(id.to_string()),
        description: Some(about.into()),
        updated_at: Some(updated),
        ..Contact::default()
    }
}

fn listing(records: Vec<Contact>, date: DateTime<Utc>) -> UpsertListing<Contact> {
    UpsertListing {
        records,
        before_last: HashSet::new(),
        first_date: Some(date),
        last_date: Some(date),
    }
}

fn ids(v: &[u64]) -> BTreeSet<u64> {
    v.iter().copied().collect()
}

fn abouts(set: &ChangeSet<Contact, ContactId>) -> Vec<String> {
    set.changes
        .iter()
        .map(|c| match c {
            Change::Upserted { record } => record.description.clone().unwrap_or_default(),
            Change::Deleted { id, .. } => format!("deleted {id}"),
            _ => "?".into(),
        })
        .collect()
}

fn state(set: &ChangeSet<Contact, ContactId>) -> FeedState {
    serde_json::from_value(set.next.state.clone().unwrap()).unwrap()
}

#[test]
fn versions_against_the_window_state() {
    let reported = contact(1, "v2", t(5));
    let mut prev = FeedState {
        v: 2,
        ids: "1".into(),
        ..FeedState::default()
    };
    prev.seen.insert(1, (t(5), fingerprint(&reported)));
    let run = |r: Contact| {
        let set = assemble(
            listing(vec![r], t(9)),
            &ids(&[1]),
            &ids(&[]),
            Some(&prev),
            t(4),
            |n| ContactId::from(n.to_string()),
        )
        .unwrap();
        abouts(&set)
    };
    assert_eq!(run(contact(1, "v3", t(6))), vec!["v3"], "newer");
    assert!(run(contact(1, "v1", t(4))).is_empty(), "older");
    assert!(run(reported.clone()).is_empty(), "same");
    assert_eq!(
        run(contact(1, "v2b", t(5))),
        vec!["v2b"],
        "same second, new content"
    );
}

#[test]
fn state_keeps_the_next_window_and_every_known_id() {
    let mut prev = FeedState {
        v: 2,
        ids: "1-4".into(),
        ..FeedState::default()
    };
    prev.seen.insert(1, (t(20), 11));
    prev.seen.insert(2, (t(2), 22));
    let set = assemble(
        listing(
            vec![contact(7, "new", t(30)), contact(8, "old", t(3))],
            t(11),
        ),
        &ids(&[1, 2, 3]),
        &ids(&[3]),
        Some(&prev),
        t(0),
        |n| ContactId::from(n.to_string()),
    )
    .unwrap();
    // Date 10:00:11 → checkpoint 10:00:10; the next query asks after 10:00:09.
    assert_eq!(set.next.at, t(10));
    assert_eq!(abouts(&set), vec!["new", "old", "deleted 3"]);
    let s = state(&set);
    assert_eq!(s.seen.keys().copied().collect::<Vec<_>>(), vec![1, 7]);
    assert_eq!(decode_ids(&s.ids).unwrap(), ids(&[1, 2, 7, 8]));
}

#[test]
fn a_listed_record_that_is_gone_is_reported_deleted_only() {
    let set = assemble(
        listing(vec![contact(5, "five", t(3))], t(11)),
        &ids(&[1]),
        &ids(&[5]),
        None,
        t(0),
        |n| ContactId::from(n.to_string()),
    )
    .unwrap();
    assert_eq!(abouts(&set), vec!["deleted 5"]);
    assert_eq!(decode_ids(&state(&set).ids).unwrap(), ids(&[1]));
}

#[test]
fn read_back_candidates_and_hold() {
    let mut l = listing(vec![contact(5, "x", t(1)), contact(1, "y", t(1))], t(2));
    let scanned = ids(&[1, 2]);
    assert_eq!(
        candidates(&l, &scanned, Some(&ids(&[1, 2, 3]))),
        ids(&[3, 5])
    );
    assert_eq!(candidates(&l, &scanned, None), ids(&[5]));
    l.before_last.insert(5);
    assert!(must_hold(&l, &ids(&[5])));
    assert!(!must_hold(&l, &ids(&[1, 3])));
    assert!(!must_hold(&l, &ids(&[])));
}

#[test]
fn next_checkpoint_rules() {
    let prev = t(0);
    assert_eq!(next_at(prev, Some(t(10)), Some(t(13)), false), t(6));
    assert_eq!(next_at(prev, Some(t(10)), None, false), t(9));
    assert_eq!(next_at(prev, Some(t(10)), Some(t(8)), false), t(9));
    assert_eq!(next_at(prev, Some(t(10)), Some(t(13)), true), prev, "held");
    assert_eq!(next_at(prev, None, None, false), prev, "no Date");
    assert_eq!(
        next_at(t(20), Some(t(10)), Some(t(10)), false),
        t(20),
        "never back"
    );
}
