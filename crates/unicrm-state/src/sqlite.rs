//! The embedded state store: one SQLite file (needs nothing installed).
//!
//! A row is written `pending` just before a create is sent and `done` with the target id right
//! after it succeeds.
//!
//! Durability: the database is in WAL mode with `synchronous = FULL`, so a committed row
//! survives a power cut (each commit appends to the WAL and fsyncs it: one fsync per commit,
//! where a rollback journal would need two or three). One write is the exception: the `done`
//! row that follows a create is committed without its own fsync (`synchronous = NORMAL` for
//! that statement) and becomes durable with the next commit, which is the next record's
//! `pending` row or the end of the run. WAL recovery keeps a prefix of the commits, so a power
//! cut can only turn the last `done` rows back into `pending` ones, which the next run finds in
//! the target by looking: it costs a lookup, never a second create. This halves the fsyncs per
//! record (one instead of two). Exclusivity: the connection uses
//! `locking_mode = EXCLUSIVE` and takes the write lock at once (`BEGIN EXCLUSIVE`), holding it
//! until the process ends, so a second run on the same file refuses to start; the operating
//! system drops the lock when the process dies, even on SIGKILL. In exclusive mode SQLite keeps
//! the WAL index in memory and creates no `-shm` file.
//!
//! Each call runs on the caller's thread (a short local statement; one connection behind a
//! mutex). Leases expire on this machine's clock: the file has one process anyway, so they
//! only matter between tasks of that process, and opening the file voids the leases of the
//! processes before (the exclusive lock proves they ended).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::{Mutex, MutexGuard};
use std::time::Duration;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use rusqlite::{Connection, ErrorCode, OptionalExtension, params};
use unicrm_core::sync::{Applied, Entry, Mark, PendingLink, StateError, StateStore};

use crate::{applied_text, entry_of, losses_text, parse_applied, parse_losses};

/// The SQLite state store.
pub struct SqliteStore {
    conn: Option<Mutex<Connection>>,
    /// Whether `id_map` has the columns added after the first release (a file opened
    /// read-only may not).
    current_schema: bool,
    /// Whether `id_map` has the `applied` column (a file opened read-only may not).
    applied_column: bool,
    path: PathBuf,
}

impl std::fmt::Debug for SqliteStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SqliteStore")
            .field("path", &self.path)
            .field("read_only", &self.conn.is_none())
            .finish()
    }
}

fn db_err(e: rusqlite::Error) -> StateError {
    StateError::Store(format!("migration state database: {e}"))
}

fn busy(e: &rusqlite::Error) -> bool {
    matches!(
        e.sqlite_error_code(),
        Some(ErrorCode::DatabaseBusy | ErrorCode::DatabaseLocked)
    )
}

fn open_err(path: &Path, e: rusqlite::Error) -> StateError {
    if busy(&e) {
        StateError::Locked(format!(
            "the state file {} is in use by another migration (locked); wait for it to finish",
            path.display()
        ))
    } else {
        db_err(e)
    }
}

const SCHEMA: &str = "CREATE TABLE IF NOT EXISTS id_map (
         kind TEXT NOT NULL,
         source_id TEXT NOT NULL,
         status TEXT NOT NULL,
         target_id TEXT,
         error TEXT,
         updated_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ', 'now')),
         PRIMARY KEY (kind, source_id)
     );
     CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
     CREATE TABLE IF NOT EXISTS pending_links (
         kind TEXT NOT NULL,
         source_id TEXT NOT NULL,
         field TEXT NOT NULL,
         link_kind TEXT NOT NULL,
         link_source_ids TEXT NOT NULL,
         PRIMARY KEY (kind, source_id, field)
     );
     CREATE TABLE IF NOT EXISTS leases (
         kind TEXT NOT NULL,
         source_id TEXT NOT NULL,
         holder TEXT NOT NULL,
         expires_ms INTEGER NOT NULL,
         PRIMARY KEY (kind, source_id)
     );";

/// Columns added after the first release, for state files written by it.
const ADDED_COLUMNS: [(&str, &str); 4] = [
    ("sent_after", "TEXT"),
    ("attempts", "INTEGER NOT NULL DEFAULT 0"),
    ("losses", "TEXT"),
    ("applied", "TEXT"),
];

