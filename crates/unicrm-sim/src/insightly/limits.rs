//! Per-instance rate limiting, as documented (docs/vendors/insightly-v3.1.md, Rate limits):
//! at most `rps` requests per second per instance, and a daily quota over a rolling 24 hours.
//!
//! Both are modelled exactly, with no tolerance: a request is refused by the per-second limit
//! when `rps` requests were already accepted in the second before it (sliding window
//! `(t − 1 s, t]`, or the calendar second of `t` with [`PerSecondWindow::Fixed`]), and by the
//! daily quota when `quota` requests were counted in `(t − 24 h, t]`. Time comes from the
//! simulator's clock, so tests move it instead of waiting.

use std::collections::VecDeque;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// How the per-second limit's window is read.
///
/// The vendor documents "at most 10 requests per second per instance" without saying which
/// second; [`Sliding`](Self::Sliding) (the strictest reading: no one-second span ever holds
/// more than the limit) is the default, [`Fixed`](Self::Fixed) counts per calendar second.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub enum PerSecondWindow {
    /// At most `rps` accepted requests in any window `(t − 1 s, t]`.
    #[default]
    Sliding,
    /// At most `rps` accepted requests within each whole UTC second.
    Fixed,
}

/// What the limiter decided for one request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Verdict {
    /// Go ahead.
    Pass,
    /// Over the per-second limit: 429 with `Retry-After: 1`.
    Burst,
    /// Daily quota spent: 429 with `Retry-After` = seconds until a unit comes back.
    Daily(u64),
}

/// The per-second window plus the rolling daily window.
#[derive(Debug)]
pub(crate) struct Limiter {
    rps: u32,
    mode: PerSecondWindow,
    /// Instants of the requests accepted in the last second (sliding) or in the current
    /// calendar second (fixed).
    second: VecDeque<DateTime<Utc>>,
    quota: u32,
    /// Instants of the requests counted against the quota in the last 24 hours.
    day: VecDeque<DateTime<Utc>>,
}

fn one_second() -> chrono::Duration {
    chrono::Duration::seconds(1)
}

fn one_day() -> chrono::Duration {
    chrono::Duration::hours(24)
}

impl Limiter {
    /// An idle limiter. `rps == 0` disables the per-second limit.
    pub(crate) fn new(rps: u32, quota: u32, mode: PerSecondWindow) -> Limiter {
        Limiter {
            rps,
            mode,
            second: VecDeque::new(),
            quota,
            day: VecDeque::new(),
        }
    }

    /// The daily quota.
    pub(crate) fn quota(&self) -> u32 {
        self.quota
    }

    /// Requests left in the rolling window as of the last check.
    pub(crate) fn remaining(&self) -> u32 {
        let used = u32::try_from(self.day.len()).unwrap_or(u32::MAX);
        self.quota.saturating_sub(used)
    }

    /// Changes the limits and forgets every request seen.
    pub(crate) fn reconfigure(&mut self, rps: u32, quota: u32) {
        *self = Limiter::new(rps, quota, self.mode);
    }

    /// Charges one request arriving at `now`. Every request that arrives while quota is left
    /// uses one unit of the daily quota, including one then refused by the per-second limit
    /// (so `X-RateLimit-Remaining` drops by one per request).
    pub(crate) fn check(&mut self, now: DateTime<Utc>) -> Verdict {
        while self.day.front().is_some_and(|t| *t <= now - one_day()) {
            self.day.pop_front();
        }
        if self.day.len() >= self.quota as usize {
            let wait = self
                .day
                .front()
                .map_or(chrono::Duration::seconds(1), |oldest| {
                    *oldest + one_day() - now
                });
            // Whole seconds, rounded up: a client that waits that long gets a unit back.
            let millis = wait.num_milliseconds().max(1);
            let secs = u64::try_from(millis).unwrap_or(1).div_ceil(1000);
            return Verdict::Daily(secs);
        }
        self.day.push_back(now);
        if self.rps == 0 {
            return Verdict::Pass;
        }
        match self.mode {
            PerSecondWindow::Sliding => {
                while self
                    .second
                    .front()
                    .is_some_and(|t| *t <= now - one_second())
                {
                    self.second.pop_front();
                }
            }
            PerSecondWindow::Fixed => {
                let this_second = now.timestamp();
                while self
                    .second
                    .front()
                    .is_some_and(|t| t.timestamp() != this_second)
                {
                    self.second.pop_front();
                }
            }
        }
        if self.second.len() >= self.rps as usize {
            Verdict::Burst
        } else {
            self.second.push_back(now);
            Verdict::Pass
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn t0() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2025, 6, 2, 9, 0, 0).single().unwrap()
    }

