//! A [`RateLimiter`] shared by every process that names the same budget: GCRA in one atomic
//! Redis script (feature `redis`).
//!
//! The budget of one vendor and tenant (`unicrm:rate:{vendor}:{tenant}`) is one key holding
//! the theoretical arrival time (TAT) of the next request, in microseconds of the Redis
//! server's clock, so workers on different machines agree on time. A request may go when
//! `TAT - (burst - 1) × interval <= now`; it then moves the TAT one interval on (from `now` if
//! the TAT is in the past). This is the rule of the in-process [`super::GovernorRateLimiter`]:
//! `burst` requests at once, then one per interval.
//!
//! When Redis cannot be reached the limiter either fails closed (no request goes until Redis
//! answers again: never over the vendor's budget) or falls back to a local limiter of the
//! same pace with a warning (requests keep flowing; with N workers the vendor may see up to N
//! times the pace until Redis is back).

use std::num::NonZeroU32;
use std::sync::Arc;
use std::time::Duration;

use super::rate_limit::{GovernorRateLimiter, RateLimiter};
use super::redis_conn::LazyConnection;
use crate::error::Result;
use crate::time::{Sleeper, TokioSleeper};
use async_trait::async_trait;

/// The GCRA step, atomic in Redis. `KEYS[1]`: the budget; `ARGV[1]`: the interval in µs;
/// `ARGV[2]`: the burst tolerance in µs (`(burst - 1) × interval`). Returns 0 when the request
/// may go (and takes its slot), else the µs to wait.
const GCRA: &str = r#"
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local interval = tonumber(ARGV[1])
local tolerance = tonumber(ARGV[2])
local tat = tonumber(redis.call('GET', KEYS[1]) or now)
if tat < now then tat = now end
local wait = tat - tolerance - now
if wait > 0 then return math.ceil(wait) end
local new_tat = tat + interval
redis.call('SET', KEYS[1], string.format('%.0f', new_tat), 'PX', math.ceil((new_tat - now) / 1000) + 1)
return 0
"#;

/// What the limiter does while Redis cannot be reached.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum RedisOutage {
    /// No request goes until Redis answers again (waits with back-off, logging a warning).
    #[default]
    FailClosed,
    /// Requests are paced by a local limiter of the same pace, with a warning.
    FallBackToLocal,
}

/// A rate limiter whose budget lives in Redis, shared by every process using the same key.
pub struct RedisRateLimiter {
    conn: LazyConnection,
    script: redis::Script,
    key: String,
    interval_us: u64,
    tolerance_us: u64,
    outage: RedisOutage,
    local: GovernorRateLimiter,
    sleeper: Arc<dyn Sleeper>,
}

impl std::fmt::Debug for RedisRateLimiter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The URL may carry a password: only the key is shown.
        f.debug_struct("RedisRateLimiter")
            .field("key", &self.key)
            .field("interval_us", &self.interval_us)
            .field("outage", &self.outage)
            .finish_non_exhaustive()
    }
}

/// The Redis key of the budget of `vendor` for `tenant`.
pub fn budget_key(vendor: &str, tenant: &str) -> String {
    format!("unicrm:rate:{vendor}:{tenant}")
}

impl RedisRateLimiter {
    /// One request per `interval`, bursts of at most `burst`, for the budget of `vendor` and
    /// `tenant`, in the Redis at `url` (`redis://host:port/db`). Nothing is sent until the
    /// first request.
    pub fn new(
        url: &str,
        vendor: &str,
        tenant: &str,
        interval: Duration,
        burst: NonZeroU32,
        outage: RedisOutage,
    ) -> Result<Self> {
        let conn = LazyConnection::open(url)?;
        let interval_us = u64::try_from(interval.as_micros())
            .unwrap_or(u64::MAX)
            .max(1);
        Ok(RedisRateLimiter {
            conn,
            script: redis::Script::new(GCRA),
            key: budget_key(vendor, tenant),
            interval_us,
            tolerance_us: interval_us.saturating_mul(u64::from(burst.get() - 1)),
            outage,
            local: GovernorRateLimiter::every(interval, burst),
            sleeper: Arc::new(TokioSleeper),
        })
    }

    /// Waits through `sleeper` (tests record the waits).
    pub fn with_sleeper(mut self, sleeper: Arc<dyn Sleeper>) -> Self {
        self.sleeper = sleeper;
        self
    }

    /// The budget's key.
    pub fn key(&self) -> &str {
        &self.key
    }

    /// One GCRA step: `None` when a request may go now (its slot is taken), else how long
    /// to wait. An error when Redis cannot be reached or refuses the script.
    pub async fn try_acquire(&self) -> Result<Option<Duration>> {
        const WHAT: &str = "Redis rate limiter";
        let mut conn = self.conn.get(WHAT).await?;
        let answer: std::result::Result<u64, _> = self
            .script
            .key(&self.key)
            .arg(self.interval_us)
            .arg(self.tolerance_us)
            .invoke_async(&mut conn)
            .await;
        match answer {
            Ok(0) => Ok(None),
            Ok(us) => Ok(Some(Duration::from_micros(us))),
            Err(e) => Err(self.conn.failed(WHAT, &e).await),
        }
    }
}

#[async_trait]
impl RateLimiter for RedisRateLimiter {
    async fn acquire(&self) {
        let mut outage_wait = Duration::from_millis(100);
        loop {
            match self.try_acquire().await {
                Ok(None) => return,
                Ok(Some(wait)) => self.sleeper.sleep(wait).await,
                Err(e) => match self.outage {
                    RedisOutage::FallBackToLocal => {
                        tracing::warn!(key = %self.key, error = %e, "Redis unreachable: pacing with the local limiter");
                        self.local.acquire().await;
                        return;
                    }
                    RedisOutage::FailClosed => {
                        tracing::warn!(key = %self.key, error = %e, wait_ms = outage_wait.as_millis() as u64, "Redis unreachable: holding requests until it answers");
                        self.sleeper.sleep(outage_wait).await;
                        outage_wait = (outage_wait * 2).min(Duration::from_secs(5));
                    }
                },
            }
        }
    }
}