/// The upsert of a row's status, target id and reason.
const PUT: &str = "INSERT INTO id_map (kind, source_id, status, target_id, error)
     VALUES (?1, ?2, ?3, ?4, ?5)
     ON CONFLICT (kind, source_id) DO UPDATE SET status = ?3, target_id = ?4, error = ?5,
         updated_at = strftime('%Y-%m-%dT%H:%M:%SZ', 'now')";

/// The same, except that a `pending` row only takes the reason (its create may have been applied).
const PUT_UNLESS_PENDING: &str = "INSERT INTO id_map (kind, source_id, status, target_id, error)
     VALUES (?1, ?2, ?3, NULL, ?4)
     ON CONFLICT (kind, source_id) DO UPDATE SET
         target_id = CASE WHEN status = 'pending' THEN target_id ELSE NULL END,
         status = CASE WHEN status = 'pending' THEN 'pending' ELSE ?3 END,
         error = ?4,
         updated_at = strftime('%Y-%m-%dT%H:%M:%SZ', 'now')";

impl SqliteStore {
    /// Opens (and creates) the state file and locks it for this process; with `read_only`, a
    /// missing file is an empty state and nothing is ever written.
    pub fn open(path: &Path, read_only: bool) -> Result<SqliteStore, StateError> {
        let store = |conn: Option<Connection>, current_schema, applied_column| SqliteStore {
            conn: conn.map(Mutex::new),
            current_schema,
            applied_column,
            path: path.to_path_buf(),
        };
        if read_only {
            if !path.exists() {
                return Ok(store(None, true, true));
            }
            let conn =
                Connection::open_with_flags(path, rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY)
                    .map_err(db_err)?;
            // A dry run reads a file that another migration may be writing: say so clearly.
            conn.query_row("SELECT COUNT(*) FROM sqlite_master", [], |_| Ok(()))
                .map_err(|e| open_err(path, e))?;
            let has = |col: &str| {
                conn.query_row(
                    "SELECT 1 FROM pragma_table_info('id_map') WHERE name = ?1",
                    [col],
                    |_| Ok(()),
                )
                .optional()
                .map_err(db_err)
                .map(|r| r.is_some())
            };
            let (current_schema, applied_column) = (has("sent_after")?, has("applied")?);
            return Ok(store(Some(conn), current_schema, applied_column));
        }
        let conn = Connection::open(path).map_err(db_err)?;
        // No waiting on a lock held by another process: refuse at once.
        conn.busy_timeout(Duration::ZERO).map_err(db_err)?;
        conn.execute_batch("PRAGMA locking_mode = EXCLUSIVE;")
            .map_err(db_err)?;
        conn.query_row("PRAGMA journal_mode = WAL", [], |r| r.get::<_, String>(0))
            .map_err(|e| open_err(path, e))?;
        conn.execute_batch("PRAGMA synchronous = FULL; BEGIN EXCLUSIVE; COMMIT;")
            .map_err(|e| open_err(path, e))?;
        conn.execute_batch(SCHEMA).map_err(db_err)?;
        let existing: Vec<String> = conn
            .prepare("SELECT name FROM pragma_table_info('id_map')")
            .and_then(|mut s| {
                s.query_map([], |r| r.get::<_, String>(0))?
                    .collect::<Result<Vec<_>, _>>()
            })
            .map_err(db_err)?;
        for (col, decl) in ADDED_COLUMNS {
            if !existing.iter().any(|c| c == col) {
                conn.execute_batch(&format!("ALTER TABLE id_map ADD COLUMN {col} {decl};"))
                    .map_err(db_err)?;
            }
        }
        // Holding the exclusive lock proves that the process of every lease in the file has
        // ended (a killed run leaves its leases behind): they are void.
        conn.execute_batch("DELETE FROM leases;").map_err(db_err)?;
        Ok(store(Some(conn), true, true))
    }

