//! The state store contract, one body run on every backend: SQLite (a temporary file) and
//! PostgreSQL (a real server started by the test, see `unicrm_state::testing`).

use std::collections::BTreeMap;
use std::time::Duration;

use chrono::{DateTime, Utc};
use unicrm_core::sync::{Applied, Entry, Mark, PendingLink, StateStore};
use unicrm_state::sqlite::SqliteStore;

fn t(s: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
}

/// The id map, row states, losses, links and meta values.
async fn rows(s: &dyn StateStore) {
    assert_eq!(s.get("contact", "1").await.unwrap(), None);
    s.mark_pending("contact", "1", None).await.unwrap();
    assert_eq!(
        s.get("contact", "1").await.unwrap(),
        Some(Entry::Pending { sent_after: None })
    );
    let lost = BTreeMap::from([("emails".to_string(), 2u64)]);
    s.mark_done("contact", "1", "99", &lost).await.unwrap();
    assert_eq!(
        s.get("contact", "1").await.unwrap(),
        Some(Entry::Done("99".into()))
    );
    assert_eq!(s.losses("contact", "1").await.unwrap(), lost);
    assert!(s.target_used("contact", "99").await.unwrap());
    assert!(!s.target_used("account", "99").await.unwrap());
    s.set_losses("contact", "1", &BTreeMap::new())
        .await
        .unwrap();
    assert!(s.losses("contact", "1").await.unwrap().is_empty());

    // The applied version: kept on a `done` row (with its change time to the second and
    // below, or without one), cleared when its target id is written again, never on a row
    // that is not `done`.
    let at = |text: &str| Some(text.parse::<DateTime<Utc>>().unwrap());
    let max = Applied {
        fingerprint: u64::MAX,
        updated_at: None,
    };
    let seven = Applied {
        fingerprint: 7,
        updated_at: at("2026-03-04T05:06:07.123456Z"),
    };
    assert_eq!(s.applied("contact", "1").await.unwrap(), None);
    s.set_applied("contact", "1", max).await.unwrap();
    assert_eq!(s.applied("contact", "1").await.unwrap(), Some(max));
    s.set_applied("contact", "1", seven).await.unwrap();
    assert_eq!(s.applied("contact", "1").await.unwrap(), Some(seven));
    assert!(
        Applied {
            fingerprint: 8,
            updated_at: at("2026-03-04T05:06:07Z")
        }
        .is_older_than(&seven)
    );
    assert!(!max.is_older_than(&seven), "an unknown time is not older");
    assert_eq!(s.applied("contact", "2").await.unwrap(), None, "no row");
    s.mark_done("contact", "1", "99", &lost).await.unwrap();
    assert_eq!(
        s.applied("contact", "1").await.unwrap(),
        None,
        "a new image"
    );
    s.set_applied("contact", "1", seven).await.unwrap();
    s.mark("contact", "1", Mark::Deleted("99".into()))
        .await
        .unwrap();
    assert_eq!(s.applied("contact", "1").await.unwrap(), None, "not done");
    s.mark_done("contact", "1", "99", &BTreeMap::new())
        .await
        .unwrap();

    // Every status reads back.
    s.mark("note", "1", Mark::Waiting("waits for contact 2".into()))
        .await
        .unwrap();
    s.mark("contact", "3", Mark::Refused("--strict: 2 × emails".into()))
        .await
        .unwrap();
    s.mark("task", "4", Mark::Failed("422".into()))
        .await
        .unwrap();
    s.mark("account", "5", Mark::Deleted("50".into()))
        .await
        .unwrap();
    assert_eq!(
        s.get("note", "1").await.unwrap(),
        Some(Entry::Waiting("waits for contact 2".into()))
    );
    assert_eq!(
        s.get("contact", "3").await.unwrap(),
        Some(Entry::Refused("--strict: 2 × emails".into()))
    );
    assert_eq!(
        s.get("task", "4").await.unwrap(),
        Some(Entry::Failed("422".into()))
    );
    assert_eq!(
        s.get("account", "5").await.unwrap(),
        Some(Entry::Deleted("50".into()))
    );
    assert!(
        !s.target_used("account", "50").await.unwrap(),
        "a deleted row is no image"
    );
    assert_eq!(
        s.status_counts().await.unwrap(),
        vec![
            ("account".to_string(), "deleted".to_string(), 1),
            ("contact".to_string(), "done".to_string(), 1),
            ("contact".to_string(), "refused".to_string(), 1),
            ("note".to_string(), "waiting".to_string(), 1),
            ("task".to_string(), "failed".to_string(), 1),
        ]
    );
    s.forget("contact", "3").await.unwrap();
    assert_eq!(s.get("contact", "3").await.unwrap(), None);

    // Meta values (checkpoints).
    assert_eq!(s.meta("sync_checkpoint:contact").await.unwrap(), None);
    s.set_meta("sync_checkpoint:contact", "a").await.unwrap();
    s.set_meta("sync_checkpoint:contact", "b").await.unwrap();
    assert_eq!(
        s.meta("sync_checkpoint:contact").await.unwrap().as_deref(),
        Some("b")
    );
    s.flush().await.unwrap();

    // Pending links: replaced per field, listed per kind in order, removed once filled.
    let link = |sid: &str, field: &str, ids: &[&str]| PendingLink {
        kind: "task".into(),
        source_id: sid.into(),
        field: field.into(),
        link_kind: "contact".into(),
        link_source_ids: ids.iter().map(|s| s.to_string()).collect(),
    };
    s.add_pending_link(&link("9", "contact_ids", &["1"]))
        .await
        .unwrap();
    s.add_pending_link(&link("9", "contact_ids", &["1", "2"]))
        .await
        .unwrap();
    s.add_pending_link(&link("10", "contact_id", &["3"]))
        .await
        .unwrap();
    assert_eq!(
        s.pending_links("task").await.unwrap(),
        vec![
            link("10", "contact_id", &["3"]),
            link("9", "contact_ids", &["1", "2"])
        ]
    );
    assert!(s.pending_links("note").await.unwrap().is_empty());
    s.remove_pending_link("task", "9", "contact_ids")
        .await
        .unwrap();
    assert_eq!(
        s.pending_links("task").await.unwrap(),
        vec![link("10", "contact_id", &["3"])]
    );
}

