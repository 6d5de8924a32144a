//! HighLevel's limits in the simulator: per key, a fixed 10-second window opened at the
//! key's first request and restarted every 10 s, and a daily count restarted at UTC
//! midnight (docs/vendors/highlevel-v2.md, "Rate limits", "Reconciled points" 8).

use std::collections::HashMap;

use chrono::{DateTime, Utc};

/// What counting one request said.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Counted {
    pub verdict: Result<(), ()>,
    pub burst_max: u32,
    pub burst_remaining: u32,
    pub daily_max: u32,
    pub daily_remaining: u32,
}

#[derive(Debug, Default, Clone, Copy)]
struct Key {
    window_start: Option<DateTime<Utc>>,
    in_window: u32,
    day: Option<chrono::NaiveDate>,
    today: u32,
}

/// The limits of every key.
#[derive(Debug)]
pub(crate) struct Limits {
    pub burst_max: u32,
    pub daily_max: u32,
    keys: HashMap<String, Key>,
}

impl Limits {
    pub(crate) fn new(burst_max: u32, daily_max: u32) -> Self {
        Limits {
            burst_max,
            daily_max,
            keys: HashMap::new(),
        }
    }

    /// Counts a request of `key` at `now` (a refused request uses nothing).
    pub(crate) fn count(&mut self, key: &str, now: DateTime<Utc>) -> Counted {
        let (burst_max, daily_max) = (self.burst_max, self.daily_max);
        let k = self.keys.entry(key.to_string()).or_default();
        if k.window_start
            .is_none_or(|s| now - s >= chrono::Duration::seconds(10) || now < s)
        {
            k.window_start = Some(now);
            k.in_window = 0;
        }
        if k.day != Some(now.date_naive()) {
            k.day = Some(now.date_naive());
            k.today = 0;
        }
        let off = burst_max == 0;
        let verdict = if !off && (k.in_window >= burst_max || k.today >= daily_max) {
            Err(())
        } else {
            k.in_window += 1;
            k.today += 1;
            Ok(())
        };
        Counted {
            verdict,
            burst_max,
            // Limits off: a window that never runs out (a 0 would tell clients to wait).
            burst_remaining: if off {
                u32::MAX
            } else {
                burst_max.saturating_sub(k.in_window)
            },
            daily_max,
            daily_remaining: daily_max.saturating_sub(k.today),
        }
    }
}
