//! Injectable time: a [`Sleeper`] for waits and a [`Clock`] for "now", so tests can record the
//! delays that were asked for instead of measuring wall time.

use std::fmt::Debug;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use chrono::{DateTime, Utc};
use futures::future::BoxFuture;

/// Something that can wait.
pub trait Sleeper: Send + Sync + Debug {
    /// Waits for `duration`.
    fn sleep(&self, duration: Duration) -> BoxFuture<'static, ()>;
}

/// Something that tells the time.
pub trait Clock: Send + Sync + Debug {
    /// The current time.
    fn now(&self) -> DateTime<Utc>;
}

/// The real sleeper: `tokio::time::sleep`.
#[derive(Debug, Clone, Copy, Default)]
pub struct TokioSleeper;

impl Sleeper for TokioSleeper {
    fn sleep(&self, duration: Duration) -> BoxFuture<'static, ()> {
        Box::pin(tokio::time::sleep(duration))
    }
}

/// The real clock.
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> DateTime<Utc> {
        Utc::now()
    }
}

/// A sleeper for tests: returns at once and records every requested delay.
/// When paired with a [`ManualClock`], it also advances that clock.
#[derive(Debug, Clone, Default)]
pub struct RecordingSleeper {
    delays: Arc<Mutex<Vec<Duration>>>,
    clock: Option<ManualClock>,
}

impl RecordingSleeper {
    /// A recording sleeper.
    pub fn new() -> Self {
        Self::default()
    }

    /// A recording sleeper that advances `clock` by each delay.
    pub fn with_clock(clock: ManualClock) -> Self {
        Self {
            delays: Arc::default(),
            clock: Some(clock),
        }
    }

    /// The delays requested so far.
    pub fn delays(&self) -> Vec<Duration> {
        self.delays.lock().map(|d| d.clone()).unwrap_or_default()
    }
}

impl Sleeper for RecordingSleeper {
    fn sleep(&self, duration: Duration) -> BoxFuture<'static, ()> {
        if let Ok(mut d) = self.delays.lock() {
            d.push(duration);
        }
        if let Some(c) = &self.clock {
            c.advance(duration);
        }
        Box::pin(std::future::ready(()))
    }
}

/// A clock for tests that only moves when told to.
#[derive(Debug, Clone)]
pub struct ManualClock {
    now: Arc<Mutex<DateTime<Utc>>>,
}

impl ManualClock {
    /// A clock stopped at `at`.
    pub fn new(at: DateTime<Utc>) -> Self {
        Self {
            now: Arc::new(Mutex::new(at)),
        }
    }

    /// Moves the clock forward.
    pub fn advance(&self, by: Duration) {
        if let Ok(mut n) = self.now.lock() {
            *n += chrono::Duration::from_std(by).unwrap_or(chrono::Duration::zero());
        }
    }
}

impl Clock for ManualClock {
    fn now(&self) -> DateTime<Utc> {
        self.now.lock().map(|n| *n).unwrap_or_else(|_| Utc::now())
    }
}
