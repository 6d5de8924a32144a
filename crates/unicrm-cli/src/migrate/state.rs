//! The migration's id map, in SQLite: which source record became which target record.
//!
//! A row is written `pending` just before a create is sent and `done` with the target id right
//! after it succeeds. A create whose outcome is unknown leaves the row `pending` whatever
//! happens next (another failed attempt, a failed lookup, a crash), so every later run looks
//! the record up in the target before it sends the create again. `pending` rows carry
//! `sent_after`: a lower bound, on the **target's** clock, of when the create may have been
//! applied (the newest target timestamp seen before it was sent).
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

use std::collections::BTreeMap;
use std::path::Path;

use chrono::{DateTime, Utc};
use rusqlite::{Connection, ErrorCode, OptionalExtension, params};

use crate::exit::CliError;

mod links;
#[cfg(test)]
mod tests;

pub use links::PendingLink;

/// Status of one source record.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Entry {
    /// Created (or found) in the target with this id.
    Done(String),
    /// A create was sent (or about to be) and its outcome is unknown: look before sending again.
    Pending {
        /// Lower bound on the target's clock of when the create may have been applied.
        sent_after: Option<DateTime<Utc>>,
    },
    /// Not written yet, because a record it links to is still `pending` (retried next run).
    Waiting(String),
    /// Refused by `--strict`: the target cannot hold all of it.
    Refused(String),
    /// The last attempt failed for this reason, and nothing was created (retried next run).
    Failed(String),
    /// Deleted at the source, and the record with this id deleted in the target by a sync.
    Deleted(String),
}

/// The id map.
pub struct State {
    conn: Option<Connection>,
    /// Whether `id_map` has the columns added after the first release (a file opened
    /// read-only may not).
    current_schema: bool,
    /// Dry runs: source records that would be created, so records linked to them count as
    /// migratable in the plan.
    planned: std::sync::Mutex<std::collections::HashSet<(String, String)>>,
}

fn db_err(e: rusqlite::Error) -> CliError {
    CliError::runtime(format!("migration state database: {e}"))
}

fn busy(e: &rusqlite::Error) -> bool {
    matches!(
        e.sqlite_error_code(),
        Some(ErrorCode::DatabaseBusy | ErrorCode::DatabaseLocked)
    )
}

