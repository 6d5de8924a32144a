//! [`RedisTokenStore`]: a tenant's tokens in Redis, shared by every process and machine
//! (feature `redis`), with a refresh lock that has a lease.
//!
//! The tokens of one vendor and tenant are one hash, `unicrm:token:{vendor}:{tenant}`
//! (`access`, `refresh`, `expires`), written only by a compare-and-swap script. The refresh
//! lock is `unicrm:token:{vendor}:{tenant}:lock`, taken with `SET NX PX` under a unique holder
//! name and given back by a script that deletes it only while it still names that holder, so
//! a holder whose lease ran out cannot free someone else's lock. A holder that dies leaves
//! the lock to expire after its lease.
//!
//! The tokens are stored as Redis holds them (plain text): protect the Redis (ACL, TLS,
//! network) like the database the tokens would otherwise live in. Nothing here logs them.

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use secrecy::ExposeSecret;

use super::token_cache::TokenSet;
use super::token_store::{RefreshLease, TokenStore, poll_lock};
use crate::error::{Error, Result};
use crate::http::redis_conn::LazyConnection;
use crate::time::{Sleeper, TokioSleeper};

const WHAT: &str = "Redis token store";

/// `KEYS[1]`: the hash. `ARGV[1]`: `1` when a pair is expected, `0` for an empty store;
/// `ARGV[2..3]`: the expected access and refresh token (`''`: none); `ARGV[4..6]`: the new
/// access token, refresh token and expiry. Returns 1 when written.
const CAS: &str = r#"
local cur = redis.call('HMGET', KEYS[1], 'access', 'refresh')
if ARGV[1] == '0' then
  if cur[1] then return 0 end
else
  if cur[1] ~= ARGV[2] or (cur[2] or '') ~= ARGV[3] then return 0 end
end
redis.call('HSET', KEYS[1], 'access', ARGV[4], 'refresh', ARGV[5], 'expires', ARGV[6])
return 1
"#;

/// `KEYS[1]`: the lock; `ARGV[1]`: the holder. Deletes the lock only while it is the holder's.
const RELEASE: &str = r#"
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('DEL', KEYS[1])
end
return 0
"#;

/// The Redis key of the tokens of `vendor` for `tenant` (the lock is this plus `:lock`).
pub fn token_key(vendor: &str, tenant: &str) -> String {
    format!("unicrm:token:{vendor}:{tenant}")
}

/// A tenant's tokens in Redis. See the module docs.
pub struct RedisTokenStore {
    conn: LazyConnection,
    key: String,
    lock_key: String,
    cas: redis::Script,
    release: redis::Script,
    sleeper: Arc<dyn Sleeper>,
}

impl std::fmt::Debug for RedisTokenStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The URL may carry a password: only the key is shown.
        f.debug_struct("RedisTokenStore")
            .field("key", &self.key)
            .finish_non_exhaustive()
    }
}

impl RedisTokenStore {
    /// The tokens of `vendor` for `tenant` in the Redis at `url` (`redis://host:port/db`).
    /// Nothing is sent until first use.
    pub fn new(url: &str, vendor: &str, tenant: &str) -> Result<Self> {
        let key = token_key(vendor, tenant);
        Ok(RedisTokenStore {
            conn: LazyConnection::open(url)?,
            lock_key: format!("{key}:lock"),
            key,
            cas: redis::Script::new(CAS),
            release: redis::Script::new(RELEASE),
            sleeper: Arc::new(TokioSleeper),
        })
    }

    /// Waits for the lock through `sleeper` (tests).
    pub fn with_sleeper(mut self, sleeper: Arc<dyn Sleeper>) -> Self {
        self.sleeper = sleeper;
        self
    }

    /// The tokens' key.
    pub fn key(&self) -> &str {
        &self.key
    }

    /// Takes the lock once: `true` when taken.
    pub async fn try_lock(&self, lease: &RefreshLease, ttl: Duration) -> Result<bool> {
        let mut conn = self.conn.get(WHAT).await?;
        let ms = u64::try_from(ttl.as_millis()).unwrap_or(u64::MAX).max(1);
        let answer: std::result::Result<Option<String>, _> = redis::cmd("SET")
            .arg(&self.lock_key)
            .arg(lease.holder())
            .arg("NX")
            .arg("PX")
            .arg(ms)
            .query_async(&mut conn)
            .await;
        match answer {
            Ok(ok) => Ok(ok.is_some()),
            Err(e) => Err(self.conn.failed(WHAT, &e).await),
        }
    }
}

fn opt(s: Option<String>) -> Option<String> {
    s.filter(|s| !s.is_empty())
}

#[async_trait]
impl TokenStore for RedisTokenStore {
    async fn load(&self) -> Result<Option<TokenSet>> {
        let mut conn = self.conn.get(WHAT).await?;
        let answer: std::result::Result<(Option<String>, Option<String>, Option<String>), _> =
            redis::cmd("HMGET")
                .arg(&self.key)
                .arg("access")
                .arg("refresh")
                .arg("expires")
                .query_async(&mut conn)
                .await;
        let (access, refresh, expires) = match answer {
            Ok(v) => v,
            Err(e) => return Err(self.conn.failed(WHAT, &e).await),
        };
        let Some(access) = access else {
            return Ok(None);
        };
        let expires_at = match opt(expires) {
            None => None,
            Some(s) => Some(
                DateTime::parse_from_rfc3339(&s)
                    .map_err(|_| Error::Decode {
                        path: format!("{}.expires", self.key),
                        message: "not an RFC 3339 time".into(),
                    })?
                    .with_timezone(&Utc),
            ),
        };
        Ok(Some(TokenSet {
            access_token: access.into(),
            refresh_token: opt(refresh).map(Into::into),
            expires_at,
        }))
    }

    async fn compare_and_swap(&self, expected: Option<&TokenSet>, new: &TokenSet) -> Result<bool> {
        let mut conn = self.conn.get(WHAT).await?;
        let refresh = |t: &TokenSet| {
            t.refresh_token
                .as_ref()
                .map(|r| r.expose_secret().to_string())
                .unwrap_or_default()
        };
        let mut call = self.cas.key(&self.key);
        match expected {
            None => call.arg("0").arg("").arg(""),
            Some(e) => call
                .arg("1")
                .arg(e.access_token.expose_secret())
                .arg(refresh(e)),
        };
        call.arg(new.access_token.expose_secret())
            .arg(refresh(new))
            .arg(new.expires_at.map(|t| t.to_rfc3339()).unwrap_or_default());
        let answer: std::result::Result<i64, _> = call.invoke_async(&mut conn).await;
        match answer {
            Ok(n) => Ok(n == 1),
            Err(e) => Err(self.conn.failed(WHAT, &e).await),
        }
    }

    async fn lock_refresh(&self, lease: Duration) -> Result<Option<RefreshLease>> {
        poll_lock(self.sleeper.as_ref(), lease, WHAT, |me| async move {
            self.try_lock(&me, lease).await
        })
        .await
    }

    async fn unlock_refresh(&self, lease: RefreshLease) -> Result<()> {
        let mut conn = self.conn.get(WHAT).await?;
        let answer: std::result::Result<i64, _> = self
            .release
            .key(&self.lock_key)
            .arg(lease.holder())
            .invoke_async(&mut conn)
            .await;
        match answer {
            Ok(_) => Ok(()),
            Err(e) => Err(self.conn.failed(WHAT, &e).await),
        }
    }
}
