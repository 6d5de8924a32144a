//! A [`RateLimiter`] shared by every process that names the same budget: GCRA in one atomic
//! Redis script (feature `redis`).
//!
//! The budget of one vendor and tenant (`unicrm:rate:{vendor}:{tenant}`) is one key holding
//! the theoretical arrival time (TAT) of the next request, in microseconds of the Redis
//! server's clock, so workers on different machines agree on time. This is the rule of the
//! in-process [`super::GovernorRateLimiter`]: `burst` requests at once, then one per interval.
//!
//! The script *reserves*: in one atomic step it gives the caller the next free slot
//! (`max(TAT, now) - (burst - 1) × interval`), moves the TAT one interval on, and answers how
//! long to wait for that slot; the caller sleeps that long and sends without asking again. So
//! the slots of all workers stay back to back however late a worker wakes up (a worker that
//! asks again after its wait, instead, starts the next slot from the late *now* and loses the
//! lateness every time). A slot further away than the reservation cap
//! ([`RedisRateLimiter::with_max_reservation`], 10 s by default) is refused without taking
//! it; the caller asks again closer to it. A caller dropped while waiting leaves its slot
//! unused: the budget is under-used, never exceeded.
//!
//! When Redis cannot be reached the limiter either fails closed (no request goes until Redis
//! answers again: never over the vendor's budget) or falls back to a local limiter of the
//! same pace with a warning (requests keep flowing; with N workers the vendor may see up to N
//! times the pace until Redis is back). Both log a warning and count
//! [`super::telemetry::REDIS_UNREACHABLE`].

use std::num::NonZeroU32;
use std::sync::Arc;
use std::time::Duration;

use super::rate_limit::{GovernorRateLimiter, RateLimiter};
use super::redis_conn::LazyConnection;
use crate::error::Result;
use crate::time::{Clock, Sleeper, SystemClock, TokioSleeper};
use async_trait::async_trait;

/// The reserving GCRA step, atomic in Redis. `KEYS[1]`: the budget; `ARGV[1]`: the interval
/// in µs; `ARGV[2]`: the burst tolerance in µs (`(burst - 1) × interval`); `ARGV[3]`: the
/// longest wait that may be reserved, in µs; `ARGV[4]`: now in µs, or empty for the server's
/// clock. Returns `{1, wait}` when a slot `wait` µs from now is taken, `{0, wait}` when the
/// next slot is further than the cap (nothing taken).
///
/// The key lives a minute past its TAT: once the TAT is past, a missing key and a stored one
/// mean the same (the TAT is taken as now), so the margin only keeps the key through a gap
/// between an injected clock and the server's.
const GCRA: &str = r#"
local now
if ARGV[4] == '' then
  local t = redis.call('TIME')
  now = tonumber(t[1]) * 1000000 + tonumber(t[2])
else
  now = tonumber(ARGV[4])
end
local interval = tonumber(ARGV[1])
local tolerance = tonumber(ARGV[2])
local cap = tonumber(ARGV[3])
local tat = tonumber(redis.call('GET', KEYS[1]) or now)
if tat < now then tat = now end
local wait = tat - tolerance - now
if wait < 0 then wait = 0 end
wait = math.ceil(wait)
if wait > cap then return {0, wait} end
local new_tat = tat + interval
redis.call('SET', KEYS[1], string.format('%.0f', new_tat), 'PX', math.ceil((new_tat - now) / 1000) + 60000)
return {1, wait}
"#;

/// The default longest wait for a reserved slot.
pub const DEFAULT_MAX_RESERVATION: Duration = Duration::from_secs(10);

/// After a refusal the caller asks again when its slot is within the cap, but never sooner
/// than this (no busy loop on a refusal at the edge).
const MIN_RETRY: Duration = Duration::from_millis(1);

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

impl RedisOutage {
    fn label(self) -> &'static str {
        match self {
            RedisOutage::FailClosed => "fail_closed",
            RedisOutage::FallBackToLocal => "fall_back_to_local",
        }
    }
}

/// One step of the shared budget.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Slot {
    /// A slot is taken: send after waiting this long (zero: send now), without asking again.
    Reserved(Duration),
    /// The next free slot is this far away, further than the reservation cap: nothing is
    /// taken.
    Refused(Duration),
}

