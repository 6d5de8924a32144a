//! The entry feed's pure rules (`changes::entries`): when a walk is full, where a partial walk
//! stops, which ids are read back, which versions are reported and what the state keeps.

use chrono::{DateTime, Duration, TimeZone, Utc};
use unicrm_capsule::changes::entries::{
    EntryState, MIN_OVERLAP, Walk, assemble, full_walk_due, to_confirm, walk_cutoff,
};
use unicrm_capsule::changes::fingerprint;
use unicrm_capsule::wire::{self, WireEntry};
use unicrm_core::{Change, ChangeSet, Checkpoint, Engagement, EngagementId, EngagementKind};

fn t(h: i64) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2025, 6, 1, 0, 0, 0).unwrap() + Duration::hours(h)
}

fn eng(id: u64, body: &str, updated: DateTime<Utc>) -> Engagement {
    Engagement {
        id: EngagementId::from(id),
        kind: EngagementKind::Call,
        body: Some(body.into()),
        updated_at: Some(updated),
        ..Engagement::default()
    }
}

fn entry(id: u64, activity: i64) -> wire::Decoded<WireEntry> {
    let text = format!(
        r#"{{"id":{id},"type":"note","activityType":{{"id":{activity}}},"entryAt":"2025-06-01T00:00:00Z"}}"#
    );
    wire::decode_record::<WireEntry>(&text, "entry").unwrap()
}

fn state(seen: &[(&Engagement,)], full_at: Option<DateTime<Utc>>) -> EntryState {
    EntryState {
        entries: 1,
        seen: seen
            .iter()
            .map(|(e,)| {
                (
                    e.id.as_str().parse().unwrap(),
                    (e.updated_at, fingerprint(*e)),
                )
            })
            .collect(),
        full_at,
        walk: None,
    }
}

fn bodies(set: &ChangeSet<Engagement, EngagementId>) -> Vec<String> {
    set.changes
        .iter()
        .map(|c| match c {
            Change::Upserted { record } => record.body.clone().unwrap_or_default(),
            Change::Deleted { id, .. } => format!("deleted {id}"),
            _ => "?".into(),
        })
        .collect()
}

fn is_call(e: &WireEntry) -> bool {
    e.is_engagement()
}

#[test]
fn a_full_walk_is_due_first_and_after_the_interval() {
    let day = Duration::days(1);
    assert!(full_walk_due(None, t(0), day));
    assert!(!full_walk_due(Some(t(0)), t(23), day));
    assert!(full_walk_due(Some(t(0)), t(24), day));
    assert!(full_walk_due(Some(t(0)), t(0), Duration::zero()));
}

#[test]
fn the_cutoff_is_at_least_seven_days_back() {
    let cp = Checkpoint::at(t(24 * 30));
    assert_eq!(
        walk_cutoff(&cp, Duration::days(1)),
        t(24 * 30) - MIN_OVERLAP
    );
    assert_eq!(walk_cutoff(&cp, Duration::days(10)), t(24 * 20));
}

#[test]
fn read_back_ids_after_a_full_walk_and_kind_changes() {
    let a = eng(1, "a", t(0));
    let b = eng(2, "b", t(0));
    let c = eng(3, "c", t(0));
    let prev = state(&[(&a,), (&b,), (&c,)], Some(t(0)));
    // Entry 2 is now a plain note; entry 3 is missing; entry 9 is a new note (unknown).
    let partial = Walk {
        entries: vec![entry(1, -3), entry(2, -1), entry(9, -1)],
        date: Some(t(1)),
        full: false,
    };
    assert_eq!(to_confirm(&partial, &prev, is_call), vec![2]);
    let full = Walk {
        full: true,
        ..partial
    };
    assert_eq!(to_confirm(&full, &prev, is_call), vec![2, 3]);
    // Read twice (once as a note, once as ours): ours wins, nothing to confirm.
    let twice = Walk {
        entries: vec![entry(1, -3), entry(2, -1), entry(2, -3), entry(3, -3)],
        date: None,
        full: true,
    };
    assert!(to_confirm(&twice, &prev, is_call).is_empty());
}

#[test]
fn versions_are_reported_once_and_deletions_only_when_known() {
    let a = eng(1, "a", t(0));
    let b = eng(2, "b", t(0));
    let prev = state(&[(&a,), (&b,)], Some(t(0)));
    let cp = Checkpoint::at(t(1));
    let a2 = eng(1, "a edited, same second", t(0));
    let b_old = eng(2, "b older", t(0) - Duration::hours(1));
    let n = eng(5, "new", t(1));
    let set = assemble(
        vec![a.clone(), a2.clone(), b_old, n.clone()],
        &[7, 2],
        Some(&prev),
        false,
        Some(t(2)),
        &cp,
        EngagementId::from,
    );
    assert_eq!(bodies(&set), ["a edited, same second", "new", "deleted 2"]);
    assert_eq!(set.next.at, t(2) - Duration::seconds(1));
    let st: EntryState = serde_json::from_value(set.next.state.clone().unwrap()).unwrap();
    assert_eq!(st.seen.keys().copied().collect::<Vec<_>>(), [1, 5]);
    assert_eq!(st.seen[&1], (a2.updated_at, fingerprint(&a2)));
    assert_eq!(
        st.full_at,
        Some(t(0)),
        "a partial walk keeps the last full walk"
    );
    // The same versions again: nothing; the full walk moves full_at.
    let again = assemble(
        vec![a2, n],
        &[],
        Some(&st),
        true,
        Some(t(3)),
        &set.next,
        EngagementId::from,
    );
    assert!(again.changes.is_empty(), "{:?}", bodies(&again));
    let st2: EntryState = serde_json::from_value(again.next.state.unwrap()).unwrap();
    assert_eq!(st2.full_at, Some(t(3) - Duration::seconds(1)));
    assert_eq!(again.next.at, t(3) - Duration::seconds(1));
}

#[test]
fn a_first_run_reports_what_changed_after_the_checkpoint() {
    let cp = Checkpoint::at(t(10));
    let set = assemble(
        vec![
            eng(1, "old", t(5)),
            eng(2, "new", t(11)),
            eng(3, "edge", t(10)),
        ],
        &[1],
        None,
        true,
        None,
        &cp,
        EngagementId::from,
    );
    // Nothing is deleted on a first run; the checkpoint does not move without a Date.
    assert_eq!(bodies(&set), ["new", "edge"]);
    assert_eq!(set.next.at, t(10));
    let st: EntryState = serde_json::from_value(set.next.state.unwrap()).unwrap();
    // The gone id is dropped from the state, the others kept (even the unreported one).
    assert_eq!(st.seen.keys().copied().collect::<Vec<_>>(), [2, 3]);
    assert_eq!(st.full_at, Some(t(10)));
    // Never behind the current checkpoint.
    let back = assemble(
        Vec::<Engagement>::new(),
        &[],
        Some(&st),
        false,
        Some(t(1)),
        &Checkpoint::at(t(10)),
        EngagementId::from,
    );
    assert_eq!(back.next.at, t(10));
}