    /// The connection, or `None` for a read-only view of a missing file.
    fn conn(&self) -> Option<MutexGuard<'_, Connection>> {
        // A panic while holding the lock cannot leave a statement half-done in SQLite: the
        // connection stays usable.
        self.conn
            .as_ref()
            .map(|m| m.lock().unwrap_or_else(|p| p.into_inner()))
    }

    /// Whether nothing is ever written (a dry run).
    pub fn is_read_only(&self) -> bool {
        self.conn.is_none()
    }

    /// The PRAGMA settings in force (`journal_mode`, `synchronous`, `locking_mode`), for tests.
    pub fn pragmas(&self) -> Result<(String, i64, String), StateError> {
        let Some(conn) = self.conn() else {
            return Err(StateError::Store("no state file".into()));
        };
        let get = |p: &str| {
            conn.query_row(&format!("PRAGMA {p}"), [], |r| {
                r.get::<_, rusqlite::types::Value>(0)
            })
        };
        let text = |v: rusqlite::types::Value| match v {
            rusqlite::types::Value::Text(s) => s,
            rusqlite::types::Value::Integer(i) => i.to_string(),
            other => format!("{other:?}"),
        };
        let journal = text(get("journal_mode").map_err(db_err)?);
        let sync = match get("synchronous").map_err(db_err)? {
            rusqlite::types::Value::Integer(i) => i,
            _ => -1,
        };
        let locking = text(get("locking_mode").map_err(db_err)?);
        Ok((journal, sync, locking))
    }

    fn exec(&self, sql: &str, p: impl rusqlite::Params) -> Result<(), StateError> {
        if let Some(conn) = self.conn() {
            conn.execute(sql, p).map_err(db_err)?;
        }
        Ok(())
    }
}

fn now_ms() -> i64 {
    Utc::now().timestamp_millis()
}

