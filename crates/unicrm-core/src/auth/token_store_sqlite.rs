//! [`SqliteTokenStore`]: tokens in a SQLite file (feature `sqlite`), shared by the processes
//! of one machine, with a refresh lock that has a lease.
//!
//! Table `unicrm_tokens(name, access, refresh, expires_at)` holds one row per tenant; the
//! compare-and-swap is one `UPDATE … WHERE access = ? AND refresh IS ?` (or an insert that
//! does nothing when a row exists). The lock is a row of `unicrm_token_locks(name, holder,
//! until_ms)`: taken in one immediate transaction that first removes an expired lease, given
//! back only by its holder. SQLite's own file locking makes each statement atomic across
//! processes; `busy_timeout` makes them wait for each other. Times are this machine's.

use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use rusqlite::{Connection, OptionalExtension, params};
use secrecy::ExposeSecret;

use super::token_cache::TokenSet;
use super::token_store::{RefreshLease, TokenStore, poll_lock};
use crate::error::{Error, Result, TransportKind};
use crate::time::{Sleeper, TokioSleeper};

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS unicrm_tokens (
    name TEXT PRIMARY KEY,
    access TEXT NOT NULL,
    refresh TEXT,
    expires_at TEXT
);
CREATE TABLE IF NOT EXISTS unicrm_token_locks (
    name TEXT PRIMARY KEY,
    holder TEXT NOT NULL,
    until_ms INTEGER NOT NULL
);";

/// A tenant's tokens in a SQLite database. See the module docs.
pub struct SqliteTokenStore {
    conn: Arc<Mutex<Connection>>,
    name: String,
    sleeper: Arc<dyn Sleeper>,
}

impl std::fmt::Debug for SqliteTokenStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SqliteTokenStore")
            .field("name", &self.name)
            .finish_non_exhaustive()
    }
}

fn db_error(e: rusqlite::Error) -> Error {
    // rusqlite's messages name SQL and paths, never bound values (the tokens).
    Error::Transport {
        kind: TransportKind::Other,
        message: format!("SQLite token store: {e}"),
        source: None,
    }
}

fn now_ms() -> i64 {
    Utc::now().timestamp_millis()
}

impl SqliteTokenStore {
    /// The tokens named `name` (say `capsule:tenant-42`) in the database file at `path`,
    /// created with its tables when missing.
    pub fn open(path: impl AsRef<Path>, name: &str) -> Result<Self> {
        let conn = Connection::open(path).map_err(db_error)?;
        Self::from_connection(conn, name)
    }

    /// The tokens named `name` in an open connection (its tables are created when missing).
    pub fn from_connection(conn: Connection, name: &str) -> Result<Self> {
        conn.busy_timeout(Duration::from_secs(10))
            .map_err(db_error)?;
        conn.execute_batch(SCHEMA).map_err(db_error)?;
        Ok(SqliteTokenStore {
            conn: Arc::new(Mutex::new(conn)),
            name: name.to_string(),
            sleeper: Arc::new(TokioSleeper),
        })
    }

    /// Waits for the lock through `sleeper` (tests).
    pub fn with_sleeper(mut self, sleeper: Arc<dyn Sleeper>) -> Self {
        self.sleeper = sleeper;
        self
    }

    async fn with_conn<T: Send + 'static>(
        &self,
        f: impl FnOnce(&mut Connection, &str) -> rusqlite::Result<T> + Send + 'static,
    ) -> Result<T> {
        let conn = self.conn.clone();
        let name = self.name.clone();
        tokio::task::spawn_blocking(move || {
            let mut guard = conn.lock().unwrap_or_else(|e| e.into_inner());
            f(&mut guard, &name)
        })
        .await
        .map_err(|e| Error::config(format!("SQLite token store task failed: {e}")))?
        .map_err(db_error)
    }

    /// Takes the lock once: `true` when taken.
    pub async fn try_lock(&self, lease: &RefreshLease, ttl: Duration) -> Result<bool> {
        let holder = lease.holder().to_string();
        let ttl_ms = i64::try_from(ttl.as_millis()).unwrap_or(i64::MAX);
        self.with_conn(move |c, name| {
            let tx = c.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
            let now = now_ms();
            tx.execute(
                "DELETE FROM unicrm_token_locks WHERE name = ?1 AND until_ms <= ?2",
                params![name, now],
            )?;
            let taken = tx.execute(
                "INSERT OR IGNORE INTO unicrm_token_locks (name, holder, until_ms) VALUES (?1, ?2, ?3)",
                params![name, holder, now.saturating_add(ttl_ms)],
            )?;
            tx.commit()?;
            Ok(taken == 1)
        })
        .await
    }
}

#[async_trait]
impl TokenStore for SqliteTokenStore {
    async fn load(&self) -> Result<Option<TokenSet>> {
        let row = self
            .with_conn(|c, name| {
                c.query_row(
                    "SELECT access, refresh, expires_at FROM unicrm_tokens WHERE name = ?1",
                    params![name],
                    |r| {
                        Ok((
                            r.get::<_, String>(0)?,
                            r.get::<_, Option<String>>(1)?,
                            r.get::<_, Option<String>>(2)?,
                        ))
                    },
                )
                .optional()
            })
            .await?;
        let Some((access, refresh, expires)) = row else {
            return Ok(None);
        };
        let expires_at = match expires {
            None => None,
            Some(s) => Some(
                DateTime::parse_from_rfc3339(&s)
                    .map_err(|_| Error::Decode {
                        path: "unicrm_tokens.expires_at".into(),
                        message: "not an RFC 3339 time".into(),
                    })?
                    .with_timezone(&Utc),
            ),
        };
        Ok(Some(TokenSet {
            access_token: access.into(),
            refresh_token: refresh.map(Into::into),
            expires_at,
        }))
    }

    async fn compare_and_swap(&self, expected: Option<&TokenSet>, new: &TokenSet) -> Result<bool> {
        let expected = expected.map(|e| {
            (
                e.access_token.expose_secret().to_string(),
                e.refresh_token
                    .as_ref()
                    .map(|r| r.expose_secret().to_string()),
            )
        });
        let access = new.access_token.expose_secret().to_string();
        let refresh = new
            .refresh_token
            .as_ref()
            .map(|r| r.expose_secret().to_string());
        let expires = new.expires_at.map(|t| t.to_rfc3339());
        let changed = self
            .with_conn(move |c, name| match expected {
                None => c.execute(
                    "INSERT OR IGNORE INTO unicrm_tokens (name, access, refresh, expires_at) VALUES (?1, ?2, ?3, ?4)",
                    params![name, access, refresh, expires],
                ),
                Some((old_access, old_refresh)) => c.execute(
                    "UPDATE unicrm_tokens SET access = ?2, refresh = ?3, expires_at = ?4 \
                     WHERE name = ?1 AND access = ?5 AND refresh IS ?6",
                    params![name, access, refresh, expires, old_access, old_refresh],
                ),
            })
            .await?;
        Ok(changed == 1)
    }

    async fn lock_refresh(&self, lease: Duration) -> Result<Option<RefreshLease>> {
        poll_lock(
            self.sleeper.as_ref(),
            lease,
            "SQLite token store",
            |me| async move { self.try_lock(&me, lease).await },
        )
        .await
    }

    async fn unlock_refresh(&self, lease: RefreshLease) -> Result<()> {
        let holder = lease.holder().to_string();
        self.with_conn(move |c, name| {
            c.execute(
                "DELETE FROM unicrm_token_locks WHERE name = ?1 AND holder = ?2",
                params![name, holder],
            )
        })
        .await
        .map(|_| ())
    }
}
