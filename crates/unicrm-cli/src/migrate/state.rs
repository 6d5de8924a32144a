//! The migration's id map, in SQLite: which source record became which target record.
//!
//! A row is written `pending` just before a create is sent and `done` with the target id right
//! after it succeeds, so a rerun skips what is done and, for a `pending` row left by an
//! interrupted run, looks the record up in the target before creating it again.

use std::path::Path;

use rusqlite::{Connection, OptionalExtension, params};

use crate::exit::CliError;

/// Status of one source record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Entry {
    /// Created (or found) in the target with this id.
    Done(String),
    /// A create was sent but its outcome was never recorded.
    Pending,
    /// The last attempt failed for this reason (retried on the next run).
    Failed(String),
}

/// The id map.
pub struct State {
    conn: Option<Connection>,
    /// Dry runs: source records that would be created, so records linked to them count as
    /// migratable in the plan.
    planned: std::sync::Mutex<std::collections::HashSet<(String, String)>>,
}

fn db_err(e: rusqlite::Error) -> CliError {
    CliError::runtime(format!("migration state database: {e}"))
}

impl State {
    /// Opens (and creates) the state file; with `read_only`, a missing file is an empty state
    /// and nothing is ever written.
    pub fn open(path: &Path, read_only: bool) -> Result<State, CliError> {
        if read_only {
            if !path.exists() {
                return Ok(State {
                    conn: None,
                    planned: Default::default(),
                });
            }
            let conn =
                Connection::open_with_flags(path, rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY)
                    .map_err(db_err)?;
            return Ok(State {
                conn: Some(conn),
                planned: Default::default(),
            });
        }
        let conn = Connection::open(path).map_err(db_err)?;
        conn.execute_batch(
            "PRAGMA journal_mode = WAL;
             PRAGMA synchronous = NORMAL;
             CREATE TABLE IF NOT EXISTS id_map (
                 kind TEXT NOT NULL,
                 source_id TEXT NOT NULL,
                 status TEXT NOT NULL,
                 target_id TEXT,
                 error TEXT,
                 updated_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ', 'now')),
                 PRIMARY KEY (kind, source_id)
             );
             CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);",
        )
        .map_err(db_err)?;
        Ok(State {
            conn: Some(conn),
            planned: Default::default(),
        })
    }

    /// The entry of a source record.
    pub fn get(&self, kind: &str, source_id: &str) -> Result<Option<Entry>, CliError> {
        let Some(conn) = &self.conn else {
            return Ok(None);
        };
        let row: Option<(String, Option<String>, Option<String>)> = conn
            .query_row(
                "SELECT status, target_id, error FROM id_map WHERE kind = ?1 AND source_id = ?2",
                params![kind, source_id],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
            )
            .optional()
            .map_err(db_err)?;
        Ok(
            row.map(|(status, target, error)| match (status.as_str(), target) {
                ("done", Some(t)) => Entry::Done(t),
                ("pending", _) => Entry::Pending,
                _ => Entry::Failed(error.unwrap_or_default()),
            }),
        )
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

    /// Records that a create is about to be sent.
    pub fn mark_pending(&self, kind: &str, source_id: &str) -> Result<(), CliError> {
        self.put(kind, source_id, "pending", None, None)
    }

    /// Records the target id.
    pub fn mark_done(&self, kind: &str, source_id: &str, target_id: &str) -> Result<(), CliError> {
        self.put(kind, source_id, "done", Some(target_id), None)
    }

    /// Records a failure.
    pub fn mark_failed(&self, kind: &str, source_id: &str, reason: &str) -> Result<(), CliError> {
        self.put(kind, source_id, "failed", None, Some(reason))
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

    /// Number of `done` rows per kind.
    pub fn done_counts(&self) -> Result<Vec<(String, u64)>, CliError> {
        let Some(conn) = &self.conn else {
            return Ok(Vec::new());
        };
        let mut stmt = conn
            .prepare("SELECT kind, COUNT(*) FROM id_map WHERE status = 'done' GROUP BY kind ORDER BY kind")
            .map_err(db_err)?;
        let rows = stmt
            .query_map([], |r| {
                Ok((r.get::<_, String>(0)?, r.get::<_, i64>(1)? as u64))
            })
            .map_err(db_err)?;
        rows.collect::<Result<Vec<_>, _>>().map_err(db_err)
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
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("s.sqlite");
        let s = State::open(&path, false).unwrap();
        assert_eq!(s.get("contact", "1").unwrap(), None);
        s.mark_pending("contact", "1").unwrap();
        assert_eq!(s.get("contact", "1").unwrap(), Some(Entry::Pending));
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
}
