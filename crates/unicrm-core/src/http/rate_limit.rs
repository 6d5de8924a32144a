//! Client-side rate limiting, before the vendor complains.
//!
//! [`RateLimiter`] is a trait so many workers can share one tenant's budget through a
//! networked store (a Redis GCRA, for example) — the scale-out path described in
//! `docs/architecture.md`. [`GovernorRateLimiter`] is the in-process GCRA.
//! [`QuotaTracker`] follows a vendor's `X-RateLimit-*` budget headers.

use std::num::NonZeroU32;
use std::sync::Mutex;
use std::time::Duration;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use governor::{DefaultDirectRateLimiter, Quota};

use super::retry_after::RateLimitHeaders;

/// Waits until a request may be sent.
#[async_trait]
pub trait RateLimiter: Send + Sync + std::fmt::Debug {
    /// Returns when one request may be sent now.
    async fn acquire(&self);
}

/// An in-process GCRA limiter (`governor`), shared by reference-counting.
pub struct GovernorRateLimiter {
    limiter: DefaultDirectRateLimiter,
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
        let quota = Quota::per_second(per_second).allow_burst(burst);
        GovernorRateLimiter {
            limiter: governor::RateLimiter::direct(quota),
            description: format!("{per_second}/s, burst {burst}"),
        }
    }
}

#[async_trait]
impl RateLimiter for GovernorRateLimiter {
    async fn acquire(&self) {
        self.limiter.until_ready().await;
    }
}

/// What the budget allows now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum QuotaCheck {
    /// Send.
    Proceed,
    /// Wait this long (the window resets soon), then send.
    Wait(Duration),
    /// The budget is spent for longer than the client waits.
    Exhausted {
        /// When it resets, when known.
        resets_at: Option<DateTime<Utc>>,
        /// Budget size, when known.
        limit: Option<u64>,
    },
}

/// Follows the vendor's `X-RateLimit-Limit/Remaining/Reset` headers so the client stops before
/// the budget is spent instead of drawing 429s.
#[derive(Debug, Default)]
pub struct QuotaTracker {
    last: Mutex<RateLimitHeaders>,
}

impl QuotaTracker {
    /// Records the headers of a response (ignores responses without them).
    pub fn observe(&self, headers: &RateLimitHeaders) {
        if headers.is_empty() {
            return;
        }
        if let Ok(mut last) = self.last.lock() {
            *last = *headers;
        }
    }

    /// The last seen headers.
    pub fn last(&self) -> RateLimitHeaders {
        self.last.lock().map(|l| *l).unwrap_or_default()
    }

    /// Whether a request may be sent at `now`, waiting at most `max_wait` for a reset.
    pub fn check(&self, now: DateTime<Utc>, max_wait: Duration) -> QuotaCheck {
        let Ok(mut last) = self.last.lock() else {
            return QuotaCheck::Proceed;
        };
        if last.remaining != Some(0) {
            return QuotaCheck::Proceed;
        }
        match last.reset {
            // No reset time (Insightly's rolling window): let the vendor decide.
            None => QuotaCheck::Proceed,
            Some(reset) if reset <= now => {
                last.remaining = None;
                QuotaCheck::Proceed
            }
            Some(reset) => {
                let wait = (reset - now).to_std().unwrap_or(Duration::ZERO);
                if wait <= max_wait {
                    last.remaining = None;
                    QuotaCheck::Wait(wait + Duration::from_secs(1))
                } else {
                    QuotaCheck::Exhausted {
                        resets_at: Some(reset),
                        limit: last.limit,
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn quota_tracker() {
        let now = Utc.with_ymd_and_hms(2025, 1, 1, 0, 0, 0).unwrap();
        let t = QuotaTracker::default();
        let max = Duration::from_secs(60);
        assert_eq!(t.check(now, max), QuotaCheck::Proceed);
        t.observe(&RateLimitHeaders {
            limit: Some(4000),
            remaining: Some(0),
            reset: Some(now + chrono::Duration::seconds(20)),
        });
        assert_eq!(t.check(now, max), QuotaCheck::Wait(Duration::from_secs(21)));
        // After the wait the next request goes.
        assert_eq!(t.check(now, max), QuotaCheck::Proceed);
        t.observe(&RateLimitHeaders {
            limit: Some(4000),
            remaining: Some(0),
            reset: Some(now + chrono::Duration::hours(1)),
        });
        assert!(matches!(
            t.check(now, max),
            QuotaCheck::Exhausted {
                limit: Some(4000),
                ..
            }
        ));
        t.observe(&RateLimitHeaders {
            limit: Some(1000),
            remaining: Some(0),
            reset: None,
        });
        assert_eq!(t.check(now, max), QuotaCheck::Proceed);
    }
}
