//! The change feed's pure rules (`changes::page_changes`, `finish`, `next_at`,
//! `deletions_hold`, `Window::observe`): which version is reported, what the checkpoint keeps,
//! when it is held.

use std::collections::{BTreeMap, BTreeSet, HashSet};

use chrono::{DateTime, TimeZone, Utc};
use unicrm_core::{Change, Contact, ContactId};
use unicrm_insightly::changes::{
    Window, deletions_hold, fingerprint, finish, next_at, page_changes,
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

fn ids(v: &[u64]) -> BTreeSet<u64> {
    v.iter().copied().collect()
}

fn abouts(changes: &[Change<Contact, ContactId>]) -> Vec<String> {
    changes
        .iter()
        .map(|c| match c {
            Change::Upserted { record } => record.description.clone().unwrap_or_default(),
            Change::Deleted { id, .. } => format!("deleted {id}"),
            _ => "?".into(),
        })
        .collect()
}

/// A window from `since` whose one page answered at `date`.
fn window(since: DateTime<Utc>, date: DateTime<Utc>) -> Window {
    let mut w = Window::new(since);
    w.observe(Some(date), Some(1));
    w
}

#[test]
fn versions_against_the_window_state() {
    let reported = contact(1, "v2", t(5));
    let mut prev = BTreeMap::new();
    prev.insert(1, (t(5), fingerprint(&reported)));
    let run = |r: Contact| {
        let mut w = window(t(4), t(9));
        let mut known = ids(&[]);
        let changes = page_changes(vec![r], &prev, &mut w, &mut known);
        assert_eq!(known, ids(&[1]), "every id read joins the id set");
        abouts(&changes)
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

/// A record read again on a later page of the same window (offset paging repeats it) is
/// reported once: the window's own reports de-duplicate too.
#[test]
fn a_repeat_within_the_window_is_reported_once() {
    let mut w = window(t(0), t(9));
    let mut known = ids(&[]);
    let none = BTreeMap::new();
    let first = page_changes(vec![contact(3, "three", t(8))], &none, &mut w, &mut known);
    let again = page_changes(vec![contact(3, "three", t(8))], &none, &mut w, &mut known);
    assert_eq!(abouts(&first), vec!["three"]);
    assert!(again.is_empty());
    assert_eq!(w.seen.keys().copied().collect::<Vec<_>>(), vec![3]);
}

#[test]
fn finish_keeps_the_next_window_only() {
    let mut prev = BTreeMap::new();
    prev.insert(1, (t(20), 11));
    prev.insert(2, (t(2), 22));
    prev.insert(3, (t(25), 33));
    let mut w = window(t(0), t(11));
    let mut known = ids(&[1, 2, 3, 4]);
    let changes = page_changes(
        vec![contact(7, "new", t(30)), contact(8, "old", t(3))],
        &prev,
        &mut w,
        &mut known,
    );
    assert_eq!(abouts(&changes), vec!["new", "old"]);
    assert_eq!(known, ids(&[1, 2, 3, 4, 7, 8]));
    let (at, seen) = finish(&w, &prev, false, &ids(&[3]));
    // Date 10:00:11 → checkpoint 10:00:10; the next query asks after 10:00:09.
    assert_eq!(at, t(10));
    assert_eq!(seen.keys().copied().collect::<Vec<_>>(), vec![1, 7]);
    // Held: the checkpoint stays, and so do the previous reports inside the window; 8 was
    // dropped from the window's own reports when its page was read (a listing ending then
    // would not keep it), so a held relisting may repeat it: a repeat, never a loss.
    let (held, seen) = finish(&w, &prev, true, &ids(&[]));
    assert_eq!(held, t(0));
    assert_eq!(seen.keys().copied().collect::<Vec<_>>(), vec![1, 2, 3, 7]);
}

#[test]
fn a_total_that_drops_mid_listing_holds() {
    let mut w = Window::new(t(0));
    w.observe(Some(t(10)), Some(5));
    w.observe(Some(t(11)), Some(6));
    assert!(
        !w.hold,
        "a record joining the window shifts pages forward: a repeat"
    );
    assert_eq!(w.end_at(false), t(8));
    w.observe(None, None);
    assert!(!w.hold);
    assert_eq!(
        (w.first_date, w.last_date, w.total),
        (Some(t(10)), Some(t(11)), Some(6))
    );
    w.observe(Some(t(12)), Some(5));
    assert!(
        w.hold,
        "a record left the window: deleted, later pages shifted back"
    );
    assert_eq!(w.end_at(false), t(0));
}

#[test]
fn confirmed_deletions_hold_when_they_may_have_shifted_a_page() {
    let before_last: HashSet<u64> = [5].into_iter().collect();
    assert!(deletions_hold(&ids(&[5]), &before_last, false));
    assert!(!deletions_hold(&ids(&[1, 3]), &before_last, false));
    assert!(!deletions_hold(&ids(&[]), &before_last, false));
    // A resumed listing does not know its earlier pages: any deletion holds.
    assert!(deletions_hold(&ids(&[1]), &HashSet::new(), true));
    assert!(!deletions_hold(&ids(&[]), &HashSet::new(), true));
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