fn open_err(path: &Path, e: rusqlite::Error) -> CliError {
    if busy(&e) {
        CliError::runtime(format!(
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
     );";

/// Columns added after the first release, for state files written by it.
const ADDED_COLUMNS: [(&str, &str); 3] = [
    ("sent_after", "TEXT"),
    ("attempts", "INTEGER NOT NULL DEFAULT 0"),
    ("losses", "TEXT"),
];

impl State {
    /// Opens (and creates) the state file and locks it for this process; with `read_only`, a
    /// missing file is an empty state and nothing is ever written.
    pub fn open(path: &Path, read_only: bool) -> Result<State, CliError> {
        if read_only {
            if !path.exists() {
                return Ok(State {
                    conn: None,
                    current_schema: true,
                    planned: Default::default(),
                });
            }
            let conn =
                Connection::open_with_flags(path, rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY)
                    .map_err(db_err)?;
            // A dry run reads a file that another migration may be writing: say so clearly.
            conn.query_row("SELECT COUNT(*) FROM sqlite_master", [], |_| Ok(()))
                .map_err(|e| open_err(path, e))?;
            let current_schema = conn
                .query_row(
                    "SELECT 1 FROM pragma_table_info('id_map') WHERE name = 'sent_after'",
                    [],
                    |_| Ok(()),
                )
                .optional()
                .map_err(db_err)?
                .is_some();
            return Ok(State {
                conn: Some(conn),
                current_schema,
                planned: Default::default(),
            });
        }
        let conn = Connection::open(path).map_err(db_err)?;
        // No waiting on a lock held by another process: refuse at once.
        conn.busy_timeout(std::time::Duration::ZERO)
            .map_err(db_err)?;
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
        Ok(State {
            conn: Some(conn),
            current_schema: true,
            planned: Default::default(),
        })
    }

    /// The entry of a source record.
    pub fn get(&self, kind: &str, source_id: &str) -> Result<Option<Entry>, CliError> {
        let Some(conn) = &self.conn else {
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
        Ok(row.map(|(status, target, error, sent_after)| {
            let error = error.unwrap_or_default();
            match (status.as_str(), target) {
                ("done", Some(t)) => Entry::Done(t),
                ("pending", _) => Entry::Pending {
                    sent_after: sent_after
                        .and_then(|s| DateTime::parse_from_rfc3339(&s).ok())
                        .map(|t| t.with_timezone(&Utc)),
                },
                ("waiting", _) => Entry::Waiting(error),
                ("refused", _) => Entry::Refused(error),
                ("deleted", t) => Entry::Deleted(t.unwrap_or_default()),
                _ => Entry::Failed(error),
            }
        }))
    }

    /// The target id of a migrated source record (in a dry run, a placeholder for a record
    /// the plan creates).
    pub fn target_id(&self, kind: &str, source_id: &str) -> Result<Option<String>, CliError> {
        Ok(match self.get(kind, source_id)? {
            Some(Entry::Done(t)) => Some(t),
            _ => self
                .planned
                .lock()
                .ok()
                .filter(|p| p.contains(&(kind.to_string(), source_id.to_string())))
                .map(|_| format!("planned-{source_id}")),
        })
    }

    /// Dry runs: records that `source_id` would be created.
    pub fn mark_planned(&self, kind: &str, source_id: &str) {
        if let Ok(mut p) = self.planned.lock() {
            p.insert((kind.to_string(), source_id.to_string()));
        }
    }

    fn put(
        &self,
        kind: &str,
        source_id: &str,
        status: &str,
        target: Option<&str>,
        error: Option<&str>,
    ) -> Result<(), CliError> {
        let Some(conn) = &self.conn else {
            return Ok(());
        };
        conn.execute(
            "INSERT INTO id_map (kind, source_id, status, target_id, error)
             VALUES (?1, ?2, ?3, ?4, ?5)
             ON CONFLICT (kind, source_id) DO UPDATE SET status = ?3, target_id = ?4, error = ?5,
                 updated_at = strftime('%Y-%m-%dT%H:%M:%SZ', 'now')",
            params![kind, source_id, status, target, error],
        )
        .map_err(db_err)?;
        Ok(())
    }

    /// Forgets a source record (its target record is gone): the next write creates it again,
    /// through the create path.
    pub fn forget(&self, kind: &str, source_id: &str) -> Result<(), CliError> {
        let Some(conn) = &self.conn else {
            return Ok(());
        };
        conn.execute(
            "DELETE FROM id_map WHERE kind = ?1 AND source_id = ?2",
            params![kind, source_id],
        )
        .map_err(db_err)?;
        Ok(())
    }

    /// Records that the source deleted the record and a sync deleted `target_id` in the target.
    pub fn mark_deleted(
        &self,
        kind: &str,
        source_id: &str,
        target_id: &str,
    ) -> Result<(), CliError> {
        self.put(kind, source_id, "deleted", Some(target_id), None)
    }

    /// Records that a create is about to be sent, after the target's clock read `sent_after`
    /// (kept from an earlier attempt when that one is older: the create may be from then).
    pub fn mark_pending(
        &self,
        kind: &str,
        source_id: &str,
        sent_after: Option<DateTime<Utc>>,
    ) -> Result<(), CliError> {
        let Some(conn) = &self.conn else {
            return Ok(());
        };
        let at = sent_after.map(|t| t.to_rfc3339());
        conn.execute(
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
        .map_err(db_err)?;
        Ok(())
    }

    /// Records why the last attempt's outcome is unknown; the row stays `pending`.
    pub fn note_ambiguous(
        &self,
        kind: &str,
        source_id: &str,
        reason: &str,
    ) -> Result<(), CliError> {
        let Some(conn) = &self.conn else {
            return Ok(());
        };
        conn.execute(
            "UPDATE id_map SET error = ?3 WHERE kind = ?1 AND source_id = ?2 AND status = 'pending'",
            params![kind, source_id, reason],
        )
        .map_err(db_err)?;
        Ok(())
    }

    /// Records the target id.
    pub fn mark_done(&self, kind: &str, source_id: &str, target_id: &str) -> Result<(), CliError> {
        self.mark_done_with_losses(kind, source_id, target_id, &BTreeMap::new())
    }

    /// Records the target id and what the target could not hold of the record (field → count),
    /// in one commit that is made durable by the next one (see the module docs).
    pub fn mark_done_with_losses(
        &self,
        kind: &str,
        source_id: &str,
        target_id: &str,
        losses: &BTreeMap<String, u64>,
    ) -> Result<(), CliError> {
        let Some(conn) = &self.conn else {
            return Ok(());
        };
        let text = (!losses.is_empty())
            .then(|| serde_json::to_string(losses))
            .transpose()?;
        conn.execute_batch("PRAGMA synchronous = NORMAL;")
            .map_err(db_err)?;
        let done = conn.execute(
            "INSERT INTO id_map (kind, source_id, status, target_id, losses)
             VALUES (?1, ?2, 'done', ?3, ?4)
             ON CONFLICT (kind, source_id) DO UPDATE SET status = 'done', target_id = ?3,
                 error = NULL, losses = ?4,
                 updated_at = strftime('%Y-%m-%dT%H:%M:%SZ', 'now')",
            params![kind, source_id, target_id, text],
        );
        let restored = conn.execute_batch("PRAGMA synchronous = FULL;");
        done.map_err(db_err)?;
        restored.map_err(db_err)?;
        Ok(())
    }

    /// Commits with an fsync, making every earlier commit durable (the end of a run).
    pub fn sync(&self) -> Result<(), CliError> {
        self.set_meta("synced_at", &Utc::now().to_rfc3339())
    }

    /// Records a failure after which nothing exists in the target. A `pending` row is never
    /// turned into a failure: its create may have been applied.
    pub fn mark_failed(&self, kind: &str, source_id: &str, reason: &str) -> Result<(), CliError> {
        self.put_unless_pending(kind, source_id, "failed", reason)
    }

    /// Records that the target refused every create of the record ever sent (no outcome is
    /// unknown): the row becomes `failed` even though it was marked `pending` before sending.
    pub fn mark_rejected(&self, kind: &str, source_id: &str, reason: &str) -> Result<(), CliError> {
        self.put(kind, source_id, "failed", None, Some(reason))
    }

    /// Records that the record waits for a linked record still `pending`.
    pub fn mark_waiting(&self, kind: &str, source_id: &str, reason: &str) -> Result<(), CliError> {
        self.put_unless_pending(kind, source_id, "waiting", reason)
    }

    /// Records that `--strict` refused the record.
    pub fn mark_refused(&self, kind: &str, source_id: &str, reason: &str) -> Result<(), CliError> {
        self.put_unless_pending(kind, source_id, "refused", reason)
    }

    fn put_unless_pending(
        &self,
        kind: &str,
        source_id: &str,
        status: &str,
        reason: &str,
    ) -> Result<(), CliError> {
        if let Some(Entry::Pending { .. }) = self.get(kind, source_id)? {
            return self.note_ambiguous(kind, source_id, reason);
        }
        self.put(kind, source_id, status, None, Some(reason))
    }

    /// Stores what the target could not hold of a record (field → count).
    pub fn set_losses(
        &self,
        kind: &str,
        source_id: &str,
        losses: &BTreeMap<String, u64>,
    ) -> Result<(), CliError> {
        let Some(conn) = &self.conn else {
            return Ok(());
        };
        let text = (!losses.is_empty())
            .then(|| serde_json::to_string(losses))
            .transpose()?;
        conn.execute(
            "UPDATE id_map SET losses = ?3 WHERE kind = ?1 AND source_id = ?2",
            params![kind, source_id, text],
        )
        .map_err(db_err)?;
        Ok(())
    }

    /// What the target could not hold of a record, as stored by [`State::set_losses`].
    pub fn losses(&self, kind: &str, source_id: &str) -> Result<BTreeMap<String, u64>, CliError> {
        let Some(conn) = &self.conn else {
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
        Ok(text
            .flatten()
            .and_then(|t| serde_json::from_str(&t).ok())
            .unwrap_or_default())
    }

    /// Whether a target record is already the image of some source record.
    pub fn target_used(&self, kind: &str, target_id: &str) -> Result<bool, CliError> {
        let Some(conn) = &self.conn else {
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

    /// Number of rows per kind and status (`done`, `pending`, …), sorted.
    pub fn status_counts(&self) -> Result<Vec<(String, String, u64)>, CliError> {
        let Some(conn) = &self.conn else {
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
                    r.get::<_, i64>(2)? as u64,
                ))
            })
            .map_err(db_err)?;
        rows.collect::<Result<Vec<_>, _>>().map_err(db_err)
    }

    /// Number of `done` rows per kind.
    pub fn done_counts(&self) -> Result<Vec<(String, u64)>, CliError> {
        Ok(self
            .status_counts()?
            .into_iter()
            .filter(|(_, s, _)| s == "done")
            .map(|(k, _, n)| (k, n))
            .collect())
    }

    /// Reads a meta value.
    pub fn meta(&self, key: &str) -> Result<Option<String>, CliError> {
        let Some(conn) = &self.conn else {
            return Ok(None);
        };
        conn.query_row("SELECT value FROM meta WHERE key = ?1", params![key], |r| {
            r.get(0)
        })
        .optional()
        .map_err(db_err)
    }

    /// Writes a meta value.
    pub fn set_meta(&self, key: &str, value: &str) -> Result<(), CliError> {
        let Some(conn) = &self.conn else {
            return Ok(());
        };
        conn.execute(
            "INSERT INTO meta (key, value) VALUES (?1, ?2) ON CONFLICT (key) DO UPDATE SET value = ?2",
            params![key, value],
        )
        .map_err(db_err)?;
        Ok(())
    }

    /// The PRAGMA settings in force (`journal_mode`, `synchronous`, `locking_mode`), for tests.
    pub fn pragmas(&self) -> Result<(String, i64, String), CliError> {
        let Some(conn) = &self.conn else {
            return Err(CliError::runtime("no state file"));
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
}