#[async_trait]
impl StateStore for SqliteStore {
    async fn get(&self, kind: &str, source_id: &str) -> Result<Option<Entry>, StateError> {
        let Some(conn) = self.conn() else {
            return Ok(None);
        };
        // Columns added later may be missing from a file opened read-only.
        let sql = if self.current_schema {
            "SELECT status, target_id, error, sent_after FROM id_map WHERE kind = ?1 AND source_id = ?2"
        } else {
            "SELECT status, target_id, error, NULL FROM id_map WHERE kind = ?1 AND source_id = ?2"
        };
        type Row = (String, Option<String>, Option<String>, Option<String>);
        let row: Option<Row> = conn
            .query_row(sql, params![kind, source_id], |r| {
                Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?))
            })
            .optional()
            .map_err(db_err)?;
        Ok(row.map(|(s, t, e, at)| entry_of(&s, t, e, at)))
    }

    async fn mark_pending(
        &self,
        kind: &str,
        source_id: &str,
        sent_after: Option<DateTime<Utc>>,
    ) -> Result<(), StateError> {
        let at = sent_after.map(|t| t.to_rfc3339());
        self.exec(
            "INSERT INTO id_map (kind, source_id, status, sent_after, attempts)
             VALUES (?1, ?2, 'pending', ?3, 1)
             ON CONFLICT (kind, source_id) DO UPDATE SET
                 sent_after = CASE
                     WHEN status = 'pending' AND (sent_after IS NULL OR ?3 IS NULL) THEN NULL
                     WHEN status = 'pending' AND sent_after < ?3 THEN sent_after
                     ELSE ?3 END,
                 status = 'pending', target_id = NULL, error = NULL,
                 attempts = attempts + 1,
                 updated_at = strftime('%Y-%m-%dT%H:%M:%SZ', 'now')",
            params![kind, source_id, at],
        )
    }

    async fn note_ambiguous(
        &self,
        kind: &str,
        source_id: &str,
        reason: &str,
    ) -> Result<(), StateError> {
        self.exec(
            "UPDATE id_map SET error = ?3 WHERE kind = ?1 AND source_id = ?2 AND status = 'pending'",
            params![kind, source_id, reason],
        )
    }

    async fn mark_done(
        &self,
        kind: &str,
        source_id: &str,
        target_id: &str,
        losses: &BTreeMap<String, u64>,
    ) -> Result<(), StateError> {
        let Some(conn) = self.conn() else {
            return Ok(());
        };
        let text = losses_text(losses)?;
        // Made durable by the next commit (see the module docs).
        conn.execute_batch("PRAGMA synchronous = NORMAL;")
            .map_err(db_err)?;
        let done = conn.execute(
            "INSERT INTO id_map (kind, source_id, status, target_id, losses)
             VALUES (?1, ?2, 'done', ?3, ?4)
             ON CONFLICT (kind, source_id) DO UPDATE SET status = 'done', target_id = ?3,
                 error = NULL, losses = ?4, applied = NULL,
                 updated_at = strftime('%Y-%m-%dT%H:%M:%SZ', 'now')",
            params![kind, source_id, target_id, text],
        );
        let restored = conn.execute_batch("PRAGMA synchronous = FULL;");
        done.map_err(db_err)?;
        restored.map_err(db_err)?;
        Ok(())
    }

    async fn mark(&self, kind: &str, source_id: &str, mark: Mark) -> Result<(), StateError> {
        match mark {
            Mark::Failed(r) => self.exec(PUT_UNLESS_PENDING, params![kind, source_id, "failed", r]),
            Mark::Waiting(r) => {
                self.exec(PUT_UNLESS_PENDING, params![kind, source_id, "waiting", r])
            }
            Mark::Refused(r) => {
                self.exec(PUT_UNLESS_PENDING, params![kind, source_id, "refused", r])
            }
            Mark::Rejected(r) => self.exec(
                PUT,
                params![kind, source_id, "failed", None::<String>, Some(r)],
            ),
            Mark::Deleted(t) => self.exec(
                PUT,
                params![kind, source_id, "deleted", Some(t), None::<String>],
            ),
        }
    }

    async fn applied(&self, kind: &str, source_id: &str) -> Result<Option<Applied>, StateError> {
        let Some(conn) = self.conn() else {
            return Ok(None);
        };
        if !self.applied_column {
            return Ok(None);
        }
        let text: Option<Option<String>> = conn
            .query_row(
                "SELECT applied FROM id_map WHERE kind = ?1 AND source_id = ?2 AND status = 'done'",
                params![kind, source_id],
                |r| r.get(0),
            )
            .optional()
            .map_err(db_err)?;
        Ok(parse_applied(text.flatten()))
    }

    async fn set_applied(
        &self,
        kind: &str,
        source_id: &str,
        version: Applied,
    ) -> Result<(), StateError> {
        self.exec(
            "UPDATE id_map SET applied = ?3 WHERE kind = ?1 AND source_id = ?2 AND status = 'done'",
            params![kind, source_id, applied_text(&version)],
        )
    }

    async fn forget(&self, kind: &str, source_id: &str) -> Result<(), StateError> {
        self.exec(
            "DELETE FROM id_map WHERE kind = ?1 AND source_id = ?2",
            params![kind, source_id],
        )
    }

    async fn set_losses(
        &self,
        kind: &str,
        source_id: &str,
        losses: &BTreeMap<String, u64>,
    ) -> Result<(), StateError> {
        let text = losses_text(losses)?;
        self.exec(
            "UPDATE id_map SET losses = ?3 WHERE kind = ?1 AND source_id = ?2",
            params![kind, source_id, text],
        )
    }

    async fn losses(
        &self,
        kind: &str,
        source_id: &str,
    ) -> Result<BTreeMap<String, u64>, StateError> {
        let Some(conn) = self.conn() else {
            return Ok(BTreeMap::new());
        };
        let text: Option<Option<String>> = conn
            .query_row(
                "SELECT losses FROM id_map WHERE kind = ?1 AND source_id = ?2",
                params![kind, source_id],
                |r| r.get(0),
            )
            .optional()
            .map_err(db_err)?;
        Ok(parse_losses(text.flatten()))
    }

    async fn target_used(&self, kind: &str, target_id: &str) -> Result<bool, StateError> {
        let Some(conn) = self.conn() else {
            return Ok(false);
        };
        conn.query_row(
            "SELECT 1 FROM id_map WHERE kind = ?1 AND target_id = ?2 AND status = 'done' LIMIT 1",
            params![kind, target_id],
            |_| Ok(()),
        )
        .optional()
        .map(|r| r.is_some())
        .map_err(db_err)
    }

    async fn status_counts(&self) -> Result<Vec<(String, String, u64)>, StateError> {
        let Some(conn) = self.conn() else {
            return Ok(Vec::new());
        };
        let mut stmt = conn
            .prepare(
                "SELECT kind, status, COUNT(*) FROM id_map GROUP BY kind, status ORDER BY kind, status",
            )
            .map_err(db_err)?;
        let rows = stmt
            .query_map([], |r| {
                Ok((
                    r.get::<_, String>(0)?,
                    r.get::<_, String>(1)?,
                    r.get::<_, i64>(2)?.max(0) as u64,
                ))
            })
            .map_err(db_err)?;
        rows.collect::<Result<Vec<_>, _>>().map_err(db_err)
    }

    async fn meta(&self, key: &str) -> Result<Option<String>, StateError> {
        let Some(conn) = self.conn() else {
            return Ok(None);
        };
        conn.query_row("SELECT value FROM meta WHERE key = ?1", params![key], |r| {
            r.get(0)
        })
        .optional()
        .map_err(db_err)
    }

    async fn set_meta(&self, key: &str, value: &str) -> Result<(), StateError> {
        self.exec(
            "INSERT INTO meta (key, value) VALUES (?1, ?2) ON CONFLICT (key) DO UPDATE SET value = ?2",
            params![key, value],
        )
    }

    async fn flush(&self) -> Result<(), StateError> {
        // A commit with an fsync makes every earlier commit durable.
        self.set_meta("synced_at", &Utc::now().to_rfc3339()).await
    }

    async fn add_pending_link(&self, link: &PendingLink) -> Result<(), StateError> {
        let ids = serde_json::to_string(&link.link_source_ids)
            .map_err(|e| StateError::Store(format!("migration state database: {e}")))?;
        self.exec(
            "INSERT INTO pending_links (kind, source_id, field, link_kind, link_source_ids)
             VALUES (?1, ?2, ?3, ?4, ?5)
             ON CONFLICT (kind, source_id, field) DO UPDATE SET link_kind = ?4, link_source_ids = ?5",
            params![link.kind, link.source_id, link.field, link.link_kind, ids],
        )
    }

    async fn pending_links(&self, kind: &str) -> Result<Vec<PendingLink>, StateError> {
        let Some(conn) = self.conn() else {
            return Ok(Vec::new());
        };
        let has_table = conn
            .query_row(
                "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'pending_links'",
                [],
                |_| Ok(()),
            )
            .optional()
            .map_err(db_err)?
            .is_some();
        if !has_table {
            return Ok(Vec::new());
        }
        let mut stmt = conn
            .prepare(
                "SELECT kind, source_id, field, link_kind, link_source_ids FROM pending_links
                 WHERE kind = ?1 ORDER BY source_id, field",
            )
            .map_err(db_err)?;
        let rows = stmt
            .query_map([kind], |r| {
                Ok(PendingLink {
                    kind: r.get(0)?,
                    source_id: r.get(1)?,
                    field: r.get(2)?,
                    link_kind: r.get(3)?,
                    link_source_ids: serde_json::from_str(&r.get::<_, String>(4)?)
                        .unwrap_or_default(),
                })
            })
            .map_err(db_err)?;
        rows.collect::<Result<Vec<_>, _>>().map_err(db_err)
    }

    async fn remove_pending_link(
        &self,
        kind: &str,
        source_id: &str,
        field: &str,
    ) -> Result<(), StateError> {
        self.exec(
            "DELETE FROM pending_links WHERE kind = ?1 AND source_id = ?2 AND field = ?3",
            params![kind, source_id, field],
        )
    }

    async fn try_lease(
        &self,
        kind: &str,
        source_id: &str,
        holder: &str,
        ttl: Duration,
    ) -> Result<bool, StateError> {
        let Some(conn) = self.conn() else {
            // A read-only view writes nothing, so it never conflicts.
            return Ok(true);
        };
        let now = now_ms();
        let until = now.saturating_add(i64::try_from(ttl.as_millis()).unwrap_or(i64::MAX));
        let n = conn
            .execute(
                "INSERT INTO leases (kind, source_id, holder, expires_ms) VALUES (?1, ?2, ?3, ?4)
                 ON CONFLICT (kind, source_id) DO UPDATE SET holder = ?3, expires_ms = ?4
                 WHERE leases.holder = ?3 OR leases.expires_ms <= ?5",
                params![kind, source_id, holder, until, now],
            )
            .map_err(db_err)?;
        Ok(n == 1)
    }

    async fn release_lease(
        &self,
        kind: &str,
        source_id: &str,
        holder: &str,
    ) -> Result<(), StateError> {
        self.exec(
            "DELETE FROM leases WHERE kind = ?1 AND source_id = ?2 AND holder = ?3",
            params![kind, source_id, holder],
        )
    }
}