/// A `pending` row is never turned into a failure, and keeps its oldest bound.
async fn pending_rows(s: &dyn StateStore) {
    let t0 = t("2026-01-01T10:00:00Z");
    s.mark_pending("task", "7", Some(t0)).await.unwrap();
    for mark in [
        Mark::Failed("lookup failed".into()),
        Mark::Waiting("waits".into()),
        Mark::Refused("--strict".into()),
    ] {
        s.mark("task", "7", mark).await.unwrap();
        assert_eq!(
            s.get("task", "7").await.unwrap(),
            Some(Entry::Pending {
                sent_after: Some(t0)
            })
        );
    }
    s.note_ambiguous("task", "7", "timeout").await.unwrap();
    s.note_ambiguous("task", "8", "no row").await.unwrap();
    assert_eq!(s.get("task", "8").await.unwrap(), None);
    // A later attempt keeps the oldest bound: the first create may be the one applied.
    s.mark_pending("task", "7", Some(t0 + chrono::Duration::minutes(5)))
        .await
        .unwrap();
    assert_eq!(
        s.get("task", "7").await.unwrap(),
        Some(Entry::Pending {
            sent_after: Some(t0)
        })
    );
    // An earlier bound replaces a later one.
    s.mark_pending("task", "7", Some(t0 - chrono::Duration::minutes(5)))
        .await
        .unwrap();
    assert_eq!(
        s.get("task", "7").await.unwrap(),
        Some(Entry::Pending {
            sent_after: Some(t0 - chrono::Duration::minutes(5))
        })
    );
    // An attempt without a bound makes the bound unknown (look everywhere).
    s.mark_pending("task", "7", None).await.unwrap();
    s.mark_pending("task", "7", Some(t0)).await.unwrap();
    assert_eq!(
        s.get("task", "7").await.unwrap(),
        Some(Entry::Pending { sent_after: None })
    );
    // A rejection (every create refused) ends it.
    s.mark("task", "7", Mark::Rejected("422".into()))
        .await
        .unwrap();
    assert_eq!(
        s.get("task", "7").await.unwrap(),
        Some(Entry::Failed("422".into()))
    );
    // A fresh row takes the bound it is given, and a failed row can be retried.
    s.mark_pending("task", "7", Some(t0)).await.unwrap();
    assert_eq!(
        s.get("task", "7").await.unwrap(),
        Some(Entry::Pending {
            sent_after: Some(t0)
        })
    );
    // Only `pending` rows are protected: a `done` row takes a later failure like any other.
    s.mark_done("task", "7", "70", &BTreeMap::new())
        .await
        .unwrap();
    s.mark("task", "7", Mark::Failed("late".into()))
        .await
        .unwrap();
    assert_eq!(
        s.get("task", "7").await.unwrap(),
        Some(Entry::Failed("late".into()))
    );
}

/// Leases: one holder at a time until expiry; renewable by their holder; released.
async fn leases(s: &dyn StateStore) {
    let long = Duration::from_secs(600);
    assert!(s.try_lease("contact", "1", "a", long).await.unwrap());
    assert!(!s.try_lease("contact", "1", "b", long).await.unwrap());
    assert!(
        s.try_lease("contact", "2", "b", long).await.unwrap(),
        "per record"
    );
    assert!(
        s.try_lease("contact", "1", "a", long).await.unwrap(),
        "renewed"
    );
    s.release_lease("contact", "1", "b").await.unwrap();
    assert!(
        !s.try_lease("contact", "1", "b", long).await.unwrap(),
        "only its holder gives a lease back"
    );
    s.release_lease("contact", "1", "a").await.unwrap();
    assert!(s.try_lease("contact", "1", "b", long).await.unwrap());
    // A lease of no duration has expired by the next claim (a crashed holder's lease).
    assert!(
        s.try_lease("contact", "1", "b", Duration::ZERO)
            .await
            .unwrap()
    );
    assert!(s.try_lease("contact", "1", "a", long).await.unwrap());
    assert!(!s.try_lease("contact", "1", "b", long).await.unwrap());
}

