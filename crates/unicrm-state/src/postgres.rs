//! The PostgreSQL state store, for workers spread over machines (feature `postgres`).
//!
//! Tables (created on first use, under an advisory lock so two workers starting together do
//! not race): `unicrm_id_map`, `unicrm_meta`, `unicrm_pending_links`, `unicrm_leases`. Every
//! statement is one autocommitted, durable transaction (the server's `synchronous_commit`).
//!
//! **Leases.** A lease is a row of `unicrm_leases` with an expiry on the **server's** clock
//! (`now()`), so workers on machines whose clocks differ agree on it. It is taken by one
//! `INSERT … ON CONFLICT DO UPDATE … WHERE` that only replaces a lease held by the same
//! holder or expired: the unique index serialises two workers claiming one record, and the
//! second sees the first's row. A crashed worker's lease simply expires; its record's row is
//! still `pending`, so the next worker looks in the target before sending anything.
//!
//! The connection URL is never shown: errors name the host, port and database only.

use std::collections::BTreeMap;
use std::str::FromStr;
use std::time::Duration;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use deadpool_postgres::{Manager, ManagerConfig, Pool, RecyclingMethod};
use tokio_postgres::NoTls;
use tokio_postgres::types::ToSql;
use unicrm_core::sync::{Applied, Entry, Mark, PendingLink, StateError, StateStore};

use crate::{applied_text, entry_of, losses_text, parse_applied, parse_losses};

/// The PostgreSQL state store.
pub struct PostgresStore {
    pool: Pool,
    /// Where it points, for messages (no user, no password).
    place: String,
    /// Writes nothing (a dry run).
    read_only: bool,
    /// Whether the tables exist (a read-only view of a fresh database has none).
    ready: bool,
}

impl std::fmt::Debug for PostgresStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PostgresStore")
            .field("place", &self.place)
            .field("read_only", &self.read_only)
            .finish()
    }
}

const SCHEMA: &str = "CREATE TABLE IF NOT EXISTS unicrm_id_map (
         kind TEXT NOT NULL,
         source_id TEXT NOT NULL,
         status TEXT NOT NULL,
         target_id TEXT,
         error TEXT,
         sent_after TIMESTAMPTZ,
         attempts INTEGER NOT NULL DEFAULT 0,
         losses TEXT,
         updated_at TIMESTAMPTZ NOT NULL DEFAULT now(),
         PRIMARY KEY (kind, source_id)
     );
     ALTER TABLE unicrm_id_map ADD COLUMN IF NOT EXISTS applied TEXT;
     CREATE INDEX IF NOT EXISTS unicrm_id_map_target ON unicrm_id_map (kind, target_id);
     CREATE TABLE IF NOT EXISTS unicrm_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
     CREATE TABLE IF NOT EXISTS unicrm_pending_links (
         kind TEXT NOT NULL,
         source_id TEXT NOT NULL,
         field TEXT NOT NULL,
         link_kind TEXT NOT NULL,
         link_source_ids TEXT NOT NULL,
         PRIMARY KEY (kind, source_id, field)
     );
     CREATE TABLE IF NOT EXISTS unicrm_leases (
         kind TEXT NOT NULL,
         source_id TEXT NOT NULL,
         holder TEXT NOT NULL,
         expires_at TIMESTAMPTZ NOT NULL,
         PRIMARY KEY (kind, source_id)
     );";

/// Any constant: the advisory lock that serialises schema creation.
const SCHEMA_LOCK: i64 = 0x756e_6963_726d;

const PUT: &str = "INSERT INTO unicrm_id_map (kind, source_id, status, target_id, error)
     VALUES ($1, $2, $3, $4, $5)
     ON CONFLICT (kind, source_id) DO UPDATE SET status = EXCLUDED.status,
         target_id = EXCLUDED.target_id, error = EXCLUDED.error, updated_at = now()";

const PUT_UNLESS_PENDING: &str = "INSERT INTO unicrm_id_map AS m (kind, source_id, status, error)
     VALUES ($1, $2, $3, $4)
     ON CONFLICT (kind, source_id) DO UPDATE SET
         target_id = CASE WHEN m.status = 'pending' THEN m.target_id ELSE NULL END,
         status = CASE WHEN m.status = 'pending' THEN 'pending' ELSE EXCLUDED.status END,
         error = EXCLUDED.error, updated_at = now()";

