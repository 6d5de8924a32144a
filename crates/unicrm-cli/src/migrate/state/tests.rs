//! Unit tests of the CLI's view of the state (the stores' own rules are checked by the
//! contract tests of `unicrm-state`, on every backend).
use super::*;

#[tokio::test]
async fn round_trip_through_a_file_and_a_read_only_view() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("s.sqlite");
    let s = State::open(&path, false).unwrap();
    assert_eq!(s.get("contact", "1").await.unwrap(), None);
    s.mark_pending("contact", "1", None).await.unwrap();
    s.mark_done("contact", "1", "99").await.unwrap();
    assert_eq!(
        s.target_id("contact", "1").await.unwrap().as_deref(),
        Some("99")
    );
    s.mark_failed("contact", "2", "bad").await.unwrap();
    assert_eq!(
        s.done_counts().await.unwrap(),
        vec![("contact".to_string(), 1)]
    );
    assert!(s.lease("contact", "2").await.unwrap());
    drop(s);
    let ro = State::connect(&path, true).await.unwrap();
    assert_eq!(
        ro.target_id("contact", "1").await.unwrap().as_deref(),
        Some("99")
    );
    let missing = State::open(&dir.path().join("none.sqlite"), true).unwrap();
    assert_eq!(missing.get("contact", "1").await.unwrap(), None);
    missing.mark_planned("account", "7");
    assert_eq!(
        missing.target_id("account", "7").await.unwrap().as_deref(),
        Some("planned-7")
    );
    assert!(!dir.path().join("none.sqlite").exists());
}

#[test]
fn a_second_open_is_refused_with_a_runtime_error() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("s.sqlite");
    let _held = State::open(&path, false).unwrap();
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
fn postgres_urls_are_told_from_paths() {
    assert!(is_postgres_url("postgres://u@127.0.0.1:5432/db"));
    assert!(is_postgres_url("postgresql://127.0.0.1/db"));
    assert!(!is_postgres_url("migration.sqlite"));
    assert!(!is_postgres_url("./postgres/state.sqlite"));
}
