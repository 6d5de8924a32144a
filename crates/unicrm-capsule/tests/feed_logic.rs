//! The change feed's pure rules (`changes::assemble`, `changes::next_at`): which version of a
//! record is reported, what the checkpoint state keeps across the overlap.

use chrono::{DateTime, Duration, TimeZone, Utc};
use unicrm_capsule::changes::{Listing, WindowState, assemble, fingerprint, next_at};
use unicrm_capsule::wire::DeletedRecord;
use unicrm_core::{Change, ChangeSet, Checkpoint, Contact, ContactId};

fn t(s: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2025, 3, 4, 10, 0, s).unwrap()
}

fn contact(id: &str, about: &str, updated: DateTime<Utc>) -> Contact {
    Contact {
        id: ContactId::from(id),
        description: Some(about.into()),
        updated_at: Some(updated),
        ..Contact::default()
    }
}

fn listing(records: Vec<Contact>, date: DateTime<Utc>) -> Listing<Contact> {
    Listing {
        records,
        first_date: Some(date),
        last_date: Some(date),
        ..Listing::default()
    }
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

fn state(set: &ChangeSet<Contact, ContactId>) -> WindowState {
    serde_json::from_value(set.next.state.clone().unwrap()).unwrap()
}

fn deleted(id: u64, at: DateTime<Utc>) -> DeletedRecord {
    serde_json::from_value(serde_json::json!({"id": id, "deletedAt": at})).unwrap()
}

/// A record read twice in one listing (offset paging repeats under concurrent inserts): the
/// newer reading is reported, whichever comes first.
#[test]
fn the_newer_of_two_readings_is_reported() {
    let cp = Checkpoint::at(t(0));
    let newer_last = listing(
        vec![contact("1", "old", t(2)), contact("1", "new", t(5))],
        t(10),
    );
    assert_eq!(
        abouts(&assemble(newer_last, vec![], ContactId::from, &cp)),
        vec!["new"]
    );
    let newer_first = listing(
        vec![contact("1", "new", t(5)), contact("1", "old", t(2))],
        t(10),
    );
    assert_eq!(
        abouts(&assemble(newer_first, vec![], ContactId::from, &cp)),
        vec!["new"]
    );
}

/// Against what was reported before: a newer version is reported, an older one is not, the
/// same version is not, a same-second change is.
#[test]
fn versions_against_the_window_state() {
    let reported = contact("1", "v2", t(5));
    let mut prev = WindowState {
        window: 1,
        ..WindowState::default()
    };
    prev.seen.insert(1, (t(5), fingerprint(&reported)));
    let cp = Checkpoint {
        at: t(4),
        state: Some(serde_json::to_value(&prev).unwrap()),
    };
    let run = |r: Contact| {
        abouts(&assemble(
            listing(vec![r], t(9)),
            vec![],
            ContactId::from,
            &cp,
        ))
    };
    assert_eq!(run(contact("1", "v3", t(6))), vec!["v3"], "newer");
    assert!(run(contact("1", "v1", t(4))).is_empty(), "older");
    assert!(run(reported.clone()).is_empty(), "same");
    assert_eq!(
        run(contact("1", "v2b", t(5))),
        vec!["v2b"],
        "same second, new content"
    );
}

/// Entries inside the next window are carried over even when the record is not listed this
/// time; entries older than the next `since` are dropped.
#[test]
fn the_state_keeps_exactly_the_next_window() {
    let mut prev = WindowState {
        window: 1,
        ..WindowState::default()
    };
    prev.seen.insert(1, (t(20), 11));
    prev.seen.insert(2, (t(2), 22));
    prev.deleted.insert(3, t(20));
    prev.deleted.insert(4, t(2));
    let cp = Checkpoint {
        at: t(0),
        state: Some(serde_json::to_value(&prev).unwrap()),
    };
    // Vendor Date 10:00:11 → next checkpoint 10:00:10, next since 10:00:09.
    let set = assemble(listing(vec![], t(11)), vec![], ContactId::from, &cp);
    assert_eq!(set.next.at, t(10));
    let s = state(&set);
    assert_eq!(s.seen.keys().copied().collect::<Vec<_>>(), vec![1]);
    assert_eq!(s.deleted.keys().copied().collect::<Vec<_>>(), vec![3]);

    // A deletion already reported (same id and time) is not reported again; a new one is,
    // and it is remembered when inside the window.
    let set = assemble(
        listing(vec![], t(11)),
        vec![deleted(3, t(20)), deleted(5, t(20)), deleted(6, t(1))],
        ContactId::from,
        &cp,
    );
    assert_eq!(abouts(&set), vec!["deleted 5", "deleted 6"]);
    let s = state(&set);
    assert_eq!(s.deleted.keys().copied().collect::<Vec<_>>(), vec![3, 5]);
}

/// An upsert reported inside the window is remembered; one older than the next `since` is not.
#[test]
fn reported_upserts_are_remembered_inside_the_window() {
    let cp = Checkpoint::at(t(0));
    let set = assemble(
        listing(
            vec![contact("1", "a", t(30)), contact("2", "b", t(3))],
            t(31),
        ),
        vec![],
        ContactId::from,
        &cp,
    );
    assert_eq!(abouts(&set), vec!["a", "b"]);
    let s = state(&set);
    assert_eq!(s.seen.keys().copied().collect::<Vec<_>>(), vec![1]);
}

#[test]
fn next_checkpoint_rules() {
    let prev = t(0);
    assert_eq!(next_at(prev, Some(t(10)), Some(t(13)), false), t(6));
    assert_eq!(next_at(prev, Some(t(10)), None, false), t(9));
    // A last Date before the first (clock step) does not widen the window the other way.
    assert_eq!(next_at(prev, Some(t(10)), Some(t(8)), false), t(9));
    assert_eq!(next_at(prev, Some(t(10)), Some(t(13)), true), prev, "held");
    assert_eq!(next_at(prev, None, None, false), prev, "no Date");
    assert_eq!(
        next_at(t(20), Some(t(10)), Some(t(10)), false),
        t(20),
        "never back"
    );
    assert_eq!(
        next_at(prev, Some(t(10)), Some(t(10)), false),
        t(10) - Duration::seconds(1)
    );
}
