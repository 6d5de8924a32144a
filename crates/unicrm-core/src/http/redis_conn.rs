//! One lazily made, self-repairing Redis connection (feature `redis`), shared by the Redis
//! rate limiter and the Redis token store.

use tokio::sync::Mutex;

use crate::error::{Error, Result, TransportKind};

/// A multiplexed connection made on first use and made again after an error.
pub(crate) struct LazyConnection {
    client: redis::Client,
    conn: Mutex<Option<redis::aio::MultiplexedConnection>>,
}

impl LazyConnection {
    /// Nothing is sent until the first command. A bad URL is a configuration error (its
    /// text, which may hold a password, is left out).
    pub(crate) fn open(url: &str) -> Result<Self> {
        let client = redis::Client::open(url)
            .map_err(|e| Error::config(format!("invalid Redis URL: {}", e.category())))?;
        Ok(LazyConnection {
            client,
            conn: Mutex::new(None),
        })
    }

    /// A connection (cheap to clone: commands on clones are multiplexed on one socket).
    pub(crate) async fn get(&self, what: &str) -> Result<redis::aio::MultiplexedConnection> {
        let mut guard = self.conn.lock().await;
        if let Some(c) = guard.as_ref() {
            return Ok(c.clone());
        }
        let conn = self
            .client
            .get_multiplexed_async_connection()
            .await
            .map_err(|e| redis_error(what, &e))?;
        *guard = Some(conn.clone());
        Ok(conn)
    }

    /// Forgets the connection after `e`, so the next command connects again; returns the
    /// error as ours.
    pub(crate) async fn failed(&self, what: &str, e: &redis::RedisError) -> Error {
        *self.conn.lock().await = None;
        redis_error(what, e)
    }
}

/// A Redis failure as a transport error. The error's text can hold the URL; its kind and
/// category say enough.
pub(crate) fn redis_error(what: &str, e: &redis::RedisError) -> Error {
    Error::Transport {
        kind: TransportKind::Connect,
        message: format!("{what}: {:?} ({})", e.kind(), e.category()),
        source: None,
    }
}
