//! Client-side rate limiting, before the vendor complains.
//!
//! [`RateLimiter`] is a trait so many workers can share one tenant's budget through a
//! networked store (a Redis GCRA, for example) — the scale-out path described in
//! `docs/architecture.md`. [`GovernorRateLimiter`] is the in-process GCRA.
//! [`QuotaTracker`] follows a vendor's budget headers (as its `RateLimitReader` reads them) and the `Retry-After` of
//! 429s, and makes concurrent callers wait together for one shared "blocked until" instant
//! instead of stampeding into 429s.

use std::num::NonZeroU32;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use governor::Quota;
use governor::middleware::NoOpMiddleware;
use governor::state::{InMemoryState, NotKeyed};

use super::retry_after::RateLimitHeaders;
use crate::time::{Clock, Sleeper, SystemClock, TokioSleeper};

/// Waits until a request may be sent.
#[async_trait]
pub trait RateLimiter: Send + Sync + std::fmt::Debug {
    /// Returns when one request may be sent now.
    async fn acquire(&self);
}

/// governor's clock over an injectable [`Clock`]: time since the limiter was made, never going
/// backwards (a wall clock stepped back counts as no time passing).
#[derive(Debug, Clone)]
struct InjectedClock {
    clock: Arc<dyn Clock>,
    origin: DateTime<Utc>,
    high_water: Arc<AtomicU64>,
}

impl InjectedClock {
    fn new(clock: Arc<dyn Clock>) -> Self {
        InjectedClock {
            origin: clock.now(),
            clock,
            high_water: Arc::new(AtomicU64::new(0)),
        }
    }
}

impl governor::clock::Clock for InjectedClock {
    type Instant = Duration;

    fn now(&self) -> Duration {
        let elapsed = (self.clock.now() - self.origin)
            .num_nanoseconds()
            .map_or(u64::MAX, |n| u64::try_from(n).unwrap_or(0));
        let before = self.high_water.fetch_max(elapsed, Ordering::Relaxed);
        Duration::from_nanos(before.max(elapsed))
    }
}

type Gcra = governor::RateLimiter<NotKeyed, InMemoryState, InjectedClock, NoOpMiddleware<Duration>>;

/// An in-process GCRA limiter (`governor`), shared by reference-counting. Its time comes from
/// an injectable [`Clock`] and its waits go through a [`Sleeper`], so tests observe the exact
/// pacing without waiting.
pub struct GovernorRateLimiter {
    limiter: Gcra,
    clock: InjectedClock,
    sleeper: Arc<dyn Sleeper>,
    description: String,
}

impl std::fmt::Debug for GovernorRateLimiter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("GovernorRateLimiter")
            .field("quota", &self.description)
            .finish()
    }
}

impl GovernorRateLimiter {
    /// `per_second` requests per second, evenly spaced, with bursts of at most `burst`.
    pub fn per_second(per_second: NonZeroU32, burst: NonZeroU32) -> Self {
        Self::per_second_with(
            per_second,
            burst,
            Arc::new(SystemClock),
            Arc::new(TokioSleeper),
        )
    }

    /// [`GovernorRateLimiter::per_second`] with an injected clock and sleeper.
    pub fn per_second_with(
        per_second: NonZeroU32,
        burst: NonZeroU32,
        clock: Arc<dyn Clock>,
        sleeper: Arc<dyn Sleeper>,
    ) -> Self {
        let quota = Quota::per_second(per_second).allow_burst(burst);
        Self::with_quota(
            quota,
            format!("{per_second}/s, burst {burst}"),
            clock,
            sleeper,
        )
    }

    /// One request per `interval`, with bursts of at most `burst`: a pace that is not a whole
    /// number per second (105 ms is about 9.5/s). An interval of zero is taken as 1 ns.
    pub fn every(interval: Duration, burst: NonZeroU32) -> Self {
        Self::every_with(
            interval,
            burst,
            Arc::new(SystemClock),
            Arc::new(TokioSleeper),
        )
    }

    /// [`GovernorRateLimiter::every`] with an injected clock and sleeper.
    pub fn every_with(
        interval: Duration,
        burst: NonZeroU32,
        clock: Arc<dyn Clock>,
        sleeper: Arc<dyn Sleeper>,
    ) -> Self {
        let interval = interval.max(Duration::from_nanos(1));
        let quota = Quota::with_period(interval)
            .unwrap_or_else(|| Quota::per_second(NonZeroU32::MAX))
            .allow_burst(burst);
        Self::with_quota(
            quota,
            format!("one per {interval:?}, burst {burst}"),
            clock,
            sleeper,
        )
    }