/// A rate limiter whose budget lives in Redis, shared by every process using the same key.
pub struct RedisRateLimiter {
    conn: LazyConnection,
    script: redis::Script,
    key: String,
    vendor: String,
    tenant: String,
    interval: Duration,
    burst: NonZeroU32,
    interval_us: u64,
    tolerance_us: u64,
    max_reservation: Duration,
    outage: RedisOutage,
    local: GovernorRateLimiter,
    clock: Option<Arc<dyn Clock>>,
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

fn micros(d: Duration) -> u64 {
    u64::try_from(d.as_micros()).unwrap_or(u64::MAX)
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
        let interval_us = micros(interval).max(1);
        Ok(RedisRateLimiter {
            conn,
            script: redis::Script::new(GCRA),
            key: budget_key(vendor, tenant),
            vendor: vendor.to_string(),
            tenant: tenant.to_string(),
            interval,
            burst,
            interval_us,
            tolerance_us: interval_us.saturating_mul(u64::from(burst.get() - 1)),
            max_reservation: DEFAULT_MAX_RESERVATION,
            outage,
            local: GovernorRateLimiter::every(interval, burst),
            clock: None,
            sleeper: Arc::new(TokioSleeper),
        })
    }

    /// Waits through `sleeper` (tests record the waits), the local fall-back limiter's too.
    pub fn with_sleeper(mut self, sleeper: Arc<dyn Sleeper>) -> Self {
        self.sleeper = sleeper;
        self.rebuild_local();
        self
    }

    /// Times the budget by `clock` instead of the Redis server's clock (the local fall-back
    /// limiter too). For tests with a manual clock, or workers whose clocks are kept in step;
    /// every worker of a budget must use the same kind of clock.
    pub fn with_clock(mut self, clock: Arc<dyn Clock>) -> Self {
        self.clock = Some(clock);
        self.rebuild_local();
        self
    }

    /// Reserves slots at most `cap` away ([`DEFAULT_MAX_RESERVATION`] unless set); a caller
    /// whose slot would be further asks again later without taking one.
    pub fn with_max_reservation(mut self, cap: Duration) -> Self {
        self.max_reservation = cap;
        self
    }

    fn rebuild_local(&mut self) {
        let clock = self
            .clock
            .clone()
            .unwrap_or_else(|| Arc::new(SystemClock) as Arc<dyn Clock>);
        self.local =
            GovernorRateLimiter::every_with(self.interval, self.burst, clock, self.sleeper.clone());
    }

    /// The budget's key.
    pub fn key(&self) -> &str {
        &self.key
    }

    /// One reserving GCRA step: the slot taken and how long to wait for it, or a refusal when
    /// the next free slot is further than the reservation cap. An error when Redis cannot be
    /// reached or refuses the script.
    pub async fn reserve(&self) -> Result<Slot> {
        const WHAT: &str = "Redis rate limiter";
        let mut conn = self.conn.get(WHAT).await?;
        let now = self
            .clock
            .as_ref()
            .map(|c| c.now().timestamp_micros().max(0).to_string())
            .unwrap_or_default();
        let answer: std::result::Result<(u8, u64), _> = self
            .script
            .key(&self.key)
            .arg(self.interval_us)
            .arg(self.tolerance_us)
            .arg(micros(self.max_reservation))
            .arg(now)
            .invoke_async(&mut conn)
            .await;
        match answer {
            Ok((1, us)) => Ok(Slot::Reserved(Duration::from_micros(us))),
            Ok((_, us)) => Ok(Slot::Refused(Duration::from_micros(us))),
            Err(e) => Err(self.conn.failed(WHAT, &e).await),
        }
    }
}

#[async_trait]
impl RateLimiter for RedisRateLimiter {
    async fn acquire(&self) {
        let mut outage_wait = Duration::from_millis(100);
        loop {
            match self.reserve().await {
                Ok(Slot::Reserved(wait)) => {
                    if !wait.is_zero() {
                        self.sleeper.sleep(wait).await;
                    }
                    return;
                }
                Ok(Slot::Refused(wait)) => {
                    let closer = wait.saturating_sub(self.max_reservation).max(MIN_RETRY);
                    self.sleeper.sleep(closer).await;
                }
                Err(e) => {
                    metrics::counter!(super::telemetry::REDIS_UNREACHABLE, "vendor" => self.vendor.clone(), "tenant" => self.tenant.clone(), "outage" => self.outage.label()).increment(1);
                    match self.outage {
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
                    }
                }
            }
        }
    }
}