impl PostgresStore {
    /// Connects to the database at `url` (`postgres://user:password@host:port/db`), creating
    /// the tables unless `read_only`.
    pub async fn connect(url: &str, read_only: bool) -> Result<PostgresStore, StateError> {
        let config = tokio_postgres::Config::from_str(url).map_err(|_| {
            StateError::Store(
                "the PostgreSQL state URL is not valid (postgres://user:password@host:port/database)"
                    .into(),
            )
        })?;
        let place = describe(&config);
        let manager = Manager::from_config(
            config,
            NoTls,
            ManagerConfig {
                recycling_method: RecyclingMethod::Fast,
            },
        );
        let pool = Pool::builder(manager)
            .max_size(4)
            .build()
            .map_err(|e| StateError::Store(format!("PostgreSQL state at {place}: {e}")))?;
        let mut store = PostgresStore {
            pool,
            place,
            read_only,
            ready: true,
        };
        if read_only {
            let rows = store
                .query("SELECT to_regclass('unicrm_id_map')::text", &[])
                .await?;
            store.ready = rows
                .first()
                .and_then(|r| r.get::<_, Option<String>>(0))
                .is_some();
        } else {
            let mut client = store.client().await?;
            let tx = client.transaction().await.map_err(|e| store.err(e))?;
            tx.execute("SELECT pg_advisory_xact_lock($1)", &[&SCHEMA_LOCK])
                .await
                .map_err(|e| store.err(e))?;
            tx.batch_execute(SCHEMA).await.map_err(|e| store.err(e))?;
            tx.commit().await.map_err(|e| store.err(e))?;
        }
        Ok(store)
    }

    fn err(&self, e: impl std::fmt::Display) -> StateError {
        StateError::Store(format!("PostgreSQL state at {}: {e}", self.place))
    }

    async fn client(&self) -> Result<deadpool_postgres::Object, StateError> {
        self.pool.get().await.map_err(|e| self.err(e))
    }

    async fn query(
        &self,
        sql: &str,
        p: &[&(dyn ToSql + Sync)],
    ) -> Result<Vec<tokio_postgres::Row>, StateError> {
        let client = self.client().await?;
        let stmt = client.prepare_cached(sql).await.map_err(|e| self.err(e))?;
        client.query(&stmt, p).await.map_err(|e| self.err(e))
    }

    /// Runs a write (nothing in a read-only view); the number of rows it changed.
    async fn exec(&self, sql: &str, p: &[&(dyn ToSql + Sync)]) -> Result<u64, StateError> {
        if self.read_only {
            return Ok(0);
        }
        let client = self.client().await?;
        let stmt = client.prepare_cached(sql).await.map_err(|e| self.err(e))?;
        client.execute(&stmt, p).await.map_err(|e| self.err(e))
    }
}

/// `host:port/database`, without the user or the password.
fn describe(config: &tokio_postgres::Config) -> String {
    let host = config
        .get_hosts()
        .first()
        .map(|h| match h {
            tokio_postgres::config::Host::Tcp(h) => h.clone(),
            #[cfg(unix)]
            tokio_postgres::config::Host::Unix(p) => p.display().to_string(),
        })
        .unwrap_or_else(|| "localhost".into());
    let port = config.get_ports().first().copied().unwrap_or(5432);
    format!("{host}:{port}/{}", config.get_dbname().unwrap_or(""))
}

#[async_trait]
impl StateStore for PostgresStore {
    async fn get(&self, kind: &str, source_id: &str) -> Result<Option<Entry>, StateError> {
        if !self.ready {
            return Ok(None);
        }
        let rows = self
            .query(
                "SELECT status, target_id, error, sent_after FROM unicrm_id_map
                 WHERE kind = $1 AND source_id = $2",
                &[&kind, &source_id],
            )
            .await?;
        Ok(rows.first().map(|r| {
            let at: Option<DateTime<Utc>> = r.get(3);
            entry_of(
                r.get::<_, &str>(0),
                r.get(1),
                r.get(2),
                at.map(|t| t.to_rfc3339()),
            )
        }))
    }

    async fn mark_pending(
        &self,
        kind: &str,
        source_id: &str,
        sent_after: Option<DateTime<Utc>>,
    ) -> Result<(), StateError> {
        self.exec(
            "INSERT INTO unicrm_id_map AS m (kind, source_id, status, sent_after, attempts)
             VALUES ($1, $2, 'pending', $3::timestamptz, 1)
             ON CONFLICT (kind, source_id) DO UPDATE SET
                 sent_after = CASE
                     WHEN m.status = 'pending' AND (m.sent_after IS NULL OR $3::timestamptz IS NULL) THEN NULL
                     WHEN m.status = 'pending' AND m.sent_after < $3::timestamptz THEN m.sent_after
                     ELSE $3::timestamptz END,
                 status = 'pending', target_id = NULL, error = NULL,
                 attempts = m.attempts + 1, updated_at = now()",
            &[&kind, &source_id, &sent_after],
        )
        .await
        .map(drop)
    }

