//! When a failed request is retried, and after how long.
//!
//! The rules (design.md §4):
//! - a connection that could not be made is retried for every method: nothing was sent;
//! - 429 is retried for every method (the vendor did not process the request), after
//!   `Retry-After` when given, else after the back-off; a spent budget (`Remaining: 0`) is
//!   waited out only when its reset is within [`RetryPolicy::max_wait`];
//! - 5xx, timeouts and broken connections are retried only for idempotent requests (GET, PUT,
//!   DELETE, HEAD): a create (POST) that may have reached the vendor is never sent twice;
//! - a 2xx body that is not valid JSON (cut or garbled on the way) is retried for idempotent
//!   requests;
//! - everything else (4xx) is final.

use std::time::Duration;

use chrono::{DateTime, Utc};

use crate::error::{Error, TransportKind};

/// Retry settings.
#[derive(Debug, Clone, PartialEq)]
pub struct RetryPolicy {
    /// Retries after the first attempt.
    pub max_retries: usize,
    /// First back-off delay.
    pub base_delay: Duration,
    /// Largest back-off delay.
    pub max_delay: Duration,
    /// Longest wait the client accepts from a `Retry-After` or a rate-limit reset; a longer one
    /// is returned to the caller as [`Error::RateLimited`] / [`Error::QuotaExhausted`].
    pub max_wait: Duration,
    /// Randomise back-off delays (off in tests for exact delays).
    pub jitter: bool,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy {
            max_retries: 5,
            base_delay: Duration::from_millis(200),
            max_delay: Duration::from_secs(10),
            max_wait: Duration::from_secs(60),
            jitter: true,
        }
    }
}

impl RetryPolicy {
    /// No retries at all.
    pub fn none() -> Self {
        RetryPolicy {
            max_retries: 0,
            ..Self::default()
        }
    }
}

/// What to do after a failed attempt.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decision {
    /// Retry; `Some` overrides the back-off delay with the vendor's.
    Retry(Option<Duration>),
    /// Return the error.
    GiveUp,
}

/// Whether a method is idempotent (safe to send twice).
pub fn is_idempotent(method: &http::Method) -> bool {
    matches!(
        *method,
        http::Method::GET
            | http::Method::HEAD
            | http::Method::PUT
            | http::Method::DELETE
            | http::Method::OPTIONS
    )
}

/// Decides whether `err` from a request with the given idempotency is retried.
pub fn decide(policy: &RetryPolicy, idempotent: bool, err: &Error, now: DateTime<Utc>) -> Decision {
    match err {
        Error::Transport {
            kind: TransportKind::Connect,
            ..
        } => Decision::Retry(None),
        Error::Transport {
            kind: TransportKind::Timeout | TransportKind::Interrupted,
            ..
        } if idempotent => Decision::Retry(None),
        Error::RateLimited { retry_after } => match retry_after {
            Some(d) if *d > policy.max_wait => Decision::GiveUp,
            Some(d) => Decision::Retry(Some(*d)),
            None => Decision::Retry(None),
        },
        Error::QuotaExhausted {
            resets_at: Some(at),
            ..
        } => {
            let wait = (*at - now).to_std().unwrap_or(Duration::ZERO);
            if wait <= policy.max_wait {
                // One extra second: resets are whole seconds and clocks differ.
                Decision::Retry(Some(wait + Duration::from_secs(1)))
            } else {
                Decision::GiveUp
            }
        }
        Error::Vendor { status, .. } if *status >= 500 && idempotent => Decision::Retry(None),
        // Only raised by the client for a 2xx body that is not valid JSON (see `client.rs`).
        Error::Decode { .. } if idempotent => Decision::Retry(None),
        _ => Decision::GiveUp,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn now() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2025, 1, 1, 0, 0, 0).unwrap()
    }

    fn transport(kind: TransportKind) -> Error {
        Error::Transport {
            kind,
            message: "x".into(),
            source: None,
        }
    }

    fn vendor(status: u16) -> Error {
        Error::Vendor {
            vendor: "t".into(),
            status,
            code: None,
            message: String::new(),
            body: String::new(),
        }
    }

    /// method × error → decision.
    #[test]
    fn decision_table() {
        let p = RetryPolicy::default();
        let secs = Duration::from_secs;
        let cases: Vec<(&str, Error, Decision)> = vec![
            (
                "GET",
                transport(TransportKind::Connect),
                Decision::Retry(None),
            ),
            (
                "POST",
                transport(TransportKind::Connect),
                Decision::Retry(None),
            ),
            (
                "GET",
                transport(TransportKind::Timeout),
                Decision::Retry(None),
            ),
            ("POST", transport(TransportKind::Timeout), Decision::GiveUp),
            (
                "PUT",
                transport(TransportKind::Interrupted),
                Decision::Retry(None),
            ),
            (
                "POST",
                transport(TransportKind::Interrupted),
                Decision::GiveUp,
            ),
            ("GET", transport(TransportKind::Other), Decision::GiveUp),
            ("GET", vendor(500), Decision::Retry(None)),
            ("DELETE", vendor(503), Decision::Retry(None)),
            ("PUT", vendor(502), Decision::Retry(None)),
            ("POST", vendor(503), Decision::GiveUp),
            ("GET", vendor(405), Decision::GiveUp),
            (
                "GET",
                Error::RateLimited {
                    retry_after: Some(secs(2)),
                },
                Decision::Retry(Some(secs(2))),
            ),
            (
                "POST",
                Error::RateLimited { retry_after: None },
                Decision::Retry(None),
            ),
            (
                "GET",
                Error::RateLimited {
                    retry_after: Some(secs(3600)),
                },
                Decision::GiveUp,
            ),
            (
                "GET",
                Error::QuotaExhausted {
                    resets_at: Some(now() + chrono::Duration::seconds(30)),
                    limit: None,
                },
                Decision::Retry(Some(secs(31))),
            ),
            (
                "GET",
                Error::QuotaExhausted {
                    resets_at: Some(now() + chrono::Duration::hours(5)),
                    limit: None,
                },
                Decision::GiveUp,
            ),
            (
                "GET",
                Error::QuotaExhausted {
                    resets_at: None,
                    limit: Some(1000),
                },
                Decision::GiveUp,
            ),
            ("GET", Error::validation("bad"), Decision::GiveUp),
            (
                "GET",
                Error::Unauthenticated {
                    message: String::new(),
                },
                Decision::GiveUp,
            ),
            (
                "GET",
                Error::NotFound {
                    message: String::new(),
                },
                Decision::GiveUp,
            ),
        ];
        for (method, err, want) in cases {
            let m: http::Method = method.parse().unwrap();
            let got = decide(&p, is_idempotent(&m), &err, now());
            assert_eq!(got, want, "{method} {err:?}");
        }
    }
}
