//! Links of migrated records to records that were not migrated when they were written: kept
//! in the state until a later run fills them.

use rusqlite::{OptionalExtension, params};

use super::{State, db_err};
use crate::exit::CliError;

/// A link of a migrated record to a record that was not migrated when it was written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PendingLink {
    /// Kind of the record holding the link.
    pub kind: String,
    /// Source id of the record holding the link.
    pub source_id: String,
    /// Unified field of the link (`account_id`, `contact_ids`, …).
    pub field: String,
    /// Kind of the linked record.
    pub link_kind: String,
    /// Source ids of the linked records (several for list fields).
    pub link_source_ids: Vec<String>,
}

impl State {
    /// Stores a link to fill once the linked records are migrated (replaces one for the same
    /// field).
    pub fn add_pending_link(&self, link: &PendingLink) -> Result<(), CliError> {
        let Some(conn) = &self.conn else {
            return Ok(());
        };
        conn.execute(
            "INSERT INTO pending_links (kind, source_id, field, link_kind, link_source_ids)
             VALUES (?1, ?2, ?3, ?4, ?5)
             ON CONFLICT (kind, source_id, field) DO UPDATE SET link_kind = ?4, link_source_ids = ?5",
            params![
                link.kind,
                link.source_id,
                link.field,
                link.link_kind,
                serde_json::to_string(&link.link_source_ids)?
            ],
        )
        .map_err(db_err)?;
        Ok(())
    }

    /// Every pending link of records of `kind`.
    pub fn pending_links(&self, kind: &str) -> Result<Vec<PendingLink>, CliError> {
        let Some(conn) = &self.conn else {
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
                Ok((
                    r.get::<_, String>(0)?,
                    r.get::<_, String>(1)?,
                    r.get::<_, String>(2)?,
                    r.get::<_, String>(3)?,
                    r.get::<_, String>(4)?,
                ))
            })
            .map_err(db_err)?;
        let mut out = Vec::new();
        for row in rows {
            let (kind, source_id, field, link_kind, ids) = row.map_err(db_err)?;
            out.push(PendingLink {
                kind,
                source_id,
                field,
                link_kind,
                link_source_ids: serde_json::from_str(&ids).unwrap_or_default(),
            });
        }
        Ok(out)
    }

    /// Forgets a pending link (it was filled).
    pub fn remove_pending_link(
        &self,
        kind: &str,
        source_id: &str,
        field: &str,
    ) -> Result<(), CliError> {
        let Some(conn) = &self.conn else {
            return Ok(());
        };
        conn.execute(
            "DELETE FROM pending_links WHERE kind = ?1 AND source_id = ?2 AND field = ?3",
            params![kind, source_id, field],
        )
        .map_err(db_err)?;
        Ok(())
    }
}