    async fn note_ambiguous(
        &self,
        kind: &str,
        source_id: &str,
        reason: &str,
    ) -> Result<(), StateError> {
        self.exec(
            "UPDATE unicrm_id_map SET error = $3
             WHERE kind = $1 AND source_id = $2 AND status = 'pending'",
            &[&kind, &source_id, &reason],
        )
        .await
        .map(drop)
    }

    async fn mark_done(
        &self,
        kind: &str,
        source_id: &str,
        target_id: &str,
        losses: &BTreeMap<String, u64>,
    ) -> Result<(), StateError> {
        let text = losses_text(losses)?;
        self.exec(
            "INSERT INTO unicrm_id_map (kind, source_id, status, target_id, losses)
             VALUES ($1, $2, 'done', $3, $4)
             ON CONFLICT (kind, source_id) DO UPDATE SET status = 'done', target_id = $3,
                 error = NULL, losses = $4, applied = NULL, updated_at = now()",
            &[&kind, &source_id, &target_id, &text],
        )
        .await
        .map(drop)
    }

    async fn mark(&self, kind: &str, source_id: &str, mark: Mark) -> Result<(), StateError> {
        let none: Option<&str> = None;
        let n = match &mark {
            Mark::Failed(r) => {
                self.exec(PUT_UNLESS_PENDING, &[&kind, &source_id, &"failed", r])
                    .await
            }
            Mark::Waiting(r) => {
                self.exec(PUT_UNLESS_PENDING, &[&kind, &source_id, &"waiting", r])
                    .await
            }
            Mark::Refused(r) => {
                self.exec(PUT_UNLESS_PENDING, &[&kind, &source_id, &"refused", r])
                    .await
            }
            Mark::Rejected(r) => {
                self.exec(
                    PUT,
                    &[&kind, &source_id, &"failed", &none, &Some(r.as_str())],
                )
                .await
            }
            Mark::Deleted(t) => {
                self.exec(
                    PUT,
                    &[&kind, &source_id, &"deleted", &Some(t.as_str()), &none],
                )
                .await
            }
        };
        n.map(drop)
    }

    async fn applied(&self, kind: &str, source_id: &str) -> Result<Option<Applied>, StateError> {
        if !self.ready {
            return Ok(None);
        }
        let rows = self
            .query(
                "SELECT applied FROM unicrm_id_map
                 WHERE kind = $1 AND source_id = $2 AND status = 'done'",
                &[&kind, &source_id],
            )
            .await?;
        Ok(parse_applied(rows.first().and_then(|r| r.get(0))))
    }

    async fn set_applied(
        &self,
        kind: &str,
        source_id: &str,
        version: Applied,
    ) -> Result<(), StateError> {
        self.exec(
            "UPDATE unicrm_id_map SET applied = $3
             WHERE kind = $1 AND source_id = $2 AND status = 'done'",
            &[&kind, &source_id, &applied_text(&version)],
        )
        .await
        .map(drop)
    }

    async fn forget(&self, kind: &str, source_id: &str) -> Result<(), StateError> {
        self.exec(
            "DELETE FROM unicrm_id_map WHERE kind = $1 AND source_id = $2",
            &[&kind, &source_id],
        )
        .await
        .map(drop)
    }

    async fn set_losses(
        &self,
        kind: &str,
        source_id: &str,
        losses: &BTreeMap<String, u64>,
    ) -> Result<(), StateError> {
        let text = losses_text(losses)?;
        self.exec(
            "UPDATE unicrm_id_map SET losses = $3 WHERE kind = $1 AND source_id = $2",
            &[&kind, &source_id, &text],
        )
        .await
        .map(drop)
    }

    async fn losses(
        &self,
        kind: &str,
        source_id: &str,
    ) -> Result<BTreeMap<String, u64>, StateError> {
        if !self.ready {
            return Ok(BTreeMap::new());
        }
        let rows = self
            .query(
                "SELECT losses FROM unicrm_id_map WHERE kind = $1 AND source_id = $2",
                &[&kind, &source_id],
            )
            .await?;
        Ok(parse_losses(rows.first().and_then(|r| r.get(0))))
    }

    async fn target_used(&self, kind: &str, target_id: &str) -> Result<bool, StateError> {
        if !self.ready {
            return Ok(false);
        }
        let rows = self
            .query(
                "SELECT 1 FROM unicrm_id_map
                 WHERE kind = $1 AND target_id = $2 AND status = 'done' LIMIT 1",
                &[&kind, &target_id],
            )
            .await?;
        Ok(!rows.is_empty())
    }