async fn contract(s: &dyn StateStore) {
    rows(s).await;
    pending_rows(s).await;
    leases(s).await;
}

#[tokio::test]
async fn sqlite_keeps_the_contract() {
    let dir = tempfile::tempdir().unwrap();
    let s = SqliteStore::open(&dir.path().join("s.sqlite"), false).unwrap();
    contract(&s).await;
}

#[tokio::test]
async fn sqlite_is_durable_exclusive_and_readable_read_only() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("s.sqlite");
    let s = SqliteStore::open(&path, false).unwrap();
    // 2 = FULL.
    assert_eq!(
        s.pragmas().unwrap(),
        ("wal".to_string(), 2, "exclusive".to_string())
    );
    s.mark_done("account", "1", "2", &BTreeMap::new())
        .await
        .unwrap();
    let second = SqliteStore::open(&path, false).expect_err("refused");
    assert!(
        second
            .to_string()
            .contains("in use by another migration (locked)"),
        "{second}"
    );
    assert!(
        s.try_lease("contact", "1", "killed run", Duration::from_secs(600))
            .await
            .unwrap()
    );
    drop(s);
    // The next process on the file holds the lock: the leases of the one before are void.
    let next = SqliteStore::open(&path, false).unwrap();
    assert!(
        next.try_lease("contact", "1", "next run", Duration::from_secs(600))
            .await
            .unwrap()
    );
    drop(next);
    let ro = SqliteStore::open(&path, true).unwrap();
    assert_eq!(
        ro.get("account", "1").await.unwrap(),
        Some(Entry::Done("2".into()))
    );
    ro.set_meta("k", "v")
        .await
        .expect_err("a read-only file refuses writes");
    let missing = SqliteStore::open(&dir.path().join("none.sqlite"), true).unwrap();
    assert!(missing.is_read_only());
    missing.set_meta("k", "v").await.unwrap();
    assert_eq!(missing.meta("k").await.unwrap(), None);
    assert!(!dir.path().join("none.sqlite").exists());
}

#[cfg(feature = "postgres")]
mod postgres {
    use super::*;
    use std::sync::Arc;
    use unicrm_state::postgres::PostgresStore;
    use unicrm_state::testing::PgServer;

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn postgres_keeps_the_contract() {
        let pg = PgServer::start().expect("a PostgreSQL server for the tests");
        let url = pg.create_database("contract").await.unwrap();
        let s = PostgresStore::connect(&url, false).await.unwrap();
        contract(&s).await;
        // A read-only view (a dry run) reads and writes nothing.
        let ro = PostgresStore::connect(&url, true).await.unwrap();
        assert_eq!(
            ro.get("contact", "1").await.unwrap(),
            Some(Entry::Done("99".into()))
        );
        ro.set_meta("sync_checkpoint:contact", "c").await.unwrap();
        assert_eq!(
            s.meta("sync_checkpoint:contact").await.unwrap().as_deref(),
            Some("b")
        );
        let empty_url = pg.create_database("empty").await.unwrap();
        let empty = PostgresStore::connect(&empty_url, true).await.unwrap();
        assert_eq!(empty.get("contact", "1").await.unwrap(), None);
        assert!(empty.pending_links("task").await.unwrap().is_empty());
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn one_lease_among_workers_claiming_together() {
        let pg = PgServer::start().expect("a PostgreSQL server for the tests");
        let url = pg.create_database("race").await.unwrap();
        // Workers start together: the schema is created once, under its lock.
        let stores: Vec<Arc<PostgresStore>> = futures_join((0..4).map(|_| {
            let url = url.clone();
            async move { Arc::new(PostgresStore::connect(&url, false).await.unwrap()) }
        }))
        .await;
        for record in 0..20 {
            let claims = futures_join(stores.iter().enumerate().map(|(i, s)| {
                let s = s.clone();
                async move {
                    s.try_lease(
                        "contact",
                        &record.to_string(),
                        &format!("w{i}"),
                        Duration::from_secs(600),
                    )
                    .await
                    .unwrap()
                }
            }))
            .await;
            assert_eq!(
                claims.iter().filter(|c| **c).count(),
                1,
                "record {record}: {claims:?}"
            );
        }
        // Bad URLs and unreachable servers are errors that show no password.
        let e = PostgresStore::connect("postgres://u:s3cret@127.0.0.1:1/db", false)
            .await
            .expect_err("nothing listens on port 1");
        assert!(!e.to_string().contains("s3cret"), "{e}");
        assert!(e.to_string().contains("127.0.0.1:1/db"), "{e}");
    }

    /// Runs futures concurrently on the runtime's threads.
    async fn futures_join<T: Send + 'static>(
        futs: impl Iterator<Item = impl std::future::Future<Output = T> + Send + 'static>,
    ) -> Vec<T> {
        let handles: Vec<_> = futs.map(tokio::spawn).collect();
        let mut out = Vec::new();
        for h in handles {
            out.push(h.await.unwrap());
        }
        out
    }
}
