//! The simulators' clock: the vendor's idea of "now".
//!
//! Every time a simulator reads — record timestamps, the `Date` header, rate-limit windows,
//! search lag, token expiry — comes from one [`SimClock`]. By default it follows the system
//! clock; [`SimClock::manual`] gives a clock that only moves when a test calls
//! [`advance`](SimClock::advance) or [`set`](SimClock::set), so rate-limit windows and search
//! lag can be tested without waiting and without wall-clock windows.

use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use chrono::{DateTime, TimeZone, Utc};

/// A cheap-to-clone handle on a shared clock (clones see the same time).
#[derive(Debug, Clone)]
pub struct SimClock {
    inner: Arc<Mutex<State>>,
}

#[derive(Debug, Clone, Copy)]
enum State {
    /// System time plus an offset (moved by `advance` / `set`).
    System { offset: chrono::Duration },
    /// A fixed instant, moved only by `advance` / `set`.
    Manual { now: DateTime<Utc> },
}

impl Default for SimClock {
    fn default() -> Self {
        Self::system()
    }
}

fn to_chrono(d: Duration) -> chrono::Duration {
    chrono::Duration::from_std(d).unwrap_or(chrono::Duration::MAX)
}

impl SimClock {
    /// A clock that follows the system clock.
    pub fn system() -> Self {
        Self::from_state(State::System {
            offset: chrono::Duration::zero(),
        })
    }

    /// A clock standing still at `start` until [`advance`](Self::advance) or
    /// [`set`](Self::set) moves it.
    pub fn manual(start: DateTime<Utc>) -> Self {
        Self::from_state(State::Manual { now: start })
    }

    /// A manual clock at `2025-06-02T09:00:00Z`, a Monday after the seed data's epoch.
    pub fn manual_default() -> Self {
        let start = Utc
            .with_ymd_and_hms(2025, 6, 2, 9, 0, 0)
            .single()
            .unwrap_or_default();
        Self::manual(start)
    }

    fn from_state(state: State) -> Self {
        Self {
            inner: Arc::new(Mutex::new(state)),
        }
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Whether this clock only moves when told to.
    pub fn is_manual(&self) -> bool {
        matches!(*self.lock(), State::Manual { .. })
    }

    /// The current instant (full precision).
    pub fn now(&self) -> DateTime<Utc> {
        match *self.lock() {
            State::System { offset } => Utc::now() + offset,
            State::Manual { now } => now,
        }
    }

    /// The current instant truncated to whole seconds (the precision of the vendors'
    /// timestamps).
    pub fn now_secs(&self) -> DateTime<Utc> {
        let t = self.now();
        Utc.timestamp_opt(t.timestamp(), 0)
            .single()
            .unwrap_or_default()
    }

    /// Moves the clock forward by `by` (a system clock gets a larger offset).
    pub fn advance(&self, by: Duration) {
        let by = to_chrono(by);
        let mut st = self.lock();
        *st = match *st {
            State::System { offset } => State::System {
                offset: offset + by,
            },
            State::Manual { now } => State::Manual { now: now + by },
        };
    }

    /// Sets the clock to `t` (a system clock gets the offset that makes `now() == t`).
    pub fn set(&self, t: DateTime<Utc>) {
        let mut st = self.lock();
        *st = match *st {
            State::System { .. } => State::System {
                offset: t - Utc::now(),
            },
            State::Manual { .. } => State::Manual { now: t },
        };
    }

    /// `now()` as an RFC 7231 HTTP-date (`Sun, 06 Nov 1994 08:49:37 GMT`), the form of the
    /// `Date` header.
    pub fn http_date(&self) -> String {
        http_date(self.now())
    }
}

/// `t` as an RFC 7231 IMF-fixdate.
pub fn http_date(t: DateTime<Utc>) -> String {
    t.format("%a, %d %b %Y %H:%M:%S GMT").to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn manual_clock_moves_only_when_told() {
        let c = SimClock::manual_default();
        let t0 = c.now();
        assert_eq!(c.now(), t0);
        c.advance(Duration::from_millis(1500));
        assert_eq!((c.now() - t0).num_milliseconds(), 1500);
        assert_eq!(c.now_secs().timestamp(), t0.timestamp() + 1);
        let other = c.clone();
        other.advance(Duration::from_secs(1));
        assert_eq!((c.now() - t0).num_milliseconds(), 2500);
        assert!(c.is_manual());
    }

    #[test]
    fn http_date_is_imf_fixdate() {
        let t = Utc
            .with_ymd_and_hms(1994, 11, 6, 8, 49, 37)
            .single()
            .unwrap();
        assert_eq!(http_date(t), "Sun, 06 Nov 1994 08:49:37 GMT");
    }
}
