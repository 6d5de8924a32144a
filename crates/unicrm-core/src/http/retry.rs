//! When a failed request is retried, and after how long: the one retry classification of
//! unicrm, used by the HTTP client ([`decide`]), by [`Error::is_retryable`] and by callers that
//! must know whether a failed write may have been applied (the migration).
//!
//! [`classify`] sorts an error by what it says about the request's effect:
//! - [`RetryClass::NotApplied`]: the vendor did not act on the request — a connection that could
//!   not be made (nothing was sent), a 429 burst limit (refused before processing). Repeating is
//!   safe for every request, after `Retry-After` when given;
//! - [`RetryClass::BudgetSpent`]: a 429 with `X-RateLimit-Remaining: 0`; nothing succeeds before
//!   the reset, which is waited out only when it is within [`RetryPolicy::max_wait`];
//! - [`RetryClass::OutcomeUnknown`]: the request may have been applied — a timeout, a broken
//!   connection, a 5xx, a 2xx answer whose body could not be read. Repeated only when the
//!   request is *repeatable* (see [`Repeatable`]): a create, or a PUT that appends rows without
//!   ids, is never sent twice blindly; the caller looks the record up first;
//! - [`RetryClass::Final`]: the vendor answered and asking again gives the same answer (4xx,
//!   configuration, paging, unsupported).
//!
//! Whether a request is repeatable is decided by what it does, not by its verb: by default GET,
//! HEAD, OPTIONS, PUT and DELETE are, POST and PATCH are not, and an adapter overrides that per
//! request with [`crate::http::Request::repeatable`].

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

/// Whether sending a request twice has the same effect as sending it once.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Repeatable {
    /// Repeating is harmless (a read, a PUT that sets fields, a DELETE): retried after an
    /// unknown outcome.
    Yes,
    /// Repeating may apply the request twice (a create, a PUT that appends rows without ids):
    /// never retried after an unknown outcome.
    No,
}

impl Repeatable {
    /// The default for a method: GET, HEAD, OPTIONS, PUT and DELETE are repeatable.
    pub fn by_method(method: &http::Method) -> Self {
        if is_idempotent(method) {
            Repeatable::Yes
        } else {
            Repeatable::No
        }
    }

    /// `true` for [`Repeatable::Yes`].
    pub fn is_yes(self) -> bool {
        self == Repeatable::Yes
    }
}

impl From<bool> for Repeatable {
    fn from(b: bool) -> Self {
        if b { Repeatable::Yes } else { Repeatable::No }
    }
}

/// What an error says about the effect of the request that failed. See the module docs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum RetryClass {
    /// The vendor did not act on the request; repeating it is safe for every request.
    NotApplied {
        /// The delay the vendor asked for (`Retry-After`), when it said.
        after: Option<Duration>,
    },
    /// The budget of the window is spent; nothing succeeds before the reset.
    BudgetSpent {
        /// When the budget is renewed, when known.
        resets_at: Option<DateTime<Utc>>,
    },
    /// The request may or may not have been applied; repeat only a repeatable request.
    OutcomeUnknown,
    /// The vendor's answer is final; repeating the request does not help.
    Final,
}

impl RetryClass {
    /// Whether repeating the request later may succeed, for a request that is repeatable
    /// (what [`Error::is_retryable`] answers). A spent budget is not: wait for its reset.
    pub fn is_retryable(self) -> bool {
        matches!(
            self,
            RetryClass::NotApplied { .. } | RetryClass::OutcomeUnknown
        )
    }

    /// Whether the failed request may have been applied by the vendor: a write that failed so
    /// must be looked up before it is sent again.
    pub fn outcome_unknown(self) -> bool {
        self == RetryClass::OutcomeUnknown
    }
}

/// Classifies an error by what it says about the request's effect (the one classification).
pub fn classify(err: &Error) -> RetryClass {
    match err {
        Error::Transport { kind, .. } => match kind {
            TransportKind::Connect => RetryClass::NotApplied { after: None },
            TransportKind::Timeout | TransportKind::Interrupted => RetryClass::OutcomeUnknown,
            _ => RetryClass::Final,
        },
        Error::RateLimited { retry_after } => RetryClass::NotApplied {
            after: *retry_after,
        },
        Error::QuotaExhausted { resets_at, .. } => RetryClass::BudgetSpent {
            resets_at: *resets_at,
        },
        Error::Vendor { status, .. } if *status >= 500 => RetryClass::OutcomeUnknown,
        // The vendor answered 2xx but its body could not be read (cut or garbled on the way):
        // whatever the request did is unknown to the caller. The client itself only raises it
        // for a 2xx body that is not valid JSON.
        Error::Decode { .. } => RetryClass::OutcomeUnknown,
        _ => RetryClass::Final,
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

/// Whether a method is idempotent (safe to send twice) by its definition in HTTP. A request's
/// own [`Repeatable`] setting takes precedence.
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

/// Decides whether `err` from a request that is `repeatable` (or not) is retried, from
/// [`classify`].
pub fn decide(
    policy: &RetryPolicy,
    repeatable: impl Into<Repeatable>,
    err: &Error,
    now: DateTime<Utc>,
) -> Decision {
    match classify(err) {
        RetryClass::NotApplied { after: Some(d) } if d > policy.max_wait => Decision::GiveUp,
        RetryClass::NotApplied { after } => Decision::Retry(after),
        RetryClass::BudgetSpent {
            resets_at: Some(at),
        } => {
            let wait = (at - now).to_std().unwrap_or(Duration::ZERO);
            if wait <= policy.max_wait {
                // One extra second: resets are whole seconds and clocks differ.
                Decision::Retry(Some(wait + Duration::from_secs(1)))
            } else {
                Decision::GiveUp
            }
        }
        RetryClass::OutcomeUnknown if repeatable.into().is_yes() => Decision::Retry(None),
        _ => Decision::GiveUp,
    }
}

#[cfg(test)]
mod tests;
