//! The progress line of a long listing: on stderr, only when stderr is a terminal, only once
//! the listing has run for a second; records so far, the rate, and the time spent waiting on
//! rate limits. Cleared when the listing ends.

use std::io::{IsTerminal, Write};
use std::time::{Duration, Instant};

/// How long a listing runs before its progress line appears.
pub const DELAY: Duration = Duration::from_secs(1);

/// How often the line is redrawn (also while waiting on a rate limit).
pub const TICK: Duration = Duration::from_millis(250);

/// The line for `records` listed in `elapsed`, `throttled` of it spent waiting on rate limits.
pub fn line(records: u64, elapsed: Duration, throttled: Duration) -> String {
    let secs = elapsed.as_secs_f64();
    let rate = if secs > 0.0 {
        records as f64 / secs
    } else {
        0.0
    };
    let mut s = format!(
        "{} record{} in {:.1}s ({:.0}/s)",
        records,
        if records == 1 { "" } else { "s" },
        secs,
        rate
    );
    if !throttled.is_zero() {
        s.push_str(&format!(
            ", {:.1}s waiting on rate limits",
            throttled.as_secs_f64()
        ));
    }
    s
}

/// The progress line of one listing.
pub struct Progress {
    start: Instant,
    enabled: bool,
    drawn: bool,
}

impl Progress {
    /// Starts timing; draws only if stderr is a terminal.
    pub fn start() -> Self {
        Progress {
            start: Instant::now(),
            enabled: std::io::stderr().is_terminal(),
            drawn: false,
        }
    }

    /// Whether a line may ever be drawn.
    pub fn enabled(&self) -> bool {
        self.enabled
    }

    /// Redraws the line, once the listing has run for [`DELAY`].
    pub fn draw(&mut self, records: u64, throttled_ms: u64) {
        let elapsed = self.start.elapsed();
        if !self.enabled || elapsed < DELAY {
            return;
        }
        let text = line(records, elapsed, Duration::from_millis(throttled_ms));
        let mut err = std::io::stderr().lock();
        // Carriage return, the line, then erase what a longer previous line left.
        let _ = write!(err, "\r{text}\x1b[K");
        let _ = err.flush();
        self.drawn = true;
    }

    /// Erases the line, if one was drawn.
    pub fn clear(&mut self) {
        if self.drawn {
            let mut err = std::io::stderr().lock();
            let _ = write!(err, "\r\x1b[K");
            let _ = err.flush();
            self.drawn = false;
        }
    }
}

impl Drop for Progress {
    fn drop(&mut self) {
        self.clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_line_says_records_rate_and_waits() {
        let s = Duration::from_secs;
        assert_eq!(line(0, s(0), s(0)), "0 records in 0.0s (0/s)");
        assert_eq!(line(1, s(2), s(0)), "1 record in 2.0s (0/s)");
        assert_eq!(
            line(
                2500,
                Duration::from_millis(10_000),
                Duration::from_millis(3_250)
            ),
            "2500 records in 10.0s (250/s), 3.2s waiting on rate limits"
        );
        assert_eq!(line(300, s(4), s(0)), "300 records in 4.0s (75/s)");
    }

    #[test]
    fn nothing_is_drawn_before_the_delay_or_off_a_terminal() {
        let mut p = Progress {
            start: Instant::now(),
            enabled: false,
            drawn: false,
        };
        p.draw(10, 0);
        assert!(!p.drawn);
        // Enabled, but the listing has not run for a second yet (no clock is read past
        // `start`: a fresh start is always younger than the delay).
        let mut q = Progress {
            start: Instant::now(),
            enabled: true,
            drawn: false,
        };
        q.draw(10, 0);
        assert!(!q.drawn);
    }
}
