//! Per-instance rate limiting: a token bucket for the per-second burst limit and a daily quota.

use std::time::{Duration, Instant};

/// What the limiter decided for one request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Verdict {
    /// Go ahead.
    Pass,
    /// Over the per-second limit: 429 with `Retry-After: 1`.
    Burst,
    /// Daily quota spent: 429 with `Retry-After` = seconds until the window rolls.
    Daily(u64),
}

/// Token bucket (capacity = refill per second = `rps`) plus a 24-hour quota window.
#[derive(Debug)]
pub(crate) struct Limiter {
    rps: f64,
    tokens: f64,
    last: Instant,
    quota: u32,
    used: u32,
    window_start: Instant,
}

const WINDOW: Duration = Duration::from_secs(24 * 3600);

impl Limiter {
    /// A full bucket and an unused quota. `rps == 0` disables the burst limit.
    pub(crate) fn new(rps: u32, quota: u32) -> Limiter {
        let now = Instant::now();
        Limiter {
            rps: f64::from(rps),
            tokens: f64::from(rps),
            last: now,
            quota,
            used: 0,
            window_start: now,
        }
    }

    /// The daily quota.
    pub(crate) fn quota(&self) -> u32 {
        self.quota
    }

    /// Requests left in the current window.
    pub(crate) fn remaining(&self) -> u32 {
        self.quota.saturating_sub(self.used)
    }

    /// Changes the limits and resets the bucket and the window.
    pub(crate) fn reconfigure(&mut self, rps: u32, quota: u32) {
        *self = Limiter::new(rps, quota);
    }

    /// Charges one request. Every request that arrives while quota is left uses one unit of
    /// the daily quota, including one then refused by the burst limit.
    pub(crate) fn check(&mut self) -> Verdict {
        let now = Instant::now();
        if now.duration_since(self.window_start) >= WINDOW {
            self.window_start = now;
            self.used = 0;
        }
        if self.used >= self.quota {
            let left = WINDOW.saturating_sub(now.duration_since(self.window_start));
            return Verdict::Daily(left.as_secs().max(1));
        }
        self.used += 1;
        if self.rps <= 0.0 {
            return Verdict::Pass;
        }
        let elapsed = now.duration_since(self.last).as_secs_f64();
        self.last = now;
        self.tokens = (self.tokens + elapsed * self.rps).min(self.rps);
        // A small tolerance so a client pacing itself at exactly `rps` is never refused.
        if self.tokens >= 0.98 {
            self.tokens = (self.tokens - 1.0).max(0.0);
            Verdict::Pass
        } else {
            Verdict::Burst
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn eleventh_request_in_a_burst_is_refused() {
        let mut l = Limiter::new(10, 1000);
        let verdicts: Vec<Verdict> = (0..30).map(|_| l.check()).collect();
        assert!(verdicts[..10].iter().all(|v| *v == Verdict::Pass));
        assert_eq!(verdicts[10], Verdict::Burst);
        assert_eq!(l.remaining(), 970);
    }

    #[test]
    fn quota_runs_out() {
        let mut l = Limiter::new(0, 3);
        assert_eq!(l.check(), Verdict::Pass);
        assert_eq!(l.check(), Verdict::Pass);
        assert_eq!(l.check(), Verdict::Pass);
        assert_eq!(l.remaining(), 0);
        assert!(matches!(l.check(), Verdict::Daily(_)));
    }
}