    fn with_quota(
        quota: Quota,
        description: String,
        clock: Arc<dyn Clock>,
        sleeper: Arc<dyn Sleeper>,
    ) -> Self {
        let clock = InjectedClock::new(clock);
        GovernorRateLimiter {
            limiter: governor::RateLimiter::direct_with_clock(quota, clock.clone()),
            clock,
            sleeper,
            description,
        }
    }
}

#[async_trait]
impl RateLimiter for GovernorRateLimiter {
    async fn acquire(&self) {
        use governor::clock::Clock as _;
        while let Err(not_until) = self.limiter.check() {
            let wait = not_until.wait_time_from(self.clock.now());
            self.sleeper.sleep(wait).await;
        }
    }
}

/// What the budget allows now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum QuotaCheck {
    /// Send.
    Proceed,
    /// Wait this long (the window resets soon, or the vendor asked for a pause), then send.
    Wait(Duration),
    /// The budget is spent for longer than the client waits.
    Exhausted {
        /// When it resets, when known.
        resets_at: Option<DateTime<Utc>>,
        /// Budget size, when known.
        limit: Option<u64>,
    },
}

#[derive(Debug, Default)]
struct QuotaState {
    /// The newest reading, by when its request was sent.
    last: RateLimitHeaders,
    /// The ticket of the request that produced `last`.
    last_ticket: u64,
    /// Nobody sends before this instant (a 429's `Retry-After`).
    paused_until: Option<DateTime<Utc>>,
}

/// Follows the vendor's `X-RateLimit-Limit/Remaining/Reset` headers so the client stops before
/// the budget is spent instead of drawing 429s.
///
/// Readings are ordered by when their request was sent ([`QuotaTracker::ticket`]): the answer
/// to an older request, arriving late, never overwrites a newer reading. While the budget is
/// spent, every caller is told to wait for the same reset (the reading is kept until the reset
/// has passed or a newer reading replaces it), so concurrent callers wait together.
#[derive(Debug, Default)]
pub struct QuotaTracker {
    tickets: AtomicU64,
    state: Mutex<QuotaState>,
}

impl QuotaTracker {
    /// A ticket for a request about to be sent; pass it to [`QuotaTracker::observe_ticket`]
    /// with the answer's headers.
    pub fn ticket(&self) -> u64 {
        self.tickets.fetch_add(1, Ordering::Relaxed) + 1
    }

    /// Records the headers of a response as the newest reading (ignores responses without
    /// them).
    pub fn observe(&self, headers: &RateLimitHeaders) {
        let t = self.ticket();
        self.observe_ticket(t, headers);
    }

    /// Records the headers of the answer to the request sent with `ticket`, unless a request
    /// sent later already gave a reading. Ignores responses without the headers.
    pub fn observe_ticket(&self, ticket: u64, headers: &RateLimitHeaders) {
        if headers.is_empty() {
            return;
        }
        if let Ok(mut st) = self.state.lock() {
            if ticket > st.last_ticket {
                st.last = *headers;
                st.last_ticket = ticket;
            }
        }
    }

    /// Nobody sends before `until` (a 429's `Retry-After`); a later pause already set stays.
    pub fn pause_until(&self, until: DateTime<Utc>) {
        if let Ok(mut st) = self.state.lock() {
            st.paused_until = Some(st.paused_until.map_or(until, |p| p.max(until)));
        }
    }

    /// The last seen headers.
    pub fn last(&self) -> RateLimitHeaders {
        self.state.lock().map(|s| s.last).unwrap_or_default()
    }

    /// Whether a request may be sent at `now`, waiting at most `max_wait` for a reset. Every
    /// caller asking before the reset gets the same answer.
    pub fn check(&self, now: DateTime<Utc>, max_wait: Duration) -> QuotaCheck {
        let Ok(st) = self.state.lock() else {
            return QuotaCheck::Proceed;
        };
        let until_reset = match (st.last.remaining, st.last.reset) {
            // One extra second: resets are whole seconds and clocks differ.
            (Some(0), Some(reset)) => Some(reset + chrono::Duration::seconds(1)),
            // No reset time (a rolling window): let the vendor decide.
            _ => None,
        }
        // A reset already past: the reading is stale.
        .filter(|until| *until > now);
        if let Some(until) = until_reset {
            let wait = (until - now).to_std().unwrap_or(Duration::ZERO);
            if wait > max_wait {
                return QuotaCheck::Exhausted {
                    resets_at: st.last.reset,
                    limit: st.last.limit,
                };
            }
        }
        let until = match (until_reset, st.paused_until.filter(|p| *p > now)) {
            (Some(a), Some(b)) => a.max(b),
            (a, b) => match a.or(b) {
                Some(u) => u,
                None => return QuotaCheck::Proceed,
            },
        };
        QuotaCheck::Wait((until - now).to_std().unwrap_or(Duration::ZERO))
    }
}

#[cfg(test)]
mod tests;
