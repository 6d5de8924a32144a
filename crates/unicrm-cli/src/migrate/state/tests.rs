//! Unit tests of the id map.
use super::*;
use std::collections::BTreeMap;

use chrono::{DateTime, Utc};

#[test]
fn round_trip() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("s.sqlite");
    let s = State::open(&path, false).unwrap();
    assert_eq!(s.get("contact", "1").unwrap(), None);
    s.mark_pending("contact", "1", None).unwrap();
    assert_eq!(
        s.get("contact", "1").unwrap(),
        Some(Entry::Pending { sent_after: None })
    );
    s.mark_done("contact", "1", "99").unwrap();
    assert_eq!(s.target_id("contact", "1").unwrap().as_deref(), Some("99"));
    s.mark_failed("contact", "2", "bad").unwrap();
    assert_eq!(
        s.get("contact", "2").unwrap(),
        Some(Entry::Failed("bad".into()))
    );
    assert_eq!(s.done_counts().unwrap(), vec![("contact".to_string(), 1)]);
    drop(s);
    let ro = State::open(&path, true).unwrap();
    assert_eq!(ro.target_id("contact", "1").unwrap().as_deref(), Some("99"));
    let missing = State::open(&dir.path().join("none.sqlite"), true).unwrap();
    assert_eq!(missing.get("contact", "1").unwrap(), None);
    assert!(!dir.path().join("none.sqlite").exists());
}

#[test]
fn a_pending_row_is_never_turned_into_a_failure() {
    let dir = tempfile::tempdir().unwrap();
    let s = State::open(&dir.path().join("s.sqlite"), false).unwrap();
    let t0 = DateTime::parse_from_rfc3339("2026-01-01T10:00:00Z")
        .unwrap()
        .with_timezone(&Utc);
    s.mark_pending("task", "7", Some(t0)).unwrap();
    for mark in [State::mark_failed, State::mark_waiting, State::mark_refused] {
        mark(&s, "task", "7", "lookup failed").unwrap();
        assert_eq!(
            s.get("task", "7").unwrap(),
            Some(Entry::Pending {
                sent_after: Some(t0)
            })
        );
    }
    // A later attempt keeps the oldest bound: the first create may be the one applied.
    s.mark_pending("task", "7", Some(t0 + chrono::Duration::minutes(5)))
        .unwrap();
    assert_eq!(
        s.get("task", "7").unwrap(),
        Some(Entry::Pending {
            sent_after: Some(t0)
        })
    );
    // An attempt without a bound makes the bound unknown (look everywhere).
    s.mark_pending("task", "7", None).unwrap();
    assert_eq!(
        s.get("task", "7").unwrap(),
        Some(Entry::Pending { sent_after: None })
    );
    // A fresh row takes the bound it is given.
    s.mark_failed("task", "8", "422").unwrap();
    s.mark_pending("task", "8", Some(t0)).unwrap();
    assert_eq!(
        s.get("task", "8").unwrap(),
        Some(Entry::Pending {
            sent_after: Some(t0)
        })
    );
}

#[test]
fn durable_and_exclusive() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("s.sqlite");
    let s = State::open(&path, false).unwrap();
    // 2 = FULL.
    assert_eq!(
        s.pragmas().unwrap(),
        ("wal".to_string(), 2, "exclusive".to_string())
    );
    let second = State::open(&path, false)
        .err()
        .expect("second open refused");
    assert_eq!(second.code, 1);
    assert!(
        second
            .message
            .contains("in use by another migration (locked)"),
        "{}",
        second.message
    );
    let dry = State::open(&path, true).err().expect("dry run refused too");
    assert!(dry.message.contains("locked"), "{}", dry.message);
    drop(s);
    let again = State::open(&path, false).unwrap();
    again.mark_done("account", "1", "2").unwrap();
}

#[test]
fn losses_and_pending_links_round_trip() {
    let dir = tempfile::tempdir().unwrap();
    let s = State::open(&dir.path().join("s.sqlite"), false).unwrap();
    s.mark_done("contact", "1", "10").unwrap();
    let losses = BTreeMap::from([("emails".to_string(), 2u64), ("websites".to_string(), 1)]);
    s.set_losses("contact", "1", &losses).unwrap();
    assert_eq!(s.losses("contact", "1").unwrap(), losses);
    s.set_losses("contact", "1", &BTreeMap::new()).unwrap();
    assert!(s.losses("contact", "1").unwrap().is_empty());
    let link = PendingLink {
        kind: "contact".into(),
        source_id: "1".into(),
        field: "account_id".into(),
        link_kind: "account".into(),
        link_source_ids: vec!["5".into()],
    };
    s.add_pending_link(&link).unwrap();
    assert_eq!(s.pending_links("contact").unwrap(), vec![link]);
    assert!(s.pending_links("task").unwrap().is_empty());
    s.remove_pending_link("contact", "1", "account_id").unwrap();
    assert!(s.pending_links("contact").unwrap().is_empty());
}

#[test]
fn a_file_that_is_not_a_state_is_not_reported_as_locked() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("notes.txt");
    std::fs::write(&path, vec![b'x'; 4096]).unwrap();
    for read_only in [false, true] {
        let e = State::open(&path, read_only).err().expect("not a database");
        assert_eq!(e.code, 1);
        assert!(!e.message.contains("locked"), "{}", e.message);
        assert!(
            e.message.contains("migration state database"),
            "{}",
            e.message
        );
    }
}

#[test]
fn every_status_reads_back() {
    let dir = tempfile::tempdir().unwrap();
    let s = State::open(&dir.path().join("s.sqlite"), false).unwrap();
    s.mark_waiting("note", "1", "waits for contact 2").unwrap();
    s.mark_refused("contact", "3", "--strict: 2 × emails")
        .unwrap();
    s.mark_failed("task", "4", "422").unwrap();
    s.mark_done("account", "5", "50").unwrap();
    assert_eq!(
        s.get("note", "1").unwrap(),
        Some(Entry::Waiting("waits for contact 2".into()))
    );
    assert_eq!(
        s.get("contact", "3").unwrap(),
        Some(Entry::Refused("--strict: 2 × emails".into()))
    );
    assert_eq!(
        s.get("task", "4").unwrap(),
        Some(Entry::Failed("422".into()))
    );
    assert_eq!(
        s.get("account", "5").unwrap(),
        Some(Entry::Done("50".into()))
    );
    // Only `done` rows have a target id, and a waiting or refused record can be retried.
    assert_eq!(s.target_id("note", "1").unwrap(), None);
    s.mark_pending("note", "1", None).unwrap();
    assert_eq!(
        s.get("note", "1").unwrap(),
        Some(Entry::Pending { sent_after: None })
    );
}