    fn ms(n: i64) -> chrono::Duration {
        chrono::Duration::milliseconds(n)
    }

    #[test]
    fn eleventh_request_in_a_second_is_refused_and_the_window_slides() {
        let mut l = Limiter::new(10, 1000, PerSecondWindow::Sliding);
        for i in 0..10 {
            assert_eq!(l.check(t0() + ms(i * 10)), Verdict::Pass, "request {i}");
        }
        assert_eq!(l.check(t0() + ms(999)), Verdict::Burst);
        // At t0 + 1 s the first request (at t0) has left (t0, t0 + 1 s]; the second has not.
        assert_eq!(l.check(t0() + ms(1000)), Verdict::Pass);
        assert_eq!(l.check(t0() + ms(1005)), Verdict::Burst);
        assert_eq!(l.check(t0() + ms(1010)), Verdict::Pass);
        assert_eq!(l.remaining(), 1000 - 14);
    }

    #[test]
    fn pacing_at_exactly_the_rate_passes_and_one_millisecond_early_does_not() {
        let mut l = Limiter::new(10, 100_000, PerSecondWindow::Sliding);
        for i in 0..100 {
            assert_eq!(l.check(t0() + ms(i * 100)), Verdict::Pass, "request {i}");
        }
        // The 101st a millisecond early: ten accepted in (9.099 s, 10.099 s] already.
        let mut l2 = Limiter::new(10, 100_000, PerSecondWindow::Sliding);
        for i in 0..10 {
            assert_eq!(l2.check(t0() + ms(i * 100)), Verdict::Pass);
        }
        assert_eq!(l2.check(t0() + ms(999)), Verdict::Burst);
    }

    #[test]
    fn fixed_window_counts_per_calendar_second() {
        let mut l = Limiter::new(10, 1000, PerSecondWindow::Fixed);
        for i in 0..10 {
            assert_eq!(l.check(t0() + ms(900 + i)), Verdict::Pass);
        }
        assert_eq!(l.check(t0() + ms(999)), Verdict::Burst);
        // A new calendar second: ten more at once, twenty within 0.11 s.
        for i in 0..10 {
            assert_eq!(l.check(t0() + ms(1000 + i)), Verdict::Pass);
        }
        assert_eq!(l.check(t0() + ms(1010)), Verdict::Burst);
    }

    #[test]
    fn daily_quota_is_a_rolling_window() {
        let mut l = Limiter::new(0, 3, PerSecondWindow::Sliding);
        assert_eq!(l.check(t0()), Verdict::Pass);
        assert_eq!(l.check(t0() + chrono::Duration::hours(1)), Verdict::Pass);
        assert_eq!(l.check(t0() + chrono::Duration::hours(2)), Verdict::Pass);
        assert_eq!(l.remaining(), 0);
        // 23 h after the first: it comes back in one hour.
        assert_eq!(
            l.check(t0() + chrono::Duration::hours(23)),
            Verdict::Daily(3600)
        );
        assert_eq!(
            l.check(t0() + chrono::Duration::hours(24) - ms(1)),
            Verdict::Daily(1)
        );
        assert_eq!(l.check(t0() + chrono::Duration::hours(24)), Verdict::Pass);
        assert_eq!(l.remaining(), 0);
        assert!(matches!(
            l.check(t0() + chrono::Duration::hours(24)),
            Verdict::Daily(3600)
        ));
    }

    #[test]
    fn quota_and_reconfigure() {
        let mut l = Limiter::new(2, 3, PerSecondWindow::Sliding);
        assert_eq!(l.quota(), 3);
        assert_eq!(l.remaining(), 3);
        assert_eq!(l.check(t0()), Verdict::Pass);
        assert_eq!(l.check(t0()), Verdict::Pass);
        assert_eq!(l.check(t0()), Verdict::Burst);
        l.reconfigure(1, 7);
        assert_eq!((l.quota(), l.remaining()), (7, 7));
        assert_eq!(l.check(t0()), Verdict::Pass);
        assert_eq!(l.check(t0()), Verdict::Burst);
    }

    #[test]
    fn refused_requests_use_quota_but_not_the_per_second_window() {
        let mut l = Limiter::new(1, 10, PerSecondWindow::Sliding);
        assert_eq!(l.check(t0()), Verdict::Pass);
        assert_eq!(l.check(t0() + ms(500)), Verdict::Burst);
        assert_eq!(l.check(t0() + ms(1000)), Verdict::Pass);
        assert_eq!(l.remaining(), 7);
    }
}