    async fn status_counts(&self) -> Result<Vec<(String, String, u64)>, StateError> {
        if !self.ready {
            return Ok(Vec::new());
        }
        let rows = self
            .query(
                "SELECT kind, status, COUNT(*) FROM unicrm_id_map
                 GROUP BY kind, status ORDER BY kind COLLATE \"C\", status COLLATE \"C\"",
                &[],
            )
            .await?;
        Ok(rows
            .iter()
            .map(|r| (r.get(0), r.get(1), r.get::<_, i64>(2).max(0) as u64))
            .collect())
    }

    async fn meta(&self, key: &str) -> Result<Option<String>, StateError> {
        if !self.ready {
            return Ok(None);
        }
        let rows = self
            .query("SELECT value FROM unicrm_meta WHERE key = $1", &[&key])
            .await?;
        Ok(rows.first().map(|r| r.get(0)))
    }

    async fn set_meta(&self, key: &str, value: &str) -> Result<(), StateError> {
        self.exec(
            "INSERT INTO unicrm_meta (key, value) VALUES ($1, $2)
             ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value",
            &[&key, &value],
        )
        .await
        .map(drop)
    }

    async fn flush(&self) -> Result<(), StateError> {
        // Every statement was committed durably already.
        Ok(())
    }

    async fn add_pending_link(&self, link: &PendingLink) -> Result<(), StateError> {
        let ids = serde_json::to_string(&link.link_source_ids).map_err(|e| self.err(e))?;
        self.exec(
            "INSERT INTO unicrm_pending_links (kind, source_id, field, link_kind, link_source_ids)
             VALUES ($1, $2, $3, $4, $5)
             ON CONFLICT (kind, source_id, field) DO UPDATE SET
                 link_kind = EXCLUDED.link_kind, link_source_ids = EXCLUDED.link_source_ids",
            &[
                &link.kind,
                &link.source_id,
                &link.field,
                &link.link_kind,
                &ids,
            ],
        )
        .await
        .map(drop)
    }

    async fn pending_links(&self, kind: &str) -> Result<Vec<PendingLink>, StateError> {
        if !self.ready {
            return Ok(Vec::new());
        }
        let rows = self
            .query(
                "SELECT kind, source_id, field, link_kind, link_source_ids FROM unicrm_pending_links
                 WHERE kind = $1 ORDER BY source_id COLLATE \"C\", field COLLATE \"C\"",
                &[&kind],
            )
            .await?;
        Ok(rows
            .iter()
            .map(|r| PendingLink {
                kind: r.get(0),
                source_id: r.get(1),
                field: r.get(2),
                link_kind: r.get(3),
                link_source_ids: serde_json::from_str(r.get::<_, &str>(4)).unwrap_or_default(),
            })
            .collect())
    }

    async fn remove_pending_link(
        &self,
        kind: &str,
        source_id: &str,
        field: &str,
    ) -> Result<(), StateError> {
        self.exec(
            "DELETE FROM unicrm_pending_links WHERE kind = $1 AND source_id = $2 AND field = $3",
            &[&kind, &source_id, &field],
        )
        .await
        .map(drop)
    }

    async fn try_lease(
        &self,
        kind: &str,
        source_id: &str,
        holder: &str,
        ttl: Duration,
    ) -> Result<bool, StateError> {
        if self.read_only {
            return Ok(true);
        }
        let ms = i64::try_from(ttl.as_millis()).unwrap_or(i64::MAX / 4);
        let n = self
            .exec(
                "INSERT INTO unicrm_leases AS l (kind, source_id, holder, expires_at)
                 VALUES ($1, $2, $3, now() + $4::bigint * interval '1 millisecond')
                 ON CONFLICT (kind, source_id) DO UPDATE SET
                     holder = EXCLUDED.holder, expires_at = EXCLUDED.expires_at
                 WHERE l.holder = EXCLUDED.holder OR l.expires_at <= now()",
                &[&kind, &source_id, &holder, &ms],
            )
            .await?;
        Ok(n == 1)
    }

    async fn release_lease(
        &self,
        kind: &str,
        source_id: &str,
        holder: &str,
    ) -> Result<(), StateError> {
        self.exec(
            "DELETE FROM unicrm_leases WHERE kind = $1 AND source_id = $2 AND holder = $3",
            &[&kind, &source_id, &holder],
        )
        .await
        .map(drop)
    }
}
